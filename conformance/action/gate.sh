#!/usr/bin/env bash
# The steps of the GitHub Action (action.yml at the repository root), as a script, so that they
# run the same here as on GitHub: tests/action.rs calls it with the environment the action sets.
#
#   gate.sh cache-key   prints key=<hash of the runner's sources> into $GITHUB_OUTPUT
#   gate.sh install     cargo install --locked the runner from this checkout into $SIO_ROOT
#   gate.sh run         runs the suite, writes the reports, the Markdown one into
#                       $GITHUB_STEP_SUMMARY, and exit-code=N into $GITHUB_OUTPUT; exits 0 so the
#                       reports are uploaded whatever the verdict
#   gate.sh verdict     exits with $SIO_EXIT_CODE (the job fails on 1, 2, 3 and any other non-0)
#
# Environment of `run` (the action's inputs; empty means not given):
#   SIO_RUNNER          the sio-conformance binary (default: $SIO_ROOT/bin/sio-conformance)
#   SIO_URL             the server's URL (required)
#   SIO_SERVER_COMMAND  the command that starts it (`--server-cmd`); empty: already running
#   SIO_SERVER_TIMEOUT  ms the URL may take to answer once the command started (default 30000)
#   SIO_FILTER          case id globs, comma-separated (`--filter`)
#   SIO_TIER            the tier the server must serve: protocol, official, full (`--require-tier`)
#   SIO_STRICT          true: a broken SHOULD fails the run too (`--strict`)
#   SIO_JUDGEMENT       the judgement file of known failures (`--judgement`)
#   SIO_BLESS           true: write this run's verdicts into SIO_JUDGEMENT (`--bless`); the file
#                       is also copied into the report directory, to download and commit
#   SIO_ARGS            more runner flags, split on spaces
#   SIO_REPORT_DIR      where the reports go (default sio-conformance-report)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checkout="$(cd "$here/../.." && pwd)"
root="${SIO_ROOT:-${RUNNER_TEMP:-/tmp}/sio-conformance}"

is_true() { [[ "${1:-}" == "true" ]]; }

# A step output (`name=value`) for GitHub, or on stdout when run by hand.
output() {
    if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
        echo "$1" >>"$GITHUB_OUTPUT"
    else
        echo "$1"
    fi
}

case "${1:-}" in
cache-key)
    # Everything the installed binary is built from; the action's ref alone would miss a
    # branch that moved. macOS has shasum where Linux has sha256sum.
    sha=sha256sum
    command -v sha256sum >/dev/null || sha="shasum -a 256"
    key="$(cd "$checkout" && find Cargo.toml Cargo.lock conformance protocol fixtures/Cargo.toml \
        fixtures/src fixtures/transcripts -type f -not -path '*/action/*' -print0 |
        sort -z | xargs -0 $sha | $sha | cut -c1-32)"
    output "key=$key"
    ;;
install)
    if [[ -x "$root/bin/sio-conformance" ]]; then
        echo "sio-conformance: cached in $root"
    else
        cargo install --locked --path "$checkout/conformance" --root "$root"
    fi
    "$root/bin/sio-conformance" --version
    ;;
run)
    runner="${SIO_RUNNER:-$root/bin/sio-conformance}"
    : "${SIO_URL:?SIO_URL, the url input, is required}"
    reports="${SIO_REPORT_DIR:-sio-conformance-report}"
    mkdir -p "$reports"
    args=(--url "$SIO_URL" --quiet
        --json "$reports/results.json" --junit "$reports/junit.xml"
        --markdown "$reports/report.md" --html "$reports/html")
    if [[ -n "${SIO_SERVER_COMMAND:-}" ]]; then
        args+=(--server-cmd "$SIO_SERVER_COMMAND" --server-log "$reports/server.log"
            --server-timeout "${SIO_SERVER_TIMEOUT:-30000}")
    fi
    [[ -n "${SIO_FILTER:-}" ]] && args+=(--filter "$SIO_FILTER")
    [[ -n "${SIO_TIER:-}" ]] && args+=(--require-tier "$SIO_TIER")
    is_true "${SIO_STRICT:-}" && args+=(--strict)
    [[ -n "${SIO_JUDGEMENT:-}" ]] && args+=(--judgement "$SIO_JUDGEMENT")
    is_true "${SIO_BLESS:-}" && args+=(--bless)
    # Extra flags as one input, split on spaces; `read` does not expand globs (`--filter sio.*`).
    if [[ -n "${SIO_ARGS:-}" ]]; then
        read -r -a extra <<<"$SIO_ARGS"
        args+=("${extra[@]}")
    fi
    echo "sio-conformance ${args[*]}"
    code=0
    "$runner" "${args[@]}" || code=$?
    if is_true "${SIO_BLESS:-}" && [[ -f "${SIO_JUDGEMENT:-}" ]]; then
        cp "$SIO_JUDGEMENT" "$reports/"
    fi
    if [[ -n "${GITHUB_STEP_SUMMARY:-}" && -f "$reports/report.md" ]]; then
        cat "$reports/report.md" >>"$GITHUB_STEP_SUMMARY"
    fi
    output "exit-code=$code"
    ;;
verdict)
    code="${SIO_EXIT_CODE:?SIO_EXIT_CODE, the exit-code output of the run step, is required}"
    case "$code" in
    0) echo "sio-conformance: passed" ;;
    1) echo "::error::sio-conformance: a case failed (exit 1): see the job summary and the reports" ;;
    2) echo "::error::sio-conformance: could not judge the server (exit 2): see the log above and server.log" ;;
    3) echo "::error::sio-conformance: verdicts differ from the judgement file (exit 3): see the job summary" ;;
    *) echo "::error::sio-conformance: exit $code" ;;
    esac
    exit "$code"
    ;;
*)
    echo "usage: gate.sh cache-key | install | run | verdict" >&2
    exit 2
    ;;
esac

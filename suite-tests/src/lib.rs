//! Tests only (see `tests/`): the conformance suite's self-tests, in a crate of their own so
//! that no product crate depends on the runner, not even as a dev-dependency, and so that only
//! this crate turns on the reference server's fault injection.
//!
//! - `tests/faults.rs`: the suite against the contract server with each injected fault
//!   (reference-server/FAULTS.md); every fault must fail some case.
//! - `tests/targets.rs`: the suite against servers that do not implement our contract (stock
//!   socket.io, the official suites' servers, far away, not a server at all, killed mid-run).
//! - `tests/tls.rs`: `https` and `wss` targets, judged against the golden results of the
//!   reference server (conformance/results/reference.json).
//! - `tests/html_report.rs`: the static site of a run, and its regeneration from its JSON.
//! - `tests/cluster.rs`: the cluster cases on clusters whose verdicts we know.
//!
//! The library itself holds only what those test binaries share.

use sio_conformance::verdict::CaseRecord;

/// One line for a record in a test's failure message: its id, its verdict and where its first
/// failure was, with what was expected and what was received.
pub fn describe(r: &CaseRecord) -> String {
    let first = r.failures.first().map_or(String::new(), |f| {
        format!(
            " at {:?}: expected {:?}, received {:?}",
            f.step, f.expected, f.received
        )
    });
    format!("{}: {}{first}", r.id, r.verdict.name())
}

//! The whole suite against the Node oracle (fixtures/node/harness.mjs on an ephemeral port):
//! every case passes, except the SHOULD cases documented as Node differences, which must be
//! `non-strict` (a stale difference, one Node now meets, fails the test too), and the replay
//! cases of transcripts that are not replayable, which are `unsupported`.
//! Skipped, with a message, only when `node` is not installed.

use sio_test_support as support;

use sio_conformance::cases;
use sio_conformance::config::{Capability, Settings};
use sio_conformance::driver::Endpoint;
use sio_conformance::runner::{self, RunOptions};
use sio_conformance::verdict::Verdict;

#[test]
fn the_whole_suite_passes_against_node() {
    let Some((_harness, url)) = support::start_node_harness() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let records = rt.block_on(async {
        let mut settings = Settings::new(Endpoint::parse(&url).expect("harness URL"));
        let found = runner::detect(&settings)
            .await
            .expect("the harness answers");
        assert_eq!(
            found.capabilities,
            Capability::ALL.into_iter().collect(),
            "the Node harness offers every capability ({:?})",
            found.notes
        );
        settings.adopt(&found, Default::default());
        let options = RunOptions {
            jobs: 4,
            ..RunOptions::default()
        };
        runner::run(&cases::all(), settings, &options, |_, _, _| {}).await
    });
    assert_eq!(records.len(), cases::all().len());
    let mut wrong = Vec::new();
    for r in &records {
        let not_replayable = r
            .skipped_because
            .as_deref()
            .is_some_and(|s| s.starts_with("not replayable"));
        let expected = if not_replayable {
            Verdict::Unsupported
        } else if r.node_differs.is_some() {
            Verdict::NonStrict
        } else {
            Verdict::Pass
        };
        if r.verdict != expected {
            let first = r.failures.first().map_or(String::new(), |f| {
                format!(
                    " at {:?}: expected {:?}, received {:?}",
                    f.step, f.expected, f.received
                )
            });
            wrong.push(format!(
                "{}: {} (expected {}){first}",
                r.id,
                r.verdict.name(),
                expected.name()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "cases whose verdict against Node is wrong:\n{}",
        wrong.join("\n")
    );
}

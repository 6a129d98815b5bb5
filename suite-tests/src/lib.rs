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

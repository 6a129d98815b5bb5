//! The Engine.IO v4 / Socket.IO v5 conformance suite: the Autobahn|Testsuite of Socket.IO.
//!
//! Point it at a server that implements fixtures/CONTRACT.md and it runs every case, each an
//! async script of literal wire frames (never produced by our own encoder), and gives a verdict
//! per case explained with the frames expected and received.
//!
//! - [`driver`]: raw HTTP/1.1 polling and WebSocket clients that record a transcript.
//! - [`case`], [`context`], [`expect`], [`failure`]: the case model and what a case body uses.
//! - [`cases`]: the cases themselves, one module per area, registered in one list.
//! - [`replay`]: every Node transcript replayed as a case (`replay.<scenario-id>`).
//! - [`runner`], [`verdict`], [`filter`]: running, judging and selecting cases; [`timing`]:
//!   verdicts on when the server did what it owes by a deadline.
//! - [`judgement`]: the per-target judgement file (`--judgement`, `--bless`).
//! - [`report`]: terminal, JSON, JUnit and Markdown reports, and the static HTML site.
//! - [`server_process`]: `--server-cmd`, the server under test started, waited for and stopped
//!   (with everything it spawned) by the runner.
//! - [`cli`]: the command line shared by the `sio-conformance` binary and `cargo xtask conformance`.

pub mod case;
pub mod cases;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod context;
pub mod detect;
pub mod doctor;
pub mod driver;
pub mod expect;
pub mod failure;
pub mod filter;
pub mod findings;
pub mod judgement;
pub mod long_poll;
pub mod replay;
pub mod report;
pub mod runner;
#[cfg(unix)]
pub mod server_process;
pub mod timing;
pub mod verdict;
pub mod watchdog;

//! Running cases: selection, `--jobs` concurrency, bounded attempts and
//! `--retries`, and a progress callback. Results come back in registration order.

use crate::case::Case;
use crate::config::{Capability, Settings};
use crate::context::Ctx;
use crate::failure::Failure;
use crate::filter::Selection;
use crate::findings::Finding;
use crate::verdict::{CaseRecord, Verdict, combine, judge};
use crate::watchdog::{Watchdog, wait_stopped};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Semaphore, mpsc};

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Cases run at the same time.
    pub jobs: usize,
    /// Extra attempts for a case that did not pass.
    pub retries: u32,
    /// Which cases run; the others are left out of the results entirely.
    pub selection: Selection,
    /// A quick run (`--quick`): cases that wait for a heartbeat or timeout longer than
    /// [`QUICK_LIMIT_MS`] are `unsupported` instead of run.
    pub quick: bool,
}

/// In a quick run, the longest heartbeat (pingInterval + pingTimeout) or connectTimeout a case
/// may wait for.
pub const QUICK_LIMIT_MS: u64 = 5_000;

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: 4,
            retries: 0,
            selection: Selection::default(),
            quick: false,
        }
    }
}

pub use crate::detect::detect;

/// One attempt's outcome.
struct Attempt {
    verdict: Verdict,
    failures: Vec<Failure>,
    closed: Option<String>,
    transcript: Vec<crate::driver::Entry>,
    tolerances: Vec<String>,
    duration_ms: u64,
}

async fn attempt(case: &Case, settings: Arc<Settings>) -> Attempt {
    let bound = settings.case_bound(case.server);
    let mut cx = Ctx::new(settings, case.server);
    cx.set_case_id(case.id);
    let start = Instant::now();
    let result = match tokio::time::timeout(bound, (case.body)(&mut cx)).await {
        Ok(r) => r,
        Err(_) => Err(Failure::assertion(
            "the whole case",
            format!("to finish within {} ms", bound.as_millis()),
            "still waiting",
        )),
    };
    let duration_ms = start.elapsed().as_millis() as u64;
    let verdict = judge(case.level, &result, cx.soft_failures());
    let mut failures: Vec<Failure> = result.err().into_iter().collect();
    failures.extend(cx.soft_failures().iter().cloned());
    Attempt {
        verdict,
        failures,
        closed: cx.closed().map(str::to_string),
        transcript: cx.transcript().entries(),
        tolerances: cx.tolerances().to_vec(),
        duration_ms,
    }
}

/// Runs one case with retries (no capability check).
pub async fn run_case(case: &Case, settings: Arc<Settings>, retries: u32) -> CaseRecord {
    let mut verdicts = Vec::new();
    let mut kept: Option<Attempt> = None;
    for _ in 0..=retries {
        let a = attempt(case, settings.clone()).await;
        // A retry that could not run (nothing answered) does not overturn what the attempt
        // before it found: a crafted input that kills the server fails its attempt, and the
        // retry finds nobody to talk to.
        let found = |v: Verdict| matches!(v, Verdict::Fail | Verdict::NonStrict);
        if a.verdict == Verdict::Error && verdicts.last().copied().is_some_and(found) {
            break;
        }
        verdicts.push(a.verdict);
        let passed = a.verdict == Verdict::Pass;
        // Keep the first failed attempt's evidence for a flaky case, else the last attempt.
        if kept.is_none() || !passed {
            kept = Some(a);
        }
        if passed || !verdicts.last().is_some_and(|v| v.retryable()) {
            break;
        }
    }
    let verdict = combine(&verdicts);
    let a = kept.expect("at least one attempt");
    let mut record = CaseRecord::for_case(case, verdict);
    record.attempts = verdicts.len() as u32;
    record.duration_ms = a.duration_ms;
    record.failures = a.failures;
    record.closed = a.closed;
    record.transcript = a.transcript;
    record.tolerances = a.tolerances;
    record
}

/// What a run gave.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// One record per selected case, in registration order.
    pub records: Vec<CaseRecord>,
    /// Set when the server stopped answering during the run: the one headline. The cases that
    /// were then in flight or not yet run are `error` (and marked `server_stopped`), not
    /// failures of the server.
    pub server_stopped: Option<String>,
    /// One per root cause ([`crate::findings`]); the cases they block are `blocked`.
    pub findings: Vec<Finding>,
}

/// Runs the selected cases; `progress` is called as each one finishes (done, total, record).
pub async fn run(
    cases: &[Case],
    settings: Settings,
    options: &RunOptions,
    progress: impl FnMut(usize, usize, &CaseRecord),
) -> Vec<CaseRecord> {
    run_watched(cases, settings, options, progress)
        .await
        .records
}

/// A record for a case the run could not judge because the server had stopped answering.
fn stopped_record(case: &Case, headline: &str, what: &str) -> CaseRecord {
    let mut r = CaseRecord::for_case(case, Verdict::Error);
    r.server_stopped = true;
    r.failures
        .push(Failure::harness(what, headline.to_string()));
    r
}

/// As [`run`], with the server watched ([`Watchdog`]): once it stops answering, cases in flight
/// are interrupted and the rest are not started, all as `error`, and the outcome says why.
pub async fn run_watched(
    cases: &[Case],
    settings: Settings,
    options: &RunOptions,
    mut progress: impl FnMut(usize, usize, &CaseRecord),
) -> Outcome {
    let watchdog = Watchdog::start(&settings);
    let settings = Arc::new(settings);
    let selected: Vec<&Case> = cases
        .iter()
        .filter(|c| options.selection.selects(c.id))
        .collect();
    let total = selected.len();
    let semaphore = Arc::new(Semaphore::new(options.jobs.max(1)));
    let (tx, mut rx) = mpsc::unbounded_channel();
    for (index, case) in selected.iter().enumerate() {
        if let Some(why) = case.unsupported_because {
            let mut record = CaseRecord::for_case(case, Verdict::Unsupported);
            record.skipped_because = Some(format!("not replayable: {why}"));
            let _ = tx.send((index, record));
            continue;
        }
        let not_here =
            too_slow_for_a_quick_run(case, &settings, options).or_else(|| too_far(case, &settings));
        if let Some(why) = not_here {
            let mut record = CaseRecord::for_case(case, Verdict::Unsupported);
            record.skipped_because = Some(why);
            let _ = tx.send((index, record));
            continue;
        }
        let missing: Vec<Capability> = case
            .capabilities()
            .into_iter()
            .filter(|c| !settings.capabilities.contains(c))
            .collect();
        if !missing.is_empty() {
            let mut record = CaseRecord::for_case(case, Verdict::Unsupported);
            let names: Vec<&str> = missing.iter().map(|c| c.name()).collect();
            let tier = missing
                .iter()
                .map(|c| c.tier())
                .max()
                .expect("one is missing");
            record.skipped_because = Some(format!(
                "needs the {tier} tier; the target does not offer: {}",
                names.join(", ")
            ));
            let _ = tx.send((index, record));
            continue;
        }
        let case = (*case).clone();
        let settings = settings.clone();
        let semaphore = semaphore.clone();
        let tx = tx.clone();
        let retries = options.retries;
        let permits = if case.exclusive {
            options.jobs.max(1) as u32
        } else {
            1
        };
        let stopped = watchdog.stopped();
        tokio::spawn(async move {
            // Fair (FIFO) semaphore: an exclusive case waits for the running ones, and the cases
            // queued after it wait for it.
            let _permit = semaphore.acquire_many_owned(permits).await;
            let record = if let Some(headline) = stopped.borrow().clone() {
                stopped_record(&case, &headline, "not run")
            } else {
                tokio::select! {
                    record = run_case(&case, settings, retries) => record,
                    headline = wait_stopped(stopped) => stopped_record(&case, &headline, "interrupted"),
                }
            };
            let _ = tx.send((index, record));
        });
    }
    drop(tx);
    let mut slots: Vec<Option<(CaseRecord, Instant)>> = (0..total).map(|_| None).collect();
    let mut done = 0;
    while let Some((index, record)) = rx.recv().await {
        done += 1;
        if !matches!(record.verdict, Verdict::Pass | Verdict::Unsupported) {
            watchdog.suspect(&record.id);
        }
        progress(done, total, &record);
        slots[index] = Some((record, Instant::now()));
    }
    // Cases that did not pass after the server last answered: was it still there?
    let last_alive = watchdog.last_alive();
    let unexplained = slots.iter().flatten().find(|(r, ended)| {
        !matches!(r.verdict, Verdict::Pass | Verdict::Unsupported) && *ended > last_alive
    });
    if let Some((record, _)) = unexplained {
        watchdog.check_now(&record.id).await;
    }
    let server_stopped = watchdog.headline();
    let last_alive = watchdog.last_alive();
    let mut records: Vec<CaseRecord> = slots
        .into_iter()
        .zip(selected)
        .map(|(slot, case)| match slot {
            // A case that did not pass and ended after the server last answered may have
            // failed only because the server was going down: not a verdict on the server.
            // Unless it ran alone: then its own input was the last the server received, and
            // the server going down under it is what it found (a crafted input that kills the
            // process, the security cases): it keeps its verdict, with the headline beside it.
            Some((mut record, ended)) => {
                if let Some(headline) = &server_stopped {
                    let judged = !matches!(record.verdict, Verdict::Pass | Verdict::Unsupported);
                    let went_down_under_it = judged && !record.server_stopped && ended > last_alive;
                    if went_down_under_it && case.exclusive {
                        // Not `server_stopped`: that marks a case cut short, left out of the
                        // problems the reports list; this one is a problem the case found.
                        record.failures.push(Failure::harness(
                            "after the case",
                            format!(
                                "{headline}: the case ran alone, so its input was the last the \
                                 server received"
                            ),
                        ));
                    } else if went_down_under_it {
                        record.verdict = Verdict::Error;
                        record.server_stopped = true;
                        record
                            .failures
                            .insert(0, Failure::harness("judging the case", headline.clone()));
                    }
                }
                record
            }
            None => {
                let mut r = CaseRecord::for_case(case, Verdict::Error);
                r.failures.push(Failure::harness(
                    "running the case",
                    "the case task panicked",
                ));
                r
            }
        })
        .collect();
    let findings = crate::findings::group(&mut records);
    Outcome {
        records,
        server_stopped,
        findings,
    }
}

/// Why `case` is left out of a quick run, if it is: it waits for the heartbeat (tag
/// `heartbeat`) or a timeout (tag `timeout`) of its server, and those are long.
fn too_slow_for_a_quick_run(
    case: &Case,
    settings: &Settings,
    options: &RunOptions,
) -> Option<String> {
    if !options.quick {
        return None;
    }
    let t = settings.timings_for(case.server);
    let heartbeat = t.ping_interval + t.ping_timeout;
    let waits = case.tags.contains(&"heartbeat") || case.tags.contains(&"timeout");
    let longest = if case.tags.contains(&"timeout") {
        heartbeat.max(t.connect_timeout)
    } else {
        heartbeat
    };
    (waits && longest > QUICK_LIMIT_MS).then(|| {
        format!(
            "--quick: waits for the heartbeat or a timeout ({longest} ms; a quick run leaves out \
             what waits over {QUICK_LIMIT_MS} ms)"
        )
    })
}

/// Why `case` cannot be judged at the round trip detection measured, if it cannot: a polling
/// case needs it under half the pingTimeout ([`Settings::too_far_for_polling`]), a case marked
/// [`Case::near_only`] under a third ([`Settings::too_far_for_step_by_step`]).
fn too_far(case: &Case, settings: &Settings) -> Option<String> {
    let measured = format!(
        "measured {} ms, pingTimeout {} ms",
        settings.round_trip.as_millis(),
        settings.timings_for(case.server).ping_timeout
    );
    if case.tags.contains(&"polling") && settings.too_far_for_polling(case.server) {
        return Some(format!(
            "needs a round trip under half the pingTimeout ({measured}): over polling a ping \
             queued just after a response waits for the next GET, and no client can be sure \
             to answer it in time"
        ));
    }
    let why = case.near_only?;
    settings
        .too_far_for_step_by_step(case.server)
        .then(|| format!("needs a round trip under a third of the pingTimeout ({measured}): {why}"))
}

//! Running cases: capability detection, selection, `--jobs` concurrency, bounded attempts and
//! `--retries`, and a progress callback. Results come back in registration order.

use crate::case::Case;
use crate::config::{Capability, Settings};
use crate::context::Ctx;
use crate::driver::http::{self, HttpRequest};
use crate::failure::Failure;
use crate::filter::Selection;
use crate::verdict::{CaseRecord, Verdict, combine, judge};
use std::collections::BTreeSet;
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
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: 4,
            retries: 0,
            selection: Selection::default(),
        }
    }
}

/// Probes the contract paths and returns the capabilities found: an engine handshake on each
/// server path, `/health` for the contract extensions. `Err` when nothing answers at all.
pub async fn detect(settings: &Settings) -> Result<BTreeSet<Capability>, String> {
    use crate::config::Server;
    let probe = |target: String| {
        let endpoint = settings.endpoint.clone();
        let step = settings.step;
        async move {
            let req = HttpRequest {
                method: "GET".into(),
                target,
                headers: Vec::new(),
                body: Vec::new(),
            };
            http::send(&endpoint, &req, step).await
        }
    };
    let mut found = BTreeSet::new();
    let mut reached = false;
    let mut last_error = String::new();
    for server in [
        Server::EioEcho,
        Server::SioMain,
        Server::SioRecovery,
        Server::SioEio3,
    ] {
        let eio = if server == Server::SioEio3 { 3 } else { 4 };
        let target = format!(
            "{}?EIO={eio}&transport=polling",
            settings.endpoint.target(server.path())
        );
        match probe(target).await {
            Ok(r) => {
                reached = true;
                if r.status == 200 && (eio == 3 || r.body.first() == Some(&b'0')) {
                    found.insert(server.capability());
                }
            }
            Err(e) => last_error = e.to_string(),
        }
    }
    if let Ok(r) = probe(settings.endpoint.target("/health")).await {
        reached = true;
        if r.status == 200 && r.body == b"ok" {
            found.insert(Capability::ContractExtensions);
        }
    }
    if reached {
        Ok(found)
    } else {
        Err(format!("cannot reach {}: {last_error}", settings.endpoint))
    }
}

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
    let bound = settings.case_timeout;
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

/// Runs the selected cases; `progress` is called as each one finishes (done, total, record).
pub async fn run(
    cases: &[Case],
    settings: Settings,
    options: &RunOptions,
    mut progress: impl FnMut(usize, usize, &CaseRecord),
) -> Vec<CaseRecord> {
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
        let missing: Vec<Capability> = case
            .capabilities()
            .into_iter()
            .filter(|c| !settings.capabilities.contains(c))
            .collect();
        if !missing.is_empty() {
            let mut record = CaseRecord::for_case(case, Verdict::Unsupported);
            let names: Vec<&str> = missing.iter().map(|c| c.name()).collect();
            record.skipped_because =
                Some(format!("the target does not offer: {}", names.join(", ")));
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
        tokio::spawn(async move {
            // Fair (FIFO) semaphore: an exclusive case waits for the running ones, and the cases
            // queued after it wait for it.
            let _permit = semaphore.acquire_many_owned(permits).await;
            let record = run_case(&case, settings, retries).await;
            let _ = tx.send((index, record));
        });
    }
    drop(tx);
    let mut slots: Vec<Option<CaseRecord>> = (0..total).map(|_| None).collect();
    let mut done = 0;
    while let Some((index, record)) = rx.recv().await {
        done += 1;
        progress(done, total, &record);
        slots[index] = Some(record);
    }
    slots
        .into_iter()
        .zip(selected)
        .map(|(slot, case)| {
            slot.unwrap_or_else(|| {
                let mut r = CaseRecord::for_case(case, Verdict::Error);
                r.failures.push(Failure::harness(
                    "running the case",
                    "the case task panicked",
                ));
                r
            })
        })
        .collect()
}

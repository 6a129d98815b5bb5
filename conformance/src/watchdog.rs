//! Noticing that the server under test stopped answering in the middle of a run, so that a dead
//! or frozen server ends the run within seconds with one headline, instead of every case after
//! it (and those in flight) being blamed on the server as failures.
//!
//! The watchdog checks liveness with an Engine.IO handshake (a polling GET, bounded by the step
//! timeout) when a case did not pass and after every few seconds without a finished case. The
//! server is declared stopped only when three handshakes in a row get no answer; a handshake
//! that answers, whatever it answers, proves the server alive.

use crate::config::{Server, Settings};
use crate::driver::http::{self, HttpRequest};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

/// How long the run may go without a finished case before the watchdog checks on its own.
const QUIET: Duration = Duration::from_secs(3);
/// Handshakes in a row that must get no answer before the server is declared stopped.
const ATTEMPTS: u32 = 3;
/// Pause between two of those handshakes.
const GAP: Duration = Duration::from_millis(250);

/// A request to check the server, with whom to tell the outcome (`true`: alive).
type Suspicion = (String, Option<oneshot::Sender<bool>>);

/// The running watchdog; dropping it stops its task.
pub struct Watchdog {
    suspect: mpsc::UnboundedSender<Suspicion>,
    stopped: watch::Receiver<Option<String>>,
    last_alive: Arc<Mutex<Instant>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Watchdog {
    /// Starts watching the first server the target offers (its handshake path).
    pub fn start(settings: &Settings) -> Watchdog {
        let server = Server::ALL
            .into_iter()
            .find(|s| settings.capabilities.contains(&s.capability()))
            .unwrap_or(Server::SioMain);
        let eio = if server == Server::SioEio3 { 3 } else { 4 };
        let request = HttpRequest {
            method: "GET".into(),
            target: format!(
                "{}?EIO={eio}&transport=polling",
                settings.endpoint.target(server.path())
            ),
            headers: Vec::new(),
            body: Vec::new(),
        };
        let endpoint = settings.endpoint.clone();
        let step = settings.step;
        let (suspect, mut suspicions) = mpsc::unbounded_channel::<Suspicion>();
        let (stop, stopped) = watch::channel(None);
        let last_alive = Arc::new(Mutex::new(Instant::now()));
        let alive_at = last_alive.clone();
        let task = tokio::spawn(async move {
            loop {
                let mut waiting = Vec::new();
                let context = tokio::select! {
                    Some((case, reply)) = suspicions.recv() => {
                        waiting.extend(reply);
                        format!("after case {case}")
                    }
                    () = tokio::time::sleep(QUIET) => "while cases were running".to_string(),
                };
                let mut last_error = String::new();
                let mut answered = false;
                for attempt in 0..ATTEMPTS {
                    if attempt > 0 {
                        tokio::time::sleep(GAP).await;
                    }
                    match http::send(&endpoint, &request, step).await {
                        Ok(_) => {
                            answered = true;
                            break;
                        }
                        Err(e) => last_error = e.to_string(),
                    }
                }
                // Suspicions raised while this check ran are answered by it.
                while let Ok((_, reply)) = suspicions.try_recv() {
                    waiting.extend(reply);
                }
                if answered {
                    *alive_at.lock().expect("not poisoned") = Instant::now();
                } else {
                    let _ = stop.send(Some(format!(
                        "the server stopped answering {context}: {ATTEMPTS} Engine.IO handshakes \
                         in a row got no answer ({last_error})"
                    )));
                }
                for reply in waiting {
                    let _ = reply.send(answered);
                }
                if !answered {
                    return;
                }
            }
        });
        Watchdog {
            suspect,
            stopped,
            last_alive,
            task,
        }
    }

    /// A case did not pass: check the server now.
    pub fn suspect(&self, case: &str) {
        let _ = self.suspect.send((case.to_string(), None));
    }

    /// Checks the server now and waits for the outcome (bounded by the check's own bounds):
    /// whether it still answers. For the end of a run whose last cases did not pass, so a
    /// server that died under them is told apart from one that failed them.
    pub async fn check_now(&self, why: &str) -> bool {
        if self.headline().is_some() {
            return false;
        }
        let (reply, answer) = oneshot::channel();
        if self.suspect.send((why.to_string(), Some(reply))).is_err() {
            return self.headline().is_none();
        }
        answer.await.unwrap_or(self.headline().is_none())
    }

    /// Resolves once the server is declared stopped, with the headline.
    pub fn stopped(&self) -> watch::Receiver<Option<String>> {
        self.stopped.clone()
    }

    /// The headline, if the server was declared stopped.
    pub fn headline(&self) -> Option<String> {
        self.stopped.borrow().clone()
    }

    /// When a handshake last got an answer (the run's start, if none was needed yet).
    pub fn last_alive(&self) -> Instant {
        *self.last_alive.lock().expect("not poisoned")
    }
}

/// Waits until `stopped` holds a headline and returns it (never, if the server stays alive).
pub async fn wait_stopped(mut stopped: watch::Receiver<Option<String>>) -> String {
    loop {
        if let Some(headline) = stopped.borrow_and_update().clone() {
            return headline;
        }
        if stopped.changed().await.is_err() {
            // The watchdog is gone (the run is over): nothing will ever be declared.
            std::future::pending::<()>().await;
        }
    }
}

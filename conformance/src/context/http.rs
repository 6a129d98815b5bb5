//! [`Http`]: a case's request handle, usable from spawned tasks: every request and response
//! recorded in the case's transcript, GETs bounded as long polls, no response turned into an
//! assertion failure (or a harness error before any exchange).

use crate::config::Settings;
use crate::driver::transcript::{Dir, Payload, Transport};
use crate::driver::{HttpError, HttpRequest, HttpResponse, Transcript};
use crate::failure::Failure;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A request handle usable from spawned tasks.
#[derive(Clone)]
pub struct Http {
    pub(super) settings: Arc<Settings>,
    /// The bound on a GET, which the server may hold as a long poll ([`Settings::poll_bound`]).
    pub(super) poll_bound: Duration,
    pub(super) transcript: Transcript,
    pub(super) exchanged: Arc<AtomicBool>,
}

impl Http {
    /// Sends one request and records it; `Err` only when the server cannot be reached.
    pub async fn request(
        &self,
        method: &str,
        target: String,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Result<HttpResponse, HttpError>, Failure> {
        let bound = if method == "GET" {
            self.poll_bound
        } else {
            self.settings.step
        };
        self.request_within(method, target, headers, body, bound)
            .await
    }

    /// As [`Http::request`], with its own bound (a client that gives up on a long poll).
    pub async fn request_within(
        &self,
        method: &str,
        target: String,
        headers: &[(&str, &str)],
        body: &[u8],
        bound: Duration,
    ) -> Result<Result<HttpResponse, HttpError>, Failure> {
        let label = self.transcript.http_label();
        let request = HttpRequest {
            method: method.to_string(),
            target,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_vec(),
        };
        self.transcript.push(
            &label,
            Transport::Polling,
            Dir::Out,
            format!("{} {}", request.method, request.target),
            request.headers.clone(),
            Payload::text_or_none(body),
        );
        let r = crate::driver::http::send(&self.settings.endpoint, &request, bound).await;
        match &r {
            Ok(resp) => {
                self.exchanged.store(true, Ordering::SeqCst);
                self.transcript.push(
                    &label,
                    Transport::Polling,
                    Dir::In,
                    resp.status.to_string(),
                    resp.headers.clone(),
                    Payload::text_or_none(resp.body.as_slice()),
                );
            }
            Err(e) => {
                self.transcript
                    .note(&label, Transport::Polling, e.to_string());
            }
        }
        match r {
            Err(HttpError::Connect(e)) => Err(Failure::harness(
                format!("{method} {}", request.target),
                format!("cannot reach {}: {e}", self.settings.endpoint),
            )),
            other => Ok(other),
        }
    }

    /// `GET target`; no response is an assertion failure (a harness error before any exchange).
    pub async fn get_target(&self, target: String) -> Result<HttpResponse, Failure> {
        let step = format!("GET {target}");
        let r = self.request("GET", target, &[], b"").await?;
        r.map_err(|e| self.no_response(&step, e))
    }

    pub(super) fn no_response(&self, step: &str, e: HttpError) -> Failure {
        if self.exchanged.load(Ordering::SeqCst) {
            Failure::assertion(step, "an HTTP response", e.to_string())
        } else {
            Failure::harness(step, format!("the server never answered: {e}"))
        }
    }
}

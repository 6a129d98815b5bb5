//! [`Pending`]: a GET running in the background (it stays pending at the server until answered).

use crate::driver::{HttpError, HttpResponse};
use crate::failure::Failure;

/// A GET running in the background.
pub struct Pending {
    pub(super) step: String,
    pub(super) handle: tokio::task::JoinHandle<Result<Result<HttpResponse, HttpError>, Failure>>,
}

impl Pending {
    /// Whether the response (or the error) is already in.
    pub fn is_done(&self) -> bool {
        self.handle.is_finished()
    }

    /// Waits for the response (the request itself is bounded by the step timeout).
    pub async fn response(self) -> Result<HttpResponse, Failure> {
        let step = self.step.clone();
        self.outcome()
            .await?
            .map_err(|e| Failure::assertion(step, "an HTTP response", e.to_string()))
    }

    /// Waits for the outcome, keeping transport errors (reset, timeout) as values.
    pub async fn outcome(self) -> Result<Result<HttpResponse, HttpError>, Failure> {
        let step = self.step;
        match self.handle.await {
            Ok(r) => r.map_err(|f| Failure {
                step: step.clone(),
                ..f
            }),
            Err(e) => Err(Failure::harness(step, format!("request task failed: {e}"))),
        }
    }
}

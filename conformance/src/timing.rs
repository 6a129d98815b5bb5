//! Timing verdicts: when the server did something it owes by a deadline (a ping every
//! pingInterval, the close pingTimeout after an unanswered ping, the close connectTimeout after
//! an engine connection that joins no namespace), judged as Node's own timers would be.
//!
//! A case takes [`SAMPLES`] measurements (three sessions opened [`STAGGER`] apart, or three
//! periods of one) and judges them together, because this machine's scheduling only ever delays
//! what is measured: a server that is late in every sample is late, one that is late in one
//! sample was measured on a busy core. Samples that are not on time are taken once more
//! ([`Rounds`]): a stall of the machine long enough to delay every sample of a round
//! (100–200 ms with both cores compiling) rarely strikes two rounds, while a server that is late
//! by design is late in both.
//!
//! - **On time**: some sample within [`EXACT`] of the due time. The official suites check some
//!   of these deadlines to the millisecond (a polling GET sent exactly pingInterval +
//!   pingTimeout after the handshake must find the session gone), and Node meets them: a
//!   server whose timers are late by design (a timer wheel that rounds deadlines up by 10 ms)
//!   is late in every sample and does not pass.
//! - **Late**: no sample on time, none past the limit: the case ends `non-strict`, a
//!   SHOULD-level deviation reported without failing the run (no client breaks).
//! - **Too late**: a sample past the limit (what a client tolerates, or the margin): the case
//!   fails.
//! - **Early**, where a deadline also has a floor (a close before pingTimeout ran out cuts off a
//!   client that is merely far away): every sample more than [`tolerance`] early is
//!   `non-strict`.

use std::time::Duration;

use crate::context::Ctx;
use crate::failure::{CaseResult, Failure};

/// Measurements per round of a timing case.
pub const SAMPLES: usize = 3;

/// Rounds of measurements at most: a second only when the first is not on time.
pub const ROUNDS: usize = 2;

/// Between the sessions of one round: their samples then meet different moments of this
/// machine's scheduling.
pub const STAGGER: Duration = Duration::from_millis(100);

/// How late the best sample may be and still be on time. Node 4.8.4 on this project's 2-core
/// machine with both cores busy, 20 runs of each timing case: the ping, the ping-timeout close
/// and the connectTimeout close came 0–5 ms after their due time in most samples, up to 21 ms
/// in single samples, never late in all the samples of one case.
pub const EXACT: Duration = Duration::from_millis(8);

/// How early every sample must be for the deadline's floor to count as broken: an eighth of the
/// margin (50 ms by default). Timers that coalesce may fire a little early where no client can
/// tell; a sample also looks early when this machine delayed the receipt it is measured from.
pub fn tolerance(margin: Duration) -> Duration {
    margin / 8
}

/// Something the server owes by a deadline, and how its lateness is judged.
#[derive(Clone, Debug)]
pub struct Deadline {
    /// The step a failure names.
    pub step: String,
    /// What is due and when, in words ("the close pingTimeout = 200 ms after the ping").
    pub what: String,
    /// When it is due, counted from the moment the case measures from.
    pub due: Duration,
    /// How late the best sample may be and still be on time ([`EXACT`]).
    pub exact: Duration,
    /// How early every sample must be to break the floor ([`tolerance`]).
    pub tolerance: Duration,
    /// Later than this fails: what a client tolerates, or the due time plus the margin.
    pub limit: Duration,
    /// Every sample earlier than this is `non-strict`, if the deadline has a floor.
    pub floor: Option<Duration>,
    /// The catalogue rule (MUST) an observation past the limit breaks, if it has one.
    pub rule: Option<&'static str>,
    /// The catalogue rule (SHOULD) a late or early observation breaks, if it has one.
    pub soft_rule: Option<&'static str>,
    /// The rule an early observation breaks, where it differs from [`Deadline::soft_rule`].
    pub early_rule: Option<&'static str>,
}

/// Where an observation fell against a [`Deadline`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Punctuality {
    /// Every sample below the floor.
    Early,
    /// Some sample within [`EXACT`] of the due time (or before it), none past the limit.
    OnTime,
    /// Every sample late, none past the limit.
    Late,
    /// Some sample past the limit.
    TooLate,
}

impl Deadline {
    /// A deadline due at `due` that is on time within [`EXACT`] and fails past `limit`.
    pub fn new(
        cx: &Ctx,
        step: impl Into<String>,
        what: impl Into<String>,
        due: Duration,
        limit: Duration,
    ) -> Deadline {
        Deadline {
            step: step.into(),
            what: what.into(),
            due,
            exact: EXACT,
            tolerance: tolerance(cx.margin()),
            limit,
            floor: None,
            rule: None,
            soft_rule: None,
            early_rule: None,
        }
    }

    /// Every sample earlier than `due - tolerance` is `non-strict`.
    pub fn not_early(mut self) -> Deadline {
        self.floor = Some(self.due.saturating_sub(self.tolerance));
        self
    }

    /// Past the limit breaks the MUST rule `must`; late or early, the SHOULD rule `should`.
    pub fn rules(mut self, must: &'static str, should: &'static str) -> Deadline {
        self.rule = Some(must);
        self.soft_rule = Some(should);
        self
    }

    /// Late or early breaks the SHOULD rule `should`; past the limit fails at the case's level.
    pub fn should_rule(mut self, should: &'static str) -> Deadline {
        self.soft_rule = Some(should);
        self
    }

    /// Early breaks `rule` rather than the SHOULD rule of [`Deadline::rules`].
    pub fn early_rule(mut self, rule: &'static str) -> Deadline {
        self.early_rule = Some(rule);
        self
    }

    /// How long to wait for an observation: past this it is too late whatever comes.
    pub fn wait_bound(&self) -> Duration {
        self.limit.max(self.due + self.exact)
    }

    /// Where the samples (each measured from its own start) fall together.
    pub fn judge(&self, samples: &[Duration]) -> Punctuality {
        let Some(worst) = samples.iter().max() else {
            return Punctuality::TooLate;
        };
        if *worst > self.wait_bound() {
            Punctuality::TooLate
        } else if self.floor.is_some_and(|floor| *worst < floor) {
            Punctuality::Early
        } else if samples
            .iter()
            .any(|s| *s <= self.due + self.exact && self.floor.is_none_or(|floor| *s >= floor))
        {
            Punctuality::OnTime
        } else {
            // Every sample late, or some early and the rest late: judged by the late ones.
            Punctuality::Late
        }
    }

    /// The failure for these samples, if they are not on time.
    pub fn failure(&self, samples: &[Duration]) -> Option<Failure> {
        let punctuality = self.judge(samples);
        let shown: Vec<String> = samples
            .iter()
            .map(|s| format!("{} ms", s.as_millis()))
            .collect();
        let shown = shown.join(", ");
        let received = match punctuality {
            Punctuality::OnTime => return None,
            Punctuality::Early => format!("after {shown}: early in every sample"),
            Punctuality::Late => format!("after {shown}: late in every sample"),
            Punctuality::TooLate => format!(
                "after {shown}: later than {} ms",
                self.wait_bound().as_millis()
            ),
        };
        let expected = format!(
            "{} (on time within {} ms in some sample)",
            self.what,
            self.exact.as_millis()
        );
        let f = Failure::assertion(self.step.clone(), expected, received);
        let rule = match punctuality {
            Punctuality::TooLate => self.rule,
            Punctuality::Early => self.early_rule.or(self.soft_rule),
            _ => self.soft_rule,
        };
        Some(match rule {
            Some(rule) => f.rule(rule),
            None => f,
        })
    }

    /// Records the verdict for these samples on the case: nothing when on time, a SHOULD-level
    /// deviation when early or late, a failure when too late.
    pub fn apply(&self, cx: &mut Ctx, samples: &[Duration]) -> CaseResult {
        match (self.judge(samples), self.failure(samples)) {
            (Punctuality::TooLate, Some(f)) => Err(f),
            (_, soft) => {
                cx.soft(soft.map_or(Ok(()), Err));
                Ok(())
            }
        }
    }
}

/// The rounds of one timing case: a round that is not on time is followed by another, and the
/// last round decides.
///
/// ```text
/// let mut rounds = Rounds::default();
/// loop {
///     let samples = measure(cx).await?;
///     if let Some(verdict) = rounds.settle(cx, &deadline, &samples) {
///         return verdict;
///     }
/// }
/// ```
#[derive(Debug, Default)]
pub struct Rounds {
    done: usize,
}

impl Rounds {
    /// Judges one round's samples: the verdict when they decide (on time, or the last round),
    /// `None` when another round is due.
    pub fn settle(
        &mut self,
        cx: &mut Ctx,
        deadline: &Deadline,
        samples: &[Duration],
    ) -> Option<CaseResult> {
        self.done += 1;
        let punctuality = deadline.judge(samples);
        if punctuality == Punctuality::OnTime || self.done >= ROUNDS {
            return Some(deadline.apply(cx, samples));
        }
        let shown: Vec<String> = samples
            .iter()
            .map(|s| format!("{} ms", s.as_millis()))
            .collect();
        cx.transcript().note(
            "-",
            crate::driver::transcript::Transport::Polling,
            format!(
                "{}: {punctuality:?} in round {} ({}): measuring once more",
                deadline.step,
                self.done,
                shown.join(", ")
            ),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{FIRST_PING_NOT_EARLY, PING_TIMEOUT_CLOSES, PING_TIMEOUT_ON_TIME};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn deadline(floor: bool) -> Deadline {
        let d = Deadline {
            step: "close".into(),
            what: "the close 200 ms after the ping".into(),
            due: ms(200),
            exact: EXACT,
            tolerance: tolerance(ms(400)),
            limit: ms(600),
            floor: None,
            rule: None,
            soft_rule: None,
            early_rule: None,
        };
        let d = d.rules(PING_TIMEOUT_CLOSES, PING_TIMEOUT_ON_TIME);
        if floor { d.not_early() } else { d }
    }

    #[test]
    fn the_best_sample_decides_on_time_and_late() {
        let d = deadline(false);
        assert_eq!(d.judge(&[ms(201)]), Punctuality::OnTime);
        // One sample on time: the others were measured on a busy core.
        assert_eq!(d.judge(&[ms(260), ms(203), ms(230)]), Punctuality::OnTime);
        // Late in every sample, even by a little: late by design.
        assert_eq!(d.judge(&[ms(210), ms(211), ms(215)]), Punctuality::Late);
        assert_eq!(d.judge(&[ms(208), ms(300), ms(600)]), Punctuality::OnTime);
        assert_eq!(d.judge(&[ms(208), ms(300), ms(601)]), Punctuality::TooLate);
        assert_eq!(d.judge(&[]), Punctuality::TooLate);
        assert!(d.failure(&[ms(205)]).is_none());
        let late = d.failure(&[ms(300), ms(250)]).expect("late");
        assert!(
            late.received
                .join(" ")
                .contains("after 300 ms, 250 ms: late in every sample"),
            "{late:?}"
        );
        assert_eq!(late.rule, Some(PING_TIMEOUT_ON_TIME));
        assert_eq!(
            d.failure(&[ms(700)]).and_then(|f| f.rule),
            Some(PING_TIMEOUT_CLOSES)
        );
        assert_eq!(d.wait_bound(), ms(600));
    }

    #[test]
    fn a_floor_is_broken_only_when_every_sample_is_early() {
        let d = deadline(true);
        assert_eq!(d.tolerance, ms(50));
        assert_eq!(d.judge(&[ms(149), ms(100)]), Punctuality::Early);
        assert_eq!(d.judge(&[ms(149), ms(199)]), Punctuality::OnTime);
        assert_eq!(d.judge(&[ms(149), ms(260)]), Punctuality::Late);
        assert_eq!(
            d.failure(&[ms(100)]).and_then(|f| f.rule),
            Some(PING_TIMEOUT_ON_TIME)
        );
        let d = d.early_rule(FIRST_PING_NOT_EARLY);
        assert_eq!(
            d.failure(&[ms(100)]).and_then(|f| f.rule),
            Some(FIRST_PING_NOT_EARLY)
        );
        // Without a floor, early counts as on time.
        assert_eq!(deadline(false).judge(&[ms(10)]), Punctuality::OnTime);
    }

    #[test]
    fn a_limit_below_the_exact_bound_never_fails_an_on_time_sample() {
        let mut d = deadline(false);
        d.limit = ms(204);
        assert_eq!(d.judge(&[ms(207)]), Punctuality::OnTime);
        assert_eq!(d.judge(&[ms(209)]), Punctuality::TooLate);
        assert_eq!(d.wait_bound(), ms(208));
    }
}

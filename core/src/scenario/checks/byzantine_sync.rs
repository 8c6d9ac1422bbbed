//! The Byzantine-sync lab's invariants: `n ≥ 3f + 1` (Dolev, Halpern & Strong 1984), at most
//! `f` liars, and the correct clocks' skew within what Lundelius Welch & Lynch (1988) promise
//! at each sample. When no bound applies the skew is measured against the bound of the same
//! run with `n = 3f + 1`, so the badge shows what the theory would have promised.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::Invariant;
use crate::scenario::byzantine_sync::{BoundOutcome, Params, Run};
use crate::time::{Instant, Span};

fn ms(s: Span) -> f64 {
    s.as_millis_f64()
}

impl Params {
    /// The parameters whose bound the skew is checked against: these, or — when no bound
    /// applies — the same run with `n = 3f + 1` nodes and at most `f` liars.
    pub fn reference(&self) -> Option<Params> {
        if self.bound().is_some() {
            return Some(self.clone());
        }
        let f = self.tolerate;
        let r = Params {
            nodes: 3 * f + 1,
            faulty: self.faulty.min(f),
            ..self.clone()
        };
        r.bound().is_some().then_some(r)
    }
}

impl Run {
    /// Which invariants hold at true time `t` for a run of `p`.
    ///
    /// ```
    /// use chronoscope::scenario::byzantine_sync::{self, Params};
    /// use chronoscope::time::Instant;
    /// let p = Params::default(); // n = 4, f = 1, one two-faced liar
    /// let run = byzantine_sync::run(&p).unwrap();
    /// assert!(run.invariants(&p, Instant::from_millis(120_000)).iter().all(|i| i.holds));
    /// ```
    pub fn invariants(&self, p: &Params, t: Instant) -> Vec<Invariant> {
        let (n, f) = (p.nodes, p.tolerate);
        let mut out = vec![
            Invariant::new(
                "n ≥ 3f + 1",
                n > 3 * f,
                format!("n = {n}, f = {f}: 3f + 1 = {}", 3 * f + 1),
            ),
            Invariant::new(
                "liars ≤ f",
                p.faulty <= f,
                format!("{} liar(s), f = {f}", p.faulty),
            ),
        ];
        let shown = || self.samples.iter().take_while(move |s| s.at <= t);
        let now = shown().last().map_or(Span::ZERO, |s| s.correct_skew);
        let guarantee = matches!(
            self.verdict,
            BoundOutcome::BoundHeld | BoundOutcome::BoundViolated { .. }
        );
        const NAME: &str = "correct clocks within bound";
        let within = match p.reference() {
            None => Invariant::new(
                NAME,
                false,
                format!(
                    "no bound applies (the plain mean lets one liar move everyone); correct skew now {:.3} ms",
                    ms(now)
                ),
            ),
            Some(r) => {
                let broken =
                    shown().find(|s| r.allowed_at(s.at).is_some_and(|a| s.correct_skew > a));
                let prefix = if guarantee {
                    String::new()
                } else {
                    format!(
                        "no guarantee with n = {n}, f = {f}; measured against n = {}'s bound: ",
                        r.nodes
                    )
                };
                match broken {
                    Some(s) => Invariant::new(
                        NAME,
                        false,
                        format!(
                            "{prefix}skew {:.3} ms exceeded the allowed {:.3} ms at {:.1} s",
                            ms(s.correct_skew),
                            r.allowed_at(s.at).map_or(0.0, ms),
                            s.at.as_millis_f64() / 1e3
                        ),
                    ),
                    None => Invariant::new(
                        NAME,
                        true,
                        format!(
                            "{prefix}skew now {:.3} ms; bound {:.3} ms",
                            ms(now),
                            r.bound().map_or(0.0, ms)
                        ),
                    ),
                }
            }
        };
        out.push(within);
        out
    }
}

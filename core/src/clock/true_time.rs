//! TrueTime: a clock that answers with an interval guaranteed to contain true time (Corbett et
//! al., "Spanner: Google's Globally-Distributed Database", OSDI 2012, §3 and §4.1.2).
//!
//! `TT.now()` returns `[earliest, latest] = [local − ε, local + ε]`. ε is a sawtooth: right after
//! a sync with the time masters it is the base uncertainty (≈ 1 ms: communication delay to the
//! masters plus their own error); it then grows with the worst-case drift the oscillator is
//! assumed to have (200 µs/s) until the next sync, 30 s later, where it is back at the base —
//! so ε runs from 1 to 7 ms. `TT.after(t)` is true when `t` has definitely passed, `TT.before(t)`
//! when it definitely has not. *Commit wait* makes a transaction wait until `TT.after(s)` for
//! its commit timestamp `s`, so that `s` is in the past everywhere once the commit is visible.
//!
//! Invariant: if the local clock's drift is within the bound and its error at the last sync
//! was within the base uncertainty, true time lies in `[earliest, latest]`. ε is rounded
//! *up* and computed per unit of *true* time (`drift / (1 − drift)` per unit of local time),
//! so the guarantee holds exactly, not merely to first order.

use core::fmt;

use crate::time::{Instant, Span};

const MILLION: i128 = 1_000_000;

/// TrueTime's uncertainty model (Spanner's figures by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrueTimeConfig {
    /// ε right after a sync.
    pub base: Span,
    /// The worst-case oscillator drift assumed, in ppm (200 ppm = 200 µs/s).
    pub drift_ppm: u32,
    /// How often the node syncs with the time masters.
    pub sync_period: Span,
}

impl Default for TrueTimeConfig {
    fn default() -> Self {
        TrueTimeConfig {
            base: Span::from_millis(1),
            drift_ppm: 200,
            sync_period: Span::from_secs(30),
        }
    }
}

/// An invalid TrueTime configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrueTimeError {
    /// A negative base uncertainty.
    Base(Span),
    /// A drift bound of [`TrueTime::MAX_DRIFT_PPM`] or more.
    Drift(u32),
    /// A sync period that is not positive.
    SyncPeriod(Span),
}

impl fmt::Display for TrueTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrueTimeError::Base(s) => write!(f, "base uncertainty {s} is negative"),
            TrueTimeError::Drift(d) => {
                write!(
                    f,
                    "drift bound {d} ppm is not below {}",
                    TrueTime::MAX_DRIFT_PPM
                )
            }
            TrueTimeError::SyncPeriod(s) => write!(f, "sync period {s} must be > 0"),
        }
    }
}

impl core::error::Error for TrueTimeError {}

/// An interval of time `[earliest, latest]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// The earliest the true time can be.
    pub earliest: Instant,
    /// The latest the true time can be.
    pub latest: Instant,
}

impl Interval {
    /// Whether `t` lies in the interval (bounds included).
    pub fn contains(&self, t: Instant) -> bool {
        self.earliest <= t && t <= self.latest
    }
    /// `latest − earliest` (2ε).
    pub fn width(&self) -> Span {
        self.latest - self.earliest
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {}]", self.earliest, self.latest)
    }
}

/// TrueTime at one node, fed with its local clock readings.
///
/// ```
/// use chronoscope::{clock::{TrueTime, TrueTimeConfig}, time::{Instant, Span}};
/// let mut tt = TrueTime::new(TrueTimeConfig::default(), Instant::ZERO).unwrap();
/// assert_eq!(tt.epsilon(Instant::ZERO), Span::from_millis(1));
/// let late = Instant::from_millis(30_000);
/// assert!(tt.epsilon(late) > Span::from_millis(7) && tt.epsilon(late) < Span::from_micros(7_002));
/// tt.sync(late); // the sawtooth drops back
/// assert_eq!(tt.epsilon(late), Span::from_millis(1));
/// let s = tt.now(late).latest; // a commit timestamp
/// let wait = tt.commit_wait(late, s);
/// assert!(tt.after(late + wait, s) && !tt.after(late + wait - Span::from_nanos(1), s));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrueTime {
    config: TrueTimeConfig,
    last_sync: Instant,
}

impl TrueTime {
    /// Drift bounds must stay below this (ppm), so ε grows slower than time.
    pub const MAX_DRIFT_PPM: u32 = 500_000;

    /// TrueTime with `config`, last synced when the local clock read `synced_at`.
    pub fn new(config: TrueTimeConfig, synced_at: Instant) -> Result<Self, TrueTimeError> {
        if config.base < Span::ZERO {
            return Err(TrueTimeError::Base(config.base));
        }
        if config.drift_ppm >= Self::MAX_DRIFT_PPM {
            return Err(TrueTimeError::Drift(config.drift_ppm));
        }
        if config.sync_period <= Span::ZERO {
            return Err(TrueTimeError::SyncPeriod(config.sync_period));
        }
        Ok(TrueTime {
            config,
            last_sync: synced_at,
        })
    }
    /// The configuration.
    pub fn config(&self) -> TrueTimeConfig {
        self.config
    }
    /// The local reading at the last sync.
    pub fn last_sync(&self) -> Instant {
        self.last_sync
    }
    /// A sync with the time masters at local reading `local`: the sawtooth restarts.
    pub fn sync(&mut self, local: Instant) {
        self.last_sync = local;
    }
    /// Whether a sync period has passed since the last sync.
    pub fn sync_due(&self, local: Instant) -> bool {
        local.since(self.last_sync).abs() >= self.config.sync_period
    }

    /// The uncertainty at local reading `local`: base + drift bound × true time since sync.
    pub fn epsilon(&self, local: Instant) -> Span {
        let elapsed = local.since(self.last_sync).abs().as_nanos() as i128;
        let d = self.config.drift_ppm as i128;
        let grown = (elapsed * d + (MILLION - d) - 1) / (MILLION - d);
        self.config.base + Span::from_nanos(grown.min(i64::MAX as i128) as i64)
    }
    /// The largest ε just before a sync falls due.
    pub fn max_epsilon(&self) -> Span {
        self.epsilon(self.last_sync + self.config.sync_period)
    }
    /// `TT.now()`: an interval that contains the true time.
    pub fn now(&self, local: Instant) -> Interval {
        let e = self.epsilon(local);
        Interval {
            earliest: local - e,
            latest: local + e,
        }
    }
    /// `TT.after(t)`: `t` has definitely passed.
    pub fn after(&self, local: Instant, t: Instant) -> bool {
        self.now(local).earliest > t
    }
    /// `TT.before(t)`: `t` has definitely not arrived.
    pub fn before(&self, local: Instant, t: Instant) -> bool {
        self.now(local).latest < t
    }

    /// Commit wait: how long (on the local clock) to wait from `local` until `after(s)` holds
    /// (zero if it already does). Exact: one nanosecond less would not do.
    pub fn commit_wait(&self, local: Instant, s: Instant) -> Span {
        if self.after(local, s) {
            return Span::ZERO;
        }
        // `after` only flips from false to true as the local clock advances past the sync.
        let mut hi = Span::from_nanos(1);
        while !self.after(local + hi, s) {
            if hi.as_nanos() > i64::MAX / 4 {
                return Span::from_nanos(i64::MAX);
            }
            hi = Span::from_nanos(hi.as_nanos() * 2);
        }
        let mut lo = Span::from_nanos(hi.as_nanos() / 2); // not after at lo (or lo = 0)
        while hi.as_nanos() - lo.as_nanos() > 1 {
            let mid = Span::from_nanos(lo.as_nanos() + (hi.as_nanos() - lo.as_nanos()) / 2);
            if self.after(local + mid, s) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn sawtooth_runs_from_one_to_seven_ms_and_config_is_checked() {
        let tt = TrueTime::new(TrueTimeConfig::default(), Instant::from_millis(5)).unwrap();
        assert_eq!(tt.epsilon(Instant::from_millis(5)), Span::from_millis(1));
        let top = tt.max_epsilon();
        assert!(
            top >= Span::from_millis(7) && top < Span::from_micros(7_002),
            "{top}"
        );
        assert!(tt.sync_due(Instant::from_millis(30_005)));
        assert!(!tt.sync_due(Instant::from_millis(30_004)));
        let bad = |c| TrueTime::new(c, Instant::ZERO).is_err();
        let ok = TrueTimeConfig::default();
        assert!(bad(TrueTimeConfig {
            base: Span::from_nanos(-1),
            ..ok
        }));
        assert!(bad(TrueTimeConfig {
            drift_ppm: 500_000,
            ..ok
        }));
        assert!(bad(TrueTimeConfig {
            sync_period: Span::ZERO,
            ..ok
        }));
    }

    #[test]
    fn after_and_before_bracket_now() {
        let tt = TrueTime::new(TrueTimeConfig::default(), Instant::ZERO).unwrap();
        let local = Instant::from_millis(100);
        let i = tt.now(local);
        assert!(!tt.after(local, i.earliest) && tt.after(local, i.earliest - Span::from_nanos(1)));
        assert!(!tt.before(local, i.latest) && tt.before(local, i.latest + Span::from_nanos(1)));
        assert_eq!(
            tt.commit_wait(local, i.earliest - Span::from_nanos(1)),
            Span::ZERO
        );
        let w = tt.commit_wait(local, i.latest);
        assert!(w > i.width() && w < i.width() + Span::from_micros(2), "{w}");
    }
}

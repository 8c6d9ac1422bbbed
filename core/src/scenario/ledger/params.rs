//! The Chronos ledger run's parameters, declared once as a [`Spec`]: every knob's URL key,
//! range, label and help, and the rules between them (the leader ticks several times per
//! lease, latency max ≥ min, the crashed replica exists). Validation, clamping, the lab's
//! form and URL, and the README's table all derive from [`SPEC`].

use alloc::format;
use alloc::vec::Vec;
use core::ops::RangeInclusive;

use crate::ledger::replica::LedgerConfig;
use crate::scenario::happens_before::lat_max_at_least_min;
use crate::scenario::params::{below, int, other, span, Adjustment, Kind, Spec};
use crate::sim::SimError;
use crate::time::{Instant, Span};

/// Allowed replica counts.
pub const REPLICAS: RangeInclusive<u32> = 1..=9;
/// Allowed append counts.
pub const APPENDS: RangeInclusive<u32> = 0..=5_000;
/// Allowed lease durations, ms.
pub const LEASE_MS: RangeInclusive<u32> = 100..=60_000;
/// Allowed ticks (batch windows), ms.
pub const TICK_MS: RangeInclusive<u32> = 1..=1_000;
/// Allowed latencies, ms.
pub const LATENCY_MS: RangeInclusive<u32> = 0..=1_000;
/// Allowed loss and duplication, percent.
pub const FAULT_PERCENT: RangeInclusive<u32> = 0..=30;
/// Allowed fault times and lengths, ms.
pub const SPAN_MS: RangeInclusive<u32> = 0..=600_000;
/// Allowed clock jumps, ms (either way).
pub const JUMP_MS: RangeInclusive<i32> = -600_000..=600_000;
/// Allowed snapshot counts.
pub const SNAPSHOTS: RangeInclusive<u32> = 0..=20;
/// Appends start at this true time (after the first election).
pub const START_MS: u32 = 1_000;

/// The knobs of a ledger run (all times are true times in ms from the start of appends;
/// a length of 0 switches the fault off).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// The seed (latencies, losses, who appends when).
    pub seed: u64,
    /// Number of replicas.
    pub replicas: u32,
    /// Number of appends.
    pub appends: u32,
    /// Appends are spread over this window, ms.
    pub window_ms: u32,
    /// Replicas fence off stale tokens.
    pub fencing: bool,
    /// Causal delivery of appends.
    pub causal: bool,
    /// Lease duration, ms.
    pub lease_ms: u32,
    /// Tick (leader batch window), ms.
    pub tick_ms: u32,
    /// Shortest one-way latency, ms.
    pub latency_min_ms: u32,
    /// Longest one-way latency, ms.
    pub latency_max_ms: u32,
    /// Message loss, percent.
    pub loss_percent: u32,
    /// Message duplication, percent.
    pub duplicate_percent: u32,
    /// Freeze whoever leads at `freeze_at_ms` for this long, ms.
    pub freeze_ms: u32,
    /// When, ms.
    pub freeze_at_ms: u32,
    /// Cut whoever leads at `partition_at_ms` off for this long, ms.
    pub partition_ms: u32,
    /// When, ms.
    pub partition_at_ms: u32,
    /// Jump the clock of whoever leads at `jump_at_ms` by this much (negative: back), ms.
    pub jump_ms: i32,
    /// When, ms.
    pub jump_at_ms: u32,
    /// Crash this replica (index) at `crash_at_ms`…
    pub crash_replica: u32,
    /// …at this time, ms…
    pub crash_at_ms: u32,
    /// …and restore it from the latest complete backup this long after, ms (0: no crash).
    pub restore_after_ms: u32,
    /// Snapshots, started at even intervals over the window by replicas in turn.
    pub snapshots: u32,
}

impl Default for Params {
    /// Three replicas, 30 appends, one snapshot, the leader frozen past its lease.
    fn default() -> Self {
        Params {
            seed: 7,
            replicas: 3,
            appends: 30,
            window_ms: 3_000,
            fencing: true,
            causal: true,
            lease_ms: 600,
            tick_ms: 20,
            latency_min_ms: 2,
            latency_max_ms: 20,
            loss_percent: 0,
            duplicate_percent: 0,
            freeze_ms: 1_500,
            freeze_at_ms: 1_200,
            partition_ms: 0,
            partition_at_ms: 0,
            jump_ms: 0,
            jump_at_ms: 0,
            crash_replica: 2,
            crash_at_ms: 0,
            restore_after_ms: 0,
            snapshots: 1,
        }
    }
}

/// Why a ledger run could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerScenarioError {
    /// A parameter is outside its range (its URL name).
    OutOfRange(&'static str),
    /// The simulator refused the configuration.
    Sim(SimError),
}

impl core::fmt::Display for LedgerScenarioError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LedgerScenarioError::OutOfRange(n) => write!(f, "parameter {n} is out of range"),
            LedgerScenarioError::Sim(e) => write!(f, "simulator: {e}"),
        }
    }
}

impl core::error::Error for LedgerScenarioError {}

/// The parameters, declared once: URL keys, ranges, labels and help.
pub static SPEC: Spec<Params> = Spec {
    fields: &[
        other(
            "fencing",
            "replicas refuse stale tokens (fencing)",
            Kind::Switch,
            "a replica refuses a shipment whose token is below the highest it has promised",
            |p| p.fencing.into(),
            |p, v| p.fencing = v != 0,
        ),
        other(
            "causal",
            "causal delivery of appends",
            Kind::Switch,
            "hold an append back until every entry it depends on is shown",
            |p| p.causal.into(),
            |p, v| p.causal = v != 0,
        ),
        int(
            "replicas",
            "replicas",
            "",
            span(&REPLICAS),
            "how many replicas keep the log",
            |p| p.replicas.into(),
            |p, v| p.replicas = v as u32,
        ),
        int(
            "appends",
            "appends",
            "",
            span(&APPENDS),
            "how many values the replicas append",
            |p| p.appends.into(),
            |p, v| p.appends = v as u32,
        ),
        int(
            "window",
            "appends spread over",
            "ms",
            (1, *SPAN_MS.end() as i64),
            "appends happen at random times over this window",
            |p| p.window_ms.into(),
            |p, v| p.window_ms = v as u32,
        ),
        int(
            "lease",
            "lease",
            "ms",
            span(&LEASE_MS),
            "how long a majority's lease lasts (by each granter's clock)",
            |p| p.lease_ms.into(),
            |p, v| p.lease_ms = v as u32,
        ),
        int(
            "tick",
            "leader batch / tick",
            "ms",
            span(&TICK_MS),
            "the leader's batch window (at most a quarter of the lease)",
            |p| p.tick_ms.into(),
            |p, v| p.tick_ms = v as u32,
        ),
        int(
            "freeze",
            "freeze the leader for",
            "ms",
            span(&SPAN_MS),
            "freeze whoever leads in a GC pause this long (0: never)",
            |p| p.freeze_ms.into(),
            |p, v| p.freeze_ms = v as u32,
        ),
        int(
            "freeze_at",
            "… at",
            "ms",
            span(&SPAN_MS),
            "when the freeze starts",
            |p| p.freeze_at_ms.into(),
            |p, v| p.freeze_at_ms = v as u32,
        ),
        int(
            "partition",
            "partition the leader for",
            "ms",
            span(&SPAN_MS),
            "cut whoever leads off from the others this long (0: never)",
            |p| p.partition_ms.into(),
            |p, v| p.partition_ms = v as u32,
        ),
        int(
            "partition_at",
            "… at",
            "ms",
            span(&SPAN_MS),
            "when the partition starts",
            |p| p.partition_at_ms.into(),
            |p, v| p.partition_at_ms = v as u32,
        ),
        int(
            "jump",
            "jump the leader's clock by",
            "ms",
            (*JUMP_MS.start() as i64, *JUMP_MS.end() as i64),
            "step the leader's clock (negative: back; 0: never)",
            |p| p.jump_ms.into(),
            |p, v| p.jump_ms = v as i32,
        ),
        int(
            "jump_at",
            "… at",
            "ms",
            span(&SPAN_MS),
            "when the clock jumps",
            |p| p.jump_at_ms.into(),
            |p, v| p.jump_at_ms = v as u32,
        ),
        int(
            "crash",
            "crash replica (index)",
            "",
            (0, *REPLICAS.end() as i64 - 1),
            "which replica crashes (below the replica count)",
            |p| p.crash_replica.into(),
            |p, v| p.crash_replica = v as u32,
        ),
        int(
            "crash_at",
            "… at",
            "ms",
            span(&SPAN_MS),
            "when it crashes",
            |p| p.crash_at_ms.into(),
            |p, v| p.crash_at_ms = v as u32,
        ),
        int(
            "restore_after",
            "… restore after",
            "ms",
            span(&SPAN_MS),
            "it restores from the latest complete backup this long after (0: no crash)",
            |p| p.restore_after_ms.into(),
            |p, v| p.restore_after_ms = v as u32,
        ),
        int(
            "snapshots",
            "snapshots",
            "",
            span(&SNAPSHOTS),
            "Chandy-Lamport snapshots, spread over the window",
            |p| p.snapshots.into(),
            |p, v| p.snapshots = v as u32,
        ),
        int(
            "lat_min",
            "latency min",
            "ms",
            span(&LATENCY_MS),
            "shortest one-way delay",
            |p| p.latency_min_ms.into(),
            |p, v| p.latency_min_ms = v as u32,
        ),
        int(
            "lat_max",
            "latency max",
            "ms",
            span(&LATENCY_MS),
            "longest one-way delay (at least the shortest)",
            |p| p.latency_max_ms.into(),
            |p, v| p.latency_max_ms = v as u32,
        ),
        int(
            "loss",
            "loss",
            "%",
            span(&FAULT_PERCENT),
            "chance a message is lost",
            |p| p.loss_percent.into(),
            |p, v| p.loss_percent = v as u32,
        ),
        int(
            "dup",
            "duplication",
            "%",
            span(&FAULT_PERCENT),
            "chance a message is delivered twice",
            |p| p.duplicate_percent.into(),
            |p, v| p.duplicate_percent = v as u32,
        ),
        other(
            "seed",
            "seed",
            Kind::Seed,
            "the run's random seed (latencies, losses, who appends when)",
            |p| p.seed.into(),
            |p, v| p.seed = v as u64,
        ),
    ],
    defaults: Params::default,
    relate,
};

/// The rules between fields: the leader ticks at least four times per lease (to renew it),
/// latency max is at least min, and the crashed replica is one of the replicas.
fn relate(mut p: Params) -> (Params, Vec<Adjustment>) {
    let mut notes = Vec::new();
    let most = (p.lease_ms / 4).clamp(*TICK_MS.start(), *TICK_MS.end());
    if p.tick_ms > most {
        notes.push(Adjustment {
            name: "tick",
            given: format!("{}", p.tick_ms),
            used: format!("{most}"),
        });
        p.tick_ms = most;
    }
    lat_max_at_least_min(&mut p.latency_min_ms, &mut p.latency_max_ms, &mut notes);
    below("crash", &mut p.crash_replica, p.replicas, &mut notes);
    (p, notes)
}
impl Params {
    /// Checks every parameter against its range (see [`SPEC`]).
    pub fn validate(&self) -> Result<(), LedgerScenarioError> {
        match SPEC.first_invalid(self) {
            Some(key) => Err(LedgerScenarioError::OutOfRange(key)),
            None => Ok(()),
        }
    }

    /// Brings every parameter into its range, reporting each change (see [`SPEC`]).
    pub fn clamp(self) -> (Params, Vec<Adjustment>) {
        SPEC.clamp(self)
    }
    /// The replicas' settings.
    pub fn config(&self) -> LedgerConfig {
        let lease = ms(self.lease_ms);
        LedgerConfig {
            replicas: self.replicas as usize,
            fencing: self.fencing,
            causal: self.causal,
            lease,
            margin: lease.mul_f64(0.1),
            tick: ms(self.tick_ms),
            jitter: lease.mul_f64(0.4),
            first_token: 101,
            resend_ticks: 10,
        }
    }

    pub(super) fn at(&self, offset_ms: u32) -> Instant {
        Instant::from_millis(i64::from(START_MS) + i64::from(offset_ms))
    }

    /// When the run ends: well after the window and the last fault, so agreement is due.
    pub fn end(&self) -> Instant {
        let mut last = self.window_ms;
        for (at, len) in [
            (self.freeze_at_ms, self.freeze_ms),
            (self.partition_at_ms, self.partition_ms),
            (self.crash_at_ms, self.restore_after_ms),
        ] {
            if len > 0 {
                last = last.max(at.saturating_add(len));
            }
        }
        if self.jump_ms != 0 {
            last = last.max(self.jump_at_ms.saturating_add(self.jump_ms.unsigned_abs()));
        }
        self.at(last) + Span::from_millis(1_000).max(ms(self.lease_ms).mul_f64(10.0))
    }
}

pub(super) fn ms(v: u32) -> Span {
    Span::from_millis(v.into())
}

//! The clock-skew audit: what a log's physical timestamps say once its happens-before is known
//! (beyond ShiViz). Lamport (1978, §3, condition PC2) asks that a message arrive at a clock
//! reading later than the one it was sent at; logs stamped by unsynchronised clocks break it.
//!
//! * **Disagreements**: every pair `a → b` (happens-before, from the vector clocks) whose
//!   timestamps say the opposite, `ts(b) < ts(a)`.
//! * **Offset bounds**: model each host's clock as true time plus a constant offset `o_h`. A
//!   receive cannot precede its send in true time, so a message `s` (host `i`) → `r` (host `j`)
//!   gives `o_j − o_i ≤ ts(r) − ts(s)`. These difference constraints, tightest per host pair,
//!   bound every host's offset relative to a reference host by shortest paths (Bellman–Ford;
//!   Cormen et al., *Introduction to Algorithms*, §24.4): `−d(j→ref) ≤ o_j − o_ref ≤
//!   d(ref→j)`. A negative cycle means no constant offsets explain the timestamps (the clocks
//!   drift or jump — the clock-drift lab's lesson) and is reported as such.
//!
//! Invariant: the true offsets of any clocks that only ever shifted (never drifted) lie within
//! the bounds; a bound is as tight as the fastest message in each direction allows.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::dag::Execution;
use super::EventId;
use crate::node::NodeId;

/// Fields tried, in order, when no timestamp field is chosen.
pub const TIMESTAMP_FIELDS: [&str; 4] = ["timestamp", "date", "time", "ts"];

/// Reads a timestamp as microseconds: a plain number (taken as microseconds, so any unit works
/// as long as a log uses one), `YYYY-MM-DD[T ]hh:mm:ss[.fff][Z]`, or `M/D/YYYY hh:mm:ss[.fff]
/// [AM|PM]` (Akka's and ShiViz's example logs). Surrounding brackets and spaces are ignored.
///
/// ```
/// use chronoscope::trace::skew::parse_timestamp;
/// let a = parse_timestamp("10/13/2014 14:37:20.543").unwrap();
/// let b = parse_timestamp("2014-10-13T14:37:20.548Z").unwrap();
/// assert_eq!(b - a, 5_000);
/// let pm = parse_timestamp("5/27/2013 12:53:39 PM").unwrap();
/// assert_eq!(pm - parse_timestamp("5/27/2013 12:53:38 AM").unwrap(), 12 * 3_600_000_000 + 1_000_000);
/// assert_eq!(parse_timestamp("1500"), Some(1500));
/// assert_eq!(parse_timestamp("tuesday"), None);
/// ```
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let t = text.trim().trim_matches(['[', ']']).trim();
    if let Ok(n) = t.parse::<i64>() {
        return Some(n);
    }
    if let Ok(x) = t.parse::<f64>() {
        return x.is_finite().then_some(x as i64);
    }
    let (date, rest) = t.split_once(['T', ' '])?;
    let (y, m, d) = if date.contains('-') {
        let mut p = date.splitn(3, '-');
        (p.next()?, p.next()?, p.next()?)
    } else {
        let mut p = date.splitn(3, '/');
        let (m, d) = (p.next()?, p.next()?);
        (p.next()?, m, d)
    };
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, m, d) = (num(y)?, num(m)?, num(d)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let rest = rest.trim();
    let (clock, meridiem) = match rest.rsplit_once(' ') {
        Some((c, am)) if am.eq_ignore_ascii_case("AM") => (c, Some(false)),
        Some((c, pm)) if pm.eq_ignore_ascii_case("PM") => (c, Some(true)),
        _ => (rest, None),
    };
    let clock = clock.trim_end_matches('Z');
    let mut p = clock.splitn(3, ':');
    let (h, mi, s) = (num(p.next()?)?, num(p.next()?)?, p.next()?);
    let (s, frac) = s.split_once('.').unwrap_or((s, ""));
    let s = num(s)?;
    if h > 23 || mi > 59 || s > 60 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h = match meridiem {
        Some(pm) if (1..=12).contains(&h) => h % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => h,
    };
    let micros: i64 = frac
        .bytes()
        .chain(core::iter::repeat(b'0'))
        .take(6)
        .fold(0, |acc, b| acc * 10 + i64::from(b - b'0'));
    let days = days_from_civil(y, m, d);
    Some((((days * 24 + h) * 60 + mi) * 60 + s) * 1_000_000 + micros)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Why an audit could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkewError {
    /// No event has the field (or none of [`TIMESTAMP_FIELDS`] when none was chosen).
    NoField {
        /// The field asked for, if one was.
        field: Option<String>,
    },
    /// An event's field is not a timestamp this audit reads.
    BadTimestamp {
        /// The event's line in the log.
        line: u32,
        /// The field's text.
        text: String,
    },
}

impl fmt::Display for SkewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkewError::NoField { field: Some(name) } => {
                write!(f, "no event has a field {name:?}; capture it with a named group (?<{name}>…)")
            }
            SkewError::NoField { field: None } => write!(
                f,
                "no event has a timestamp field; name a group timestamp, date, time or ts, or choose a field"
            ),
            SkewError::BadTimestamp { line, text } => write!(
                f,
                "line {line}: {text:?} is not a timestamp (a number, 2014-10-13T14:37:20.543Z or 10/13/2014 14:37:20.543 [PM])"
            ),
        }
    }
}

impl core::error::Error for SkewError {}

/// Every event's timestamp from `field` (or the first of [`TIMESTAMP_FIELDS`] present), in
/// microseconds; `None` for events without the field. Returns the field used.
pub fn timestamps(
    exec: &Execution,
    field: Option<&str>,
) -> Result<(String, Vec<Option<i64>>), SkewError> {
    let has = |name: &str| {
        exec.events()
            .iter()
            .any(|e| e.fields.iter().any(|(k, _)| k == name))
    };
    let name = match field {
        Some(f) if has(f) => f,
        Some(f) => {
            return Err(SkewError::NoField {
                field: Some(String::from(f)),
            })
        }
        None => *TIMESTAMP_FIELDS
            .iter()
            .find(|f| has(f))
            .ok_or(SkewError::NoField { field: None })?,
    };
    let mut out = Vec::with_capacity(exec.events().len());
    for e in exec.events() {
        match e.fields.iter().find(|(k, _)| k == name) {
            None => out.push(None),
            Some((_, v)) => out.push(Some(parse_timestamp(v).ok_or_else(|| {
                SkewError::BadTimestamp {
                    line: e.line,
                    text: v.clone(),
                }
            })?)),
        }
    }
    Ok((String::from(name), out))
}

/// Happens-before pairs whose timestamps disagree.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Disagreements {
    /// How many pairs `a → b` have `ts(b) < ts(a)`.
    pub total: usize,
    /// The first of them (ordered by `b`, then `a`), at most the limit asked for.
    pub pairs: Vec<(EventId, EventId)>,
}

/// Every pair `a → b` with `ts(b) < ts(a)` (events without a timestamp are skipped); lists at
/// most `limit` of them and counts all. Cost: for each event, the past of each host is scanned
/// only when that host's earlier timestamps exceed the event's.
pub fn disagreements(exec: &Execution, ts: &[Option<i64>], limit: usize) -> Disagreements {
    let hosts = exec.hosts().len();
    // prefix_max[h][k] = the largest timestamp among host h's first k+1 events.
    let prefix_max: Vec<Vec<Option<i64>>> = (0..hosts)
        .map(|h| {
            let mut best: Option<i64> = None;
            exec.events_of(NodeId(h as u32))
                .iter()
                .map(|e| {
                    let t = ts.get(e.index()).copied().flatten();
                    best = best.max(t);
                    best
                })
                .collect()
        })
        .collect();
    let mut out = Disagreements::default();
    let mut found: Vec<EventId> = Vec::new();
    for b in exec.events() {
        let Some(tb) = ts.get(b.id.index()).copied().flatten() else {
            continue;
        };
        found.clear();
        for (h, maxima) in prefix_max.iter().enumerate() {
            let host = NodeId(h as u32);
            // a → b for host h's first `known` events (b itself excluded).
            let mut known = b.clock.get(host) as usize;
            if host == b.host {
                known = known.saturating_sub(1);
            }
            let list = exec.events_of(host);
            known = known.min(list.len());
            if known == 0 || maxima[known - 1].is_none_or(|m| m <= tb) {
                continue;
            }
            for &a in &list[..known] {
                if ts
                    .get(a.index())
                    .copied()
                    .flatten()
                    .is_some_and(|ta| ta > tb)
                {
                    found.push(a);
                }
            }
        }
        found.sort_unstable();
        out.total += found.len();
        for &a in &found {
            if out.pairs.len() < limit {
                out.pairs.push((a, b.id));
            }
        }
    }
    out
}

/// Bounds on one host's clock offset relative to the reference host, in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetBounds {
    /// The host.
    pub host: NodeId,
    /// `o_host − o_ref ≥ lower`, if any message path reaches the reference from the host.
    pub lower: Option<i64>,
    /// `o_host − o_ref ≤ upper`, if any message path reaches the host from the reference.
    pub upper: Option<i64>,
}

/// The offset audit's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Offsets {
    /// Per host (in host order), the bounds on its offset relative to the reference host.
    Bounds(Vec<OffsetBounds>),
    /// No constant offsets fit the timestamps: the hosts on a cycle of messages whose
    /// timestamp differences sum below zero (clocks that drift or jump).
    Inconsistent(Vec<NodeId>),
}

/// Bounds on every host's clock offset relative to `reference` implied by the messages (see
/// the module docs).
///
/// ```
/// use chronoscope::trace::skew::{offset_bounds, timestamps, Offsets};
/// use chronoscope::trace::shiviz::{parse, ParseOptions};
/// use chronoscope::node::NodeId;
/// // b's clock is 100 ahead of a's; messages take 1 to 3 time units.
/// let text = "a 10 {\"a\":1}\nping\nb 111 {\"a\":1, \"b\":1}\npong\na 14 {\"a\":2, \"b\":1}\ndone\n";
/// let opts = ParseOptions::new(r"(?<host>\S+) (?<ts>\d+) (?<clock>{.*})\n(?<event>.*)").unwrap();
/// let log = parse(text, &opts).unwrap();
/// let exec = &log.executions[0];
/// let (_, ts) = timestamps(exec, None).unwrap();
/// let Offsets::Bounds(b) = offset_bounds(exec, &ts, NodeId(0)) else { panic!() };
/// assert_eq!((b[1].lower, b[1].upper), (Some(97), Some(101)));
/// ```
pub fn offset_bounds(exec: &Execution, ts: &[Option<i64>], reference: NodeId) -> Offsets {
    let n = exec.hosts().len();
    // w[i][j]: the tightest o_j − o_i ≤ w over messages i → j.
    let mut w: Vec<Vec<Option<i64>>> = alloc::vec![alloc::vec![None; n]; n];
    for (s, r) in exec.messages() {
        let (Some(ts_s), Some(ts_r)) = (
            ts.get(s.index()).copied().flatten(),
            ts.get(r.index()).copied().flatten(),
        ) else {
            continue;
        };
        let (i, j) = (
            exec.events()[s.index()].host.index(),
            exec.events()[r.index()].host.index(),
        );
        if i != j {
            let d = ts_r.saturating_sub(ts_s);
            w[i][j] = Some(w[i][j].map_or(d, |x: i64| x.min(d)));
        }
    }
    let upper = match shortest(&w, reference.index(), false) {
        Ok(d) => d,
        Err(cycle) => return Offsets::Inconsistent(cycle),
    };
    let lower = match shortest(&w, reference.index(), true) {
        Ok(d) => d,
        Err(cycle) => return Offsets::Inconsistent(cycle),
    };
    Offsets::Bounds(
        (0..n)
            .map(|h| OffsetBounds {
                host: NodeId(h as u32),
                lower: lower[h].map(|d| -d),
                upper: upper[h],
            })
            .collect(),
    )
}

/// Bellman–Ford from `source` over `w` (or its reverse): the distances, or the hosts of a
/// negative cycle.
fn shortest(
    w: &[Vec<Option<i64>>],
    source: usize,
    reverse: bool,
) -> Result<Vec<Option<i64>>, Vec<NodeId>> {
    let n = w.len();
    let mut dist: Vec<Option<i64>> = alloc::vec![None; n];
    let mut via: Vec<usize> = (0..n).collect();
    if source >= n {
        return Ok(dist);
    }
    dist[source] = Some(0);
    let weight = |i: usize, j: usize| if reverse { w[j][i] } else { w[i][j] };
    for round in 0..n {
        let mut changed = None;
        for i in 0..n {
            let Some(di) = dist[i] else { continue };
            for j in 0..n {
                if let Some(wij) = weight(i, j) {
                    let cand = di.saturating_add(wij);
                    if dist[j].is_none_or(|dj| cand < dj) {
                        dist[j] = Some(cand);
                        via[j] = i;
                        changed = Some(j);
                    }
                }
            }
        }
        match changed {
            None => return Ok(dist),
            Some(mut j) if round == n - 1 => {
                // Walk back n steps to land on the cycle, then collect it.
                for _ in 0..n {
                    j = via[j];
                }
                let mut cycle = alloc::vec![NodeId(j as u32)];
                let mut k = via[j];
                while k != j && cycle.len() <= n {
                    cycle.push(NodeId(k as u32));
                    k = via[k];
                }
                cycle.sort_unstable();
                return Err(cycle);
            }
            Some(_) => {}
        }
    }
    Ok(dist)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn timestamps_never_panic_and_order_like_their_fields(
            y in 1970i64..2100, m in 1i64..=12, d in 1i64..=28, h in 0i64..24, mi in 0i64..60, s in 0i64..60, ms in 0i64..1000,
            junk in ".{0,20}"
        ) {
            let _ = parse_timestamp(&junk);
            let iso = parse_timestamp(&alloc::format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")).unwrap();
            let us = parse_timestamp(&alloc::format!("{m}/{d}/{y} {h:02}:{mi:02}:{s:02}.{ms:03}")).unwrap();
            prop_assert_eq!(iso, us);
            let next = parse_timestamp(&alloc::format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:03}", ms)).unwrap();
            prop_assert_eq!(next, iso);
            prop_assert_eq!(iso.rem_euclid(1_000_000), ms * 1000);
        }
    }

    #[test]
    fn days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }
}

//! Motif search over an imported execution's happens-before DAG, after ShiViz's motifs
//! (Beschastnikh et al., "Debugging distributed systems", CACM 2016, §4 "motifs"): recurring
//! communication shapes — request-response, broadcast, gather — and custom *structured* motifs
//! written as a list of messages between host variables (`A->B, B->C, C->A`).
//!
//! A message is a DAG edge `send → receive` between hosts ([`Execution::messages`]). One event
//! may send to several hosts (its clock was merged by several receivers) and receive from
//! several (it merged several clocks).
//!
//! * **Broadcast**: a run of consecutive events on one host where only the first may receive,
//!   whose messages reach at least `min_hosts` distinct hosts.
//! * **Gather**: a run of consecutive events on one host where only the last may send, receiving
//!   from at least `min_hosts` distinct hosts.
//! * **Structured motif** (request-response is `A->B, B->A`): distinct host variables bound to
//!   distinct hosts; each pattern message binds to a message between the bound hosts; on each
//!   host, the pattern's events keep their pattern order and each next one happens within
//!   `max_gap` events of the previous one (motifs are local shapes, and this bound keeps the
//!   search linear in the log). For each message that can start the motif, the *earliest*
//!   continuation is taken (greedy), so results are deterministic and never overlap in their
//!   first message.
//!
//! Invariant: every occurrence's events are ascending and distinct, every pattern message of an
//! occurrence is a real message of the execution, and occurrences are ordered by their first
//! event.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::dag::Execution;
use super::EventId;
use crate::node::NodeId;

/// One found motif: the events it involves (ascending) and its messages `(send, receive)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// Every event of the occurrence, ascending, without repeats.
    pub events: Vec<EventId>,
    /// Its messages, in pattern (or time) order.
    pub messages: Vec<(EventId, EventId)>,
}

impl Occurrence {
    fn from_messages(messages: Vec<(EventId, EventId)>) -> Self {
        let events: BTreeSet<EventId> = messages.iter().flat_map(|&(s, r)| [s, r]).collect();
        Occurrence {
            events: events.into_iter().collect(),
            messages,
        }
    }
}

/// Why a structured motif could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MotifError {
    /// The pattern has no message.
    Empty,
    /// A message is not written `X->Y`.
    BadMessage {
        /// The 1-based position of the message in the pattern.
        position: usize,
        /// What was written.
        text: String,
    },
    /// A message goes from a host variable to itself.
    SelfMessage {
        /// The 1-based position of the message in the pattern.
        position: usize,
    },
    /// A message shares no host variable with the messages before it (a motif is one
    /// connected shape, written in the order it happens).
    Disconnected {
        /// The 1-based position of the message in the pattern.
        position: usize,
    },
    /// More messages than the search accepts.
    TooLong {
        /// The limit.
        limit: usize,
    },
}

impl fmt::Display for MotifError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MotifError::Empty => write!(f, "the motif has no message; write e.g. A->B, B->A"),
            MotifError::BadMessage { position, text } => write!(
                f,
                "message {position} of the motif, {text:?}, is not of the form X->Y (host variables are letters or digits)"
            ),
            MotifError::SelfMessage { position } => write!(
                f,
                "message {position} of the motif goes from a host to itself; use two variables"
            ),
            MotifError::Disconnected { position } => write!(
                f,
                "message {position} of the motif involves none of the hosts named before it; write a connected motif in the order it happens"
            ),
            MotifError::TooLong { limit } => {
                write!(f, "the motif has more than {limit} messages; shorten it")
            }
        }
    }
}

impl core::error::Error for MotifError {}

/// A structured motif: host variables and the messages between them, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    vars: Vec<String>,
    edges: Vec<(usize, usize)>,
}

/// The longest structured motif accepted, in messages.
pub const MAX_PATTERN_MESSAGES: usize = 16;

impl Pattern {
    /// Reads `X->Y, Y->Z, …` (separators: commas, semicolons or spaces around the arrows).
    ///
    /// ```
    /// use chronoscope::trace::motifs::Pattern;
    /// let p = Pattern::parse("A->B, B->A").unwrap();
    /// assert_eq!(p.variables(), ["A", "B"]);
    /// assert!(Pattern::parse("A->A").is_err());
    /// assert!(Pattern::parse("A->B, C->D").unwrap_err().to_string().contains("connected"));
    /// assert!(Pattern::parse("A-B").unwrap_err().to_string().contains("X->Y"));
    /// ```
    pub fn parse(text: &str) -> Result<Pattern, MotifError> {
        let mut vars: Vec<String> = Vec::new();
        let mut edges = Vec::new();
        let var = |name: &str, vars: &mut Vec<String>| match vars.iter().position(|v| v == name) {
            Some(i) => i,
            None => {
                vars.push(String::from(name));
                vars.len() - 1
            }
        };
        for (i, part) in text
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .enumerate()
        {
            let position = i + 1;
            let bad = || MotifError::BadMessage {
                position,
                text: String::from(part),
            };
            let (from, to) = part.split_once("->").ok_or_else(bad)?;
            let (from, to) = (from.trim(), to.trim());
            let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
            if !ok(from) || !ok(to) {
                return Err(bad());
            }
            if from == to {
                return Err(MotifError::SelfMessage { position });
            }
            if edges.len() == MAX_PATTERN_MESSAGES {
                return Err(MotifError::TooLong {
                    limit: MAX_PATTERN_MESSAGES,
                });
            }
            if !edges.is_empty() && !vars.iter().any(|v| v == from || v == to) {
                return Err(MotifError::Disconnected { position });
            }
            edges.push((var(from, &mut vars), var(to, &mut vars)));
        }
        if edges.is_empty() {
            return Err(MotifError::Empty);
        }
        Ok(Pattern { vars, edges })
    }
    /// The host variables, in order of first use.
    pub fn variables(&self) -> &[String] {
        &self.vars
    }
    /// Request-response: `A->B, B->A`.
    pub fn request_response() -> Pattern {
        Pattern {
            vars: alloc::vec![String::from("A"), String::from("B")],
            edges: alloc::vec![(0, 1), (1, 0)],
        }
    }
}

/// The default `max_gap`: a motif's next event on a host comes within this many events.
pub const DEFAULT_MAX_GAP: u32 = 8;

/// Per event, the messages it sends and receives, built once per search.
struct Index<'a> {
    exec: &'a Execution,
    /// `sends[e]`: receives of the messages `e` sent, ascending.
    sends: Vec<Vec<EventId>>,
}

impl<'a> Index<'a> {
    fn new(exec: &'a Execution) -> Self {
        let mut sends = alloc::vec![Vec::new(); exec.events().len()];
        for (s, r) in exec.messages() {
            sends[s.index()].push(r);
        }
        for list in &mut sends {
            list.sort_unstable();
        }
        Index { exec, sends }
    }
    fn host(&self, e: EventId) -> NodeId {
        self.exec.events()[e.index()].host
    }
    fn seq(&self, e: EventId) -> u32 {
        self.exec.events()[e.index()].seq
    }
    fn receives(&self, e: EventId) -> &[EventId] {
        &self.exec.events()[e.index()].parents
    }
}

/// Occurrences of a structured motif (see the module docs), ordered by first event.
///
/// ```
/// use chronoscope::trace::motifs::{find, Pattern, DEFAULT_MAX_GAP};
/// use chronoscope::trace::shiviz::{parse, ParseOptions, GOVECTOR_REGEX};
/// let text = "c {\"c\":1}\nrequest\ns {\"c\":1, \"s\":1}\nserve\ns {\"c\":1, \"s\":2}\nreply\nc {\"c\":2, \"s\":2}\ndone\n";
/// let log = parse(text, &ParseOptions::new(GOVECTOR_REGEX).unwrap()).unwrap();
/// let found = find(&log.executions[0], &Pattern::request_response(), DEFAULT_MAX_GAP);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].events.len(), 4);
/// ```
pub fn find(exec: &Execution, pattern: &Pattern, max_gap: u32) -> Vec<Occurrence> {
    let index = Index::new(exec);
    let mut out = Vec::new();
    let (first_from, first_to) = pattern.edges[0];
    for s in exec.events() {
        for &r in &index.sends[s.id.index()] {
            let mut binding: Vec<Option<(NodeId, EventId)>> = alloc::vec![None; pattern.vars.len()];
            binding[first_from] = Some((s.host, s.id));
            binding[first_to] = Some((index.host(r), r));
            let mut messages = alloc::vec![(s.id, r)];
            if extend(&index, pattern, 1, &mut binding, &mut messages, max_gap) {
                out.push(Occurrence::from_messages(messages));
            }
        }
    }
    out.sort_by(|a, b| a.events.cmp(&b.events));
    out.dedup();
    out
}

/// Whether `next` (on the same host as `last`) may follow it in a motif: later, or the same
/// event when both play the same role (one event sending to several hosts).
fn follows(index: &Index, last: EventId, next: EventId, same_role: bool, max_gap: u32) -> bool {
    let (a, b) = (index.seq(last), index.seq(next));
    (b > a || (b == a && same_role)) && b - a <= max_gap
}

/// Binds pattern messages `k..` greedily (earliest send first); true when all are bound.
fn extend(
    index: &Index,
    pattern: &Pattern,
    k: usize,
    binding: &mut [Option<(NodeId, EventId)>],
    messages: &mut Vec<(EventId, EventId)>,
    max_gap: u32,
) -> bool {
    let Some(&(from, to)) = pattern.edges.get(k) else {
        return true;
    };
    let used = |h: NodeId, binding: &[Option<(NodeId, EventId)>]| {
        binding.iter().flatten().any(|(bh, _)| *bh == h)
    };
    let to_was_receive = binding[to].is_some_and(|(_, last)| is_receive(messages, last));
    let receiver_ok = |r: EventId, binding: &[Option<(NodeId, EventId)>]| match binding[to] {
        Some((h, last)) => index.host(r) == h && follows(index, last, r, to_was_receive, max_gap),
        None => !used(index.host(r), binding),
    };
    match binding[from] {
        Some((h, last)) => {
            let host_events = index.exec.events_of(h);
            let start = index.seq(last) as usize;
            let end = (start + max_gap as usize + 1).min(host_events.len());
            for &s in &host_events[start..end] {
                if !follows(index, last, s, !is_receive(messages, last), max_gap) {
                    continue;
                }
                if let Some(&r) = index.sends[s.index()]
                    .iter()
                    .find(|&&r| receiver_ok(r, binding))
                {
                    let saved = (binding[from], binding[to]);
                    binding[from] = Some((h, s));
                    binding[to] = Some((index.host(r), r));
                    messages.push((s, r));
                    if extend(index, pattern, k + 1, binding, messages, max_gap) {
                        return true;
                    }
                    messages.pop();
                    (binding[from], binding[to]) = saved;
                }
            }
            false
        }
        None => {
            // The receiver is bound (the pattern is connected in order) or neither is: then
            // the message must start from a host not yet used; search from the receiver side.
            let Some((h, last)) = binding[to] else {
                return false;
            };
            let host_events = index.exec.events_of(h);
            let start = index.seq(last) as usize;
            let end = (start + max_gap as usize + 1).min(host_events.len());
            for &r in &host_events[start..end] {
                if !follows(index, last, r, is_receive(messages, last), max_gap) {
                    continue;
                }
                for &s in index.receives(r) {
                    if used(index.host(s), binding) {
                        continue;
                    }
                    let saved = (binding[from], binding[to]);
                    binding[from] = Some((index.host(s), s));
                    binding[to] = Some((h, r));
                    messages.push((s, r));
                    if extend(index, pattern, k + 1, binding, messages, max_gap) {
                        return true;
                    }
                    messages.pop();
                    (binding[from], binding[to]) = saved;
                }
            }
            false
        }
    }
}

/// Whether `e` is a receive in the messages bound so far.
fn is_receive(messages: &[(EventId, EventId)], e: EventId) -> bool {
    messages.iter().any(|&(_, r)| r == e)
}

/// Request-response exchanges: `A->B, B->A` within `max_gap` events on each host.
pub fn request_response(exec: &Execution, max_gap: u32) -> Vec<Occurrence> {
    find(exec, &Pattern::request_response(), max_gap)
}

/// Broadcasts reaching at least `min_hosts` distinct hosts (see the module docs).
///
/// ```
/// use chronoscope::trace::motifs::broadcasts;
/// use chronoscope::trace::shiviz::{parse, ParseOptions, GOVECTOR_REGEX};
/// let text = "a {\"a\":1}\nto all\nb {\"a\":1, \"b\":1}\ngot\nc {\"a\":1, \"c\":1}\ngot\n";
/// let log = parse(text, &ParseOptions::new(GOVECTOR_REGEX).unwrap()).unwrap();
/// assert_eq!(broadcasts(&log.executions[0], 2).len(), 1);
/// assert!(broadcasts(&log.executions[0], 3).is_empty());
/// ```
pub fn broadcasts(exec: &Execution, min_hosts: usize) -> Vec<Occurrence> {
    let index = Index::new(exec);
    runs(exec, min_hosts, |run, i| {
        // Only the first event of a run may receive.
        (i == 0 || index.receives(run).is_empty())
            .then(|| index.sends[run.index()].iter().map(|&r| (run, r)).collect())
    })
}

/// Gathers from at least `min_hosts` distinct hosts (see the module docs).
pub fn gathers(exec: &Execution, min_hosts: usize) -> Vec<Occurrence> {
    let index = Index::new(exec);
    let mut out = Vec::new();
    for h in 0..exec.hosts().len() {
        let list = exec.events_of(NodeId(h as u32));
        let mut run: Vec<(EventId, EventId)> = Vec::new();
        let mut flush = |run: &mut Vec<(EventId, EventId)>| {
            let senders: BTreeSet<NodeId> = run.iter().map(|&(s, _)| index.host(s)).collect();
            if senders.len() >= min_hosts.max(1) {
                out.push(Occurrence::from_messages(core::mem::take(run)));
            }
            run.clear();
        };
        for &e in list {
            run.extend(index.receives(e).iter().map(|&s| (s, e)));
            // Only the last event of a run may send.
            if !index.sends[e.index()].is_empty() {
                flush(&mut run);
            }
        }
        flush(&mut run);
    }
    out.sort_by(|a, b| a.events.cmp(&b.events));
    out
}

/// Broadcast-like runs per host: `step(event, position in run)` gives the event's messages, or
/// `None` when the event cannot continue the run (it then starts a new one).
fn runs(
    exec: &Execution,
    min_hosts: usize,
    step: impl Fn(EventId, usize) -> Option<Vec<(EventId, EventId)>>,
) -> Vec<Occurrence> {
    let mut out = Vec::new();
    let hosts_of = |run: &[(EventId, EventId)]| -> usize {
        run.iter()
            .map(|&(_, r)| exec.events()[r.index()].host)
            .collect::<BTreeSet<_>>()
            .len()
    };
    for h in 0..exec.hosts().len() {
        let mut run: Vec<(EventId, EventId)> = Vec::new();
        let mut len = 0;
        for &e in exec.events_of(NodeId(h as u32)) {
            let messages = match step(e, len) {
                Some(m) => m,
                None => {
                    if hosts_of(&run) >= min_hosts.max(1) {
                        out.push(Occurrence::from_messages(core::mem::take(&mut run)));
                    }
                    run.clear();
                    len = 0;
                    step(e, 0).unwrap_or_default()
                }
            };
            run.extend(messages);
            len += 1;
        }
        if hosts_of(&run) >= min_hosts.max(1) {
            out.push(Occurrence::from_messages(run));
        }
    }
    out.sort_by(|a, b| a.events.cmp(&b.events));
    out
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::scenario::happens_before::{self, Params};
    use proptest::prelude::*;

    fn execution(seed: u64, nodes: u32, actions: u32) -> Execution {
        let trace = happens_before::run(&Params {
            nodes,
            seed,
            actions,
            ..Params::default()
        })
        .unwrap()
        .with_event_clocks();
        Execution::from_trace(&trace).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Every occurrence is made of real messages between distinct bound hosts, keeps the
        /// pattern's per-host order, and its events are ascending.
        #[test]
        fn occurrences_are_real_and_ordered(seed in any::<u64>(), nodes in 2u32..=5, actions in 1u32..=6,
            pattern in prop::sample::select(vec!["A->B, B->A", "A->B, B->C", "A->B, A->C", "A->B, C->B", "A->B, B->C, C->A"])) {
            let exec = execution(seed, nodes, actions);
            let messages: BTreeSet<(EventId, EventId)> = exec.messages().collect();
            let p = Pattern::parse(pattern).unwrap();
            for occ in find(&exec, &p, DEFAULT_MAX_GAP) {
                prop_assert!(occ.events.windows(2).all(|w| w[0] < w[1]));
                prop_assert_eq!(occ.messages.len(), p.edges.len());
                let mut hosts: Vec<Option<NodeId>> = vec![None; p.vars.len()];
                for (&(s, r), &(from, to)) in occ.messages.iter().zip(&p.edges) {
                    prop_assert!(messages.contains(&(s, r)));
                    for (var, e) in [(from, s), (to, r)] {
                        let h = exec.events()[e.index()].host;
                        prop_assert!(hosts[var].is_none_or(|x| x == h));
                        hosts[var] = Some(h);
                    }
                }
                let bound: BTreeSet<NodeId> = hosts.iter().flatten().copied().collect();
                prop_assert_eq!(bound.len(), p.vars.len(), "distinct variables, distinct hosts");
            }
        }

        /// A broadcast's messages all leave one host; a gather's all arrive at one host; each
        /// reaches (or comes from) at least `min_hosts` hosts.
        #[test]
        fn broadcasts_and_gathers_have_one_centre(seed in any::<u64>(), nodes in 2u32..=5, actions in 1u32..=6, min in 1usize..=3) {
            let exec = execution(seed, nodes, actions);
            let host = |e: EventId| exec.events()[e.index()].host;
            for occ in broadcasts(&exec, min) {
                let centre: BTreeSet<_> = occ.messages.iter().map(|&(s, _)| host(s)).collect();
                let reached: BTreeSet<_> = occ.messages.iter().map(|&(_, r)| host(r)).collect();
                prop_assert_eq!(centre.len(), 1);
                prop_assert!(reached.len() >= min);
            }
            for occ in gathers(&exec, min) {
                let centre: BTreeSet<_> = occ.messages.iter().map(|&(_, r)| host(r)).collect();
                let from: BTreeSet<_> = occ.messages.iter().map(|&(s, _)| host(s)).collect();
                prop_assert_eq!(centre.len(), 1);
                prop_assert!(from.len() >= min);
            }
        }
    }

    #[test]
    fn the_generated_runs_have_motifs_to_check() {
        // The properties above are not vacuous: the generated runs do contain motifs.
        let (mut rr, mut tri, mut bc) = (0, 0, 0);
        for seed in 0..16 {
            let exec = execution(seed, 4, 6);
            rr += request_response(&exec, DEFAULT_MAX_GAP).len();
            tri += find(
                &exec,
                &Pattern::parse("A->B, B->C").unwrap(),
                DEFAULT_MAX_GAP,
            )
            .len();
            bc += broadcasts(&exec, 2).len() + gathers(&exec, 2).len();
        }
        assert!(rr > 0 && tri > 0 && bc > 0, "{rr} {tri} {bc}");
    }

    #[test]
    fn request_response_needs_the_reply() {
        use crate::trace::shiviz::{parse, ParseOptions, GOVECTOR_REGEX};
        let opts = ParseOptions::new(GOVECTOR_REGEX).unwrap();
        // c asks s; s answers; c asks t, which never answers.
        let text = "c {\"c\":1}\nask s\ns {\"c\":1, \"s\":1}\nserve\ns {\"c\":1, \"s\":2}\nreply\nc {\"c\":2, \"s\":2}\ngot it\nc {\"c\":3, \"s\":2}\nask t\nt {\"c\":3, \"s\":2, \"t\":1}\nignore\n";
        let log = parse(text, &opts).unwrap();
        let exec = &log.executions[0];
        let found = request_response(exec, DEFAULT_MAX_GAP);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].messages,
            [(EventId(0), EventId(1)), (EventId(2), EventId(3))]
        );
        // The reply comes 1 event after the request on s: a gap of 0 forbids it.
        assert!(request_response(exec, 0).is_empty());
    }
}

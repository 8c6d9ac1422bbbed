//! Searching an imported execution's events, as ShiViz's search bar does (Beschastnikh et al.,
//! "Debugging distributed systems", CACM 2016, §4 "keyword search"): plain words match an
//! event's text or any captured field; `host=NAME` selects one host's events; `FIELD=VALUE`
//! matches one captured field (`date`, `path`, `priority`, …). Matching ignores case.
//!
//! Invariant: the result is ascending, duplicate-free, and depends only on the execution and
//! the query (never on how a view draws it: a collapsed or filtered view maps these ids onto
//! what it draws).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::dag::Execution;
use super::EventId;

/// What a query asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// Nothing (an empty or blank query): matches no event.
    Empty,
    /// Events whose text or a field value contains the word (lower-cased).
    Text(String),
    /// Events of the host with this name (lower-cased, whole name).
    Host(String),
    /// Events whose field (lower-cased name) contains the value (lower-cased).
    Field(String, String),
}

impl Query {
    /// Reads a query: `host=NAME`, `FIELD=VALUE` or plain text.
    ///
    /// ```
    /// use chronoscope::trace::search::Query;
    /// assert_eq!(Query::parse(" host = Alice "), Query::Host("alice".into()));
    /// assert_eq!(Query::parse("date=2014"), Query::Field("date".into(), "2014".into()));
    /// assert_eq!(Query::parse("  "), Query::Empty);
    /// ```
    pub fn parse(query: &str) -> Query {
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return Query::Empty;
        }
        match q.split_once('=') {
            Some((k, v)) if k.trim() == "host" => Query::Host(v.trim().to_string()),
            Some((k, v)) if !k.trim().is_empty() => {
                Query::Field(k.trim().to_string(), v.trim().to_string())
            }
            _ => Query::Text(q),
        }
    }
}

/// The events of `exec` that `query` matches, ascending.
///
/// ```
/// use chronoscope::trace::shiviz::{parse, ParseOptions, GOVECTOR_REGEX};
/// use chronoscope::trace::search::search;
/// let opts = ParseOptions::new(GOVECTOR_REGEX).unwrap();
/// let log = parse("a {\"a\":1}\nsend\nb {\"a\":1, \"b\":1}\nrecv\n", &opts).unwrap();
/// let exec = &log.executions[0];
/// assert_eq!(search(exec, "host=b").len(), 1);
/// assert_eq!(search(exec, "SEND").len(), 1);
/// assert!(search(exec, "host=c").is_empty());
/// ```
pub fn search(exec: &Execution, query: &str) -> Vec<EventId> {
    let query = Query::parse(query);
    let host = match &query {
        Query::Host(name) => match exec.hosts().iter().position(|h| h.to_lowercase() == *name) {
            Some(h) => Some(h),
            None => return Vec::new(),
        },
        _ => None,
    };
    exec.events()
        .iter()
        .filter(|e| match &query {
            Query::Empty => false,
            Query::Host(_) => Some(e.host.index()) == host,
            Query::Field(k, v) => e
                .fields
                .iter()
                .any(|(fk, fv)| fk.to_lowercase() == *k && fv.to_lowercase().contains(v.as_str())),
            Query::Text(t) => {
                e.text.to_lowercase().contains(t.as_str())
                    || e.fields
                        .iter()
                        .any(|(_, v)| v.to_lowercase().contains(t.as_str()))
            }
        })
        .map(|e| e.id)
        .collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::trace::shiviz::{parse, ParseOptions, GOVECTOR_REGEX};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// `host=NAME` partitions the events: every event is found under exactly its host's
        /// name, and the results are ascending.
        #[test]
        fn host_queries_partition_the_events(hosts in prop::collection::vec(0usize..3, 1..30)) {
            let names = ["alpha", "Beta", "gamma"];
            let mut count = [0u64; 3];
            let mut text = String::new();
            for h in &hosts {
                count[*h] += 1;
                text.push_str(&alloc::format!("{} {{\"{}\":{}}}\nev {}\n", names[*h], names[*h], count[*h], h));
            }
            let log = parse(&text, &ParseOptions::new(GOVECTOR_REGEX).unwrap()).unwrap();
            let exec = &log.executions[0];
            let mut all: Vec<EventId> = Vec::new();
            for name in exec.hosts() {
                let found = search(exec, &alloc::format!("host={}", name.to_uppercase()));
                prop_assert!(found.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(found.iter().all(|e| exec.host_name(exec.event(*e).unwrap().host) == name));
                all.extend(found);
            }
            all.sort();
            prop_assert_eq!(all.len(), hosts.len());
            prop_assert!(all.windows(2).all(|w| w[0] < w[1]));
        }
    }
}

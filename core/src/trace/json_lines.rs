//! JSON-lines logs, one event per line, as in the source document's trace visualizer
//! (project 8): `{"node":"A","event":"start","vc":[1,0,0]}`.
//!
//! The vector clock `vc` is either an object of node name → counter, or an array in node
//! order. Node order is the order in which nodes first appear in `node` — or, if given, the
//! list on a header line `{"nodes":["A","B","C"]}`. A line `{"execution":"name"}` starts a new
//! execution (the JSON export writes these). Other keys, and the entries of an object under
//! `"fields"`, become fields. Blank lines are skipped.
//! The same validity rules as ShiViz logs apply ([`validity`](super::validity)); every error
//! names its line. Invariant: never panics, whatever the text.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::dag::Log;
use super::error::{ImportError, ImportErrorKind as K};
use super::json::{self, Json};
use super::shiviz::clock_from_json;
use super::validity::{build_execution, RawEvent};

/// A vector clock as read, before node order is known.
enum Vc {
    Named(Vec<(String, u64)>),
    Dense(Vec<u64>),
}

struct Pending {
    event: RawEvent,
    vc: Vc,
}

fn bad(line: u32, message: String) -> ImportError {
    ImportError::at(line, K::BadJson { message })
}

fn text_of(value: Json) -> String {
    match value {
        Json::String(s) => s,
        other => {
            let mut out = String::new();
            json::write_value(&mut out, &other);
            out
        }
    }
}

/// Parses a JSON-lines log.
///
/// ```
/// use chronoscope::trace::json_lines::parse;
/// let log = parse("{\"node\":\"A\",\"event\":\"x\",\"vc\":{\"A\":1}}\n").unwrap();
/// assert_eq!(log.executions[0].events()[0].text, "x");
/// let err = parse("\n{\"node\":\"A\",\"event\":\"x\",\"vc\":[2]}").unwrap_err();
/// assert_eq!(err.line, Some(2));
/// ```
pub fn parse(text: &str) -> Result<Log, ImportError> {
    parse_lines(text).map_err(|e| e.quoting(text))
}

fn parse_lines(text: &str) -> Result<Log, ImportError> {
    let mut log = Log::default();
    let mut header: Option<Vec<String>> = None;
    let mut name: Option<String> = None;
    let mut pending: Vec<Pending> = Vec::new();
    let mut started = 1;
    for (i, raw_line) in text.split('\n').enumerate() {
        let line = i as u32 + 1;
        let trimmed = raw_line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let value =
            json::parse(trimmed).map_err(|e| bad(line, format!("not a JSON object: {e}")))?;
        let Json::Object(entries) = value else {
            return Err(bad(
                line,
                format!("each line must be a JSON object, not {}", value.kind()),
            ));
        };
        match entries.as_slice() {
            [(key, Json::Array(names))] if key == "nodes" => {
                let names: Option<Vec<String>> = names
                    .iter()
                    .map(|n| {
                        if let Json::String(s) = n {
                            Some(s.clone())
                        } else {
                            None
                        }
                    })
                    .collect();
                header = Some(names.ok_or_else(|| {
                    bad(line, "\"nodes\" must list node names as strings".into())
                })?);
                continue;
            }
            [(key, Json::String(next))] if key == "execution" => {
                let next = next.clone();
                finish(
                    &mut log,
                    name.replace(next),
                    core::mem::take(&mut pending),
                    &header,
                    started,
                )?;
                started = line;
                continue;
            }
            _ => {}
        }
        let mut event = RawEvent {
            line,
            clock_line: line,
            ..RawEvent::default()
        };
        let (mut node, mut vc) = (None, None);
        for (key, v) in entries {
            match key.as_str() {
                "node" => node = Some(text_of(v)),
                "event" => event.text = text_of(v),
                "vc" => {
                    vc = Some(match v {
                        Json::Array(items) => Vc::Dense(
                            items
                                .iter()
                                .map(|c| {
                                    c.as_u64().ok_or_else(|| {
                                        bad(
                                            line,
                                            format!(
                                                "\"vc\" entries must be whole numbers >= 0, not {}",
                                                c.kind()
                                            ),
                                        )
                                    })
                                })
                                .collect::<Result<_, _>>()?,
                        ),
                        other => Vc::Named(clock_from_json(other).map_err(|m| bad(line, m))?),
                    })
                }
                "fields" if matches!(v, Json::Object(_)) => {
                    if let Json::Object(fields) = v {
                        event
                            .fields
                            .extend(fields.into_iter().map(|(k, v)| (k, text_of(v))));
                    }
                }
                _ => event.fields.push((key, text_of(v))),
            }
        }
        event.host = node.ok_or_else(|| {
            bad(
                line,
                "the event has no \"node\" key; add \"node\":\"<name>\"".into(),
            )
        })?;
        let vc = vc.ok_or_else(|| {
            bad(
                line,
                "the event has no \"vc\" key; add its vector clock".into(),
            )
        })?;
        pending.push(Pending { event, vc });
    }
    finish(&mut log, name, pending, &header, started)?;
    Ok(log)
}

/// Resolves array clocks against the node order and builds one execution.
fn finish(
    log: &mut Log,
    name: Option<String>,
    pending: Vec<Pending>,
    header: &Option<Vec<String>>,
    line: u32,
) -> Result<(), ImportError> {
    if pending.is_empty() {
        return match name {
            Some(execution) => Err(ImportError::at(line, K::NoEvents { execution })),
            None => Ok(()),
        };
    }
    let order: Vec<String> = match header {
        Some(h) => h.clone(),
        None => {
            let mut order: Vec<String> = Vec::new();
            for p in &pending {
                if !order.contains(&p.event.host) {
                    order.push(p.event.host.clone());
                }
            }
            order
        }
    };
    let mut raw = Vec::with_capacity(pending.len());
    for Pending { mut event, vc } in pending {
        event.clock = match vc {
            Vc::Named(pairs) => pairs,
            Vc::Dense(counts) => {
                if counts.len() > order.len() {
                    let message = format!(
                        "\"vc\" has {} entries but only {} nodes are known ({}); add a line {{\"nodes\":[...]}} listing them in order",
                        counts.len(),
                        order.len(),
                        order.join(", ")
                    );
                    return Err(bad(event.line, message));
                }
                order
                    .iter()
                    .zip(counts)
                    .map(|(n, c)| (n.to_owned(), c))
                    .collect()
            }
        };
        raw.push(event);
    }
    log.executions.push(build_execution(name, raw)?);
    Ok(())
}

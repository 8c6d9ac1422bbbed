//! The CRDT lab: replicas of a PN-counter update on their own — one cut off by a partition,
//! working offline — and gossip their states; when the partition heals the states merge and
//! every replica converges with no coordination (the core's `scenario::crdt`). Below it, a
//! hands-on panel puts two replicas of any of the core's CRDTs side by side (G-Counter,
//! PN-Counter, G-Set, 2P-Set, OR-Set, LWW- and MV-Register): apply operations on each, merge
//! one into the other, and watch them converge (Shapiro, Preguiça, Baquero, Zawirski 2011,
//! "A comprehensive study of Convergent and Commutative Replicated Data Types"). Every
//! operation goes through the core's `validate_op` / `apply` / `merge`; the lab decides nothing.
//!
//! Seed and parameters live in the URL (`#/lab/crdt?nodes=3&offline=2000&type=or-set&…`).

use std::collections::BTreeMap;
use std::rc::Rc;

use chronoscope::crdt::g_counter::Increment;
use chronoscope::crdt::lww_register::Set;
use chronoscope::crdt::mv_register::Write;
use chronoscope::crdt::or_set::OrOp;
use chronoscope::crdt::pn_counter::PnOp;
use chronoscope::crdt::two_phase_set::TwoPhaseOp;
use chronoscope::crdt::{
    CvRdt, GCounter, GSet, LwwRegister, MvRegister, OrSet, PnCounter, TwoPhaseSet, Update,
};
use chronoscope::node::NodeId;
use chronoscope::scenario::crdt::{
    self, CounterOp, CounterOutput, LabParams as RunParams, Params, Report, PANEL_TYPES, SPEC,
};
use chronoscope::store::lww::LwwStamp;
use yew_router::prelude::*;

use super::kit::{self, prelude::*};

const SLUG: &str = "crdt";
/// The key the panel's type selector sets.
const PANEL: &[&str] = &["type"];

/// The CRDTs of the hands-on panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Grow-only counter.
    GCounter,
    /// Increment/decrement counter.
    PnCounter,
    /// Grow-only set.
    GSet,
    /// Two-phase set: add, then remove once.
    TwoPhaseSet,
    /// Observed-remove set: add wins.
    OrSet,
    /// Last-writer-wins register.
    LwwRegister,
    /// Multi-value register.
    MvRegister,
}

impl Kind {
    /// Every kind, in the selector's order.
    pub const ALL: [Kind; 7] = [
        Kind::GCounter,
        Kind::PnCounter,
        Kind::GSet,
        Kind::TwoPhaseSet,
        Kind::OrSet,
        Kind::LwwRegister,
        Kind::MvRegister,
    ];

    /// The name used in the URL (the core's [`PANEL_TYPES`], in [`Kind::ALL`] order).
    pub fn name(self) -> &'static str {
        PANEL_TYPES[Kind::ALL.iter().position(|k| *k == self).unwrap_or(0)]
    }

    /// The name people read.
    pub fn title(self) -> &'static str {
        match self {
            Kind::GCounter => "G-Counter",
            Kind::PnCounter => "PN-Counter",
            Kind::GSet => "G-Set",
            Kind::TwoPhaseSet => "2P-Set",
            Kind::OrSet => "OR-Set",
            Kind::LwwRegister => "LWW-Register",
            Kind::MvRegister => "MV-Register",
        }
    }

    /// Parses [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The operations its replicas offer.
    pub fn ops(self) -> &'static [OpKind] {
        match self {
            Kind::GCounter => &[OpKind::Increment],
            Kind::PnCounter => &[OpKind::Increment, OpKind::Decrement],
            Kind::GSet => &[OpKind::Add],
            Kind::TwoPhaseSet | Kind::OrSet => &[OpKind::Add, OpKind::Remove],
            Kind::LwwRegister | Kind::MvRegister => &[OpKind::Set],
        }
    }

    /// What its merge does, in one sentence (Shapiro et al. 2011, §3).
    pub fn rule(self) -> &'static str {
        match self {
            Kind::GCounter => "One slot per replica; merge takes each slot's maximum; the value is the sum (§3.1.1).",
            Kind::PnCounter => "Two G-Counters, increments and decrements; the value is their difference (§3.1.2).",
            Kind::GSet => "Merge is set union; nothing can be removed (§3.3.1).",
            Kind::TwoPhaseSet => "An add set and a remove set (tombstones): an element removed once can never come back, \
                                  and only an element present here can be removed (§3.3.2).",
            Kind::OrSet => "Each add gets a unique tag; remove tombstones only the tags it has seen, so a concurrent \
                            add survives — add wins (§3.3.5).",
            Kind::LwwRegister => "Each write carries a stamp (here a shared step counter standing in for a clock); \
                                  merge keeps the highest stamp, so one concurrent write is silently lost (§3.2.1).",
            Kind::MvRegister => "Each write carries a version vector; merge keeps every write no other has seen, \
                                 so concurrent writes both survive until one write supersedes them (§3.2.2).",
        }
    }
}

/// An operation a panel button asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// Add the amount.
    Increment,
    /// Subtract the amount.
    Decrement,
    /// Add the element.
    Add,
    /// Remove the element.
    Remove,
    /// Write the value.
    Set,
}

impl OpKind {
    fn label(self) -> &'static str {
        match self {
            OpKind::Increment => "+",
            OpKind::Decrement => "−",
            OpKind::Add => "add",
            OpKind::Remove => "remove",
            OpKind::Set => "set",
        }
    }
    fn class(self) -> &'static str {
        match self {
            OpKind::Increment => "op-inc",
            OpKind::Decrement => "op-dec",
            OpKind::Add => "op-add",
            OpKind::Remove => "op-remove",
            OpKind::Set => "op-set",
        }
    }
}

/// Two replicas of one CRDT type.
#[derive(Clone, Debug, PartialEq)]
pub enum Replicas {
    /// G-Counters.
    GCounter([GCounter; 2]),
    /// PN-Counters.
    PnCounter([PnCounter; 2]),
    /// G-Sets.
    GSet([GSet<String>; 2]),
    /// 2P-Sets.
    TwoPhaseSet([TwoPhaseSet<String>; 2]),
    /// OR-Sets.
    OrSet([OrSet<String>; 2]),
    /// LWW-Registers.
    LwwRegister([LwwRegister<String>; 2]),
    /// MV-Registers.
    MvRegister([MvRegister<String>; 2]),
}

fn checked<C: Update>(c: &mut C, op: C::Op) -> Result<(), String> {
    c.try_apply(op).map_err(|e| e.to_string())
}

fn merge_pair<C: CvRdt>(r: &mut [C; 2], into: usize, from: usize) {
    let other = r[from].clone();
    r[into].merge(&other);
}

fn list(items: &[String]) -> String {
    let shown: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("{{{}}}", shown.join(", "))
}

impl Replicas {
    /// Two empty replicas of `kind`.
    pub fn new(kind: Kind) -> Replicas {
        match kind {
            Kind::GCounter => Replicas::GCounter(Default::default()),
            Kind::PnCounter => Replicas::PnCounter(Default::default()),
            Kind::GSet => Replicas::GSet(Default::default()),
            Kind::TwoPhaseSet => Replicas::TwoPhaseSet(Default::default()),
            Kind::OrSet => Replicas::OrSet(Default::default()),
            Kind::LwwRegister => Replicas::LwwRegister(Default::default()),
            Kind::MvRegister => Replicas::MvRegister(Default::default()),
        }
    }

    /// Applies an operation at replica `i` (0 or 1) through the core's check-then-apply;
    /// `tick` stamps LWW writes. A refused operation leaves the state unchanged and returns
    /// the core's error, printed.
    pub fn apply(&mut self, i: usize, op: OpKind, input: &str, tick: i64) -> Result<(), String> {
        let node = NodeId(i as u32);
        let amount = || -> Result<u64, String> {
            input
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| format!("amount \"{}\" is not a whole number ≥ 1", input.trim()))
        };
        let item = || -> Result<String, String> {
            let s = input.trim();
            if s.is_empty() {
                Err("type an element or value first".into())
            } else {
                Ok(s.chars().take(40).collect())
            }
        };
        match (self, op) {
            (Replicas::GCounter(r), OpKind::Increment) => checked(
                &mut r[i],
                Increment {
                    node,
                    by: amount()?,
                },
            ),
            (Replicas::PnCounter(r), OpKind::Increment) => checked(
                &mut r[i],
                PnOp::Increment {
                    node,
                    by: amount()?,
                },
            ),
            (Replicas::PnCounter(r), OpKind::Decrement) => checked(
                &mut r[i],
                PnOp::Decrement {
                    node,
                    by: amount()?,
                },
            ),
            (Replicas::GSet(r), OpKind::Add) => checked(&mut r[i], item()?),
            (Replicas::TwoPhaseSet(r), OpKind::Add) => checked(&mut r[i], TwoPhaseOp::Add(item()?)),
            (Replicas::TwoPhaseSet(r), OpKind::Remove) => {
                checked(&mut r[i], TwoPhaseOp::Remove(item()?))
            }
            (Replicas::OrSet(r), OpKind::Add) => checked(
                &mut r[i],
                OrOp::Add {
                    node,
                    item: item()?,
                },
            ),
            (Replicas::OrSet(r), OpKind::Remove) => checked(&mut r[i], OrOp::Remove(item()?)),
            (Replicas::LwwRegister(r), OpKind::Set) => checked(
                &mut r[i],
                Set {
                    stamp: LwwStamp { time: tick, node },
                    value: item()?,
                },
            ),
            (Replicas::MvRegister(r), OpKind::Set) => checked(
                &mut r[i],
                Write {
                    node,
                    value: item()?,
                },
            ),
            (_, op) => Err(format!("{op:?} is not an operation of this type")),
        }
    }

    /// Merges replica `from`'s state into replica `into`.
    pub fn merge(&mut self, into: usize, from: usize) {
        match self {
            Replicas::GCounter(r) => merge_pair(r, into, from),
            Replicas::PnCounter(r) => merge_pair(r, into, from),
            Replicas::GSet(r) => merge_pair(r, into, from),
            Replicas::TwoPhaseSet(r) => merge_pair(r, into, from),
            Replicas::OrSet(r) => merge_pair(r, into, from),
            Replicas::LwwRegister(r) => merge_pair(r, into, from),
            Replicas::MvRegister(r) => merge_pair(r, into, from),
        }
    }

    /// Replica `i`'s value, printed.
    pub fn value(&self, i: usize) -> String {
        match self {
            Replicas::GCounter(r) => r[i].value().to_string(),
            Replicas::PnCounter(r) => r[i].value().to_string(),
            Replicas::GSet(r) => list(&r[i].value()),
            Replicas::TwoPhaseSet(r) => list(&r[i].value()),
            Replicas::OrSet(r) => list(&r[i].value()),
            Replicas::LwwRegister(r) => r[i]
                .value()
                .map_or_else(|| "(empty)".into(), |v| format!("{v:?}")),
            Replicas::MvRegister(r) => list(&r[i].value()),
        }
    }

    /// Replica `i`'s internal state, printed.
    pub fn state(&self, i: usize) -> String {
        match self {
            Replicas::GCounter(r) => r[i].to_string(),
            Replicas::PnCounter(r) => r[i].to_string(),
            Replicas::GSet(r) => format!("{:?}", r[i]),
            Replicas::TwoPhaseSet(r) => format!("{:?}", r[i]),
            Replicas::OrSet(r) => format!("{:?}", r[i]),
            Replicas::LwwRegister(r) => format!("{:?}", r[i]),
            Replicas::MvRegister(r) => format!("{:?}", r[i]),
        }
    }

    /// Whether the two replicas hold the same state.
    pub fn converged(&self) -> bool {
        match self {
            Replicas::GCounter(r) => r[0] == r[1],
            Replicas::PnCounter(r) => r[0] == r[1],
            Replicas::GSet(r) => r[0] == r[1],
            Replicas::TwoPhaseSet(r) => r[0] == r[1],
            Replicas::OrSet(r) => r[0] == r[1],
            Replicas::LwwRegister(r) => r[0] == r[1],
            Replicas::MvRegister(r) => r[0] == r[1],
        }
    }
}

/// The lab's URL state: the simulated run's parameters and the panel's CRDT type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabParams {
    /// The scenario's parameters.
    pub run: Params,
    /// The panel's type.
    pub kind: Kind,
}

/// Reads the lab's parameters from a query string (see [`crdt::SPEC`](SPEC)); the notes
/// say what could not be used as given.
pub fn params_from_query(query: &Query) -> (LabParams, Vec<String>) {
    let (lab, notes) = kit::read(&SPEC, query);
    let kind = Kind::ALL.get(lab.panel).copied().unwrap_or(Kind::OrSet);
    (LabParams { run: lab.run, kind }, notes)
}

/// The query string that reproduces `params`.
pub fn params_to_query(params: &LabParams) -> BTreeMap<&'static str, String> {
    let panel = Kind::ALL
        .iter()
        .position(|k| *k == params.kind)
        .unwrap_or(0);
    kit::write(
        &SPEC,
        &RunParams {
            run: params.run.clone(),
            panel,
        },
    )
}

/// The lab page.
#[function_component(CrdtLab)]
pub fn crdt_lab() -> Html {
    let (params, notes) = params_from_query(&kit::use_query());
    let run_key = format!("{:?}", params.run);
    let (seek, on_tour) = use_tour(SLUG);
    html! {
        <section class="lab" id="lab-crdt">
            <h2>{"CRDTs"}</h2>
            <p class="explain">
                {"A conflict-free replicated data type (Shapiro, Preguiça, Baquero and Zawirski 2011) lets every replica \
                update its own copy with no coordination — even while cut off — and still converge: states form a \
                join-semilattice and merge is its least upper bound, so it is commutative, associative and idempotent, \
                and replicas that have seen the same updates hold the same state whatever the order, duplication or \
                batching of the merges (strong eventual consistency). Below, PN-counter replicas update while the last \
                one is partitioned away, gossip their whole state, and converge once the partition heals; then try \
                each type by hand."}
            </p>
            <LabControls slug={SLUG} spec={SpecRef(&SPEC)} values={params_to_query(&params)} elsewhere={PANEL} {notes} steps={tour_steps()} {on_tour} />
            <CrdtRun key={run_key} params={params.run.clone()} {seek} />
            <CrdtPanel key={params.kind.name()} params={params.clone()} />
        </section>
    }
}

/// Shared run; equality is identity.
#[derive(Clone)]
struct SharedRun(Rc<Result<(Report, SharedTrace), String>>);

impl PartialEq for SharedRun {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Each replica's value over time (a step line per replica), from the run's outputs.
pub fn value_series(report: &Report, nodes: u32, end_ms: f64) -> Vec<Series> {
    (0..nodes)
        .map(|i| {
            let node = NodeId(i);
            let mut points = vec![(0.0, 0.0)];
            let mut value = 0.0;
            for r in report.outputs.iter().filter(|r| r.node == node) {
                let next = match r.output {
                    CounterOutput::Applied { value, .. } => value as f64,
                    CounterOutput::Merged { after, .. } => after as f64,
                    CounterOutput::Refused { .. } => continue,
                };
                let t = r.at.as_millis() as f64;
                points.push((t, value));
                points.push((t, next));
                value = next;
            }
            points.push((end_ms, value));
            Series {
                name: node.to_string(),
                points,
                color: PALETTE[i as usize % PALETTE.len()],
            }
        })
        .collect()
}

/// Each replica's value, and the total of every update applied anywhere, once the first
/// `shown` trace events have happened.
pub fn values_at(report: &Report, nodes: u32, shown: usize) -> (Vec<i128>, i128) {
    let mut values = vec![0i128; nodes as usize];
    let mut total = 0i128;
    for r in report
        .outputs
        .iter()
        .filter(|r| (r.event.0 as usize) < shown)
    {
        let slot = values.get_mut(r.node.0 as usize);
        match r.output {
            CounterOutput::Applied { op, value } => {
                total += match op {
                    CounterOp::Increment(by) => i128::from(by),
                    CounterOp::Decrement(by) => -i128::from(by),
                };
                if let Some(v) = slot {
                    *v = value;
                }
            }
            CounterOutput::Merged { after, .. } => {
                if let Some(v) = slot {
                    *v = after;
                }
            }
            CounterOutput::Refused { .. } => {}
        }
    }
    (values, total)
}

#[function_component(CrdtRun)]
fn crdt_run(props: &RunProps<Params>) -> Html {
    let run = use_memo(props.params.clone(), |p| {
        crdt::run(p)
            .map(|r| {
                let trace = SharedTrace::from(r.trace.clone());
                (r, trace)
            })
            .map_err(|e| e.to_string())
    });
    let run = SharedRun(run);
    let end_ms = run
        .0
        .as_ref()
        .as_ref()
        .ok()
        .and_then(|(_, t)| t.events().last())
        .map_or(1.0, |e| e.true_time.as_millis() as f64);
    let p = &props.params;
    let export_name = format!("crdt-seed{}-n{}", p.seed, p.nodes);
    let lab = use_lab_run(
        run.0.as_ref().as_ref().ok().map(|(_, t)| t.clone()),
        export_name.clone(),
        2,
        props.seek,
    );
    let playback = lab.playback.clone();
    let series = use_memo(run.clone(), move |run| match run.0.as_ref() {
        Ok((r, t)) => value_series(r, t.node_count(), end_ms),
        Err(_) => Vec::new(),
    });
    let (report, trace) = match run.0.as_ref() {
        Ok(r) => r,
        Err(e) => return run_error(e),
    };
    let position = playback.position;
    let (values, so_far) = values_at(report, p.nodes, position);
    let cursor = position
        .checked_sub(1)
        .and_then(|i| trace.events().get(i))
        .map(|e| e.true_time.as_millis() as f64);
    let shown_values: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{}={v}", NodeId(i as u32)))
        .collect();
    let invariants = vec![Invariant {
        name: "PN-counter: replicas converged".into(),
        holds: values.iter().all(|&v| v == so_far),
        detail: format!(
            "{} · updates so far add up to {so_far}",
            shown_values.join(" ")
        ),
    }];
    let last = NodeId(p.nodes - 1);
    let finals: Vec<String> = report
        .finals
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}={}", NodeId(i as u32), s.value()))
        .collect();
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} replicas · {last} offline for the first {} ms · gossip every {} ms · {} events · final {} (expected {}){}",
                    p.nodes, p.offline_ms, p.gossip_ms, trace.events().len(), finals.join(" "), report.expected,
                    report.converged_at.map_or(" — NOT converged".to_string(), |t| format!(" — converged by {} ms", t.as_millis()))) }
            </p>
            <InvariantBadges {invariants} />
            <PlaybackControls playback={playback.clone()} />
            <div class="run-body">
                <SpaceTimeDiagram trace={trace.clone()} shown={position} selected={lab.selected} on_select={lab.on_select.clone()}
                    compare={lab.compare} on_compare={lab.on_compare.clone()} />
                <EventInspector trace={trace.clone()} selected={lab.selected} compare={lab.compare} />
            </div>
            <Plot series={series} title="Each replica's counter value" x_label="true time (ms)" y_label="value" {cursor} />
            <ExportMenu name={export_name} texts={(*lab.exports).clone()} />
            <p class="keys">{"Keys: Space play/pause · ←/→ step · Home/End · +/− speed · Tab to an event, Enter to select"}</p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct PanelProps {
    params: LabParams,
}

/// Two replicas of the chosen type, operated by hand.
#[function_component(CrdtPanel)]
fn crdt_panel(props: &PanelProps) -> Html {
    let kind = props.params.kind;
    let replicas = use_state(|| Replicas::new(kind));
    let inputs = use_state(|| match kind {
        Kind::GCounter | Kind::PnCounter => [String::from("1"), String::from("1")],
        _ => [String::from("x"), String::from("y")],
    });
    let errors = use_state(|| [None::<String>, None::<String>]);
    let log = use_state(Vec::<String>::new);
    let tick = use_state(|| 0i64);
    let navigator = use_navigator();
    let on_kind = {
        let params = props.params.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                if let Some(kind) = Kind::from_name(&s.value()) {
                    let mut next = params.clone();
                    next.kind = kind;
                    kit::go(&navigator, SLUG, &params_to_query(&next));
                }
            }
        })
    };
    let names = ["A", "B"];
    let replica_card = |i: usize| {
        let oninput = {
            let inputs = inputs.clone();
            Callback::from(move |e: InputEvent| {
                if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                    let mut next = (*inputs).clone();
                    next[i] = input.value();
                    inputs.set(next);
                }
            })
        };
        let buttons = kind.ops().iter().map(|&op| {
            let replicas = replicas.clone();
            let inputs = inputs.clone();
            let errors = errors.clone();
            let log = log.clone();
            let tick = tick.clone();
            let onclick = Callback::from(move |_: MouseEvent| {
                let mut next = (*replicas).clone();
                let input = inputs[i].clone();
                let now = *tick + 1;
                let result = next.apply(i, op, &input, now);
                let mut errs = (*errors).clone();
                let mut lines = (*log).clone();
                match result {
                    Ok(()) => {
                        errs[i] = None;
                        lines.push(format!("{}: {} {}", names[i], op.label(), input.trim()));
                        replicas.set(next);
                        tick.set(now);
                    }
                    Err(e) => {
                        lines.push(format!("{}: {} {} refused: {e}", names[i], op.label(), input.trim()));
                        errs[i] = Some(e);
                    }
                }
                errors.set(errs);
                log.set(lines);
            });
            html! { <button type="button" class={classes!("crdt-op", op.class())} {onclick}>{ op.label() }</button> }
        });
        let placeholder = match kind {
            Kind::GCounter | Kind::PnCounter => "amount",
            Kind::LwwRegister | Kind::MvRegister => "value",
            _ => "element",
        };
        html! {
            <div class="crdt-replica" data-replica={names[i]}>
                <h4>{ format!("Replica {}", names[i]) }</h4>
                <label>{ placeholder }
                    <input type="text" class="crdt-input" value={inputs[i].clone()} {oninput} />
                </label>
                <div class="crdt-ops">{ for buttons }</div>
                <p>{"value: "}<output class="crdt-value">{ replicas.value(i) }</output></p>
                <p class="crdt-state"><code>{ replicas.state(i) }</code></p>
                if let Some(e) = errors[i].clone() {
                    <p class="notice crdt-error" role="alert">{ format!("refused: {e}") }</p>
                }
            </div>
        }
    };
    let merge = |into: usize, from: usize, class: &'static str| {
        let replicas = replicas.clone();
        let log = log.clone();
        let onclick = Callback::from(move |_: MouseEvent| {
            let mut next = (*replicas).clone();
            next.merge(into, from);
            replicas.set(next);
            let mut lines = (*log).clone();
            lines.push(format!("{} ← {}: merged", names[into], names[from]));
            log.set(lines);
        });
        html! { <button type="button" class={class} {onclick}>{ format!("merge {} ← {}", names[into], names[from]) }</button> }
    };
    let reset = {
        let replicas = replicas.clone();
        let log = log.clone();
        let errors = errors.clone();
        Callback::from(move |_: MouseEvent| {
            replicas.set(Replicas::new(kind));
            log.set(Vec::new());
            errors.set([None, None]);
        })
    };
    let converged = replicas.converged();
    let invariants = vec![Invariant {
        name: format!("{}: replicas converged", kind.title()),
        holds: converged,
        detail: if converged {
            format!("A and B hold the same state: {}", replicas.value(0))
        } else {
            format!("A = {} · B = {}", replicas.value(0), replicas.value(1))
        },
    }];
    html! {
        <div class="crdt-panel">
            <h3>{"Try each type by hand"}</h3>
            <label>{"type "}
                <select name="type" class="crdt-type" onchange={on_kind}>
                    { for Kind::ALL.iter().map(|k| html! {
                        <option value={k.name()} selected={*k == kind}>{ k.title() }</option>
                    }) }
                </select>
            </label>
            <p class="crdt-rule">{ kind.rule() }</p>
            <InvariantBadges {invariants} />
            <div class="crdt-replicas">
                { replica_card(0) }
                <div class="crdt-merges" role="group" aria-label="Merge">
                    { merge(0, 1, "merge-a-from-b") }
                    { merge(1, 0, "merge-b-from-a") }
                    <button type="button" class="crdt-reset" onclick={reset}>{"reset"}</button>
                </div>
                { replica_card(1) }
            </div>
            if !log.is_empty() {
                <ol class="crdt-log">{ for log.iter().map(|l| html! { <li>{ l.clone() }</li> }) }</ol>
            }
        </div>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "Working offline",
            text: "Three replicas of a counter; C (the bottom line) is partitioned away for the first 2 s. \
                   Everyone keeps updating: the badge is red because the replicas disagree.",
            query: Some("nodes=3&ops=4&gossip=200&offline=2000&seed=1"),
            at: Some(0.3),
        },
        TourStep {
            title: "The partition heals",
            text: "After 2 s C's gossip gets through. Each merge takes the larger of every slot, so no update \
                   is counted twice or lost; the plot's lines meet and the badge turns green.",
            query: None,
            at: Some(1.0),
        },
        TourStep {
            title: "A longer outage",
            text: "Ten seconds offline and five replicas: the offline replica diverges further, and still \
                   converges as soon as it can talk again — no coordination, no lost update.",
            query: Some("nodes=5&ops=6&gossip=300&offline=10000&seed=3"),
            at: Some(1.0),
        },
        TourStep {
            title: "Add wins",
            text: "In the panel below, with the OR-Set: add x on A, merge B ← A, remove x on B, add x again on A, \
                   then merge both ways. x survives: the remove only saw the first add.",
            query: Some("nodes=3&ops=4&gossip=200&offline=2000&seed=1&type=or-set"),
            at: None,
        },
        TourStep {
            title: "Removed for good",
            text: "With the 2P-Set, removing what this replica never added is refused with the core's typed error, \
                   and an element removed once can never be added back.",
            query: Some("nodes=3&ops=4&gossip=200&offline=2000&seed=1&type=2p-set"),
            at: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chronoscope::scenario::crdt::NODES;

    #[test]
    fn query_round_trips_and_bad_values_get_notes() {
        let p = LabParams {
            run: Params {
                nodes: 5,
                seed: 9,
                ..Params::default()
            },
            kind: Kind::TwoPhaseSet,
        };
        let qs: Vec<String> = params_to_query(&p)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let (back, notes) = params_from_query(&Query::parse(&qs.join("&")));
        assert_eq!(back, p);
        assert!(notes.is_empty(), "{notes:?}");
        let (p, notes) = params_from_query(&Query::parse("nodes=99&type=blob&gossip=zz"));
        assert_eq!(p.run.nodes, *NODES.end());
        assert_eq!(p.kind, Kind::OrSet);
        assert_eq!(notes.len(), 3, "{notes:?}");
    }

    #[test]
    fn every_kind_converges_after_merging_both_ways() {
        for kind in Kind::ALL {
            let mut r = Replicas::new(kind);
            for (tick, (i, input)) in [(0, "3"), (1, "4"), (0, "5")].into_iter().enumerate() {
                for &op in kind.ops() {
                    if op != OpKind::Remove && op != OpKind::Decrement {
                        r.apply(i, op, input, tick as i64 + 1).unwrap();
                    }
                }
            }
            assert!(!r.converged(), "{kind:?}");
            r.merge(0, 1);
            r.merge(1, 0);
            assert!(r.converged(), "{kind:?}");
            assert_eq!(r.value(0), r.value(1));
        }
    }

    #[test]
    fn refused_operations_show_the_core_error_and_change_nothing() {
        let mut r = Replicas::new(Kind::TwoPhaseSet);
        let before = r.clone();
        let e = r.apply(0, OpKind::Remove, "ghost", 1).unwrap_err();
        assert_eq!(e, "element is not in the set");
        assert_eq!(r, before);
        r.apply(0, OpKind::Add, "x", 2).unwrap();
        r.apply(0, OpKind::Remove, "x", 3).unwrap();
        assert_eq!(
            r.apply(0, OpKind::Add, "x", 4).unwrap_err(),
            "element was removed and cannot be re-added"
        );
        assert_eq!(r.value(0), "{}");
        assert!(Replicas::new(Kind::GCounter)
            .apply(0, OpKind::Increment, "-2", 1)
            .is_err());
        assert!(Replicas::new(Kind::GSet)
            .apply(0, OpKind::Remove, "x", 1)
            .is_err());
    }

    #[test]
    fn the_run_converges_and_the_badge_follows_playback() {
        let p = Params::default();
        let r = crdt::run(&p).unwrap();
        let events = r.trace.events().len();
        let (end, total) = values_at(&r, p.nodes, events);
        assert!(end.iter().all(|&v| v == total));
        assert_eq!(total, r.expected);
        // Somewhere in the middle (C offline) the replicas disagree.
        assert!((0..events).any(|k| {
            let (v, t) = values_at(&r, p.nodes, k);
            v.iter().any(|&x| x != t)
        }));
        let s = value_series(&r, p.nodes, 10_000.0);
        assert_eq!(s.len(), 3);
        assert!(s
            .iter()
            .all(|l| l.points.last().map(|p| p.1) == Some(r.expected as f64)));
    }
}

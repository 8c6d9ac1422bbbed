//! The CRDT lab's hands-on panel: two replicas of a G-Counter, PN-Counter, G-Set, 2P-Set,
//! OR-Set, LWW- or MV-Register (Shapiro, Preguiça, Baquero, Zawirski 2011, §3), operated by
//! hand and merged both ways. The CRDTs are the core's (`chronoscope::crdt`, through
//! [`crdt_replicas`](super::crdt_replicas)); this file only applies what the buttons ask for
//! and shows the states, the merge rule and convergence.

use std::rc::Rc;

use yew_router::prelude::*;

use super::crdt::{params_to_query, LabParams, SLUG};
pub use super::crdt_replicas::{Kind, OpKind, Replicas};
use super::kit::{self, prelude::*};

/// Props of [`CrdtPanel`].
#[derive(Properties, PartialEq)]
pub struct PanelProps {
    /// The lab's parameters (the panel's type among them).
    pub params: LabParams,
}

/// The names of the two replicas.
const NAMES: [&str; 2] = ["A", "B"];

/// The panel's state: both replicas, what each input holds, each replica's last refusal, the
/// log, and the logical tick LWW stamps use.
#[derive(Clone)]
pub struct PanelState {
    kind: Kind,
    replicas: Replicas,
    inputs: [String; 2],
    errors: [Option<String>; 2],
    log: Vec<String>,
    tick: i64,
}

impl PanelState {
    /// Fresh replicas of `kind`.
    pub fn new(kind: Kind) -> Self {
        PanelState {
            kind,
            replicas: Replicas::new(kind),
            inputs: match kind {
                Kind::GCounter | Kind::PnCounter => ["1".into(), "1".into()],
                _ => ["x".into(), "y".into()],
            },
            errors: [None, None],
            log: Vec::new(),
            tick: 0,
        }
    }
}

/// What the panel's controls ask for.
pub enum PanelAction {
    /// Replica `.0`'s input now reads `.1`.
    Input(usize, String),
    /// Apply `op` with its input to replica `.0`.
    Apply(usize, OpKind),
    /// Merge replica `from` into `into`.
    Merge {
        /// The replica that changes.
        into: usize,
        /// The replica merged in.
        from: usize,
    },
    /// Start again from fresh replicas.
    Reset,
}

impl Reducible for PanelState {
    type Action = PanelAction;

    fn reduce(self: Rc<Self>, action: PanelAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            PanelAction::Input(i, value) => next.inputs[i] = value,
            PanelAction::Apply(i, op) => {
                let input = next.inputs[i].trim().to_string();
                let now = next.tick + 1;
                match next.replicas.apply(i, op, &input, now) {
                    Ok(()) => {
                        next.errors[i] = None;
                        next.tick = now;
                        next.log
                            .push(format!("{}: {} {input}", NAMES[i], op.label()));
                    }
                    Err(e) => {
                        next.log
                            .push(format!("{}: {} {input} refused: {e}", NAMES[i], op.label()));
                        next.errors[i] = Some(e);
                    }
                }
            }
            PanelAction::Merge { into, from } => {
                next.replicas.merge(into, from);
                next.log
                    .push(format!("{} ← {}: merged", NAMES[into], NAMES[from]));
            }
            PanelAction::Reset => next = PanelState::new(self.kind),
        }
        Rc::new(next)
    }
}

/// Two replicas of the chosen type, operated by hand.
#[function_component(CrdtPanel)]
pub fn crdt_panel(props: &PanelProps) -> Html {
    let kind = props.params.kind;
    let state = use_reducer(|| PanelState::new(kind));
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
    let send: Callback<PanelAction> = {
        let dispatcher = state.dispatcher();
        Callback::from(move |a| dispatcher.dispatch(a))
    };
    let replicas = &state.replicas;
    let replica_card = |i: usize| {
        let oninput = send.reform(move |e: InputEvent| {
            let value = e
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .map(|input| input.value())
                .unwrap_or_default();
            PanelAction::Input(i, value)
        });
        let buttons = kind.ops().iter().map(|&op| {
            let onclick = send.reform(move |_: MouseEvent| PanelAction::Apply(i, op));
            html! { <button type="button" class={classes!("crdt-op", op.class())} {onclick}>{ op.label() }</button> }
        });
        let placeholder = match kind {
            Kind::GCounter | Kind::PnCounter => "amount",
            Kind::LwwRegister | Kind::MvRegister => "value",
            _ => "element",
        };
        html! {
            <div class="crdt-replica" data-replica={NAMES[i]}>
                <h4>{ format!("Replica {}", NAMES[i]) }</h4>
                <label>{ placeholder }
                    <input type="text" class="crdt-input" value={state.inputs[i].clone()} {oninput} />
                </label>
                <div class="crdt-ops">{ for buttons }</div>
                <p>{"value: "}<output class="crdt-value">{ replicas.value(i) }</output></p>
                <p class="crdt-state"><code>{ replicas.state(i) }</code></p>
                if let Some(e) = state.errors[i].clone() {
                    <p class="notice crdt-error" role="alert">{ format!("refused: {e}") }</p>
                }
            </div>
        }
    };
    let merge = |into: usize, from: usize, class: &'static str| {
        let onclick = send.reform(move |_: MouseEvent| PanelAction::Merge { into, from });
        html! { <button type="button" class={class} {onclick}>{ format!("merge {} ← {}", NAMES[into], NAMES[from]) }</button> }
    };
    let reset = send.reform(|_: MouseEvent| PanelAction::Reset);
    let log = &state.log;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panel_reducer_applies_refuses_merges_and_resets() {
        let act = |s: Rc<PanelState>, a| s.reduce(a);
        let s = Rc::new(PanelState::new(Kind::TwoPhaseSet));
        let s = act(s, PanelAction::Input(0, "milk".into()));
        let s = act(s, PanelAction::Apply(0, OpKind::Add));
        let s = act(s, PanelAction::Input(1, "eggs".into()));
        let s = act(s, PanelAction::Apply(1, OpKind::Remove));
        assert!(
            s.errors[1].is_some(),
            "removing what B never added is refused"
        );
        assert!(!s.replicas.converged());
        let s = act(s, PanelAction::Merge { into: 0, from: 1 });
        let s = act(s, PanelAction::Merge { into: 1, from: 0 });
        assert!(s.replicas.converged());
        assert_eq!(s.log.len(), 4, "{:?}", s.log);
        let s = act(s, PanelAction::Reset);
        assert!(s.log.is_empty() && s.errors == [None, None]);
    }
}

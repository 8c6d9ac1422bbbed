//! A tab's outgoing network controls, shared by every real-tabs lab: the delay, drop and
//! duplicate rules of the simulator's network model applied to this tab's posts, and a
//! "hold link" button per peer (its messages wait until released). The rules live in the
//! tab runtime (`TabRuntime::set_delay/set_drop/set_duplicate/set_held`); this view only
//! reads and sets them.

use std::cell::RefCell;
use std::rc::Rc;

use chronoscope::node::NodeId;
use chronoscope::sim::Latency;
use yew::prelude::*;

use crate::tabs::browser::now_ms;
use crate::tabs::runtime::{TabRuntime, WireCodec, MAX_DELAY_MS};

/// What to do after a control changed the runtime (redraw; kick the connection).
pub type After = Rc<dyn Fn()>;

/// The fieldset with delay (ms), drop (%) and duplicate for this tab's outgoing messages.
pub fn controls<C: WireCodec + 'static>(
    runtime: &Rc<RefCell<TabRuntime<C>>>,
    after: &After,
) -> Html {
    let number = |apply: fn(&mut TabRuntime<C>, u32), max: u32| {
        let (runtime, after) = (runtime.clone(), after.clone());
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                let value = input.value().trim().parse::<u32>().unwrap_or(0).min(max);
                apply(&mut runtime.borrow_mut(), value);
                after();
            }
        })
    };
    let on_delay = number(TabRuntime::set_delay, MAX_DELAY_MS);
    let on_drop = number(TabRuntime::set_drop, 100);
    let on_dup = {
        let (runtime, after) = (runtime.clone(), after.clone());
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                runtime.borrow_mut().set_duplicate(input.checked());
                after();
            }
        })
    };
    let rt = runtime.borrow();
    let delay = match rt.network().latency {
        Latency::Constant(d) => d.as_millis_f64() as u32,
        _ => 0,
    };
    let drop_percent = (rt.network().loss * 100.0).round() as u32;
    let counters = rt.counters();
    html! {
        <fieldset class="net-controls">
            <legend>{"This tab's outgoing network (the simulator's link rules)"}</legend>
            <label>{"delay (ms) "}
                <input class="ctl-delay" type="number" min="0" max={MAX_DELAY_MS.to_string()} value={delay.to_string()} onchange={on_delay} />
            </label>
            <label>{" drop (%) "}
                <input class="ctl-drop" type="number" min="0" max="100" value={drop_percent.to_string()} onchange={on_drop} />
            </label>
            <label>
                <input class="ctl-dup" type="checkbox" checked={rt.network().duplicate > 0.0} onchange={on_dup} />
                {" post every message twice"}
            </label>
            <p class="net-counters">{ format!("sent {} · posted {} · dropped {} · received {}",
                counters.sent, counters.posted, counters.dropped, counters.delivered) }</p>
        </fieldset>
    }
}

/// The button that holds (or releases) this tab's link to `peer`, with how many messages wait.
pub fn hold_button<C: WireCodec + 'static>(
    runtime: &Rc<RefCell<TabRuntime<C>>>,
    peer: NodeId,
    after: &After,
) -> Html {
    let onclick = {
        let (runtime, after) = (runtime.clone(), after.clone());
        Callback::from(move |_: MouseEvent| {
            {
                let mut rt = runtime.borrow_mut();
                let held = rt.is_held(peer);
                rt.set_held(peer, !held, now_ms());
            }
            after();
        })
    };
    let rt = runtime.borrow();
    let is_held = rt.is_held(peer);
    let waiting = rt.held().get(&peer).copied().unwrap_or(0);
    html! {
        <button type="button" class={classes!("hold", is_held.then_some("held"))} data-peer={peer.0.to_string()}
            aria-pressed={is_held.to_string()} onclick={onclick}>
            { if is_held { format!("Release link ({waiting} waiting)") } else { "Hold link".to_string() } }
        </button>
    }
}

//! Playback of a run: the state machine behind play / pause / step / step back / scrub /
//! speed, and the controls that drive it (buttons, a range slider and keyboard shortcuts).
//!
//! State changes go through [`PlaybackAction`] and [`Playback::reduce`] (Yew's `Reducible`),
//! so two events in one frame never lose an update. The component that owns the playback
//! owns its interval timer ([`use_playback_timer`]): dropping the component cancels it.

use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::Interval;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Speeds offered, as multiples of the base rate ([`BASE_EVENTS_PER_SECOND`]).
pub const SPEEDS: [f64; 6] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0];
/// Events revealed per second at speed 1×.
pub const BASE_EVENTS_PER_SECOND: f64 = 4.0;

/// Where playback stands.
#[derive(Clone, Debug, PartialEq)]
pub struct Playback {
    /// Number of events shown (0 ..= total).
    pub position: usize,
    /// Number of events in the run.
    pub total: usize,
    /// Whether the animation is running.
    pub playing: bool,
    /// Index into [`SPEEDS`].
    pub speed: usize,
}

/// Everything a user can do to playback.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PlaybackAction {
    /// Start (from the beginning if at the end).
    Play,
    /// Stop.
    Pause,
    /// Play if paused, pause if playing.
    Toggle,
    /// Show one more event (pauses).
    Step,
    /// Show one event fewer (pauses).
    StepBack,
    /// Jump to a position (pauses).
    Seek(usize),
    /// Jump to the start.
    First,
    /// Jump to the end.
    Last,
    /// Faster.
    SpeedUp,
    /// Slower.
    SlowDown,
    /// Advance by one event while playing (from the timer).
    Tick,
    /// A new run with `total` events: start over.
    Load(usize),
}

impl Playback {
    /// A paused playback at the start of a run of `total` events.
    pub fn new(total: usize) -> Self {
        Playback {
            position: 0,
            total,
            playing: false,
            speed: 2,
        }
    }

    /// The speed multiple.
    pub fn speed_factor(&self) -> f64 {
        SPEEDS[self.speed.min(SPEEDS.len() - 1)]
    }

    /// Milliseconds between timer ticks at this speed.
    pub fn tick_millis(&self) -> u32 {
        (1000.0 / (BASE_EVENTS_PER_SECOND * self.speed_factor())) as u32
    }

    /// The state after `action` (pure; used by the reducer and by tests).
    pub fn apply(&self, action: PlaybackAction) -> Playback {
        let mut next = self.clone();
        match action {
            PlaybackAction::Play => {
                if next.position >= next.total {
                    next.position = 0;
                }
                next.playing = next.total > 0;
            }
            PlaybackAction::Pause => next.playing = false,
            PlaybackAction::Toggle => {
                return self.apply(if self.playing {
                    PlaybackAction::Pause
                } else {
                    PlaybackAction::Play
                })
            }
            PlaybackAction::Step => {
                next.playing = false;
                next.position = (next.position + 1).min(next.total);
            }
            PlaybackAction::StepBack => {
                next.playing = false;
                next.position = next.position.saturating_sub(1);
            }
            PlaybackAction::Seek(p) => {
                next.playing = false;
                next.position = p.min(next.total);
            }
            PlaybackAction::First => {
                next.playing = false;
                next.position = 0;
            }
            PlaybackAction::Last => {
                next.playing = false;
                next.position = next.total;
            }
            PlaybackAction::SpeedUp => next.speed = (next.speed + 1).min(SPEEDS.len() - 1),
            PlaybackAction::SlowDown => next.speed = next.speed.saturating_sub(1),
            PlaybackAction::Tick => {
                if next.playing {
                    next.position = (next.position + 1).min(next.total);
                    next.playing = next.position < next.total;
                }
            }
            PlaybackAction::Load(total) => {
                next = Playback {
                    speed: self.speed,
                    ..Playback::new(total)
                }
            }
        }
        next
    }
}

impl Reducible for Playback {
    type Action = PlaybackAction;
    fn reduce(self: Rc<Self>, action: PlaybackAction) -> Rc<Self> {
        let next = self.apply(action);
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

/// The keyboard shortcut for `key` (a `KeyboardEvent.key` value), if any.
pub fn shortcut(key: &str) -> Option<PlaybackAction> {
    Some(match key {
        " " | "k" => PlaybackAction::Toggle,
        "ArrowRight" | "l" | "." => PlaybackAction::Step,
        "ArrowLeft" | "j" | "," => PlaybackAction::StepBack,
        "Home" => PlaybackAction::First,
        "End" => PlaybackAction::Last,
        "+" | "=" | "]" => PlaybackAction::SpeedUp,
        "-" | "[" => PlaybackAction::SlowDown,
        _ => return None,
    })
}

/// What the focused element does with keys of its own, which the shortcuts leave to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// Text entry (a text-like `input`, a `textarea`, a `select`, editable content): every
    /// key belongs to it.
    TextEntry,
    /// Activated by Space and Enter (a button, a link, a checkbox, anything with a button-like
    /// role): those two keys belong to it; the other shortcuts still work.
    Activatable,
    /// Anything else (the page, a range slider): every shortcut works.
    Other,
}

/// Input types that take no typing.
const UNTYPED_INPUTS: [&str; 9] = [
    "range", "checkbox", "radio", "button", "submit", "reset", "image", "color", "file",
];

/// Classifies a focused element by its tag name (upper or lower case), its `type` attribute
/// (for inputs), its `role` attribute and whether it is editable content.
pub fn focus_of(tag: &str, input_type: &str, role: &str, editable: bool) -> Focus {
    let tag = tag.to_ascii_uppercase();
    let input_type = input_type.to_ascii_lowercase();
    match tag.as_str() {
        _ if editable => Focus::TextEntry,
        "TEXTAREA" | "SELECT" => Focus::TextEntry,
        "INPUT" if !UNTYPED_INPUTS.contains(&input_type.as_str()) => Focus::TextEntry,
        "INPUT" if input_type == "range" => Focus::Other,
        "INPUT" | "BUTTON" | "A" | "SUMMARY" => Focus::Activatable,
        _ if matches!(
            role,
            "button" | "link" | "checkbox" | "radio" | "switch" | "menuitem" | "tab" | "option"
        ) =>
        {
            Focus::Activatable
        }
        _ => Focus::Other,
    }
}

/// The shortcut for `key` when the focus is on an element of kind `focus`: none while typing,
/// and neither Space nor Enter on an element they activate (so a focused button is pressed
/// once, never also toggling playback).
pub fn shortcut_in(key: &str, focus: Focus) -> Option<PlaybackAction> {
    match focus {
        Focus::TextEntry => None,
        Focus::Activatable if matches!(key, " " | "Enter") => None,
        _ => shortcut(key),
    }
}

/// The kind of the element a keyboard event is aimed at.
fn focus_of_target(event: &web_sys::KeyboardEvent) -> Focus {
    let Some(el) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return Focus::Other;
    };
    let attr = |name: &str| el.get_attribute(name).unwrap_or_default();
    let editable = el
        .dyn_ref::<web_sys::HtmlElement>()
        .is_some_and(|h| h.is_content_editable());
    focus_of(&el.tag_name(), &attr("type"), &attr("role"), editable)
}

/// Runs the playback timer while `playing`; the interval is dropped (cancelled) whenever
/// playback stops, the speed changes or the component unmounts.
#[hook]
pub fn use_playback_timer(playback: UseReducerHandle<Playback>) {
    let playing = playback.playing;
    let millis = playback.tick_millis();
    let dispatcher = playback.dispatcher();
    use_effect_with((playing, millis), move |&(playing, millis)| {
        let interval = playing.then(|| {
            Interval::new(millis.max(10), move || {
                dispatcher.dispatch(PlaybackAction::Tick)
            })
        });
        move || drop(interval)
    });
}

/// Moves playback to a fraction of the run whenever a new request arrives (a guided tour's
/// step): `seek` is `(request number, fraction)`, so asking twice for the same spot still moves.
#[hook]
pub fn use_seek(playback: UseReducerHandle<Playback>, seek: Option<(u32, f64)>) {
    use_effect_with(seek, move |seek| {
        if let Some((_, at)) = seek {
            let position = (at * playback.total as f64).round() as usize;
            playback.dispatch(PlaybackAction::Seek(position));
        }
    });
}

/// Installs the playback keyboard shortcuts on the document while mounted. Keys typed into
/// text fields, Space and Enter on buttons and links, and keys a control already handled
/// (its default prevented) are left alone: see [`shortcut_in`].
#[hook]
pub fn use_playback_keys(playback: UseReducerHandle<Playback>) {
    let dispatcher = playback.dispatcher();
    use_effect_with((), move |_| {
        let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
            let options = EventListenerOptions::enable_prevent_default();
            EventListener::new_with_options(&doc, "keydown", options, move |event| {
                let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                    return;
                };
                if event.ctrl_key() || event.meta_key() || event.alt_key() {
                    return;
                }
                if event.default_prevented() {
                    return;
                }
                if let Some(action) = shortcut_in(&event.key(), focus_of_target(event)) {
                    event.prevent_default();
                    dispatcher.dispatch(action);
                }
            })
        });
        move || drop(listener)
    });
}

/// Props of [`PlaybackControls`].
#[derive(Properties, PartialEq)]
pub struct PlaybackControlsProps {
    /// The playback being controlled.
    pub playback: UseReducerHandle<Playback>,
}

/// Play / pause / step / step back / scrub / speed controls.
#[function_component(PlaybackControls)]
pub fn playback_controls(props: &PlaybackControlsProps) -> Html {
    let p = props.playback.clone();
    let act = |action: PlaybackAction| {
        let p = p.clone();
        Callback::from(move |_: MouseEvent| p.dispatch(action))
    };
    let on_scrub = {
        let p = p.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                if let Ok(v) = input.value().parse::<usize>() {
                    p.dispatch(PlaybackAction::Seek(v));
                }
            }
        })
    };
    html! {
        <div class="playback" role="group" aria-label="Playback">
            <button class="pb-first" onclick={act(PlaybackAction::First)} title="Start (Home)" aria-label="Go to start">{"|◀"}</button>
            <button class="pb-back" onclick={act(PlaybackAction::StepBack)} title="Step back (←)" aria-label="Step back">{"◀ step"}</button>
            <button class="pb-toggle" onclick={act(PlaybackAction::Toggle)} title="Play/pause (Space)"
                aria-label={if p.playing { "Pause" } else { "Play" }}>
                { if p.playing { "‖ Pause" } else { "▶ Play" } }
            </button>
            <button class="pb-step" onclick={act(PlaybackAction::Step)} title="Step (→)" aria-label="Step forward">{"step ▶"}</button>
            <button class="pb-last" onclick={act(PlaybackAction::Last)} title="End (End)" aria-label="Go to end">{"▶|"}</button>
            <input class="pb-scrub" type="range" min="0" max={p.total.to_string()} value={p.position.to_string()}
                oninput={on_scrub} aria-label="Scrub through the run" />
            <span class="pb-position" aria-live="polite">{ format!("event {} / {}", p.position, p.total) }</span>
            <button class="pb-slower" onclick={act(PlaybackAction::SlowDown)} title="Slower (-)" aria-label="Slower">{"−"}</button>
            <span class="pb-speed">{ format!("{}×", p.speed_factor()) }</span>
            <button class="pb-faster" onclick={act(PlaybackAction::SpeedUp)} title="Faster (+)" aria-label="Faster">{"+"}</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn play_runs_to_the_end_and_stops() {
        let mut p = Playback::new(3).apply(PlaybackAction::Play);
        assert!(p.playing);
        for _ in 0..5 {
            p = p.apply(PlaybackAction::Tick);
        }
        assert_eq!((p.position, p.playing), (3, false));
        let again = p.apply(PlaybackAction::Play);
        assert_eq!(
            (again.position, again.playing),
            (0, true),
            "play at the end restarts"
        );
    }

    #[test]
    fn steps_and_seeks_stay_in_range_and_pause() {
        let p = Playback::new(2).apply(PlaybackAction::Play);
        let p = p.apply(PlaybackAction::StepBack);
        assert_eq!((p.position, p.playing), (0, false));
        let p = p.apply(PlaybackAction::Seek(99));
        assert_eq!(p.position, 2);
        let p = p.apply(PlaybackAction::Step);
        assert_eq!(p.position, 2);
        assert!(!Playback::new(0).apply(PlaybackAction::Play).playing);
    }

    #[test]
    fn speed_is_bounded_and_changes_the_tick() {
        let mut p = Playback::new(1);
        let base = p.tick_millis();
        for _ in 0..10 {
            p = p.apply(PlaybackAction::SpeedUp);
        }
        assert_eq!(p.speed_factor(), 8.0);
        assert!(p.tick_millis() < base);
        for _ in 0..10 {
            p = p.apply(PlaybackAction::SlowDown);
        }
        assert_eq!(p.speed_factor(), 0.25);
    }

    #[test]
    fn shortcuts_leave_typing_and_activation_alone() {
        let text = focus_of("INPUT", "number", "", false);
        assert_eq!(text, Focus::TextEntry);
        assert_eq!(focus_of("input", "", "", false), Focus::TextEntry);
        assert_eq!(focus_of("SELECT", "", "", false), Focus::TextEntry);
        assert_eq!(focus_of("TEXTAREA", "", "", false), Focus::TextEntry);
        assert_eq!(focus_of("DIV", "", "", true), Focus::TextEntry);
        assert_eq!(shortcut_in("ArrowRight", text), None);
        assert_eq!(shortcut_in(" ", text), None);

        let range = focus_of("INPUT", "range", "", false);
        assert_eq!(range, Focus::Other);
        assert_eq!(shortcut_in(" ", range), Some(PlaybackAction::Toggle));
        assert_eq!(shortcut_in("End", range), Some(PlaybackAction::Last));

        for (tag, ty, role) in [
            ("BUTTON", "", ""),
            ("INPUT", "checkbox", ""),
            ("A", "", ""),
            ("circle", "", "button"),
        ] {
            let focus = focus_of(tag, ty, role, false);
            assert_eq!(focus, Focus::Activatable, "{tag} {ty} {role}");
            assert_eq!(shortcut_in(" ", focus), None, "{tag}: Space presses it");
            assert_eq!(shortcut_in("Enter", focus), None, "{tag}: Enter presses it");
            assert_eq!(shortcut_in("End", focus), Some(PlaybackAction::Last));
            assert_eq!(shortcut_in("k", focus), Some(PlaybackAction::Toggle));
        }
        assert_eq!(
            shortcut_in(" ", focus_of("BODY", "", "", false)),
            Some(PlaybackAction::Toggle)
        );
    }

    #[test]
    fn shortcuts_cover_the_controls() {
        assert_eq!(shortcut(" "), Some(PlaybackAction::Toggle));
        assert_eq!(shortcut("ArrowLeft"), Some(PlaybackAction::StepBack));
        assert_eq!(shortcut("x"), None);
    }
}

//! A lab run's state in the page: the playback (with its timer, keys and tour seeks), the
//! selected and compared events, the trace exports — and the pieces every run view draws
//! with them (the diagram beside the inspector, the exports and the keys line).

use std::collections::BTreeSet;
use std::rc::Rc;

use chronoscope::trace::{EventId, Trace};
use yew::prelude::*;

use super::Seek;
use crate::components::diagram::{Shared, SpaceTimeDiagram};
use crate::components::export::{use_trace_exports, ExportMenu, TextExport};
use crate::components::inspector::EventInspector;
use crate::components::playback::{
    use_playback_keys, use_playback_timer, use_seek, Playback, PlaybackAction,
};
use crate::components::SharedTrace;

/// A playback over `total` events that starts playing at speed index `speed` (see
/// [`SPEEDS`](crate::components::playback::SPEEDS)), with its timer and keys, honouring
/// tour seek requests.
#[hook]
pub fn use_lab_playback(total: usize, speed: usize, seek: Seek) -> UseReducerHandle<Playback> {
    let playback = use_reducer(move || {
        Playback {
            speed,
            ..Playback::new(total)
        }
        .apply(PlaybackAction::Play)
    });
    use_playback_timer(playback.clone());
    use_playback_keys(playback.clone());
    use_seek(playback.clone(), seek);
    playback
}

/// What a run's view needs besides the run: its playback, the selected and compared
/// events, and the trace exports.
pub struct LabRun {
    /// The playback (timer and keys attached).
    pub playback: UseReducerHandle<Playback>,
    /// The selected event.
    pub selected: Option<EventId>,
    /// The event compared with it.
    pub compare: Option<EventId>,
    /// Selects an event.
    pub on_select: Callback<EventId>,
    /// Picks the event to compare with.
    pub on_compare: Callback<EventId>,
    /// Selects a pair (the first selected, the second compared), playing far enough to show
    /// both.
    pub select_pair: Callback<(EventId, EventId)>,
    /// The trace's exports (JSON, ShiViz, Mermaid, DOT).
    pub exports: Rc<Vec<TextExport>>,
    /// The name the exports are saved under.
    pub export_name: String,
}

/// The line under every run naming its keyboard shortcuts.
const KEYS: &str = "Keys: Space play/pause · ←/→ step · Home/End · +/− speed · Tab to the diagram, arrow keys between events, Enter to select";

impl LabRun {
    /// The space-time diagram of `trace` up to the playback position, beside the event
    /// inspector (with `side` above it); the events in `marked` are ringed.
    pub fn body(
        &self,
        trace: &SharedTrace,
        marked: Option<Shared<BTreeSet<EventId>>>,
        side: Option<Html>,
    ) -> Html {
        let inspector = html! {
            <EventInspector trace={trace.clone()} selected={self.selected} compare={self.compare} />
        };
        html! {
            <div class="run-body">
                <SpaceTimeDiagram trace={trace.clone()} shown={self.playback.position} selected={self.selected}
                    on_select={self.on_select.clone()} compare={self.compare} on_compare={self.on_compare.clone()} {marked} />
                if let Some(side) = side {
                    <div class="side">{ side }{ inspector }</div>
                } else {
                    { inspector }
                }
            </div>
        }
    }

    /// The run's exports (the trace's, then `extra`) and the line naming the keys.
    pub fn footer(&self, name: impl Into<AttrValue>, extra: Vec<TextExport>) -> Html {
        let texts: Vec<TextExport> = self.exports.iter().cloned().chain(extra).collect();
        html! {
            <>
                <ExportMenu name={name.into()} {texts} />
                <p class="keys">{ KEYS }</p>
            </>
        }
    }
}

/// A CSV export named `name.csv` whose contents `csv` writes when it is downloaded.
pub fn csv_export(name: &str, csv: impl Fn() -> String + 'static) -> TextExport {
    TextExport {
        label: "CSV",
        filename: format!("{name}.csv"),
        mime: "text/csv",
        contents: Rc::new(csv),
    }
}

/// The true time in seconds of the last of the first `shown` events (none before any): where
/// a plot over true time draws its cursor.
pub fn cursor_s(trace: &Trace, shown: usize) -> Option<f64> {
    shown
        .checked_sub(1)
        .and_then(|i| trace.events().get(i))
        .map(|e| e.true_time.as_millis_f64() / 1_000.0)
}

/// A step plot of a count that changes at the given times (ms), starting from zero.
pub fn step_points(changes: impl IntoIterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    let mut points = vec![(0.0, 0.0)];
    for (x, y) in changes {
        points.push((x, points.last().map_or(0.0, |p| p.1)));
        points.push((x, y));
    }
    points
}

/// The playback, selection and exports of a run whose trace is `trace` (none if the run
/// failed), starting at speed index `speed`, honouring `seek`.
#[hook]
pub fn use_lab_run(
    trace: Option<SharedTrace>,
    export_name: String,
    speed: usize,
    seek: Seek,
) -> LabRun {
    let total = trace.as_ref().map_or(0, |t| t.events().len());
    let playback = use_lab_playback(total, speed, seek);
    let selected = use_state(|| None::<EventId>);
    let compare = use_state(|| None::<EventId>);
    let exports = use_trace_exports(export_name.clone(), trace);
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |e: EventId| selected.set(Some(e)))
    };
    let on_compare = {
        let compare = compare.clone();
        Callback::from(move |e: EventId| compare.set(Some(e)))
    };
    let select_pair = {
        let (selected, compare, playback) = (selected.clone(), compare.clone(), playback.clone());
        Callback::from(move |(a, b): (EventId, EventId)| {
            let need = a.index().max(b.index()) + 1;
            if playback.position < need {
                playback.dispatch(PlaybackAction::Seek(need));
            }
            selected.set(Some(a));
            compare.set(Some(b));
        })
    };
    LabRun {
        playback,
        select_pair,
        selected: *selected,
        compare: *compare,
        on_select,
        on_compare,
        exports,
        export_name,
    }
}

//! Space-time diagram layout: a pure function from a [`Trace`] (and a playback position) to
//! positioned lanes, lane labels, dots and arrows, in SVG user units.
//!
//! The diagram follows Lamport's 1978 figures turned sideways (as ShiViz and most textbooks
//! draw it): one horizontal line per node, time flowing left to right. The x axis is the
//! trace's *event order* (one column per event) so that simultaneous or nearly simultaneous
//! events never overlap; true time is shown in the inspector. Lane names live in a gutter left
//! of every lane ([`Gutter`]): the invariant kept is that no label's box reaches a lane line or
//! an event dot (long names are shortened with an ellipsis; the view shows the full name on
//! hover). Keyboard moves between events ([`step`]) are pure as well. Being pure, the layout is
//! unit tested natively and shared by every lab.

use chronoscope::node::NodeId;
use chronoscope::trace::{EventId, EventKind, Message, MessageFate, MessageId, Trace};

/// Spacing and margins of the diagram, in SVG units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayoutOptions {
    /// Horizontal distance between consecutive events.
    pub column: f64,
    /// Vertical distance between node lanes.
    pub lane: f64,
    /// Top margin.
    pub top: f64,
}

impl Default for LayoutOptions {
    fn default() -> Self {
        LayoutOptions {
            column: 28.0,
            lane: 52.0,
            top: 28.0,
        }
    }
}

/// Radius of an event dot.
pub const DOT_RADIUS: f64 = 7.0;
/// How far a dot's outline and focus ring reach beyond its radius.
pub const DOT_HALO: f64 = 5.0;
/// Font size of lane labels (a monospace font, so a label's width follows from its length).
pub const LABEL_FONT: f64 = 14.0;
/// Width budget of one narrow character of a label: monospace fonts advance 0.6 em; the
/// budget keeps a margin so the drawn text never reaches past its computed box.
pub const LABEL_CHAR: f64 = 0.62 * LABEL_FONT;
/// Longest label, in narrow characters (wide characters count two); longer names are
/// shortened with an ellipsis.
pub const LABEL_MAX: usize = 14;
/// Where labels start, from the left edge.
const LABEL_X: f64 = 8.0;
/// Space between the end of the longest label and the gutter's edge.
const GUTTER_GAP: f64 = 10.0;
/// Space between the gutter's edge and the start of the lane lines.
const LANE_GAP: f64 = 4.0;
/// Space between the start of a lane line and the first column, so a dot (with its halo)
/// never reaches back into the gutter, whatever the zoom.
const LEAD: f64 = DOT_RADIUS + DOT_HALO + 2.0;

/// One lane's name as drawn in the gutter.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneLabel {
    /// The text drawn: the name, shortened with "…" when too long.
    pub text: String,
    /// The full name (shown on hover).
    pub full: String,
    /// Left end of the text.
    pub x: f64,
    /// Baseline of the text.
    pub baseline: f64,
    /// The box the drawn text stays inside: (left, top, right, bottom).
    pub bounds: (f64, f64, f64, f64),
}

/// The column of lane names left of the lanes.
#[derive(Clone, Debug, PartialEq)]
pub struct Gutter {
    /// Its width: lanes start right of it.
    pub width: f64,
    /// One label per lane, in lane order.
    pub labels: Vec<LaneLabel>,
}

/// How many narrow-character widths `c` takes in a monospace font (East Asian wide
/// characters and emoji take two).
fn char_units(c: char) -> usize {
    let wide = matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF | 0x20000..=0x3FFFD);
    if wide {
        2
    } else {
        1
    }
}

/// `name` as drawn: control characters become spaces, surrounding blanks go, and a name
/// longer than [`LABEL_MAX`] keeps its start and ends with "…". Returns the text and its width
/// in narrow-character units.
pub fn shorten(name: &str) -> (String, usize) {
    let clean: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.trim();
    let units: usize = clean.chars().map(char_units).sum();
    if units <= LABEL_MAX {
        return (clean.to_string(), units);
    }
    let mut text = String::new();
    let mut used = 0;
    for c in clean.chars() {
        if used + char_units(c) > LABEL_MAX - 1 {
            break;
        }
        used += char_units(c);
        text.push(c);
    }
    let text = text.trim_end().to_string();
    let used = text.chars().map(char_units).sum::<usize>() + 1;
    (text + "…", used)
}

/// The gutter for lanes at heights `ys`, named `names[i]` (node ids when missing).
pub fn gutter(lanes: &[(NodeId, f64)], names: &[String]) -> Gutter {
    let labels: Vec<(LaneLabel, usize)> = lanes
        .iter()
        .map(|&(node, y)| {
            let full = names
                .get(node.index())
                .cloned()
                .unwrap_or_else(|| node.to_string());
            let (text, units) = shorten(&full);
            let baseline = y + LABEL_FONT * 0.35;
            let right = LABEL_X + units as f64 * LABEL_CHAR;
            let label = LaneLabel {
                text,
                full,
                x: LABEL_X,
                baseline,
                bounds: (
                    LABEL_X,
                    baseline - LABEL_FONT,
                    right,
                    baseline + LABEL_FONT * 0.35,
                ),
            };
            (label, units)
        })
        .collect();
    let widest = labels.iter().map(|(_, u)| *u).max().unwrap_or(1).max(1);
    Gutter {
        width: LABEL_X + widest as f64 * LABEL_CHAR + GUTTER_GAP,
        labels: labels.into_iter().map(|(l, _)| l).collect(),
    }
}

/// One node's horizontal line.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    /// The node.
    pub node: NodeId,
    /// Its y coordinate.
    pub y: f64,
    /// Where its line starts (right of the gutter).
    pub x1: f64,
}

/// What an event dot stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DotKind {
    /// A send event.
    Send,
    /// A receive event.
    Receive,
    /// A local event.
    Local,
}

/// One event dot.
#[derive(Clone, Debug, PartialEq)]
pub struct Dot {
    /// The event.
    pub event: EventId,
    /// Its node.
    pub node: NodeId,
    /// Centre x.
    pub x: f64,
    /// Centre y.
    pub y: f64,
    /// Send, receive or local.
    pub kind: DotKind,
}

/// How far a message has got at the current playback position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrowState {
    /// Received (the receive event is visible).
    Delivered,
    /// Sent, not yet received at this position.
    InFlight,
    /// Lost by the network (or still travelling when the run ended).
    Dropped,
}

/// One message arrow.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    /// The message.
    pub message: MessageId,
    /// The send event.
    pub from_event: EventId,
    /// The receive event, if visible.
    pub to_event: Option<EventId>,
    /// Start point.
    pub x1: f64,
    /// Start point.
    pub y1: f64,
    /// End point (for in-flight and dropped messages, how far it got).
    pub x2: f64,
    /// End point.
    pub y2: f64,
    /// Delivered, in flight or dropped.
    pub state: ArrowState,
}

/// The positioned diagram.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagram {
    /// Total width (gutter included).
    pub width: f64,
    /// Total height.
    pub height: f64,
    /// The lane names, left of `origin`.
    pub gutter: Gutter,
    /// Where the lanes start: pass it to [`cursor_x`] and [`in_flight`].
    pub origin: f64,
    /// The x where the playback cursor stands.
    pub cursor_x: f64,
    /// One lane per node.
    pub lanes: Vec<Lane>,
    /// The visible events.
    pub dots: Vec<Dot>,
    /// The visible messages.
    pub arrows: Vec<Arrow>,
}

/// The x coordinate of the event with index `index`, for lanes starting at `origin`.
fn column_x(index: usize, origin: f64, opts: &LayoutOptions) -> f64 {
    origin + LEAD + opts.column * (index as f64 + 0.5)
}

fn lane_y(node: NodeId, opts: &LayoutOptions) -> f64 {
    opts.top + opts.lane * node.0 as f64
}

/// The x of the playback cursor when `shown` events are visible (lanes start at `origin`).
pub fn cursor_x(shown: usize, origin: f64, opts: &LayoutOptions) -> f64 {
    if shown == 0 {
        origin
    } else {
        column_x(shown - 1, origin, opts) + opts.column * 0.5
    }
}

/// The arrow of message `m` when `shown` events are visible (its send must be visible).
pub fn arrow(m: &Message, shown: usize, cursor_x: f64, origin: f64, opts: &LayoutOptions) -> Arrow {
    let x1 = column_x(m.send.index(), origin, opts);
    let y1 = lane_y(m.from, opts);
    let y_to = lane_y(m.to, opts);
    let (to_event, x2, y2, state) = match m.fate {
        MessageFate::Delivered(r) if r.index() < shown => (
            Some(r),
            column_x(r.index(), origin, opts),
            y_to,
            ArrowState::Delivered,
        ),
        MessageFate::Delivered(r) => {
            // In flight: draw it reaching towards its receive, as far as the cursor.
            let x_end = column_x(r.index(), origin, opts);
            let progress = ((cursor_x - x1) / (x_end - x1)).clamp(0.0, 1.0);
            (
                None,
                x1 + (x_end - x1) * progress,
                y1 + (y_to - y1) * progress,
                ArrowState::InFlight,
            )
        }
        MessageFate::InFlight | MessageFate::Dropped(_) => {
            // Lost messages stop half-way (the view marks them with a cross).
            let x_end = x1 + opts.column * 1.5;
            (None, x_end, y1 + (y_to - y1) * 0.5, ArrowState::Dropped)
        }
    };
    Arrow {
        message: m.id,
        from_event: m.send,
        to_event,
        x1,
        y1,
        x2,
        y2,
        state,
    }
}

/// The messages travelling when `shown` events are visible: sent, but not yet received.
pub fn in_flight(trace: &Trace, shown: usize, origin: f64, opts: &LayoutOptions) -> Vec<Arrow> {
    let cursor = cursor_x(shown, origin, opts);
    trace
        .messages()
        .iter()
        .filter(|m| m.send.index() < shown && m.receive().is_some_and(|r| r.index() >= shown))
        .map(|m| arrow(m, shown, cursor, origin, opts))
        .collect()
}

/// Lays out the first `shown` events of `trace` (all of them when `shown` ≥ the event count),
/// with lane `i` named `names[i]` (its node id when `names` has no entry for it).
///
/// The width always covers the *whole* trace so the picture does not rescale during playback.
pub fn layout(trace: &Trace, shown: usize, names: &[String], opts: &LayoutOptions) -> Diagram {
    let total = trace.events().len();
    let shown = shown.min(total);
    let heights: Vec<(NodeId, f64)> = trace.nodes().map(|n| (n, lane_y(n, opts))).collect();
    let gutter = gutter(&heights, names);
    let origin = gutter.width + LANE_GAP;
    let lanes: Vec<Lane> = heights
        .iter()
        .map(|&(node, y)| Lane {
            node,
            y,
            x1: origin,
        })
        .collect();
    let dots = trace.events()[..shown]
        .iter()
        .map(|e| Dot {
            event: e.id,
            node: e.node,
            x: column_x(e.id.index(), origin, opts),
            y: lane_y(e.node, opts),
            kind: match e.kind {
                EventKind::Send { .. } => DotKind::Send,
                EventKind::Receive { .. } => DotKind::Receive,
                EventKind::Local => DotKind::Local,
            },
        })
        .collect();
    let cursor_x = cursor_x(shown, origin, opts);
    let arrows = trace
        .messages()
        .iter()
        .filter(|m| m.send.index() < shown)
        .map(|m| arrow(m, shown, cursor_x, origin, opts))
        .collect();
    Diagram {
        width: column_x(total.max(1), origin, opts) + opts.column,
        height: opts.top * 2.0 + opts.lane * (trace.node_count().max(1) - 1) as f64,
        gutter,
        origin,
        cursor_x,
        lanes,
        dots,
        arrows,
    }
}

/// A keyboard move between events (the WAI-ARIA grid pattern: lanes are rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// The previous event on the same lane (←).
    Earlier,
    /// The next event on the same lane (→).
    Later,
    /// The nearest event in time on the nearest lane above that has one (↑).
    Up,
    /// The nearest event in time on the nearest lane below that has one (↓).
    Down,
    /// The lane's first event (Home).
    LaneStart,
    /// The lane's last event (End).
    LaneEnd,
    /// The diagram's first event (Ctrl+Home).
    First,
    /// The diagram's last event (Ctrl+End).
    Last,
}

impl Move {
    /// The move a key stands for (`KeyboardEvent.key`, and whether Ctrl or ⌘ is held).
    pub fn from_key(key: &str, ctrl: bool) -> Option<Move> {
        Some(match key {
            "ArrowLeft" => Move::Earlier,
            "ArrowRight" => Move::Later,
            "ArrowUp" => Move::Up,
            "ArrowDown" => Move::Down,
            "Home" if ctrl => Move::First,
            "End" if ctrl => Move::Last,
            "Home" => Move::LaneStart,
            "End" => Move::LaneEnd,
            _ => return None,
        })
    }
}

/// Where `how` leads from event `from` among the visible `dots` (in trace order) on `lanes`;
/// `None` when `from` is not visible or there is nowhere to go.
pub fn step(dots: &[Dot], lanes: &[Lane], from: EventId, how: Move) -> Option<EventId> {
    let here = dots.iter().find(|d| d.event == from)?;
    let on = |node: NodeId| dots.iter().filter(move |d| d.node == node);
    let target = match how {
        Move::Earlier => on(here.node).take_while(|d| d.event != from).last(),
        Move::Later => on(here.node).skip_while(|d| d.event != from).nth(1),
        Move::LaneStart => on(here.node).next(),
        Move::LaneEnd => on(here.node).next_back(),
        Move::First => dots.first(),
        Move::Last => dots.last(),
        Move::Up | Move::Down => {
            let row = lanes.iter().position(|l| l.node == here.node)?;
            let rows: Vec<&Lane> = if how == Move::Up {
                lanes[..row].iter().rev().collect()
            } else {
                lanes[row + 1..].iter().collect()
            };
            rows.into_iter().find_map(|lane| {
                on(lane.node).min_by(|a, b| (a.x - here.x).abs().total_cmp(&(b.x - here.x).abs()))
            })
        }
    }?;
    (target.event != from).then_some(target.event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chronoscope::scenario::happens_before::{self, Params};

    fn trace() -> Trace {
        happens_before::run(&Params {
            loss_percent: 20,
            actions: 10,
            ..Params::default()
        })
        .unwrap()
    }

    fn full(t: &Trace) -> Diagram {
        layout(t, usize::MAX, &[], &LayoutOptions::default())
    }

    #[test]
    fn every_event_gets_a_dot_on_its_nodes_lane_in_trace_order() {
        let t = trace();
        let d = full(&t);
        assert_eq!(d.dots.len(), t.events().len());
        assert_eq!(d.lanes.len(), t.node_count() as usize);
        for pair in d.dots.windows(2) {
            assert!(pair[0].x < pair[1].x);
        }
        for dot in &d.dots {
            assert_eq!(dot.y, d.lanes[dot.node.index()].y);
            assert!(dot.x < d.width && dot.y < d.height);
        }
    }

    #[test]
    fn arrows_point_forward_and_land_on_their_receive() {
        let t = trace();
        let d = full(&t);
        assert_eq!(d.arrows.len(), t.messages().len());
        let dropped = d
            .arrows
            .iter()
            .filter(|a| a.state == ArrowState::Dropped)
            .count();
        assert!(dropped > 0);
        for a in d.arrows.iter().filter(|a| a.state == ArrowState::Delivered) {
            let r = a.to_event.unwrap();
            let dot = &d.dots[r.index()];
            assert_eq!((a.x2, a.y2), (dot.x, dot.y));
            assert!(a.x2 > a.x1);
        }
    }

    #[test]
    fn a_prefix_shows_only_earlier_events_and_in_flight_messages() {
        let t = trace();
        let opts = LayoutOptions::default();
        let half = t.events().len() / 2;
        let d = layout(&t, half, &[], &opts);
        let all = full(&t);
        assert_eq!(d.dots.len(), half);
        assert_eq!(d.width, all.width, "width is fixed during playback");
        let travelling: Vec<_> = d
            .arrows
            .iter()
            .filter(|a| a.state == ArrowState::InFlight)
            .collect();
        assert!(!travelling.is_empty());
        for a in travelling {
            assert!(a.x2 <= d.cursor_x + 1e-9 && a.x2 >= a.x1);
        }
        assert!(d.arrows.iter().all(|a| a.from_event.index() < half));
        assert_eq!(layout(&t, 0, &[], &opts).dots.len(), 0);
        let now_travelling = in_flight(&t, half, d.origin, &opts);
        let expected: Vec<_> = d
            .arrows
            .iter()
            .filter(|a| a.state == ArrowState::InFlight)
            .cloned()
            .collect();
        assert_eq!(now_travelling, expected);
    }

    fn overlaps(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
        a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
    }

    #[test]
    fn no_lane_label_overlaps_an_event_or_a_lane_line_at_any_zoom() {
        let t = trace();
        let long = |i: usize| format!("host-{i}.eu-west-1.compute.internal:8080");
        let name_sets: Vec<Vec<String>> = vec![
            vec![],
            (0..4).map(long).collect(),
            vec![
                "日本語のノード名前".into(),
                "W".repeat(40),
                "\n\tx".into(),
                String::new(),
            ],
            vec!["Byzantine liar".into()],
        ];
        for names in &name_sets {
            for zoom in [0.1, 0.25, 0.5, 1.0, 1.5, 2.0] {
                let opts = LayoutOptions {
                    column: LayoutOptions::default().column * zoom,
                    ..LayoutOptions::default()
                };
                let d = layout(&t, usize::MAX, names, &opts);
                assert_eq!(d.gutter.labels.len(), d.lanes.len());
                let reach = DOT_RADIUS + DOT_HALO;
                for (label, lane) in d.gutter.labels.iter().zip(&d.lanes) {
                    let b = label.bounds;
                    assert!(b.2 <= d.gutter.width, "{label:?} inside the gutter");
                    // The lane line (a 2-unit stroke) and its first segment, up to its first dot.
                    let first = d.dots.iter().find(|dot| dot.node == lane.node);
                    let end = first.map_or(d.width, |dot| dot.x);
                    for other in &d.lanes {
                        let line = (other.x1, other.y - 1.0, end, other.y + 1.0);
                        assert!(!overlaps(b, line), "{label:?} overlaps lane {other:?}");
                    }
                    for dot in &d.dots {
                        let r#box = (dot.x - reach, dot.y - reach, dot.x + reach, dot.y + reach);
                        assert!(
                            !overlaps(b, r#box),
                            "{label:?} overlaps {dot:?} at zoom {zoom}"
                        );
                    }
                }
                assert!(d.dots.iter().all(|dot| dot.x - reach > d.gutter.width));
            }
        }
    }

    #[test]
    fn long_names_are_shortened_with_an_ellipsis_and_kept_whole_for_hover() {
        let names = vec![
            "A".to_string(),
            "a-very-long-host-name.example.org".to_string(),
        ];
        let g = gutter(&[(NodeId(0), 10.0), (NodeId(1), 60.0)], &names);
        assert_eq!(g.labels[0].text, "A");
        let short = &g.labels[1];
        assert!(short.text.ends_with('…'), "{short:?}");
        assert!(short.text.chars().count() <= LABEL_MAX);
        assert!(names[1].starts_with(short.text.trim_end_matches('…')));
        assert_eq!(short.full, names[1]);
        // Missing names fall back to the node id; control characters never reach the SVG.
        let g = gutter(&[(NodeId(2), 0.0)], &["x\ny".to_string()]);
        assert_eq!(g.labels[0].text, "C");
        assert_eq!(shorten("x\ny").0, "x y");
        assert_eq!(shorten(&"語".repeat(10)).1, LABEL_MAX - 1);
    }

    #[test]
    fn arrow_keys_walk_every_event_of_a_lane_in_time_order_and_between_lanes() {
        let t = trace();
        let d = full(&t);
        for lane in &d.lanes {
            let mine: Vec<EventId> = t.events_of(lane.node).to_vec();
            let Some(&first) = mine.first() else { continue };
            let mut walked = vec![first];
            while let Some(next) = step(&d.dots, &d.lanes, *walked.last().unwrap(), Move::Later) {
                walked.push(next);
            }
            assert_eq!(walked, mine, "→ walks lane {} in time order", lane.node);
            let mut back = vec![*mine.last().unwrap()];
            while let Some(prev) = step(&d.dots, &d.lanes, *back.last().unwrap(), Move::Earlier) {
                back.push(prev);
            }
            back.reverse();
            assert_eq!(back, mine, "← walks it back");
            let last = *mine.last().unwrap();
            assert_eq!(
                step(&d.dots, &d.lanes, last, Move::LaneStart),
                (mine.len() > 1).then_some(first)
            );
            assert_eq!(
                step(&d.dots, &d.lanes, first, Move::LaneEnd),
                (mine.len() > 1).then_some(last)
            );
        }
        // ↓ from the top lane lands on lane B's event nearest in time; ↑ on A's again or nearer.
        let a = t.events_of(NodeId(0))[3];
        let down = step(&d.dots, &d.lanes, a, Move::Down).unwrap();
        let ax = d.dots[a.index()].x;
        assert_eq!(d.dots[down.index()].node, NodeId(1));
        for &other in t.events_of(NodeId(1)) {
            assert!((d.dots[other.index()].x - ax).abs() >= (d.dots[down.index()].x - ax).abs());
        }
        assert_eq!(
            step(&d.dots, &d.lanes, a, Move::Up),
            None,
            "nothing above the top lane"
        );
        let up = step(&d.dots, &d.lanes, down, Move::Up).unwrap();
        assert_eq!(d.dots[up.index()].node, NodeId(0));
        assert_eq!(step(&d.dots, &d.lanes, down, Move::First), Some(EventId(0)));
        // Only visible events can be reached.
        let half = layout(&t, 10, &[], &LayoutOptions::default());
        let last_seen = step(&half.dots, &half.lanes, EventId(0), Move::Last).unwrap();
        assert_eq!(last_seen, EventId(9));
        assert_eq!(
            step(&half.dots, &half.lanes, EventId(20), Move::First),
            None
        );
    }

    #[test]
    fn keys_map_to_moves() {
        assert_eq!(Move::from_key("ArrowRight", false), Some(Move::Later));
        assert_eq!(Move::from_key("Home", true), Some(Move::First));
        assert_eq!(Move::from_key("End", false), Some(Move::LaneEnd));
        assert_eq!(Move::from_key("x", false), None);
    }
}

//! Space-time diagram layout: a pure function from a [`Trace`] (and a playback position) to
//! positioned lanes, dots and arrows, in SVG user units.
//!
//! The diagram follows Lamport's 1978 figures turned sideways (as ShiViz and most textbooks
//! draw it): one horizontal line per node, time flowing left to right. The x axis is the
//! trace's *event order* (one column per event) so that simultaneous or nearly simultaneous
//! events never overlap; true time is shown in the inspector. Being pure, the layout is unit
//! tested natively and shared by every lab.

use chronoscope::node::NodeId;
use chronoscope::trace::{EventId, EventKind, Message, MessageFate, MessageId, Trace};

/// Spacing and margins of the diagram, in SVG units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayoutOptions {
    /// Horizontal distance between consecutive events.
    pub column: f64,
    /// Vertical distance between node lanes.
    pub lane: f64,
    /// Left margin (room for node names).
    pub left: f64,
    /// Top margin.
    pub top: f64,
}

impl Default for LayoutOptions {
    fn default() -> Self {
        LayoutOptions {
            column: 28.0,
            lane: 52.0,
            left: 48.0,
            top: 28.0,
        }
    }
}

/// One node's horizontal line.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    /// The node.
    pub node: NodeId,
    /// Its y coordinate.
    pub y: f64,
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
    /// Total width.
    pub width: f64,
    /// Total height.
    pub height: f64,
    /// The x where the playback cursor stands.
    pub cursor_x: f64,
    /// One lane per node.
    pub lanes: Vec<Lane>,
    /// The visible events.
    pub dots: Vec<Dot>,
    /// The visible messages.
    pub arrows: Vec<Arrow>,
}

/// The x coordinate of the event with index `index`.
fn column_x(index: usize, opts: &LayoutOptions) -> f64 {
    opts.left + opts.column * (index as f64 + 0.5)
}

fn lane_y(node: NodeId, opts: &LayoutOptions) -> f64 {
    opts.top + opts.lane * node.0 as f64
}

/// The x of the playback cursor when `shown` events are visible.
pub fn cursor_x(shown: usize, opts: &LayoutOptions) -> f64 {
    if shown == 0 {
        opts.left
    } else {
        column_x(shown - 1, opts) + opts.column * 0.5
    }
}

/// The arrow of message `m` when `shown` events are visible (its send must be visible).
pub fn arrow(m: &Message, shown: usize, cursor_x: f64, opts: &LayoutOptions) -> Arrow {
    let x1 = column_x(m.send.index(), opts);
    let y1 = lane_y(m.from, opts);
    let y_to = lane_y(m.to, opts);
    let (to_event, x2, y2, state) = match m.fate {
        MessageFate::Delivered(r) if r.index() < shown => (
            Some(r),
            column_x(r.index(), opts),
            y_to,
            ArrowState::Delivered,
        ),
        MessageFate::Delivered(r) => {
            // In flight: draw it reaching towards its receive, as far as the cursor.
            let x_end = column_x(r.index(), opts);
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
pub fn in_flight(trace: &Trace, shown: usize, opts: &LayoutOptions) -> Vec<Arrow> {
    let cursor = cursor_x(shown, opts);
    trace
        .messages()
        .iter()
        .filter(|m| m.send.index() < shown && m.receive().is_some_and(|r| r.index() >= shown))
        .map(|m| arrow(m, shown, cursor, opts))
        .collect()
}

/// Lays out the first `shown` events of `trace` (all of them when `shown` ≥ the event count).
///
/// The width always covers the *whole* trace so the picture does not rescale during playback.
pub fn layout(trace: &Trace, shown: usize, opts: &LayoutOptions) -> Diagram {
    let total = trace.events().len();
    let shown = shown.min(total);
    let lanes: Vec<Lane> = trace
        .nodes()
        .map(|node| Lane {
            node,
            y: lane_y(node, opts),
        })
        .collect();
    let dots = trace.events()[..shown]
        .iter()
        .map(|e| Dot {
            event: e.id,
            node: e.node,
            x: column_x(e.id.index(), opts),
            y: lane_y(e.node, opts),
            kind: match e.kind {
                EventKind::Send { .. } => DotKind::Send,
                EventKind::Receive { .. } => DotKind::Receive,
                EventKind::Local => DotKind::Local,
            },
        })
        .collect();
    let cursor_x = cursor_x(shown, opts);
    let arrows = trace
        .messages()
        .iter()
        .filter(|m| m.send.index() < shown)
        .map(|m| arrow(m, shown, cursor_x, opts))
        .collect();
    Diagram {
        width: column_x(total.max(1), opts) + opts.column,
        height: opts.top * 2.0 + opts.lane * (trace.node_count().max(1) - 1) as f64,
        cursor_x,
        lanes,
        dots,
        arrows,
    }
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

    #[test]
    fn every_event_gets_a_dot_on_its_nodes_lane_in_trace_order() {
        let t = trace();
        let d = layout(&t, usize::MAX, &LayoutOptions::default());
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
        let d = layout(&t, usize::MAX, &LayoutOptions::default());
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
        let half = t.events().len() / 2;
        let d = layout(&t, half, &LayoutOptions::default());
        let full = layout(&t, usize::MAX, &LayoutOptions::default());
        assert_eq!(d.dots.len(), half);
        assert_eq!(d.width, full.width, "width is fixed during playback");
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
        assert_eq!(layout(&t, 0, &LayoutOptions::default()).dots.len(), 0);
        let now_travelling = in_flight(&t, half, &LayoutOptions::default());
        let expected: Vec<_> = d
            .arrows
            .iter()
            .filter(|a| a.state == ArrowState::InFlight)
            .cloned()
            .collect();
        assert_eq!(now_travelling, expected);
    }
}

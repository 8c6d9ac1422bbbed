//! What travels on a room's channel around a protocol's messages, and why a tab refuses
//! what it receives: the envelope (`msg` carries a message from one seat to another, `seat`
//! and `bye` announce presence) and the typed [`Refusal`]s the tab runtime counts.

use std::fmt;

use chronoscope::node::NodeId;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::runtime::INBOX_MAX;

/// Why an incoming string was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Longer than allowed (checked before parsing).
    Oversized {
        /// Its length.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Not JSON, or not an envelope.
    Malformed(String),
    /// An envelope naming a seat outside the room.
    NoSuchSeat(u32),
    /// It used this tab's own seat or token (a tab never hears its own posts).
    Impersonation(NodeId),
    /// Its token is not the one of the tab sitting in the seat it claims to come from.
    ForgedSender(NodeId),
    /// The codec refused the message.
    Codec(String),
    /// The inbox was full.
    Flood,
    /// An open room already tracks as many tabs as it may; a new one is refused.
    RoomFull(NodeId),
}

impl Refusal {
    /// A short name for counting.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::Oversized { .. } => "oversized",
            Refusal::Malformed(_) => "malformed",
            Refusal::NoSuchSeat(_) => "no such seat",
            Refusal::Impersonation(_) => "impersonation",
            Refusal::ForgedSender(_) => "forged sender",
            Refusal::Codec(_) => "invalid message",
            Refusal::Flood => "flood",
            Refusal::RoomFull(_) => "room full",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Oversized { bytes, limit } => {
                write!(f, "oversized message ({bytes} bytes; limit {limit})")
            }
            Refusal::Malformed(why) => write!(f, "malformed: {why}"),
            Refusal::NoSuchSeat(s) => write!(f, "names seat {s}, outside the room"),
            Refusal::Impersonation(s) => write!(f, "uses this tab's own seat or token ({s})"),
            Refusal::ForgedSender(s) => write!(f, "claims seat {s} with another tab's token"),
            Refusal::Codec(why) => write!(f, "invalid message: {why}"),
            Refusal::Flood => write!(f, "inbox full ({INBOX_MAX} waiting): message dropped"),
            Refusal::RoomFull(s) => write!(f, "tab {s} refused: the room tracks enough tabs"),
        }
    }
}

impl std::error::Error for Refusal {}

/// A string to post on the channel after `delay_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct Post {
    /// The envelope.
    pub json: String,
    /// How long to wait first.
    pub delay_ms: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Kind {
    #[serde(rename = "seat")]
    Seat,
    #[serde(rename = "bye")]
    Bye,
    #[serde(rename = "msg")]
    Msg,
}

/// The envelope every post travels in: `{"k":"msg","seat":0,"token":7,"to":1,"m":{…}}`,
/// `{"k":"seat","seat":0,"token":7,"claim":false}`, `{"k":"bye","seat":0,"token":7}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Envelope<'a> {
    pub(super) k: Kind,
    pub(super) seat: u32,
    pub(super) token: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) claim: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) to: Option<u32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) m: Option<&'a RawValue>,
}

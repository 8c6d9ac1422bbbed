//! Membership between real peers that find each other on a shared channel.
//!
//! - [`seats`]: a room of numbered seats that browser tabs claim, announce and give up
//!   (the known membership the tab runtime hands its protocols), or an open room of the
//!   tabs heard lately.

pub mod seats;

//! Node identities. A node is a process in the space-time diagram: one horizontal line.
//!
//! Ids are small dense integers so that per-node tables are plain vectors; they print as
//! the letters the textbooks use (`A`, `B`, … `Z`, then `N26`, `N27`, …).

use core::fmt;

/// The identity of one node (process) of a run.
///
/// ```
/// use chronoscope::node::NodeId;
/// assert_eq!(NodeId(0).to_string(), "A");
/// assert_eq!(NodeId(27).to_string(), "N27");
/// assert_eq!(NodeId::from_name("C"), Some(NodeId(2)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The node's position in per-node tables.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// Parses the printed form back (`"A"`… `"Z"`, `"N<k>"`).
    pub fn from_name(name: &str) -> Option<NodeId> {
        let bytes = name.as_bytes();
        match bytes {
            [c] if c.is_ascii_uppercase() => Some(NodeId((c - b'A') as u32)),
            [b'N', rest @ ..] if !rest.is_empty() => name[1..].parse().ok().map(NodeId),
            _ => None,
        }
    }
}

impl fmt::Debug for NodeId {
    /// The same as `Display`, so that protocol messages print readably in trace labels.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 26 {
            write!(f, "{}", (b'A' + self.0 as u8) as char)
        } else {
            write!(f, "N{}", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn names_round_trip() {
        for i in [0u32, 1, 25, 26, 1000] {
            assert_eq!(NodeId::from_name(&NodeId(i).to_string()), Some(NodeId(i)));
        }
        assert_eq!(NodeId::from_name("a"), None);
        assert_eq!(NodeId::from_name("N"), Some(NodeId(13)));
        assert_eq!(NodeId::from_name("Nx"), None);
        assert_eq!(NodeId::from_name(""), None);
    }
}

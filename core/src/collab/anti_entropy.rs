//! Answering a request for missing updates (the "reconciliation" step of Kleppmann &
//! Howard, "Byzantine Eventual Consistency", §5.1, simplified to one round per bundle).
//!
//! The requester names the hashes it wants (heads it saw, dependencies it lacks) and sends
//! its vector clock as a hint of what it already has. The answer walks back from the wanted
//! hashes through dependencies, skipping updates the hint says the requester has (unless
//! their author equivocated at that sequence number, where a clock entry cannot tell two
//! updates apart), and returns the *oldest* `max_bundle` of what it found, in delivery
//! order and within `max_bytes` encoded bytes (runs make updates of very different sizes),
//! so the requester can deliver them at once instead of holding them back.
//! Invariant: the walk visits at most `16 × max_bundle` updates, so one request costs
//! bounded work whatever the graph's size; repeated requests make progress because every
//! bundle either completes the wanted set or ends at updates the requester can deliver.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use super::graph::Graph;
use super::update::{AuthorKey, Update, UpdateHash};

/// The updates to send for one request.
///
/// ```
/// use chronoscope::collab::anti_entropy::answer;
/// use chronoscope::collab::graph::Graph;
/// use chronoscope::collab::update::{Author, CharId, Op, Update};
/// let a = Author::from_seed([1; 32]);
/// let mut g = Graph::new();
/// let x = Update::sign(&a, 1, vec![], Op::insert_char(None, 'x'));
/// let y = Update::sign(&a, 2, vec![x.id], Op::insert_char(Some(CharId::new(x.id, 0)), 'y'));
/// g.deliver(x.clone(), 8).unwrap();
/// g.deliver(y.clone(), 8).unwrap();
/// // A requester with nothing gets both, oldest first; one that has seq 1 gets only y.
/// assert_eq!(answer(&g, &[y.id], &[], 10, 4_096), vec![x.clone(), y.clone()]);
/// assert_eq!(answer(&g, &[y.id], &[(a.key(), 1)], 10, 4_096), vec![y.clone()]);
/// // Room for one update only: the oldest.
/// assert_eq!(answer(&g, &[y.id], &[], 10, x.encoded_len()), vec![x]);
/// ```
pub fn answer(
    graph: &Graph,
    want: &[UpdateHash],
    have: &[(AuthorKey, u64)],
    max_bundle: usize,
    max_bytes: usize,
) -> Vec<Update> {
    let have: BTreeMap<AuthorKey, u64> = have.iter().copied().collect();
    let max_visits = max_bundle.saturating_mul(16);
    let mut seen = BTreeSet::new();
    let mut stack: Vec<(UpdateHash, bool)> = want.iter().map(|h| (*h, true)).collect();
    let mut picked: Vec<(usize, UpdateHash)> = Vec::new();
    let mut visits = 0usize;
    while let Some((h, explicit)) = stack.pop() {
        if visits >= max_visits {
            break;
        }
        if !seen.insert(h) {
            continue;
        }
        visits += 1;
        let Some(d) = graph.get(&h) else {
            continue;
        };
        let u = &d.update;
        let hinted = have.get(&u.author).is_some_and(|&s| s >= u.seq);
        if !explicit && hinted && !graph.equivocated(&u.author, u.seq) {
            continue;
        }
        picked.push((d.index, h));
        for dep in u.deps.iter().copied().chain(u.op.references()) {
            if !seen.contains(&dep) {
                stack.push((dep, false));
            }
        }
    }
    picked.sort_unstable();
    let mut bytes = 0;
    let mut out = Vec::new();
    for (_, h) in picked.into_iter().take(max_bundle) {
        let Some(d) = graph.get(&h) else { continue };
        bytes += d.update.encoded_len();
        if bytes > max_bytes {
            break;
        }
        out.push(d.update.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collab::update::{Author, CharId, Op};
    use alloc::vec;

    #[test]
    fn a_long_gap_comes_oldest_first_in_bounded_bundles() {
        let a = Author::from_seed([1; 32]);
        let mut g = Graph::new();
        let mut prev: Option<Update> = None;
        for seq in 1..=50 {
            let deps = prev.iter().map(|p| p.id).collect();
            let after = prev.as_ref().map(|p| p.id);
            let after = after.map(|h| CharId::new(h, 0));
            let u = Update::sign(&a, seq, deps, Op::insert_char(after, 'a'));
            g.deliver(u.clone(), 8).unwrap();
            prev = Some(u);
        }
        let head = prev.map(|p| p.id).unwrap();
        let first = answer(&g, &[head], &[], 10, usize::MAX);
        assert_eq!(
            first.iter().map(|u| u.seq).collect::<Vec<_>>(),
            (1..=10).collect::<Vec<_>>()
        );
        let rest = answer(&g, &[head], &[(a.key(), 45)], 10, usize::MAX);
        assert_eq!(
            rest.iter().map(|u| u.seq).collect::<Vec<_>>(),
            vec![46, 47, 48, 49, 50]
        );
        assert!(answer(&g, &[UpdateHash([0; 32])], &[], 10, usize::MAX).is_empty());
    }
}

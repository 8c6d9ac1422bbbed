//! A ledger replica that really loses its process (a closed browser tab whose seat a new tab
//! takes) comes back from its disk ([`Disk`]) and its part of the latest Chandy-Lamport
//! backup through [`Replica::reboot`], then catches up: every replica ends with the same
//! committed log, no append is lost and no entry id is used twice — whether the rebooted
//! replica was a follower or the leader.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use chronoscope::ledger::backup::BackupPart;
use chronoscope::ledger::replica::{LedgerConfig, LedgerOp, LedgerOutput, LedgerTimer, Replica};
use chronoscope::node::NodeId;
use chronoscope::protocol::{Context, Outbox, Protocol};
use chronoscope::sim::{Network, SimConfig, Simulation};
use chronoscope::snapshot::chandy_lamport::SnapshotId;
use chronoscope::time::{Instant, Span};

/// A replica in a process that can die: `Reboot` throws the process away and starts a new
/// one from the disk and the latest backup part it saw.
#[derive(Clone, Debug)]
struct Process {
    replica: Replica,
    backup: Option<BackupPart>,
}

#[derive(Clone, Debug)]
enum Op {
    Ledger(LedgerOp),
    Reboot,
}

impl Process {
    fn keep_backup(&mut self, out: &Outbox<Replica>) {
        for e in out.effects() {
            if let chronoscope::protocol::Effect::Output(LedgerOutput::BackedUp(part)) = e {
                self.backup = Some((**part).clone());
            }
        }
    }
    fn forward(&mut self, inner: Outbox<Replica>, out: &mut Outbox<Self>) {
        self.keep_backup(&inner);
        let mut inner = inner;
        for e in inner.drain() {
            use chronoscope::protocol::Effect;
            match e {
                Effect::Send { to, message } => out.send(to, message),
                Effect::SetTimer { after, timer } => out.set_timer(after, timer),
                Effect::CancelTimer { timer } => out.cancel_timer(timer),
                Effect::Output(o) => out.output(o),
            }
        }
    }
}

impl Protocol for Process {
    type Message = <Replica as Protocol>::Message;
    type Timer = LedgerTimer;
    type Operation = Op;
    type Output = LedgerOutput;

    fn on_start(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        let mut inner = Outbox::new();
        self.replica.on_start(ctx, &mut inner);
        self.forward(inner, out);
    }
    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        m: Self::Message,
        out: &mut Outbox<Self>,
    ) {
        let mut inner = Outbox::new();
        self.replica.on_message(ctx, from, m, &mut inner);
        self.forward(inner, out);
    }
    fn on_timer(&mut self, ctx: &mut Context<'_>, t: LedgerTimer, out: &mut Outbox<Self>) {
        let mut inner = Outbox::new();
        self.replica.on_timer(ctx, t, &mut inner);
        self.forward(inner, out);
    }
    fn on_operation(&mut self, ctx: &mut Context<'_>, op: Op, out: &mut Outbox<Self>) {
        let mut inner = Outbox::new();
        match op {
            Op::Ledger(op) => self.replica.on_operation(ctx, op, &mut inner),
            Op::Reboot => {
                let disk = self.replica.disk();
                let mut fresh = Replica::new(*self.replica.config());
                fresh.on_start(ctx, &mut inner);
                fresh.reboot(disk, self.backup.clone(), &mut inner);
                self.replica = fresh;
            }
        }
        self.forward(inner, out);
    }
}

fn run(victim: u32, with_backup: bool) -> Simulation<Process> {
    let config = LedgerConfig::default();
    let nodes = (0..3)
        .map(|_| Process {
            replica: Replica::new(config),
            backup: None,
        })
        .collect();
    let net = Network {
        fifo: true,
        ..Network::constant(Span::from_millis(5))
    };
    let mut sim = Simulation::new(
        nodes,
        SimConfig {
            network: net,
            ..SimConfig::default()
        },
    )
    .unwrap();
    let at = |ms: i64| Instant::from_millis(ms);
    let mut value = 0;
    for k in 0..30i64 {
        value += 1;
        let node = NodeId((k % 3) as u32);
        sim.schedule_operation(at(800 + 40 * k), node, Op::Ledger(LedgerOp::Append(value)))
            .unwrap();
    }
    if with_backup {
        sim.schedule_operation(
            at(1_300),
            NodeId(1),
            Op::Ledger(LedgerOp::Snapshot(SnapshotId(7))),
        )
        .unwrap();
    }
    sim.schedule_operation(at(1_700), NodeId(victim), Op::Reboot)
        .unwrap();
    sim.run_until(at(6_000));
    sim
}

fn check(sim: &Simulation<Process>, victim: u32) {
    let logs: Vec<Vec<_>> = (0..3)
        .map(|n| {
            let r = &sim.node(NodeId(n)).unwrap().replica;
            r.state()
                .log
                .committed()
                .iter()
                .map(|l| l.entry.id)
                .collect()
        })
        .collect();
    // Appends at the victim while it recovers its own entries are refused (and reported),
    // so no id is used twice; every other append is committed.
    let refused = sim
        .outputs()
        .iter()
        .filter(|r| matches!(r.output, LedgerOutput::Refused(_)))
        .count();
    assert!(
        refused <= 3,
        "only appends during the recovery are refused: {refused}"
    );
    assert_eq!(
        logs[0].len(),
        30 - refused,
        "every other append committed: {logs:?}"
    );
    assert!(logs.iter().all(|l| *l == logs[0]), "all agree: {logs:?}");
    let ids: BTreeSet<_> = logs[0].iter().collect();
    assert_eq!(ids.len(), logs[0].len(), "no id used twice");
    let restored = sim
        .outputs()
        .iter()
        .any(|r| r.node == NodeId(victim) && matches!(r.output, LedgerOutput::Restored { .. }));
    assert!(restored, "the victim restored");
}

#[test]
fn a_rebooted_follower_catches_up_from_its_backup() {
    let sim = run(2, true);
    let leader = (0..3).find(|&n| sim.node(NodeId(n)).unwrap().replica.leading().is_some());
    check(&sim, 2);
    assert!(leader.is_some());
}

#[test]
fn a_rebooted_leader_fails_over_and_nothing_is_lost() {
    // Find who leads at the reboot time in an undisturbed run, then reboot that one.
    let calm = run(0, false);
    let first_leader = calm
        .outputs()
        .iter()
        .find_map(|r| matches!(r.output, LedgerOutput::Elected { .. }).then_some(r.node.0))
        .unwrap();
    for with_backup in [true, false] {
        let sim = run(first_leader, with_backup);
        check(&sim, first_leader);
    }
}

#[test]
fn the_disk_keeps_the_promise_register_and_the_count_of_appends() {
    let sim = run(2, true);
    let r = &sim.node(NodeId(2)).unwrap().replica;
    let disk = r.disk();
    let refused = sim
        .outputs()
        .iter()
        .filter(|r| r.node == NodeId(2) && matches!(r.output, LedgerOutput::Refused(_)))
        .count() as u64;
    assert_eq!(disk.appended, 10 - refused);
    assert!(disk.voter.highest() >= 101);
    assert!(disk.own.is_empty(), "all of its entries were committed");
}

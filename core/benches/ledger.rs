//! The Chronos ledger: entries per second through the simulator with 5 replicas (appends
//! broadcast causally, ordered by the leased leader, shipped and committed by a majority;
//! goal ≥ 500 k entries/s natively), and a Chandy-Lamport backup of a 100,000-entry log —
//! recording a replica's state, and restoring it by replaying what was in flight.
//! (Benchmarks are native only; on wasm32 this file compiles to an empty program.)

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use chronoscope::ledger::backup::{BackupPart, InFlight, Recorder};
    use chronoscope::ledger::commit::{Accept, LogEntry};
    use chronoscope::ledger::replica::{LedgerConfig, LedgerOp, Replica};
    use chronoscope::ledger::state::ReplicaState;
    use chronoscope::node::NodeId;
    use chronoscope::sim::{Network, SimConfig, Simulation};
    use chronoscope::snapshot::chandy_lamport::SnapshotId;
    use chronoscope::time::{Instant, Span};
    use criterion::{criterion_group, Criterion, Throughput};

    const REPLICAS: u32 = 5;
    /// Appends per operation (one causal broadcast each) and operations per run.
    const BATCH: u64 = 500;
    const OPS: u64 = 200;

    /// Runs 100,000 appends through 5 replicas; returns the committed length (all of them).
    fn ledger_run() -> u64 {
        let config = LedgerConfig {
            replicas: REPLICAS as usize,
            ..LedgerConfig::default()
        };
        let nodes = (0..REPLICAS).map(|_| Replica::new(config)).collect();
        let network = Network {
            fifo: true,
            ..Network::constant(Span::from_millis(2))
        };
        let sim_config = SimConfig {
            seed: 42,
            network,
            labels: false,
            ..SimConfig::default()
        };
        let Ok(mut sim) = Simulation::new(nodes, sim_config) else {
            return 0;
        };
        for k in 0..OPS {
            let values = (k * BATCH..(k + 1) * BATCH).collect();
            let at = Instant::from_millis(1_000 + 5 * k as i64);
            let node = NodeId((k % u64::from(REPLICAS)) as u32);
            if sim
                .schedule_operation(at, node, LedgerOp::AppendMany(values))
                .is_err()
            {
                return 0;
            }
        }
        sim.run_until(Instant::from_millis(1_000 + 5 * OPS as i64 + 500));
        (0..REPLICAS)
            .filter_map(|n| sim.node(NodeId(n)))
            .map(|r| r.state().log.committed_len())
            .min()
            .unwrap_or(0)
    }

    /// A replica holding a committed log of `n` entries, and a shipment of 1,000 more.
    fn big_replica(n: u64) -> (ReplicaState, Accept) {
        let (a, b) = (NodeId(0), NodeId(1));
        let mut origin = ReplicaState::new(a, true);
        let mut entries: Vec<LogEntry> = (0..n + 1_000)
            .filter_map(|v| origin.append(Instant::from_millis(v as i64), v).ok())
            .map(|m| LogEntry {
                token: 101,
                entry: m.payload,
            })
            .collect();
        let more = entries.split_off(n as usize);
        let mut replica = ReplicaState::new(b, true);
        let first = Accept {
            token: 101,
            from: 0,
            entries: entries.into(),
            commit: n,
        };
        let _ = replica.accept(&first, true, Instant::ZERO);
        let next = Accept {
            token: 101,
            from: n,
            entries: more.into(),
            commit: n + 1_000,
        };
        (replica, next)
    }

    fn ledger(c: &mut Criterion) {
        let entries = ledger_run();
        assert_eq!(entries, BATCH * OPS, "every append committed");
        let mut group = c.benchmark_group("ledger");
        group.throughput(Throughput::Elements(entries));
        group.sample_size(10);
        group.bench_function("entries_5_replicas", |b| b.iter(ledger_run));
        group.finish();

        let n = 100_000;
        let (state, in_flight) = big_replica(n);
        assert_eq!(state.log.committed_len(), n);
        let peers = [NodeId(0), NodeId(2), NodeId(3), NodeId(4)];
        let mut group = c.benchmark_group("ledger_backup");
        group.throughput(Throughput::Elements(n));
        group.sample_size(10);
        group.bench_function("record_100k_entry_log", |b| {
            b.iter(|| {
                let mut r = Recorder::default();
                let _ = r.start(
                    SnapshotId(1),
                    NodeId(1),
                    NodeId(0),
                    None,
                    &peers,
                    state.clone(),
                );
                r.observe(NodeId(0), &InFlight::Accept(in_flight.clone()));
                r.recording()
            })
        });
        let part = BackupPart {
            id: SnapshotId(1),
            node: NodeId(1),
            initiator: NodeId(0),
            state: state.clone(),
            in_flight: vec![(NodeId(0), InFlight::Accept(in_flight.clone()))],
        };
        assert_eq!(part.replayed(true).log.committed_len(), n + 1_000);
        group.bench_function("restore_100k_entry_log", |b| {
            b.iter(|| part.replayed(true).log.len())
        });
        group.finish();
    }

    criterion_group!(benches, ledger);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}

//! The Conflict-store lab's metadata plot: bytes per stored value against cluster size (3 →
//! 50 replicas) for vector clocks, pruned version vectors and DVVSet (Preguiça et al. 2012),
//! from the core's `store::metadata::cost_table`. The numbers are the core's; this file only
//! plots them.

use std::rc::Rc;

use chronoscope::store::metadata::{cost_table, CostParams, CostRow, Mechanism};

use super::kit::prelude::*;

/// Cluster sizes of the metadata plot.
pub const COST_NODES: [u32; 7] = [3, 5, 10, 20, 30, 40, 50];

/// The metadata plot's three series (bytes per stored value against cluster size) from the
/// core's cost table.
pub fn cost_series(rows: &[CostRow]) -> Vec<Series> {
    let line = |name: &str, color, pick: &dyn Fn(Mechanism) -> bool| Series {
        name: name.into(),
        points: rows
            .iter()
            .filter(|r| pick(r.mechanism))
            .map(|r| (f64::from(r.nodes), r.bytes_per_value() as f64))
            .collect(),
        color,
    };
    vec![
        line("vector clocks", PALETTE[0], &|m| {
            m == Mechanism::VectorClocks
        }),
        line("pruned VV (cap 8)", PALETTE[1], &|m| {
            matches!(m, Mechanism::PrunedVersionVectors { .. })
        }),
        line("DVVSet", PALETTE[2], &|m| m == Mechanism::DvvSet),
    ]
}

/// The metadata plot, computed once when the page opens.
#[function_component(MetadataCost)]
pub fn metadata_cost() -> Html {
    // Measured after the first paint, so the lab's first render does not wait for it.
    let table = use_state(|| None::<Rc<Result<Vec<CostRow>, String>>>);
    {
        let table = table.clone();
        use_effect_with((), move |_| {
            let timer = gloo_timers::callback::Timeout::new(0, move || {
                let rows = cost_table(&CostParams {
                    node_counts: COST_NODES.to_vec(),
                    ..CostParams::default()
                })
                .map_err(|e| e.to_string());
                table.set(Some(Rc::new(rows)));
            });
            move || drop(timer)
        });
    }
    let Some(table) = (*table).clone() else {
        return html! { <div class="metadata-cost"><p>{"Measuring metadata sizes for 3 → 50 replicas…"}</p></div> };
    };
    let rows = match table.as_ref() {
        Ok(rows) => rows,
        Err(e) => {
            return html! { <div class="notice error" role="alert">{ format!("Metadata cost: {e}") }</div> }
        }
    };
    let series = Rc::new(cost_series(rows));
    let lossy: Vec<String> = rows
        .iter()
        .filter(|r| !r.correct())
        .map(|r| {
            format!(
                "{} at {} nodes: {} write(s) lost",
                r.mechanism, r.nodes, r.lost_writes
            )
        })
        .collect();
    html! {
        <div class="metadata-cost">
            <h3>{"Metadata per stored value, 3 → 50 replicas"}</h3>
            <Plot {series} title="Causality metadata per stored value" x_label="replicas" y_label="bytes per value" />
            <p>
                {"Workload: writes and random gossip, then one concurrent write per replica; replica A's clock an hour behind. \
                  Vector clocks grow with the cluster; Riak-style pruning caps the size by dropping the oldest-stamped \
                  entries — and A's fresh entry looks oldest, so its concurrent write looks descended and is lost. \
                  DVVSet stays at one entry per replica for the whole key."}
            </p>
            if !lossy.is_empty() {
                <p class="cost-lossy">{ format!("Wrong siblings: {}", lossy.join("; ")) }</p>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_series_has_three_lines_over_every_size() {
        let rows = cost_table(&CostParams {
            node_counts: vec![3, 10],
            ..CostParams::default()
        })
        .unwrap();
        let s = cost_series(&rows);
        assert_eq!(s.len(), 3);
        assert!(s.iter().all(|l| l.points.len() == 2));
        // Vector clocks grow with the cluster; DVVSet does not.
        assert!(s[0].points[1].1 > s[0].points[0].1);
        assert!(s[2].points[1].1 <= s[2].points[0].1);
    }
}

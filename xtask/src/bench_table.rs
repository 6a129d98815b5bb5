//! The table `cargo xtask bench` prints: each figure per server (best over the rounds), the
//! ratios of the reference server to Node and to socketioxide, and our targets for the
//! ratio to socketioxide, each marked met or missed.

use serde_json::Value;

/// One server's runs.
pub struct Column<'a> {
    pub name: &'a str,
    pub runs: Vec<Value>,
}

/// One figure: where it is in sio-bench's JSON, and the target for reference ÷ socketioxide
/// when we set one (a ratio the reference server must stay at or under).
struct Figure {
    label: &'static str,
    path: &'static [&'static str],
    target: Option<f64>,
}

const fn figure(label: &'static str, path: &'static [&'static str], target: Option<f64>) -> Figure {
    Figure {
        label,
        path,
        target,
    }
}

const FIGURES: [Figure; 20] = [
    figure(
        "CPU ms per 1000 echo acks, pipelined",
        &["acks", "cpu_ms_per_1000"],
        None,
    ),
    figure(
        "CPU ms per 1000 echo acks, one in flight",
        &["serial_acks", "cpu_ms_per_1000"],
        Some(0.8),
    ),
    figure(
        "echo acks per second, pipelined",
        &["acks", "per_second"],
        None,
    ),
    figure(
        "echo latency p50 ms, one in flight",
        &["serial_acks", "latency_ms", "p50"],
        None,
    ),
    figure(
        "echo latency p99 ms, one in flight",
        &["serial_acks", "latency_ms", "p99"],
        Some(1.0),
    ),
    figure(
        "CPU ms per 1000 deliveries, 1 broadcast in flight",
        &["broadcast_1", "cpu_ms_per_1000"],
        None,
    ),
    figure(
        "CPU ms per 1000 deliveries, 4 broadcasts in flight",
        &["broadcast_4", "cpu_ms_per_1000"],
        Some(0.8),
    ),
    figure(
        "CPU ms per 1000 deliveries, 16 broadcasts in flight",
        &["broadcast_16", "cpu_ms_per_1000"],
        None,
    ),
    figure(
        "delivery latency p50 ms, 4 broadcasts in flight",
        &["broadcast_4", "delivery_latency_ms", "p50"],
        None,
    ),
    figure(
        "delivery latency p99 ms, 4 broadcasts in flight",
        &["broadcast_4", "delivery_latency_ms", "p99"],
        None,
    ),
    figure(
        "bytes per idle WebSocket connection",
        &["idle", "bytes_per_connection"],
        Some(0.4),
    ),
    figure(
        "heartbeat CPU ms per 1000 pings answered",
        &["idle", "heartbeat_cpu_ms_per_1000_pongs"],
        Some(0.6),
    ),
    figure(
        "heartbeat CPU share, idle connections",
        &["idle", "heartbeat_cpu_share"],
        None,
    ),
    figure(
        "CONNECT reply latency p50 ms, one at a time",
        &["connects", "latency_ms", "p50"],
        None,
    ),
    figure(
        "CONNECT reply latency p99 ms, one at a time",
        &["connects", "latency_ms", "p99"],
        None,
    ),
    figure(
        "CONNECT reply latency p50 ms, 64 at once",
        &["idle", "connect_latency_ms", "p50"],
        None,
    ),
    figure("sessions dropped while idle", &["idle", "dropped"], None),
    figure(
        "generator CPU share, echo acks pipelined",
        &["acks", "generator_cpu_share"],
        None,
    ),
    figure(
        "generator CPU share, echo acks one in flight",
        &["serial_acks", "generator_cpu_share"],
        None,
    ),
    figure(
        "generator CPU share, 4 broadcasts in flight",
        &["broadcast_4", "generator_cpu_share"],
        None,
    ),
];

fn lookup(value: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_f64()
}

/// The lowest value of a figure over a column's runs (the least disturbed by the noise, as
/// every figure is a cost or a latency; for the rare "higher is better" one, per second, the
/// highest).
fn best(column: &Column, figure: &Figure) -> Option<f64> {
    let higher_is_better = figure.path.last() == Some(&"per_second");
    column
        .runs
        .iter()
        .filter_map(|run| lookup(run, figure.path))
        .reduce(|a, b| if higher_is_better { a.max(b) } else { a.min(b) })
}

/// `reference ÷ other`, when both are there and the other is not zero.
fn ratio(reference: Option<f64>, other: Option<f64>) -> Option<f64> {
    match (reference, other) {
        (Some(r), Some(o)) if o > 0.0 => Some(r / o),
        _ => None,
    }
}

/// Whether a ratio meets its target (at or under it), as the table prints it.
fn verdict(ratio: Option<f64>, target: Option<f64>) -> String {
    match (ratio, target) {
        (Some(r), Some(t)) if r <= t => format!("≤ {t}: met"),
        (Some(r), Some(t)) => format!("≤ {t}: missed by {:.0}%", (r / t - 1.0) * 100.0),
        (None, Some(t)) => format!("≤ {t}: not measured"),
        (_, None) => String::new(),
    }
}

fn show(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(x) if x.abs() >= 1000.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.3}"),
    }
}

/// Prints the table (Markdown) for `columns`; ratios when `reference` is the first column.
pub fn print(columns: &[Column], rounds: usize) {
    let reference = columns.first().filter(|c| c.name == "reference");
    let others: Vec<&Column> = columns.iter().skip(1).collect();
    let with_ratios = reference.is_some() && !others.is_empty();
    let mut header = String::from("| figure |");
    let mut rule = String::from("|---|");
    for column in columns {
        header += &format!(" {} |", column.name);
        rule += "---:|";
    }
    if with_ratios {
        for other in &others {
            header += &format!(" reference ÷ {} |", other.name);
            rule += "---:|";
        }
        header += " target (reference ÷ socketioxide) |";
        rule += "---|";
    }
    println!("\n{header}\n{rule}");
    for figure in &FIGURES {
        let values: Vec<Option<f64>> = columns.iter().map(|c| best(c, figure)).collect();
        let mut line = format!("| {} |", figure.label);
        for value in &values {
            line += &format!(" {} |", show(*value));
        }
        if with_ratios {
            let mut to_socketioxide = None;
            // The generator's share and the dropped sessions are facts of each run, not costs
            // to compare.
            let comparable = !matches!(
                figure.path.last(),
                Some(&"generator_cpu_share") | Some(&"dropped")
            );
            for (other, value) in others.iter().zip(&values[1..]) {
                let r = ratio(values[0], *value).filter(|_| comparable);
                if other.name == "socketioxide" {
                    to_socketioxide = r;
                }
                line += &format!(" {} |", show(r));
            }
            line += &format!(" {} |", verdict(to_socketioxide, figure.target));
        }
        println!("{line}");
    }
    for column in columns {
        for run in &column.runs {
            let failed = run
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(phase, v)| {
                    v.get("error").and_then(Value::as_str).map(|e| (phase, e))
                });
            for (phase, error) in failed {
                println!("\n{}: phase {phase} failed: {error}", column.name);
            }
        }
    }
    let saturated: Vec<String> = columns
        .iter()
        .filter(|c| c.runs.iter().any(|r| r["generator_saturated"] == true))
        .map(|c| c.name.to_string())
        .collect();
    let connections = columns
        .first()
        .and_then(|c| c.runs.first())
        .and_then(|r| lookup(r, &["idle", "connections"]))
        .unwrap_or(0.0);
    println!(
        "\n({connections} idle connections; CPU from /proc/<pid>/task/*/schedstat; memory = RSS \
         growth; best of {rounds} round(s); load generator saturated (CPU share > 0.85 in a \
         phase): {})",
        if saturated.is_empty() {
            "no".to_string()
        } else {
            saturated.join(", ")
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn verdicts_compare_the_ratio_with_its_target() {
        assert_eq!(verdict(Some(0.5), Some(0.8)), "≤ 0.8: met");
        assert_eq!(verdict(Some(0.8), Some(0.8)), "≤ 0.8: met");
        assert_eq!(verdict(Some(1.2), Some(0.8)), "≤ 0.8: missed by 50%");
        assert_eq!(verdict(None, Some(1.0)), "≤ 1: not measured");
        assert_eq!(verdict(Some(3.0), None), "");
    }

    #[test]
    fn best_is_the_lowest_cost_and_the_highest_rate() {
        let column = Column {
            name: "x",
            runs: vec![
                json!({"serial_acks": {"latency_ms": {"p99": 2.0}}, "acks": {"per_second": 10.0}}),
                json!({"serial_acks": {"latency_ms": {"p99": 1.5}}, "acks": {"per_second": 30.0}}),
            ],
        };
        let p99 = FIGURES
            .iter()
            .find(|f| f.label.contains("p99 ms, one"))
            .unwrap();
        let rate = FIGURES
            .iter()
            .find(|f| f.label.contains("per second"))
            .unwrap();
        assert_eq!(best(&column, p99), Some(1.5));
        assert_eq!(best(&column, rate), Some(30.0));
        assert_eq!(ratio(Some(1.0), Some(0.0)), None);
    }
}

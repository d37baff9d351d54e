//! Results: what each worker counts (merged across processes), and the rows of the final
//! table, printed as Markdown and written as JSON.

use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use serde::{Deserialize, Serialize};

/// The most error messages a result keeps (the rest are only counted).
const KEPT_ERRORS: usize = 5;

/// What one worker (or, merged, all of them) measured.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Clients that connected and registered.
    pub clients: u64,
    /// Clients that failed to connect or register.
    pub connect_errors: u64,
    /// Connections that ended before the scenario let them go.
    pub dropped: u64,
    /// Messages (moves, signals, cycles) sent.
    pub sent: u64,
    /// Messages that were due at the measured receivers.
    pub due: u64,
    /// Due messages that arrived.
    pub received: u64,
    /// Due messages that never arrived, nor anything later from the same sender.
    pub lost: u64,
    /// Moves replaced by a later move of the same user within one presence tick.
    pub superseded: u64,
    /// Chat messages the server acknowledged as stored (each once).
    #[serde(default)]
    pub acked: u64,
    /// Acks or deliveries of a message that had already had one.
    #[serde(default)]
    pub duplicated: u64,
    /// Deliveries that came before an earlier message of the same sender.
    #[serde(default)]
    pub reordered: u64,
    /// Frames read by every client, measured or only draining.
    pub frames: u64,
    /// Largest lateness of a sender behind its schedule, in microseconds: the generator
    /// itself falling behind.
    pub send_lag_max_us: u64,
    /// First microsecond and last microsecond of the measured phase (monotonic clock).
    pub first_us: u64,
    pub last_us: u64,
    /// First chat ack (monotonic clock): with `last_us`, the last one, the span the
    /// server's acks came out over.
    #[serde(default)]
    pub first_ack_us: u64,
    pub errors: Vec<String>,
    pub error_count: u64,
    /// Client numbers that failed to register: nothing is due from them.
    pub failed_clients: Vec<usize>,
    /// Delivery latency in microseconds, as a hex V2 HDR histogram.
    pub latency: Option<String>,
}

impl Counts {
    pub fn error(&mut self, error: impl Into<String>) {
        self.error_count += 1;
        if self.errors.len() < KEPT_ERRORS {
            self.errors.push(error.into());
        }
    }

    pub fn set_latency(&mut self, histogram: &Histogram<u64>) {
        let mut bytes = Vec::new();
        if V2Serializer::new().serialize(histogram, &mut bytes).is_ok() {
            self.latency = Some(bytes.iter().map(|b| format!("{b:02x}")).collect());
        }
    }

    pub fn latency(&self) -> Option<Histogram<u64>> {
        let hex = self.latency.as_ref()?;
        let bytes: Option<Vec<u8>> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect();
        Deserializer::new().deserialize(&mut bytes?.as_slice()).ok()
    }

    /// Adds another worker's counts into these.
    pub fn merge(&mut self, other: Counts) {
        self.clients += other.clients;
        self.connect_errors += other.connect_errors;
        self.dropped += other.dropped;
        self.sent += other.sent;
        self.due += other.due;
        self.received += other.received;
        self.lost += other.lost;
        self.superseded += other.superseded;
        self.acked += other.acked;
        self.duplicated += other.duplicated;
        self.reordered += other.reordered;
        self.frames += other.frames;
        self.send_lag_max_us = self.send_lag_max_us.max(other.send_lag_max_us);
        self.first_us = earliest(self.first_us, other.first_us);
        self.last_us = self.last_us.max(other.last_us);
        self.first_ack_us = earliest(self.first_ack_us, other.first_ack_us);
        let merged = match (self.latency(), other.latency()) {
            (Some(mut ours), Some(theirs)) => ours.add(&theirs).ok().map(|()| ours),
            (ours, theirs) => ours.or(theirs),
        };
        if let Some(histogram) = merged {
            self.set_latency(&histogram);
        }
        self.failed_clients.extend(other.failed_clients);
        let unkept = other.error_count.saturating_sub(other.errors.len() as u64);
        for error in other.errors {
            self.error(error);
        }
        self.error_count += unkept;
    }
}

/// The earlier of two instants, 0 meaning none.
pub fn earliest(ours: u64, theirs: u64) -> u64 {
    match (ours, theirs) {
        (0, theirs) => theirs,
        (ours, 0) => ours,
        (ours, theirs) => ours.min(theirs),
    }
}

/// A latency histogram in microseconds, up to 10 minutes, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("constant bounds are valid")
}

/// One line of the table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Row {
    pub scenario: String,
    /// The load: clients, pairs, rate.
    pub load: String,
    /// The headline number (RSS per connection, messages/s, cycles/s).
    pub result: String,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub lost: Option<u64>,
    pub ghosts: Option<u64>,
    /// Server CPU time per delivered message, in microseconds.
    pub cpu_us_per_msg: Option<f64>,
    /// Whether the row meets its target (timing included).
    pub held: bool,
    /// Whether the run was correct, whatever its timing: nothing lost, no ghosts, no
    /// client refused or dropped. The smoke test checks only this.
    pub correct: bool,
    pub notes: String,
}

/// The rows as a Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| scenario | load | result | p50 ms | p99 ms | max ms | lost | ghosts | server CPU µs/msg | held | notes |\n\
         |---|---|---|---:|---:|---:|---:|---:|---:|---|---|\n",
    );
    let number = |value: Option<f64>| value.map_or("–".to_string(), |v| format!("{v:.1}"));
    let count = |value: Option<u64>| value.map_or("–".to_string(), |v| v.to_string());
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.scenario,
            row.load,
            row.result,
            number(row.p50_ms),
            number(row.p99_ms),
            number(row.max_ms),
            count(row.lost),
            count(row.ghosts),
            row.cpu_us_per_msg
                .map_or("–".to_string(), |v| format!("{v:.2}")),
            if row.held { "yes" } else { "**no**" },
            row.notes.replace('|', "/"),
        ));
    }
    out
}

/// Fills a row's latency columns from a histogram in microseconds.
pub fn with_latency(mut row: Row, histogram: Option<&Histogram<u64>>) -> Row {
    if let Some(h) = histogram.filter(|h| !h.is_empty()) {
        row.p50_ms = Some(h.value_at_quantile(0.50) as f64 / 1000.0);
        row.p99_ms = Some(h.value_at_quantile(0.99) as f64 / 1000.0);
        row.max_ms = Some(h.max() as f64 / 1000.0);
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_merge_through_json() {
        let mut first = Counts::default();
        let mut histogram = new_histogram();
        histogram.record(1_000).ok();
        first.set_latency(&histogram);
        let mut second = Counts::default();
        histogram.record(9_000).ok();
        second.set_latency(&histogram);
        let json = serde_json::to_string(&second).expect("serialises");
        first.merge(serde_json::from_str(&json).expect("parses"));
        let merged = first.latency().expect("a histogram");
        assert_eq!(merged.len(), 3);
        assert!(merged.max() >= 9_000);
    }
}

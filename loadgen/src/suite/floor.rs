//! The churn's reference row: `loadgen floor` (this very binary, `crate::floor`) started on
//! a free loopback port and churned at meetmap's rate in the same run, so what the stack
//! itself costs a cycle on this machine is measured beside what meetmap costs.

use super::process;
use crate::Target;
use crate::report::Row;
use crate::scenario::{Context, churn};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// Time for the floor server to listen, and to stop once asked.
const START_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_GRACE: Duration = Duration::from_secs(5);

/// The churn's sizes, for the floor's row as for meetmap's.
#[derive(Debug, Clone, Copy)]
pub struct ChurnSize {
    pub rate: u32,
    pub seconds: u64,
    pub concurrency: usize,
}

/// A floor server started for one row.
struct Floor {
    child: Child,
    url: String,
    pid: u32,
}

impl Floor {
    /// Starts `loadgen floor` from the running binary, its stderr in `folder`.
    async fn start(folder: &Path) -> Result<Self, String> {
        let binary = std::env::current_exe().map_err(|error| format!("no loadgen: {error}"))?;
        let address = process::free_address()?;
        let log = std::fs::File::create(folder.join("floor.log"))
            .map_err(|error| format!("floor log: {error}"))?;
        let child = Command::new(binary)
            .args(["floor", "--listen", &address])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("start loadgen floor: {error}"))?;
        let pid = child.id().ok_or("loadgen floor exited at once")?;
        if !process::listening_within(&address, START_TIMEOUT).await {
            return Err(format!("the floor server did not listen on {address}"));
        }
        Ok(Self {
            child,
            url: format!("ws://{address}"),
            pid,
        })
    }
}

/// The churn row of `size` against a floor server of its own (folder `dir`), beside
/// `meetmap`'s row of the same size, the ratio of the two in its notes.
pub async fn churn_row(dir: &Path, template: &Context, size: ChurnSize, meetmap: &Row) -> Row {
    let ChurnSize {
        rate,
        seconds,
        concurrency,
    } = size;
    let scenario = "churn, bare tokio-tungstenite server (loadgen floor)".to_string();
    let floor = match Floor::start(dir).await {
        Ok(floor) => floor,
        Err(why) => {
            return Row {
                scenario,
                load: format!("{rate} connect-register-close/s for {seconds} s"),
                notes: format!("skipped: {why}"),
                ..Row::default()
            };
        }
    };
    let ctx = Context {
        target: Target {
            url: floor.url.clone(),
            legacy: false,
        },
        server_pid: Some(floor.pid),
        ..template.clone()
    };
    let mut row = churn::run(&ctx, rate, seconds, concurrency).await;
    process::stop(floor.child, floor.pid, STOP_GRACE).await;
    row.scenario = scenario;
    row.notes += &ratio(meetmap, &row);
    row
}

/// "; meetmap churn beside it: 1.20× the CPU per cycle", where both measured it.
fn ratio(meetmap: &Row, floor: &Row) -> String {
    match (meetmap.cpu_us_per_msg, floor.cpu_us_per_msg) {
        (Some(ours), Some(floor)) if floor > 0.0 => {
            format!(
                "; meetmap churn beside it: {:.2}× the CPU per cycle",
                ours / floor
            )
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::ratio;
    use crate::report::Row;

    #[test]
    fn the_ratio_is_meetmaps_cpu_per_cycle_over_the_floors() {
        let row = |cpu| Row {
            cpu_us_per_msg: Some(cpu),
            ..Row::default()
        };
        let notes = ratio(&row(150.0), &row(120.0));
        assert_eq!(notes, "; meetmap churn beside it: 1.25× the CPU per cycle");
        assert_eq!(ratio(&Row::default(), &row(120.0)), "");
    }
}

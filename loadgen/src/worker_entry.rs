//! `loadgen worker`: one worker process of a run, which runs the scenario its share names.
//! It sits above the scenarios and the workers, so neither of them imports the other.

use crate::scenario::chat::ChatJob;
use crate::scenario::failover::FailoverJob;
use crate::scenario::history::HistoryJob;
use crate::scenario::{churn::ChurnJob, idle::IdleJob, live::LiveJob, relay::RelayJob};
use crate::workers::{Job, WorkerError, WorkerStdio};

/// Reads the share from stdin and runs it as the job of the scenario it names.
pub async fn serve_stdio() -> Result<(), WorkerError> {
    let stdio = WorkerStdio::open().await?;
    let scenario = stdio.scenario().to_owned();
    match scenario.as_str() {
        IdleJob::NAME => stdio.serve::<IdleJob>().await,
        LiveJob::NAME => stdio.serve::<LiveJob>().await,
        RelayJob::NAME => stdio.serve::<RelayJob>().await,
        ChurnJob::NAME => stdio.serve::<ChurnJob>().await,
        ChatJob::NAME => stdio.serve::<ChatJob>().await,
        HistoryJob::NAME => stdio.serve::<HistoryJob>().await,
        FailoverJob::NAME => stdio.serve::<FailoverJob>().await,
        _ => Err(WorkerError::UnknownScenario(scenario)),
    }
}

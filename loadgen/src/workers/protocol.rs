//! What the parent and its workers say to each other, in process or as JSON lines: a
//! worker's [`Share`] first, then [`Up`] (`Ready`, `Done`) and [`Down`] (`Go`); and the
//! [`Job`] a scenario's worker side implements so that any worker can run it.

use crate::report::Counts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use tokio::sync::mpsc;

/// A scenario's worker side: its settings (the same for every worker of a run) and what a
/// worker does with its share of the clients.
pub trait Job: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The scenario's name on the wire: a worker process reads it to know which job it got.
    const NAME: &'static str;

    /// Sets up the share's clients, says `Ready` on `up`, waits for `Go` on `down`, runs
    /// the scenario; everything measured.
    fn work(
        share: Share<Self>,
        up: &mpsc::Sender<Up>,
        down: mpsc::Receiver<Down>,
    ) -> impl Future<Output = Counts> + Send;
}

/// One worker's share of a scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Share<J> {
    /// Which of the workers this is, from 0.
    pub worker: usize,
    /// Client numbers `first..first + count` are this worker's.
    pub first: usize,
    pub count: usize,
    pub job: J,
}

/// Worker to parent.
#[derive(Debug, Serialize, Deserialize)]
pub enum Up {
    /// Clients set up; the counts so far (connect errors).
    Ready(Counts),
    /// The scenario ran: everything measured.
    Done(Counts),
}

/// Parent to worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Down {
    /// Start the measured phase at this time (microseconds of the shared clock). Clients
    /// listed in `absent` failed to register anywhere: nothing is due from them.
    Go { start_us: u64, absent: Vec<usize> },
}

/// Runs one worker's share, in this process or in a worker process: the job, then `Done`.
pub async fn run<J: Job>(share: Share<J>, up: mpsc::Sender<Up>, down: mpsc::Receiver<Down>) {
    crate::clock::raise_fd_limit();
    let counts = J::work(share, &up, down).await;
    let _ = up.send(Up::Done(counts)).await;
}

impl<J: Job> Share<J> {
    /// The first line to a worker process: the share with its job under the scenario's
    /// name, `{"worker":0,"first":0,"count":5,"job":{"Idle":{…}}}`.
    pub fn first_line(&self) -> Result<String, serde_json::Error> {
        let named = Share {
            worker: self.worker,
            first: self.first,
            count: self.count,
            job: BTreeMap::from([(J::NAME, &self.job)]),
        };
        Ok(serde_json::to_string(&named)? + "\n")
    }
}

/// A worker process's first line, read: the scenario's name, the job still in JSON.
#[derive(Debug)]
pub struct Assignment {
    scenario: String,
    share: Share<serde_json::Value>,
}

impl Assignment {
    /// Reads a line written by [`Share::first_line`].
    pub fn parse(line: &str) -> Result<Self, WorkerError> {
        let named: Share<BTreeMap<String, serde_json::Value>> =
            serde_json::from_str(line).map_err(WorkerError::Unreadable)?;
        let mut jobs = named.job.into_iter();
        let (Some((scenario, job)), None) = (jobs.next(), jobs.next()) else {
            return Err(WorkerError::NotOneScenario);
        };
        let share = Share {
            worker: named.worker,
            first: named.first,
            count: named.count,
            job,
        };
        Ok(Self { scenario, share })
    }

    /// The name of the scenario the share is for.
    pub fn scenario(&self) -> &str {
        &self.scenario
    }

    /// The share with its job read as `J` (the job [`Self::scenario`] names).
    pub fn share<J: Job>(self) -> Result<Share<J>, WorkerError> {
        let job = serde_json::from_value(self.share.job).map_err(|error| WorkerError::BadJob {
            scenario: self.scenario,
            error,
        })?;
        Ok(Share {
            worker: self.share.worker,
            first: self.share.first,
            count: self.share.count,
            job,
        })
    }
}

/// Why a worker process could not run its share.
#[derive(Debug)]
pub enum WorkerError {
    /// Stdin ended before the first line.
    NoShare,
    /// The first line is not a share.
    Unreadable(serde_json::Error),
    /// The share's job names no scenario, or more than one.
    NotOneScenario,
    /// The share names a scenario this binary does not have.
    UnknownScenario(String),
    /// The job does not fit the scenario it names.
    BadJob {
        scenario: String,
        error: serde_json::Error,
    },
    /// A message to the parent could not be written as JSON.
    Encode(serde_json::Error),
    /// Stdin or stdout failed.
    Io(std::io::Error),
}

impl fmt::Display for WorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoShare => write!(f, "no share on stdin"),
            Self::Unreadable(error) => write!(f, "the first line is not a share: {error}"),
            Self::NotOneScenario => write!(f, "the share's job must name exactly one scenario"),
            Self::UnknownScenario(name) => write!(f, "unknown scenario `{name}`"),
            Self::BadJob { scenario, error } => write!(f, "bad `{scenario}` job: {error}"),
            Self::Encode(error) => write!(f, "cannot write a message: {error}"),
            Self::Io(error) => write!(f, "stdio: {error}"),
        }
    }
}

impl std::error::Error for WorkerError {}

/// Splits `total` clients into `workers` consecutive ranges.
pub fn split(total: usize, workers: usize) -> Vec<(usize, usize)> {
    let workers = workers.clamp(1, total.max(1));
    (0..workers)
        .map(|w| {
            let first = total * w / workers;
            (first, total * (w + 1) / workers - first)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Echo {
        n: u32,
    }

    impl Job for Echo {
        const NAME: &'static str = "Echo";

        async fn work(_: Share<Self>, _: &mpsc::Sender<Up>, _: mpsc::Receiver<Down>) -> Counts {
            Counts::default()
        }
    }

    fn share() -> Share<Echo> {
        Share {
            worker: 1,
            first: 4,
            count: 2,
            job: Echo { n: 7 },
        }
    }

    #[test]
    fn a_first_line_names_the_scenario_and_reads_back_as_the_same_share() {
        let line = share().first_line().unwrap();
        assert_eq!(
            line,
            "{\"worker\":1,\"first\":4,\"count\":2,\"job\":{\"Echo\":{\"n\":7}}}\n"
        );
        let assignment = Assignment::parse(&line).unwrap();
        assert_eq!(assignment.scenario(), "Echo");
        let back = assignment.share::<Echo>().unwrap();
        assert_eq!((back.worker, back.first, back.count), (1, 4, 2));
        assert_eq!(back.job, Echo { n: 7 });
    }

    #[test]
    fn a_line_naming_no_scenario_or_two_is_refused() {
        for line in [
            r#"{"worker":0,"first":0,"count":1,"job":{}}"#,
            r#"{"worker":0,"first":0,"count":1,"job":{"Echo":{"n":1},"Idle":{}}}"#,
        ] {
            let refused = Assignment::parse(line).unwrap_err();
            assert!(matches!(refused, WorkerError::NotOneScenario), "{refused}");
        }
        let refused = Assignment::parse("not json").unwrap_err();
        assert!(matches!(refused, WorkerError::Unreadable(_)), "{refused}");
    }

    #[test]
    fn a_job_that_does_not_fit_its_scenario_is_refused() {
        let line = r#"{"worker":0,"first":0,"count":1,"job":{"Echo":{"n":"seven"}}}"#;
        let refused = Assignment::parse(line)
            .unwrap()
            .share::<Echo>()
            .unwrap_err();
        assert!(matches!(&refused, WorkerError::BadJob { scenario, .. } if scenario == "Echo"));
        assert!(
            refused.to_string().starts_with("bad `Echo` job: "),
            "{refused}"
        );
    }

    #[test]
    fn split_covers_every_client_once() {
        assert_eq!(split(10, 3), vec![(0, 3), (3, 3), (6, 4)]);
        assert_eq!(split(2, 5), vec![(0, 1), (1, 1)]);
        assert_eq!(split(0, 4), vec![(0, 0)]);
    }
}

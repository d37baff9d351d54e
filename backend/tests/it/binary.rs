//! The real `backend` binary as a child process, for tests that need a process: started on
//! port 0 with extra flags and environment (and an optional `pre_exec` hook, for rlimits),
//! its log lines, pid and RSS, SIGTERM with a bounded wait, and SIGKILL when dropped.

// A toolkit for every process test: not each one uses every helper.
#![allow(dead_code)]

use super::harness::PATIENCE;
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A hook run in the child between `fork` and `exec` (see [`CommandExt::pre_exec`]).
type PreExec = Box<dyn FnMut() -> io::Result<()> + Send + Sync>;

/// How to start the binary: `--listen 127.0.0.1:0` and `RUST_LOG=info`, plus what is added.
#[derive(Default)]
pub struct Launch {
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    pre_exec: Option<PreExec>,
    listen_within: Option<Duration>,
}

impl Launch {
    pub fn new() -> Launch {
        Launch::default()
    }

    /// `--database PATH`.
    pub fn database(self, path: &Path) -> Launch {
        self.arg("--database").arg(path)
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Launch {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Launch {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Launch {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Runs `hook` in the child before it execs the binary, e.g. `libc::setrlimit`. It must
    /// only make async-signal-safe calls (no allocation, no locks).
    pub fn pre_exec(
        mut self,
        hook: impl FnMut() -> io::Result<()> + Send + Sync + 'static,
    ) -> Launch {
        self.pre_exec = Some(Box::new(hook));
        self
    }

    /// How long to wait for the `listening on` line (default twice [`PATIENCE`]).
    pub fn listen_within(mut self, limit: Duration) -> Launch {
        self.listen_within = Some(limit);
        self
    }

    /// Starts the process and waits for its `listening on ws://ADDR` line; panics, with
    /// what it logged, if it exits first or does not listen in time.
    pub async fn start(self) -> Backend {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backend"));
        command
            .args(["--listen", "127.0.0.1:0"])
            .args(&self.args)
            .env("RUST_LOG", "info")
            .envs(self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(hook) = self.pre_exec {
            // SAFETY: the hook's contract (async-signal-safe calls only) is documented on
            // `Launch::pre_exec`.
            unsafe {
                command.pre_exec(hook);
            }
        }
        let mut child = command.spawn().expect("start the backend binary");
        let stderr = child.stderr.take().expect("piped stderr");
        let (lines, log) = mpsc::unbounded_channel();
        // A thread drains stderr for the whole life of the process, so it never blocks on
        // a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                if lines.send(line).is_err() {
                    return;
                }
            }
        });
        let mut backend = Backend {
            child: Some(child),
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            url: String::new(),
            log,
            lines: Vec::new(),
        };
        let limit = self.listen_within.unwrap_or(PATIENCE * 2);
        let Some(line) = backend
            .try_await_log(limit, |l| l.contains("listening on ws://"))
            .await
        else {
            panic!("the backend did not listen: {:#?}", backend.lines);
        };
        let (_, address) = line.split_once("listening on ws://").expect("matched");
        // In a JSON line (`--log-format json`) the address ends at the message's quote.
        let address = address.split('"').next().unwrap_or(address);
        backend.address = address.trim().parse().expect("a socket address");
        backend.url = format!("ws://{}/", backend.address);
        backend
    }
}

/// One running backend process, killed (SIGKILL) when dropped if still running.
pub struct Backend {
    child: Option<Child>,
    pub address: SocketAddr,
    /// `ws://ADDR/`.
    pub url: String,
    /// Lines the process logged, not yet moved to `lines`.
    log: mpsc::UnboundedReceiver<String>,
    /// Every line read off the log so far, in order.
    lines: Vec<String>,
}

impl Backend {
    /// The binary on `database` with short ping and idle timings (200 ms, 1 s).
    pub async fn start(database: &Path) -> Backend {
        Launch::new()
            .database(database)
            .args(["--ping-interval-ms", "200", "--idle-timeout-ms", "1000"])
            .start()
            .await
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Resident memory now, in KiB (`VmRSS` of `/proc/PID/status`).
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// The most resident memory so far, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("read /proc/PID/status");
        let line = status
            .lines()
            .find(|line| line.starts_with(field))
            .unwrap_or_else(|| panic!("no {field} in {status}"));
        line[field.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .expect("a number of kB")
    }

    /// Whether the process is still running (not exited, not killed).
    pub fn is_running(&mut self) -> bool {
        let child = self.child.as_mut().expect("not waited for yet");
        child.try_wait().expect("try_wait").is_none()
    }

    /// SIGKILL: a crash; no close frame, no flush.
    pub fn kill_9(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("kill -9");
        child.wait().expect("reap");
    }

    /// Sends SIGTERM (a graceful stop).
    pub fn terminate(&self) {
        let pid = libc::pid_t::try_from(self.pid()).expect("a pid");
        // SAFETY: kill only sends a signal to our own child.
        let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(sent, 0, "kill -TERM failed: {}", io::Error::last_os_error());
    }

    /// Waits for the process to exit, at most `limit`; panics (after SIGKILL) past it.
    pub async fn wait_exit_within(&mut self, limit: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let waited = tokio::task::spawn_blocking(move || {
            let deadline = std::time::Instant::now() + limit;
            loop {
                if let Some(status) = child.try_wait().expect("try_wait") {
                    return Some(status);
                }
                if std::time::Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    return None;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        let status = waited.await.expect("waiter");
        status.unwrap_or_else(|| panic!("the backend did not exit within {limit:?}"))
    }

    /// Waits for the exit within twice [`PATIENCE`].
    pub async fn wait_exit(&mut self) -> ExitStatus {
        self.wait_exit_within(PATIENCE * 2).await
    }

    /// A line already logged that satisfies `wanted`, or else the next one within `limit`
    /// (for lines that may come before or after `listening on`).
    pub async fn logged(&mut self, limit: Duration, wanted: impl Fn(&str) -> bool) -> String {
        if let Some(line) = self.lines.iter().find(|line| wanted(line)) {
            return line.clone();
        }
        self.await_log(limit, wanted).await
    }

    /// The next log line (from now on) that satisfies `wanted`, within `limit`; panics
    /// with the log so far otherwise.
    pub async fn await_log(&mut self, limit: Duration, wanted: impl Fn(&str) -> bool) -> String {
        match self.try_await_log(limit, wanted).await {
            Some(line) => line,
            None => panic!(
                "no such log line within {limit:?}; the log: {:#?}",
                self.lines
            ),
        }
    }

    /// Like [`await_log`](Backend::await_log), `None` if the line does not come (the
    /// process exited or the time ran out).
    pub async fn try_await_log(
        &mut self,
        limit: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            let next = tokio::time::timeout_at(deadline, self.log.recv()).await;
            let line = next.ok()??;
            self.lines.push(line.clone());
            if wanted(&line) {
                return Some(line);
            }
        }
    }

    /// Every line logged so far, from the start.
    pub fn log_lines(&mut self) -> &[String] {
        while let Ok(line) = self.log.try_recv() {
            self.lines.push(line);
        }
        &self.lines
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

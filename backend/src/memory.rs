//! Keeps the allocator's footprint close to what is in use: one arena, and memory freed
//! after a burst given back to the operating system.
//!
//! glibc gives each thread that allocates its own arena (up to eight per core), each
//! holding its own free memory; the server's threads share one instead. That lowers the
//! idle RSS per connection and leaves the relay's throughput unchanged (the figures are in
//! `docs/BENCHMARKS.md`).
//!
//! A burst of joins (a crowd arriving, or every client reconnecting after a restart) queues
//! snapshots and deltas on thousands of outboxes at once. They are freed as soon as they
//! are written, but glibc's allocator keeps freed memory that sits between live
//! allocations, so the process stays at its peak size. Once presence has been quiet for a
//! second after such a burst, `malloc_trim` hands the free pages back. It walks the heap
//! (a few milliseconds for tens of MiB), so it runs on the blocking pool, at most once per
//! quiet spell, and never while a room is busy.

/// Presence ticks without changes before the free memory is given back.
const QUIET_TICKS: u32 = 10;

/// Watches the presence ticks for the end of a burst.
#[derive(Debug, Default)]
pub(crate) struct Trimmer {
    quiet_ticks: u32,
    busy_since_trim: bool,
}

impl Trimmer {
    /// Called at each presence tick, `busy` if it sent anything; true when it trims.
    pub fn tick(&mut self, busy: bool) -> bool {
        if busy {
            self.busy_since_trim = true;
            self.quiet_ticks = 0;
            return false;
        }
        self.quiet_ticks = self.quiet_ticks.saturating_add(1);
        if !self.busy_since_trim || self.quiet_ticks < QUIET_TICKS {
            return false;
        }
        self.busy_since_trim = false;
        tokio::task::spawn_blocking(release_free_memory);
        true
    }
}

/// One allocator arena for the whole process. Called first thing in `main`, before any
/// other thread exists.
pub fn use_one_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before other threads start.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    // SAFETY: malloc_trim only inspects and releases the allocator's free chunks; it is
    // safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn trims_once_after_a_burst_and_a_quiet_second_and_never_while_busy() {
        let mut trimmer = Trimmer::default();
        let quiet =
            |trimmer: &mut Trimmer, ticks: u32| (0..ticks).filter(|_| trimmer.tick(false)).count();
        assert_eq!(
            quiet(&mut trimmer, 50),
            0,
            "nothing happened: nothing to give back"
        );
        assert!(!trimmer.tick(true));
        assert_eq!(quiet(&mut trimmer, QUIET_TICKS - 1), 0);
        assert!(
            !trimmer.tick(true),
            "busy again: the quiet second starts over"
        );
        assert_eq!(quiet(&mut trimmer, QUIET_TICKS - 1), 0);
        assert_eq!(quiet(&mut trimmer, 1), 1);
        assert_eq!(quiet(&mut trimmer, 100), 0, "once per quiet spell");
    }
}

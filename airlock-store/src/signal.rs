//! [`WorkSignal`]: how the web process wakes its background worker at once when there is new
//! work (a release, a queued notification; UPL-6) and tells it to stop.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

#[derive(Debug, Default)]
struct Flags {
    woken: bool,
    stopped: bool,
}

/// A wake-up and stop flag shared by the code that queues work and the worker that does it.
#[derive(Debug, Default)]
pub struct WorkSignal {
    flags: Mutex<Flags>,
    changed: Condvar,
}

impl WorkSignal {
    /// A signal with nothing pending.
    pub fn new() -> Self {
        WorkSignal::default()
    }

    /// There is new work: a waiting worker wakes now, a busy one runs another pass at once.
    pub fn wake(&self) {
        self.flags
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .woken = true;
        self.changed.notify_all();
    }

    /// The worker should stop after what it is doing.
    pub fn stop(&self) {
        self.flags
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stopped = true;
        self.changed.notify_all();
    }

    /// True once [`WorkSignal::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.flags
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stopped
    }

    /// Sleeps until woken, stopped or `timeout` has passed, and clears the wake-up. True when
    /// it was woken or stopped rather than timed out.
    pub fn wait(&self, timeout: Duration) -> bool {
        let flags = self.flags.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut flags, result) = self
            .changed
            .wait_timeout_while(flags, timeout, |f| !f.woken && !f.stopped)
            .unwrap_or_else(PoisonError::into_inner);
        flags.woken = false;
        !result.timed_out()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn upl_6_a_wake_ends_the_wait_at_once_and_is_consumed() {
        let signal = Arc::new(WorkSignal::new());
        signal.wake();
        assert!(signal.wait(Duration::from_secs(60)), "a pending wake-up");
        assert!(!signal.wait(Duration::from_millis(5)), "consumed");
        let waker = Arc::clone(&signal);
        let thread = std::thread::spawn(move || waker.stop());
        assert!(signal.wait(Duration::from_secs(60)));
        assert!(signal.is_stopped());
        thread.join().expect("join");
    }
}

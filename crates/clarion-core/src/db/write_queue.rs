//! The order in which a process's threads take a SQLite database's write lock.
//!
//! SQLite lets one connection write at a time, and a connection that finds the lock taken polls
//! for it (the busy handler) with waits growing to 100 ms. Polling is not a queue: a thread that
//! writes again as soon as it commits takes the lock back in the microseconds between two polls,
//! and a waiter can be refused after the whole busy timeout although the lock was free a
//! thousand times meanwhile. Within one process clarion knows every writer, so its writers line
//! up here, first come first served, before `BEGIN IMMEDIATE`; the busy handler is left to wait
//! for other processes.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A first-come-first-served queue for one database's write lock.
#[derive(Default)]
pub(super) struct WriteQueue {
    state: Mutex<Queue>,
    turn: Condvar,
}

#[derive(Default)]
struct Queue {
    /// The ticket the next arrival gets.
    next: u64,
    /// The tickets waiting, oldest first.
    waiting: VecDeque<u64>,
    /// Whether a writer holds its turn.
    held: bool,
}

/// A writer's turn: the queue moves on when it is dropped, after `COMMIT` or `ROLLBACK`.
pub(super) struct Turn<'a> {
    queue: &'a WriteQueue,
}

impl WriteQueue {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing panics while the lock is held: the state is always whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for this thread's turn to write, up to `timeout`; `None` when the turn did not come
    /// in time (the caller reports the database as busy, as SQLite would).
    pub(super) fn enter(&self, timeout: Duration) -> Option<Turn<'_>> {
        let mut queue = self.lock();
        if !queue.held && queue.waiting.is_empty() {
            queue.held = true;
            return Some(Turn { queue: self });
        }
        let ticket = queue.next;
        queue.next += 1;
        queue.waiting.push_back(ticket);
        let deadline = Instant::now() + timeout;
        loop {
            if !queue.held && queue.waiting.front() == Some(&ticket) {
                queue.waiting.pop_front();
                queue.held = true;
                return Some(Turn { queue: self });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                queue.waiting.retain(|&waiting| waiting != ticket);
                drop(queue);
                // The next in line may be free to go now that this one left.
                self.turn.notify_all();
                return None;
            }
            queue = self
                .turn
                .wait_timeout(queue, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut queue = self.queue.lock();
        queue.held = false;
        let waiting = !queue.waiting.is_empty();
        drop(queue);
        if waiting {
            self.queue.turn.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::thread;

    #[test]
    fn a_writer_that_comes_straight_back_cannot_overtake_one_that_waits() {
        let queue = Arc::new(WriteQueue::default());
        let stop = Arc::new(AtomicBool::new(false));
        let hog = {
            let (queue, stop) = (Arc::clone(&queue), Arc::clone(&stop));
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let _turn = queue.enter(Duration::from_secs(5)).expect("a turn");
                    thread::sleep(Duration::from_millis(1));
                }
            })
        };
        for _ in 0..50 {
            let began = Instant::now();
            let turn = queue.enter(Duration::from_secs(5));
            assert!(turn.is_some(), "refused after {:?}", began.elapsed());
        }
        stop.store(true, Ordering::SeqCst);
        hog.join().unwrap();
    }

    #[test]
    fn a_turn_that_does_not_come_in_time_leaves_the_queue() {
        let queue = WriteQueue::default();
        let held = queue.enter(Duration::ZERO).expect("the queue is empty");
        let began = Instant::now();
        assert!(queue.enter(Duration::from_millis(50)).is_none());
        assert!(began.elapsed() >= Duration::from_millis(50));
        drop(held);
        // The one who gave up is no longer in line, so the next arrival goes at once.
        assert!(queue.enter(Duration::ZERO).is_some());
    }
}

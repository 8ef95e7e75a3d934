//! Awaiting an `async fn` receiver from the synchronous dispatch that calls it.

use std::cell::Cell;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use crate::{Error, Result};

/// Not public API: awaits the future of an `async fn` receiver, on the thread that sends the
/// signal, and gives its output.
///
/// The future is polled on this thread with the runtime's handle current, so that its timers,
/// sockets and `tokio::spawn` work, but outside the runtime's own scheduling: the receiver can
/// call clarion's synchronous API (whose PostgreSQL driver blocks on a runtime of its own, which
/// a thread inside `Handle::block_on` may not do), and another async receiver awaited inside it
/// nests.
///
/// - On a blocking thread (where the awaitable API runs every call), and inside another async
///   receiver, it is polled at once.
/// - On a worker of a multi-threaded runtime (a synchronous call in a handler), the worker
///   first hands its other tasks to another thread (`block_in_place`).
/// - On a thread without a runtime, a runtime of clarion's own (one worker thread, started at
///   the first such receiver) serves its timers and sockets.
/// - On the thread of a single-threaded runtime nothing may block: it is
///   [`Error::AsyncReceiverBlocked`], before the receiver ran.
#[doc(hidden)]
pub fn await_receiver<F: Future>(future: F) -> Result<F::Output> {
    let handle = match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle,
        Err(_) => own_runtime()?.handle().clone(),
    };
    let started = Cell::new(false);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        tokio::task::block_in_place(|| {
            started.set(true);
            let _current = handle.enter();
            poll_here(future)
        })
    }));
    match outcome {
        Ok(output) => Ok(output),
        // `block_in_place` refused: this thread drives a single-threaded runtime.
        Err(_) if !started.get() => Err(Error::AsyncReceiverBlocked),
        Err(payload) => panic::resume_unwind(payload),
    }
}

/// The runtime that serves async receivers awaited on threads that have none.
fn own_runtime() -> Result<&'static tokio::runtime::Runtime> {
    static OWN: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(runtime) = OWN.get() {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("clarion-receivers")
        .enable_all()
        .build()
        .map_err(|error| {
            Error::msg(format!(
                "cannot start a runtime for async receivers: {error}"
            ))
        })?;
    // Two threads may build one at once: the loser's is dropped here, on a thread without a
    // runtime, where dropping one is allowed.
    Ok(OWN.get_or_init(|| runtime))
}

/// Wakes the thread that polls.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` to completion on this thread, sleeping between wake-ups. Written here rather
/// than taken from `futures-executor`, whose `block_on` refuses to run inside another (an async
/// receiver that saves a model with async receivers of its own).
fn poll_here<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut context = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        thread::park();
    }
}

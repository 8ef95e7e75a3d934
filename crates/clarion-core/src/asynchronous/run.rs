//! Where an awaitable call's synchronous work runs: on a blocking thread of its own, or on the
//! thread of the task's open [`aatomic`](crate::db::aatomic) block.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{mpsc, oneshot};

use crate::db::Transaction;
use crate::testing;
use crate::{Error, Result};

/// Work for a transaction's thread, given the innermost open transaction.
pub(super) type Job = Box<dyn FnOnce(&Transaction) + Send>;

/// What a task sends to the thread of its transaction.
pub(super) enum Message {
    /// Runs inside the innermost open level.
    Job(Job),
    /// Opens a level: `atomic_using(alias, …)` on the thread (a savepoint when `alias` is
    /// already open there). `opened` is answered once the level is open; `done` gets the
    /// level's outcome when it ends.
    Begin {
        alias: String,
        opened: oneshot::Sender<()>,
        done: oneshot::Sender<Result<()>>,
    },
    /// Ends the innermost level: commits (or releases its savepoint), or rolls it back.
    End { commit: bool },
}

/// The thread holding a task's open transactions, as the task sees it.
#[derive(Clone)]
pub(super) struct Worker {
    sender: mpsc::UnboundedSender<Message>,
    /// The alias of the outermost block, for errors.
    alias: Arc<str>,
}

tokio::task_local! {
    /// The transaction thread of the task's innermost open `aatomic` block.
    pub(super) static CURRENT: Worker;
}

thread_local! {
    /// Set while a blocking thread runs a call whose future may be dropped: once it is, the
    /// transactions the call opened roll back instead of committing.
    static CANCELLED: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Whether the future that is waiting for this thread's work has been dropped.
pub(crate) fn cancelled() -> bool {
    CANCELLED.with_borrow(|flag| {
        flag.as_ref()
            .is_some_and(|flag| flag.load(Ordering::Acquire))
    })
}

/// Whether the code running now is a task's, inside one of its `aatomic` blocks: synchronous
/// database calls made there would run outside the block's transaction.
pub(crate) fn in_async_transaction() -> bool {
    CURRENT.try_with(|_| ()).is_ok()
}

/// What a task's awaited work carries to the thread that runs it: the task's test aids (see
/// [`testing`]) and, with the `tracing` feature, its current span and subscriber, so that the
/// statements, transactions and sends of an `asave` are traced inside the request that awaited
/// it, by the subscriber the task sees (a thread's default one included).
pub(super) struct Carried {
    scope: Option<Arc<testing::Scope>>,
    #[cfg(feature = "tracing")]
    span: tracing::Span,
    #[cfg(feature = "tracing")]
    dispatch: tracing::Dispatch,
}

/// [`Carried`], entered on the thread that does the work, for as long as it lives.
pub(super) struct Entered {
    // Fields drop in order: the span is left before its subscriber stops being the default.
    #[cfg(feature = "tracing")]
    _span: tracing::span::EnteredSpan,
    #[cfg(feature = "tracing")]
    _dispatch: tracing::dispatcher::DefaultGuard,
    _scope: testing::Inherited,
}

impl Carried {
    /// What the code running now would carry.
    pub(super) fn capture() -> Carried {
        Carried {
            scope: testing::inherit(),
            #[cfg(feature = "tracing")]
            span: tracing::Span::current(),
            #[cfg(feature = "tracing")]
            dispatch: tracing::dispatcher::get_default(tracing::Dispatch::clone),
        }
    }

    /// What work sent into an open `aatomic` block carries: no span, so that its statements
    /// are traced inside the block's transaction, whose span (entered on the block's thread)
    /// is inside the span that opened the block.
    pub(super) fn capture_in_block() -> Carried {
        Carried {
            scope: testing::inherit(),
            #[cfg(feature = "tracing")]
            span: tracing::Span::none(),
            #[cfg(feature = "tracing")]
            dispatch: tracing::dispatcher::get_default(tracing::Dispatch::clone),
        }
    }

    /// Enters it on this thread until the result is dropped.
    pub(super) fn enter(self) -> Entered {
        let _scope = testing::Inherited::enter(self.scope);
        #[cfg(feature = "tracing")]
        {
            let _dispatch = tracing::dispatcher::set_default(&self.dispatch);
            Entered {
                _span: self.span.entered(),
                _dispatch,
                _scope,
            }
        }
        #[cfg(not(feature = "tracing"))]
        Entered { _scope }
    }
}

/// Sets the flag when dropped while still armed: the waiting future is gone.
struct CancelOnDrop(Option<Arc<AtomicBool>>);

impl CancelOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(flag) = self.0.take() {
            flag.store(true, Ordering::Release);
        }
    }
}

/// Runs `job` (clarion's synchronous code) off the runtime's workers: on the thread of the
/// task's open [`aatomic`](crate::db::aatomic) block, inside its transaction, or else on a blocking
/// thread of its own. A panic in `job` continues in the awaiting task, as it would have in a
/// synchronous call.
pub(crate) async fn run<T, F>(job: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    if let Ok(worker) = CURRENT.try_with(Worker::clone) {
        return worker.call(move |_| job()).await;
    }
    // Inside an async receiver, awaited on the thread whose save sent the signal: the call
    // joins that save's transaction, as a synchronous call there would (on another thread it
    // would wait for the save's own lock). The thread is off the runtime's workers already.
    if crate::db::in_transaction_here() {
        return job();
    }
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoAsyncRuntime)?;
    let flag = Arc::new(AtomicBool::new(false));
    let cancel = CancelOnDrop(Some(Arc::clone(&flag)));
    // The caller's test aids and traces see what its awaited work sends and runs.
    let carried = Carried::capture();
    let joined = runtime
        .spawn_blocking(move || {
            let _carried = carried.enter();
            CANCELLED.set(Some(flag));
            let outcome = panic::catch_unwind(AssertUnwindSafe(job));
            CANCELLED.set(None);
            outcome
        })
        .await;
    cancel.disarm();
    match joined {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(payload)) => panic::resume_unwind(payload),
        // The runtime is shutting down and dropped the work before it ran.
        Err(_) => Err(Error::Cancelled),
    }
}

impl Worker {
    /// Starts the thread of a task's outermost `aatomic` block.
    pub(super) fn spawn(alias: &str) -> Result<Worker> {
        if crate::db::in_transaction_here() {
            // An async receiver's block: its own thread would wait for the save's lock.
            return Err(Error::msg(
                "`aatomic` cannot open a transaction inside an async receiver of a save, whose \
                 transaction is open on this thread: the receiver's awaitable calls already run \
                 inside it; use them directly, or the receiver's `tx`",
            ));
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoAsyncRuntime)?;
        let (sender, mut receiver) = mpsc::unbounded_channel();
        // The block's transaction is traced inside the span that opened it.
        let carried = Carried::capture();
        runtime.spawn_blocking(move || {
            let _carried = carried.enter();
            serve_outermost(&mut receiver)
        });
        Ok(Worker {
            sender,
            alias: alias.into(),
        })
    }

    pub(super) fn send(&self, message: Message) -> Result<()> {
        self.sender.send(message).map_err(|_| self.closed())
    }

    fn closed(&self) -> Error {
        Error::TransactionClosed {
            alias: self.alias.to_string(),
        }
    }

    /// Runs `f` on the transaction's thread, in its innermost open level, unless the future was
    /// dropped before its turn came.
    pub(super) async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let flag = Arc::new(AtomicBool::new(false));
        let cancel = CancelOnDrop(Some(Arc::clone(&flag)));
        let carried = Carried::capture_in_block();
        self.send(Message::Job(Box::new(move |tx| {
            if flag.load(Ordering::Acquire) {
                return; // dropped before it began: nothing to do, no one to tell
            }
            let _carried = carried.enter();
            let _ = reply.send(panic::catch_unwind(AssertUnwindSafe(|| f(tx))));
        })))?;
        let answered = answer.await;
        cancel.disarm();
        match answered {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(payload)) => panic::resume_unwind(payload),
            Err(_) => Err(self.closed()),
        }
    }
}

/// The body of a transaction's thread: opens the outermost level, serves it, and ends.
fn serve_outermost(receiver: &mut mpsc::UnboundedReceiver<Message>) {
    if let Some(Message::Begin {
        alias,
        opened,
        done,
    }) = receiver.blocking_recv()
    {
        let _ = done.send(serve_level(&alias, opened, receiver));
    }
}

/// Opens a level on `alias` and runs the task's messages in it until the task ends it.
fn serve_level(
    alias: &str,
    opened: oneshot::Sender<()>,
    receiver: &mut mpsc::UnboundedReceiver<Message>,
) -> Result<()> {
    crate::db::atomic_using(alias, |tx| {
        let _ = opened.send(());
        loop {
            match receiver.blocking_recv() {
                Some(Message::Job(job)) => job(tx),
                Some(Message::Begin {
                    alias,
                    opened,
                    done,
                }) => {
                    let _ = done.send(serve_level(&alias, opened, receiver));
                }
                Some(Message::End { commit: true }) => return Ok(()),
                // The block's own error goes to the task; this one only makes the level roll
                // back.
                Some(Message::End { commit: false }) => {
                    return Err(Error::msg("the aatomic block failed"));
                }
                // The task is gone (its future was dropped, or it panicked).
                None => return Err(Error::Cancelled),
            }
        }
    })
}

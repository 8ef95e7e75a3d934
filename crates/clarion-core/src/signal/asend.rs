//! Async receivers connected at run time, and the sends that await them natively: `connect_async`,
//! `asend`, `asend_robust` (Django 5.0's `asend`/`asend_robust`).
//!
//! An async receiver is one more kind of `Entry` in the same registry and snapshots as the
//! synchronous ones: its `Call::Dynamic` carries two trampolines, `awaitable` (starts the future,
//! which `asend` awaits) and `func` (starts it and blocks on it, for a synchronous `send`). So
//! connection, ordering, sender filtering, `dispatch_uid`, weak targets, disconnection and the
//! test aids are the synchronous code's, unchanged, and the synchronous hot path gains nothing.
//!
//! Needs no runtime: `asend` is a plain future, and an executor other than tokio can drive it.
//! Only a synchronous `send` that meets an async receiver needs the `tokio` feature (it awaits
//! the receiver with `asynchronous::await_receiver`).

use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use super::{
    Call, Called, Connect, DynFn, Entry, Lookup, Outcome, Signal, SignalArgs, Snapshot,
    surely_unheard,
};
use crate::error::{Error, Result};
use crate::receiver::ReceiverId;
use crate::sender::Sender;
use crate::testing;

/// A boxed, `Send` future that borrows for `'a`: what an async receiver returns (the same as
/// `futures::future::BoxFuture`, without the dependency), and what [`Signal::asend`] and
/// [`Signal::asend_robust`] return.
///
/// An async receiver's future borrows the signal's arguments (the `&'a mut Args` it was given),
/// so it may read and change them across its `.await`s. Write the receiver as a closure
/// returning `Box::pin(async move { … })`; the future's output is `clarion::Result` of the
/// signal's output (`Ok(())` for most signals).
///
/// ```
/// use clarion::prelude::*;
/// use clarion::BoxFuture;
///
/// #[derive(SignalArgs)]
/// pub struct Shipped { pub parcel: u64 }
///
/// // A named fn works as well as a closure.
/// fn notify<'b>(_sender: Sender, args: &'b mut Shipped) -> BoxFuture<'b, clarion::Result<()>> {
///     Box::pin(async move {
///         println!("parcel {} shipped", args.parcel);
///         Ok(())
///     })
/// }
///
/// static SHIPPED: Signal<Shipped> = Signal::new("shipped");
/// let id = SHIPPED.connect_async(notify);
/// assert!(SHIPPED.disconnect(id));
/// ```
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Starts an async receiver's future; `None` when a weak receiver's target is gone. `data` points
/// at the receiver's state, kept alive by `Entry::owner`.
pub(super) type AsyncDynFn<A> =
    for<'a, 'b> fn(
        *const (),
        Sender,
        &'b mut <A as SignalArgs>::Args<'a>,
    ) -> Option<BoxFuture<'b, Result<<A as SignalArgs>::Output>>>;

/// The state of a weak async receiver: the closure gets the target as an `Arc`, which its future
/// may hold across `.await`s (a `&T` could not outlive the call that upgraded it).
struct WeakAsync<T, F> {
    target: Weak<T>,
    f: F,
}

/// The trampolines of an async receiver whose state is an `F` (the argument only names `F`).
fn strong_async<A, F>(_state: &Arc<F>) -> (DynFn<A>, AsyncDynFn<A>)
where
    A: SignalArgs,
    F: for<'a, 'b> Fn(Sender, &'b mut A::Args<'a>) -> BoxFuture<'b, Result<A::Output>>,
{
    (
        |data, sender, args| {
            // SAFETY: `data` is `Arc::as_ptr` of the `Arc<F>` this entry owns (`Entry::owner`).
            let f = unsafe { &*data.cast::<F>() };
            Some(block_on_receiver(f(*sender, args)))
        },
        |data, sender, args| {
            // SAFETY: as above.
            let f = unsafe { &*data.cast::<F>() };
            Some(f(sender, args))
        },
    )
}

fn weak_async<A, T, F>(_state: &Arc<WeakAsync<T, F>>) -> (DynFn<A>, AsyncDynFn<A>)
where
    A: SignalArgs,
    F: for<'a, 'b> Fn(Arc<T>, Sender, &'b mut A::Args<'a>) -> BoxFuture<'b, Result<A::Output>>,
{
    (
        |data, sender, args| {
            // SAFETY: `data` is `Arc::as_ptr` of the `Arc<WeakAsync<T, F>>` this entry owns.
            let weak = unsafe { &*data.cast::<WeakAsync<T, F>>() };
            let target = weak.target.upgrade()?;
            Some(block_on_receiver((weak.f)(target, *sender, args)))
        },
        |data, sender, args| {
            // SAFETY: as above.
            let weak = unsafe { &*data.cast::<WeakAsync<T, F>>() };
            let target = weak.target.upgrade()?;
            Some((weak.f)(target, sender, args))
        },
    )
}

fn weak_async_alive<T, F>(_state: &Arc<WeakAsync<T, F>>) -> fn(*const ()) -> bool {
    |data| {
        // SAFETY: as in `weak_async`.
        let weak = unsafe { &*data.cast::<WeakAsync<T, F>>() };
        weak.target.strong_count() > 0
    }
}

/// A synchronous `send` that reaches an async receiver awaits it where it is sent, as it awaits
/// an `async fn` receiver declared with `#[receiver]`: see `asynchronous::await_receiver` for
/// where that works and where it is `Error::AsyncReceiverBlocked`. A panic in the future goes on
/// unwinding into the dispatch loop, which names the receiver.
#[cfg(feature = "tokio")]
fn block_on_receiver<O>(future: BoxFuture<'_, Result<O>>) -> std::result::Result<O, Box<Error>> {
    match crate::asynchronous::await_receiver(future) {
        Ok(returned) => returned.map_err(Box::new),
        Err(error) => Err(Box::new(error)),
    }
}

/// Without the `tokio` feature nothing in clarion can drive the future's timers and sockets: the
/// receiver does not run, and the send says to use `asend`.
#[cfg(not(feature = "tokio"))]
fn block_on_receiver<O>(future: BoxFuture<'_, Result<O>>) -> std::result::Result<O, Box<Error>> {
    drop(future);
    Err(Box::new(Error::AsyncReceiverNeedsAsend))
}

impl<A: SignalArgs> Entry<A> {
    /// How to start this receiver's future, if it is an async one.
    fn awaitable(&self) -> Option<(AsyncDynFn<A>, *const ())> {
        match self.call {
            Call::Dynamic {
                awaitable: Some(start),
                data,
                ..
            } => Some((start, data)),
            _ => None,
        }
    }
}

impl<A: SignalArgs> Snapshot<A> {
    /// The receivers `sender` reaches, for a sender this snapshot has resolved.
    fn found(&self, sender: &Sender) -> &[Entry<A>] {
        match self.lookup(sender) {
            Lookup::Found(list) => list,
            Lookup::NeedChain => unreachable!("`Signal::snapshot_for` resolves the sender"),
        }
    }
}

/// Catches a panic while the receiver's future is polled; the future is never polled again.
struct CatchUnwind<'a, T>(BoxFuture<'a, T>);

impl<T> Future for CatchUnwind<'_, T> {
    type Output = std::thread::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

impl<A: SignalArgs> Signal<A> {
    /// Connects the async receiver `f` for every sender (Django 5: an `async def` receiver).
    /// Returns an id for [`Signal::disconnect`].
    ///
    /// `f` takes the sender and the arguments and returns its future boxed (see
    /// [`BoxFuture`]), which may borrow the arguments. [`Signal::asend`] awaits it; a
    /// synchronous [`Signal::send`] awaits it where it is sent, as it awaits an `async fn`
    /// receiver of `#[receiver]` (docs/async.md says where that may block, and where it is
    /// [`Error::AsyncReceiverBlocked`]).
    ///
    /// ```
    /// use clarion::prelude::*;
    ///
    /// #[derive(SignalArgs)]
    /// pub struct Ordered<'a> { pub item: &'a str, pub confirmed: bool }
    ///
    /// static ORDERED: Signal<Ordered> = Signal::new("ordered");
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> clarion::Result<()> {
    /// ORDERED.connect_async(|_sender, args| Box::pin(async move {
    ///     tokio::task::yield_now().await; // a call to the payment service
    ///     args.confirmed = true;
    ///     Ok(())
    /// }));
    /// let mut args = Ordered { item: "pizza", confirmed: false };
    /// ORDERED.asend(Sender::of::<()>(), &mut args).await?;
    /// assert!(args.confirmed);
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn connect_async<F>(&self, f: F) -> ReceiverId
    where
        F: for<'a, 'b> Fn(Sender, &'b mut A::Args<'a>) -> BoxFuture<'b, Result<A::Output>>
            + Send
            + Sync
            + 'static,
    {
        self.connect_async_with(Connect::new(), f)
    }

    /// Connects the async receiver `f` with [`Connect`] options (sender, `dispatch_uid`,
    /// priority, name), which mean what they mean for [`Signal::connect_with`]: async and
    /// synchronous receivers share one order and one set of `dispatch_uid`s.
    ///
    /// ```
    /// use clarion::prelude::*;
    ///
    /// #[derive(SignalArgs)]
    /// pub struct Shipped { pub parcel: u64 }
    ///
    /// static SHIPPED: Signal<Shipped> = Signal::new("shipped");
    /// struct Warehouse;
    ///
    /// let options = Connect::new().sender::<Warehouse>().dispatch_uid("track");
    /// let first = SHIPPED.connect_async_with(options.clone(), |_, _| Box::pin(async { Ok(()) }));
    /// let again = SHIPPED.connect_async_with(options, |_, _| Box::pin(async { Ok(()) }));
    /// assert_eq!(first, again); // one receiver per `dispatch_uid` and sender
    /// assert!(SHIPPED.has_listeners(Sender::of::<Warehouse>()));
    /// assert!(!SHIPPED.has_listeners(Sender::of::<()>()));
    /// ```
    #[track_caller]
    pub fn connect_async_with<F>(&self, options: Connect, f: F) -> ReceiverId
    where
        F: for<'a, 'b> Fn(Sender, &'b mut A::Args<'a>) -> BoxFuture<'b, Result<A::Output>>
            + Send
            + Sync
            + 'static,
    {
        let state = Arc::new(f);
        let (func, awaitable) = strong_async::<A, F>(&state);
        let call = Call::Dynamic {
            func,
            data: Arc::as_ptr(&state).cast(),
            alive: None,
            awaitable: Some(awaitable),
        };
        self.add(
            call,
            state,
            options,
            std::any::type_name::<F>(),
            Location::caller(),
            false,
        )
    }

    /// Connects the async receiver `f` as long as `target` lives (Django's `weak=True`): `f` gets
    /// an `Arc<T>` with each send, which its future may keep across `.await`s, and the connection
    /// is dropped once the last other `Arc` of `target` is gone.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use clarion::prelude::*;
    ///
    /// #[derive(SignalArgs)]
    /// pub struct Shipped { pub parcel: u64 }
    ///
    /// static SHIPPED: Signal<Shipped> = Signal::new("shipped");
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> clarion::Result<()> {
    /// let last_parcel = Arc::new(AtomicU64::new(0));
    /// SHIPPED.connect_async_weak(&last_parcel, Connect::new(), |last, _, args| {
    ///     let parcel = args.parcel;
    ///     Box::pin(async move {
    ///         last.store(parcel, Ordering::Relaxed);
    ///         Ok(())
    ///     })
    /// });
    /// SHIPPED.asend(Sender::of::<()>(), &mut Shipped { parcel: 7 }).await?;
    /// assert_eq!(last_parcel.load(Ordering::Relaxed), 7);
    /// drop(last_parcel);
    /// assert!(SHIPPED.receivers().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn connect_async_weak<T, F>(&self, target: &Arc<T>, options: Connect, f: F) -> ReceiverId
    where
        T: Send + Sync + 'static,
        F: for<'a, 'b> Fn(Arc<T>, Sender, &'b mut A::Args<'a>) -> BoxFuture<'b, Result<A::Output>>
            + Send
            + Sync
            + 'static,
    {
        let state = Arc::new(WeakAsync {
            target: Arc::downgrade(target),
            f,
        });
        let (func, awaitable) = weak_async::<A, T, F>(&state);
        let call = Call::Dynamic {
            func,
            data: Arc::as_ptr(&state).cast(),
            alive: Some(weak_async_alive(&state)),
            awaitable: Some(awaitable),
        };
        self.add(
            call,
            state,
            options,
            std::any::type_name::<F>(),
            Location::caller(),
            true,
        )
    }

    /// Calls every receiver that hears `sender`, in order, awaiting the async ones, and returns
    /// what they returned (Django 5's `asend`).
    ///
    /// Async receivers ([`Signal::connect_async`]) are awaited here, natively: a receiver that
    /// waits for the network gives its thread back to the runtime. Synchronous receivers run
    /// inline, on the thread that polls, one at a time between the async ones: one order for
    /// both kinds, by priority and then connection order, as [`Signal::send`] runs them (not
    /// Django's "synchronous receivers first, then the async ones concurrently"). Receivers get
    /// `args` mutably, one after the other.
    ///
    /// Stops at the first receiver that fails or panics and returns that error as an
    /// [`Error::Receiver`] naming it; the receivers after it are not called.
    ///
    /// Dropping the future before it finished (a timeout, a `select!`) drops the receiver being
    /// awaited and calls none after it; the signal and its receivers are unchanged.
    ///
    /// The future is boxed and `Send`, which asks the arguments and the output to be `Send`: a
    /// spawned task (an axum handler) can await it, whatever the arguments borrow.
    ///
    /// An `async fn` receiver declared with `#[receiver]` is a synchronous receiver to the
    /// dispatcher, which awaits it where it is called (`docs/async.md`): on the thread of a
    /// single-threaded runtime that is [`Error::AsyncReceiverBlocked`]. Connect a closure with
    /// [`Signal::connect_async`] to have it awaited natively everywhere.
    ///
    /// ```
    /// use clarion::prelude::*;
    ///
    /// #[derive(SignalArgs)]
    /// #[signal_args(output = u32)]
    /// pub struct Quote { pub items: u32 }
    ///
    /// static QUOTE: Signal<Quote> = Signal::new("quote");
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> clarion::Result<()> {
    /// QUOTE.connect(|_, args: &mut Quote| args.items * 10); // synchronous, runs inline
    /// QUOTE.connect_async(|_, args| Box::pin(async move {
    ///     tokio::task::yield_now().await; // a call to the shipping service
    ///     Ok(args.items * 2)
    /// }));
    /// let prices = QUOTE.asend(Sender::of::<()>(), &mut Quote { items: 3 }).await?;
    /// assert_eq!(prices, [30, 6]); // connection order
    /// # Ok(())
    /// # }
    /// ```
    pub fn asend<'s, 'a: 's>(
        &'s self,
        sender: Sender,
        args: &'s mut A::Args<'a>,
    ) -> BoxFuture<'s, Result<Vec<A::Output>>>
    where
        for<'x> A::Args<'x>: Send,
        A::Output: Send,
    {
        // Boxed as `dyn Future + Send`, whose type names no `A`: a future whose type named
        // `A = Args<'static>` would not be `Send` inside another (rustc erases the `'static`
        // in a coroutine's saved types, and `Args<'x>: SignalArgs` holds for `'static` only),
        // so a task awaiting it could not be spawned. The span is `send`'s, entered at each
        // poll rather than across the awaits.
        #[cfg(feature = "tracing")]
        {
            use tracing::Instrument;
            let span = if super::traced() {
                self.span(&sender)
            } else {
                tracing::Span::none()
            };
            // Disabled (`Span::none`) spans are not recorded on.
            let failed_on = Some(span.clone()).filter(|span| !span.is_none());
            Box::pin(self.asend_here(sender, args, failed_on).instrument(span))
        }
        #[cfg(not(feature = "tracing"))]
        Box::pin(self.asend_here(sender, args, None))
    }

    /// `failed_on`: the span that names the receiver that failed, when one is traced.
    async fn asend_here(
        &self,
        sender: Sender,
        args: &mut A::Args<'_>,
        failed_on: Option<super::DispatchSpan>,
    ) -> Result<Vec<A::Output>> {
        if surely_unheard(self.summary.load(Ordering::Acquire), &sender) && !testing::active() {
            return Ok(Vec::new());
        }
        let muted = self.observed(sender, args);
        if muted.as_ref().is_some_and(|m| m.whole_signal) {
            return Ok(Vec::new());
        }
        let snapshot = self.snapshot_for(&sender);
        let mut out = Vec::new();
        for entry in snapshot.found(&sender) {
            if muted.as_ref().is_some_and(|m| m.mutes(entry.info())) {
                continue;
            }
            let called = match Self::start(entry, sender, args) {
                Started::Done(called) => called,
                Started::Future(future) => future.await.map(|r| Some(r.map_err(Box::new))),
            };
            match self.settle(entry, called) {
                Some(Ok(value)) => out.push(value),
                Some(Err(error)) => {
                    return match &failed_on {
                        Some(span) => super::record_outcome(span, Err(error)),
                        None => Err(error),
                    };
                }
                None => {}
            }
        }
        self.prune_if_dead();
        Ok(out)
    }

    /// Calls every receiver that hears `sender`, awaiting the async ones, whatever the others do,
    /// and returns each one's outcome, a panic included (Django 5's `asend_robust`).
    ///
    /// The order and where each receiver runs are [`Signal::asend`]'s. With the `tracing`
    /// feature, each receiver that fails or panics is also logged as [`Signal::send_robust`]
    /// logs it, and both sends have `send`'s span (target `clarion::dispatch`).
    ///
    /// ```
    /// use clarion::prelude::*;
    ///
    /// #[derive(SignalArgs)]
    /// pub struct Shipped { pub parcel: u64 }
    ///
    /// static SHIPPED: Signal<Shipped> = Signal::new("shipped");
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// SHIPPED.connect_async_with(Connect::new().name("notify"), |_, _| Box::pin(async {
    ///     Err("the mail server is down".into())
    /// }));
    /// SHIPPED.connect(|_, _: &mut Shipped| {});
    /// let outcomes = SHIPPED.asend_robust(Sender::of::<()>(), &mut Shipped { parcel: 7 }).await;
    /// assert_eq!(outcomes.len(), 2);
    /// let failed = outcomes[0].result.as_ref().unwrap_err();
    /// assert_eq!(failed.receiver(), Some("notify"));
    /// assert!(outcomes[1].result.is_ok()); // the next receiver still ran
    /// # }
    /// ```
    pub fn asend_robust<'s, 'a: 's>(
        &'s self,
        sender: Sender,
        args: &'s mut A::Args<'a>,
    ) -> BoxFuture<'s, Vec<Outcome<A::Output>>>
    where
        for<'x> A::Args<'x>: Send,
        A::Output: Send,
    {
        // Boxed for the reason given in `asend`.
        let send = self.asend_robust_here(sender, args);
        #[cfg(feature = "tracing")]
        {
            use tracing::Instrument;
            Box::pin(send.instrument(self.span(&sender)))
        }
        #[cfg(not(feature = "tracing"))]
        Box::pin(send)
    }

    async fn asend_robust_here(
        &self,
        sender: Sender,
        args: &mut A::Args<'_>,
    ) -> Vec<Outcome<A::Output>> {
        let muted = self.observed(sender, args);
        if muted.as_ref().is_some_and(|m| m.whole_signal) {
            return Vec::new();
        }
        let snapshot = self.snapshot_for(&sender);
        let list = snapshot.found(&sender);
        let mut outcomes = Vec::with_capacity(list.len());
        for entry in list {
            if muted.as_ref().is_some_and(|m| m.mutes(entry.info())) {
                continue;
            }
            let called = match Self::start(entry, sender, args) {
                Started::Done(called) => called,
                Started::Future(future) => future.await.map(|r| Some(r.map_err(Box::new))),
            };
            let Some(result) = self.settle(entry, called) else {
                continue;
            };
            #[cfg(feature = "tracing")]
            if let Err(error) = &result {
                tracing::error!(
                    target: "clarion::dispatch",
                    signal = self.name,
                    receiver = entry.info.name,
                    %error,
                    "a receiver failed in asend_robust",
                );
            }
            outcomes.push(Outcome {
                id: entry.info.id,
                receiver: entry.info.name,
                result,
            });
        }
        self.prune_if_dead();
        outcomes
    }

    /// What the test aids say of this send (and their taps, run): boxed, and `None` unless an
    /// aid is alive, so that the future `asend` returns stays small.
    fn observed(&self, sender: Sender, args: &A::Args<'_>) -> Option<Box<testing::Muting>> {
        testing::active().then(|| Box::new(testing::observe(self, sender, args)))
    }

    /// The snapshot an `asend` holds across its `.await`s: the thread's caches (`resolve`) are
    /// pinned to one thread and one call, and the task may move between threads.
    fn snapshot_for(&self, sender: &Sender) -> Arc<Snapshot<A>> {
        self.ensure_init();
        loop {
            let Some(snapshot) = self.published.load_full() else {
                unreachable!("signal `{}` used before it was initialised", self.name)
            };
            match snapshot.lookup(sender) {
                Lookup::Found(_) => return snapshot,
                Lookup::NeedChain => self.register_chain(*sender),
            }
        }
    }

    /// Starts one receiver: calls a synchronous one inline, or starts an async one's future
    /// for the caller to await. Only that future lives across the caller's `.await` (a small
    /// future is moved and polled cheaply; `benches/async_dispatch.rs`).
    fn start<'b>(
        entry: &Entry<A>,
        sender: Sender,
        args: &'b mut A::Args<'_>,
    ) -> Started<'b, A::Output> {
        let Some((start, data)) = entry.awaitable() else {
            return Started::Done(catch_unwind(AssertUnwindSafe(|| entry.call(&sender, args))));
        };
        // The closure runs up to its `Box::pin` here, and may panic too. The future borrows
        // `args` until it is done: the borrow moves into the call.
        let started = catch_unwind(AssertUnwindSafe(move || {
            let args = args; // moved, not reborrowed: the closure is `FnOnce`
            start(data, sender, args)
        }));
        match started {
            Ok(Some(future)) => Started::Future(CatchUnwind(future)),
            Ok(None) => Started::Done(Ok(None)),
            Err(payload) => Started::Done(Err(payload)),
        }
    }

    /// What one receiver's call means for the send.
    fn settle(
        &self,
        entry: &Entry<A>,
        called: std::thread::Result<Called<A::Output>>,
    ) -> Option<Result<A::Output>> {
        match called {
            Ok(Some(Ok(value))) => Some(Ok(value)),
            Ok(Some(Err(error))) if matches!(*error, Error::NotApplicable) => None,
            Ok(Some(Err(error))) => Some(Err(self.receiver_error(entry, *error))),
            Ok(None) => {
                self.dead.store(true, Ordering::Relaxed);
                None
            }
            Err(payload) => Some(Err(self.receiver_error(entry, Error::from_panic(payload)))),
        }
    }
}

/// A receiver started by `Signal::start`.
enum Started<'b, O> {
    /// A synchronous receiver's call, or an async one that could not start.
    Done(std::thread::Result<Called<O>>),
    /// An async receiver's future, to be awaited.
    Future(CatchUnwind<'b, Result<O>>),
}

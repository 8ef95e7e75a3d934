//! Signals, their receivers, and dispatch.

use std::any::TypeId;
use std::borrow::Cow;
use std::fmt;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use arc_swap::ArcSwapOption;

use crate::cache;
use crate::error::{Error, Result};
use crate::receiver::{IntoReceiverResult, Origin, ReceiverId, ReceiverInfo};
use crate::registry;
use crate::sender::Sender;
use crate::testing;

mod asend;

pub use asend::BoxFuture;

/// The arguments a signal carries, as a family of types over a borrow lifetime.
///
/// Implement it with `#[derive(SignalArgs)]` on the argument struct. `Args<'a>` is the struct as
/// receivers see it (it may borrow, e.g. the instance being saved); the implementing type is the
/// `'static` stand-in used to name the signal: `Signal<PizzaDone>` for `PizzaDone<'a>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a signal argument struct",
    label = "not a signal argument struct",
    note = "add `#[derive(clarion::SignalArgs)]` to the struct a signal carries"
)]
pub trait SignalArgs: 'static {
    /// The argument struct, borrowing for `'a`.
    type Args<'a>;
    /// What each receiver returns on success (`()` unless the signal says otherwise).
    type Output;
}

/// The function type a link-time receiver is compiled to.
///
/// It takes the sender by reference and returns the error boxed, so that both fit in registers.
pub type ReceiverFn<A> =
    for<'s, 'a, 'b> fn(
        &'s Sender,
        &'b mut <A as SignalArgs>::Args<'a>,
    ) -> std::result::Result<<A as SignalArgs>::Output, Box<Error>>;

/// What one receiver call gives: `None` when a weak receiver's target is gone.
type Called<O> = Option<std::result::Result<O, Box<Error>>>;

/// Calls a runtime receiver; `data` points at the receiver's state, kept alive by `Entry::owner`.
type DynFn<A> = for<'s, 'a, 'b> fn(
    *const (),
    &'s Sender,
    &'b mut <A as SignalArgs>::Args<'a>,
) -> Called<<A as SignalArgs>::Output>;

/// Options for [`Signal::connect_with`]: Django's `sender=` and `dispatch_uid=`, plus a priority.
///
/// ```
/// use clarion::Connect;
/// struct Pizzeria;
/// let options = Connect::new().sender::<Pizzeria>().dispatch_uid("audit").priority(10);
/// # let _ = options;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct Connect {
    sender: Option<Sender>,
    dispatch_uid: Option<Cow<'static, str>>,
    priority: i32,
    name: Option<&'static str>,
}

impl Connect {
    /// No sender (hear every sender), no `dispatch_uid`, priority 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hear only signals sent by `T` (or by a sender that names `T` as a parent).
    pub fn sender<T: ?Sized + 'static>(self) -> Self {
        self.for_sender(Sender::of::<T>())
    }

    /// Hear only signals sent by `sender` (or by a sender that names it as a parent).
    pub fn for_sender(mut self, sender: Sender) -> Self {
        self.sender = Some(sender);
        self
    }

    /// The receiver's name in errors, introspection and
    /// [`testing::mute_receiver_named`](crate::testing::mute_receiver_named); by default the
    /// closure's type name (`my_app::main::{{closure}}`).
    pub fn name(mut self, name: &'static str) -> Self {
        self.name = Some(name);
        self
    }

    /// Make the connection idempotent: connecting the same `uid` for the same sender again keeps
    /// the first receiver and returns its id.
    ///
    /// An empty `uid` is no uid, as Django ignores a falsy `dispatch_uid`: the receiver is
    /// connected as if none were given, however many others were connected with `""`.
    pub fn dispatch_uid(mut self, uid: impl Into<Cow<'static, str>>) -> Self {
        let uid = uid.into();
        self.dispatch_uid = (!uid.is_empty()).then_some(uid);
        self
    }

    /// Receivers with a higher priority run earlier; the default is 0.
    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }
}

/// One receiver's result in [`Signal::send_robust`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Outcome<O> {
    /// The receiver's id.
    pub id: ReceiverId,
    /// The receiver's name.
    pub receiver: &'static str,
    /// What it returned; a panic is an [`Error::Receiver`] whose source is [`Error::Panic`].
    pub result: Result<O>,
}

struct WeakTarget<T, F> {
    target: Weak<T>,
    f: F,
}

/// The call trampoline of a runtime receiver whose state is an `F` (the argument only names `F`).
fn strong_call<A, F>(_state: &Arc<F>) -> DynFn<A>
where
    A: SignalArgs,
    F: for<'a, 'b> Fn(Sender, &'b mut A::Args<'a>) -> std::result::Result<A::Output, Box<Error>>,
{
    |data, sender, args| {
        // SAFETY: `data` is `Arc::as_ptr` of the `Arc<F>` this entry owns (see `Entry::owner`).
        let f = unsafe { &*data.cast::<F>() };
        Some(f(*sender, args))
    }
}

fn weak_call<A, T, F>(_state: &Arc<WeakTarget<T, F>>) -> DynFn<A>
where
    A: SignalArgs,
    F: for<'a, 'b> Fn(
        &T,
        Sender,
        &'b mut A::Args<'a>,
    ) -> std::result::Result<A::Output, Box<Error>>,
{
    |data, sender, args| {
        // SAFETY: `data` is `Arc::as_ptr` of the `Arc<WeakTarget<T, F>>` this entry owns.
        let weak = unsafe { &*data.cast::<WeakTarget<T, F>>() };
        let target = weak.target.upgrade()?;
        Some((weak.f)(&target, *sender, args))
    }
}

fn weak_alive<T, F>(_state: &Arc<WeakTarget<T, F>>) -> fn(*const ()) -> bool {
    |data| {
        // SAFETY: as in `weak_call`.
        let weak = unsafe { &*data.cast::<WeakTarget<T, F>>() };
        weak.target.strong_count() > 0
    }
}

enum Call<A: SignalArgs> {
    Static(ReceiverFn<A>),
    Dynamic {
        func: DynFn<A>,
        data: *const (),
        alive: Option<fn(*const ()) -> bool>,
        /// For an async receiver: starts its future, which `asend` awaits natively (`func`
        /// blocks on it, for a synchronous `send`).
        awaitable: Option<asend::AsyncDynFn<A>>,
    },
}

// Manual impls: a derive would require `A: Copy`.
impl<A: SignalArgs> Clone for Call<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A: SignalArgs> Copy for Call<A> {}

pub(crate) struct Entry<A: SignalArgs> {
    call: Call<A>,
    /// Owns what `Call::Dynamic::data` points at.
    owner: Option<Arc<dyn std::any::Any + Send + Sync>>,
    info: Arc<ReceiverInfo>,
}

// SAFETY: the raw pointer in `Call::Dynamic` points into `owner`, which is `Send + Sync`, and the
// receiver state behind it was required to be `Send + Sync` when connected.
unsafe impl<A: SignalArgs> Send for Entry<A> {}
unsafe impl<A: SignalArgs> Sync for Entry<A> {}

impl<A: SignalArgs> Clone for Entry<A> {
    fn clone(&self) -> Self {
        Entry {
            call: self.call,
            owner: self.owner.clone(),
            info: Arc::clone(&self.info),
        }
    }
}

impl<A: SignalArgs> Entry<A> {
    #[inline(always)]
    fn call(&self, sender: &Sender, args: &mut A::Args<'_>) -> Called<A::Output> {
        match self.call {
            Call::Static(f) => Some(f(sender, args)),
            Call::Dynamic { func, data, .. } => func(data, sender, args),
        }
    }

    fn is_alive(&self) -> bool {
        match self.call {
            Call::Dynamic {
                data,
                alive: Some(alive),
                ..
            } => alive(data),
            _ => true,
        }
    }

    pub(crate) fn info(&self) -> &ReceiverInfo {
        &self.info
    }
}

/// An immutable view of a signal's receivers, built on every change and shared by all sends.
pub(crate) struct Snapshot<A: SignalArgs> {
    /// Receivers without a sender.
    anyone: Box<[Entry<A>]>,
    /// Per sender type (and parent list), sorted by `TypeId`.
    by_sender: Box<[SenderList<A>]>,
}

/// The receivers one sender reaches, sender-less ones included, in run order.
struct SenderList<A: SignalArgs> {
    id: TypeId,
    /// The parents this list was resolved for; empty for a plain sender.
    parents: &'static [Sender],
    list: Box<[Entry<A>]>,
}

enum Lookup<'s, A: SignalArgs> {
    Found(&'s [Entry<A>]),
    /// The sender has parents that this snapshot has not resolved yet.
    NeedChain,
}

impl<A: SignalArgs> Snapshot<A> {
    fn build(entries: &[Entry<A>], chains: &[Sender]) -> Self {
        let anyone: Box<[Entry<A>]> = entries
            .iter()
            .filter(|e| e.info.sender.is_none())
            .cloned()
            .collect();
        // Plain senders that have receivers of their own, then every chain seen by `send`.
        let mut senders: Vec<Sender> = Vec::new();
        for sender in entries.iter().filter_map(|e| e.info.sender) {
            if !senders.iter().any(|s| s.type_id() == sender.type_id()) {
                senders.push(Sender::plain(&sender));
            }
        }
        senders.extend_from_slice(chains);
        let mut by_sender: Vec<SenderList<A>> = senders
            .into_iter()
            .map(|sender| SenderList {
                id: sender.type_id(),
                parents: sender.parents(),
                list: entries
                    .iter()
                    .filter(|e| e.info.sender.as_ref().is_none_or(|t| sender.reaches(t)))
                    .cloned()
                    .collect(),
            })
            .collect();
        by_sender.sort_by_key(|s| s.id);
        Snapshot {
            anyone,
            by_sender: by_sender.into_boxed_slice(),
        }
    }

    fn lookup(&self, sender: &Sender) -> Lookup<'_, A> {
        let id = sender.type_id();
        let start = self.by_sender.partition_point(|s| s.id < id);
        let found = self.by_sender[start..]
            .iter()
            .take_while(|s| s.id == id)
            .find(|s| Sender::same_parents(s.parents, sender.parents()));
        match found {
            Some(found) => Lookup::Found(&found.list),
            None if sender.parents().is_empty() => Lookup::Found(&self.anyone),
            None => Lookup::NeedChain,
        }
    }
}

struct Registry<A: SignalArgs> {
    /// Every receiver, in run order.
    entries: Vec<Entry<A>>,
    /// Senders with parents seen by `send`, one per type and parent list.
    chains: Vec<Sender>,
}

/// `Signal::summary` bits: what a send can decide without the thread's caches. Zero until the
/// signal is initialised.
const INIT: u64 = 1;
/// Some receiver is connected.
const HAS_ANY: u64 = 1 << 1;
/// Some receiver without a sender is connected: every sender is heard.
const HAS_ANYONE: u64 = 1 << 2;
/// Bits 32..64: a one-hash Bloom filter of the sender types that have receivers of their own.
const FILTER_SHIFT: u32 = 32;

/// A sender's bit in the filter: the top five bits of its type's hash pick one of 32. (A power
/// of two, so no division: `send` and `save()` compute this on every call.)
#[inline(always)]
fn filter_bit(sender: &Sender) -> u64 {
    1 << (FILTER_SHIFT + (cache::type_bits(sender) >> 59) as u32)
}

fn summarize<A: SignalArgs>(entries: &[Entry<A>]) -> u64 {
    entries.iter().fold(INIT, |summary, e| {
        summary
            | HAS_ANY
            | match &e.info.sender {
                None => HAS_ANYONE,
                Some(sender) => filter_bit(sender),
            }
    })
}

/// Whether a send from `sender` reaches no receiver, by the summary alone. `false` means "maybe".
#[inline(always)]
fn surely_unheard(summary: u64, sender: &Sender) -> bool {
    summary & INIT != 0
        && (summary & HAS_ANY == 0
            || (summary & HAS_ANYONE == 0
                && sender.parents().is_empty()
                && summary & filter_bit(sender) == 0))
}

/// A signal: receivers connect to it, senders send it (Django's `Signal()`).
///
/// Declare one as a `static` with [`signal!`](crate::signal!) so it shows in [`crate::receivers`],
/// or with [`Signal::new`]. `A` is the argument struct (see [`SignalArgs`]).
///
/// ```
/// use clarion::prelude::*;
///
/// #[derive(SignalArgs)]
/// pub struct PizzaDone<'a> {
///     pub toppings: &'a [&'a str],
///     pub size: u32,
/// }
///
/// signal! {
///     /// Sent when a pizza leaves the oven.
///     pub static PIZZA_DONE: Signal<PizzaDone>;
/// }
///
/// struct Pizzeria;
///
/// let id = PIZZA_DONE.connect(|_sender, args: &mut PizzaDone| {
///     println!("a {} cm pizza with {:?}", args.size, args.toppings);
/// });
/// PIZZA_DONE.send(Sender::of::<Pizzeria>(), &mut PizzaDone { toppings: &["basil"], size: 30 })?;
/// assert!(PIZZA_DONE.disconnect(id));
/// # Ok::<(), clarion::Error>(())
/// ```
pub struct Signal<A: SignalArgs> {
    name: &'static str,
    summary: AtomicU64,
    slot: AtomicU32,
    stamp: AtomicU64,
    dead: AtomicBool,
    published: ArcSwapOption<Snapshot<A>>,
    registry: Mutex<Registry<A>>,
}

impl<A: SignalArgs> Signal<A> {
    /// A signal with no receivers yet; `name` is used in errors and introspection.
    pub const fn new(name: &'static str) -> Self {
        Signal {
            name,
            summary: AtomicU64::new(0),
            slot: AtomicU32::new(0),
            stamp: AtomicU64::new(0),
            dead: AtomicBool::new(false),
            published: ArcSwapOption::const_empty(),
            registry: Mutex::new(Registry {
                entries: Vec::new(),
                chains: Vec::new(),
            }),
        }
    }

    /// The signal's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Connects `f` for every sender. Returns an id for [`Signal::disconnect`].
    ///
    /// `f` takes the sender and the arguments, and returns the signal's output (usually `()`) or a
    /// `Result` of it.
    #[track_caller]
    pub fn connect<F, R>(&self, f: F) -> ReceiverId
    where
        F: for<'a, 'b> Fn(Sender, &'b mut A::Args<'a>) -> R + Send + Sync + 'static,
        R: IntoReceiverResult<A::Output>,
    {
        self.connect_with(Connect::new(), f)
    }

    /// Connects `f` with [`Connect`] options (sender, `dispatch_uid`, priority).
    ///
    /// With a `dispatch_uid` already connected for the same sender, nothing changes and the id of
    /// the receiver connected first is returned (Django's rule).
    #[track_caller]
    pub fn connect_with<F, R>(&self, options: Connect, f: F) -> ReceiverId
    where
        F: for<'a, 'b> Fn(Sender, &'b mut A::Args<'a>) -> R + Send + Sync + 'static,
        R: IntoReceiverResult<A::Output>,
    {
        let state = Arc::new(pin_signature::<A, _>(move |sender, args| {
            f(sender, args).into_receiver_result()
        }));
        let call = Call::Dynamic {
            func: strong_call::<A, _>(&state),
            data: Arc::as_ptr(&state).cast(),
            alive: None,
            awaitable: None,
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

    /// Connects `f` as long as `target` lives (Django's `weak=True`): `f` gets `&T` with each
    /// send, and the connection is dropped once the last `Arc` of `target` is gone.
    #[track_caller]
    pub fn connect_weak<T, F, R>(&self, target: &Arc<T>, options: Connect, f: F) -> ReceiverId
    where
        T: Send + Sync + 'static,
        F: for<'a, 'b> Fn(&T, Sender, &'b mut A::Args<'a>) -> R + Send + Sync + 'static,
        R: IntoReceiverResult<A::Output>,
    {
        let state = Arc::new(WeakTarget {
            target: Arc::downgrade(target),
            f: pin_weak_signature::<A, T, _>(move |target, sender, args| {
                f(target, sender, args).into_receiver_result()
            }),
        });
        let call = Call::Dynamic {
            func: weak_call::<A, T, _>(&state),
            data: Arc::as_ptr(&state).cast(),
            alive: Some(weak_alive(&state)),
            awaitable: None,
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

    /// Disconnects the receiver `id`; returns whether it was connected.
    ///
    /// A send already running on another thread may still call it; no send that starts after
    /// this returns does.
    pub fn disconnect(&self, id: ReceiverId) -> bool {
        self.remove_where(|info| info.id == id)
    }

    /// Disconnects the receiver connected with `dispatch_uid` for `sender` (`None`: the one
    /// connected without a sender); returns whether there was one.
    pub fn disconnect_uid(&self, dispatch_uid: &str, sender: Option<Sender>) -> bool {
        self.remove_where(|info| {
            info.dispatch_uid.as_deref() == Some(dispatch_uid) && info.sender == sender
        })
    }

    /// Whether a send from `sender` surely reaches nobody (and no test is observing): then the
    /// caller may skip building its arguments, or the transaction it would run them in.
    #[inline]
    pub(crate) fn surely_unheard(&self, sender: &Sender) -> bool {
        surely_unheard(self.summary.load(Ordering::Acquire), sender) && !testing::active()
    }

    /// Whether any live receiver would hear a send from `sender`.
    pub fn has_listeners(&self, sender: Sender) -> bool {
        self.ensure_init();
        self.with_list(&sender, |list| list.iter().any(Entry::is_alive))
    }

    /// Every connected receiver, in the order they run.
    pub fn receivers(&self) -> Vec<ReceiverInfo> {
        self.ensure_init();
        self.prune();
        self.lock()
            .entries
            .iter()
            .map(|e| (*e.info).clone())
            .collect()
    }

    /// Calls every receiver that hears `sender`, in order, and returns what they returned.
    ///
    /// Stops at the first receiver that fails or panics and returns that error as an
    /// [`Error::Receiver`] naming it; the receivers after it are not called (Django's `send`).
    /// Receivers get `args` mutably, one after the other.
    #[inline]
    pub fn send(&self, sender: Sender, args: &mut A::Args<'_>) -> Result<Vec<A::Output>> {
        // All a send costs when nobody hears it: two loads (and, with receivers for other
        // senders, a bit test).
        if surely_unheard(self.summary.load(Ordering::Acquire), &sender) && !testing::active() {
            return Ok(Vec::new());
        }
        self.send_to_receivers(&sender, args)
    }

    /// As [`Signal::send`] for a caller that has just found out with
    /// [`surely_unheard`](Signal::surely_unheard) that the send may be heard, and that needs
    /// no outputs (the write path): the error comes boxed, so the common `Ok` is one register
    /// rather than an 80-byte result written to memory and read back.
    #[inline(never)]
    pub(crate) fn send_heard(
        &self,
        sender: Sender,
        args: &mut A::Args<'_>,
    ) -> std::result::Result<(), Box<Error>> {
        if traced() {
            let span = self.span(&sender);
            let _entered = span.enter();
            return record_outcome(&span, self.send_heard_here(sender, args));
        }
        self.send_heard_here(sender, args)
    }

    #[inline(always)]
    fn send_heard_here(
        &self,
        sender: Sender,
        args: &mut A::Args<'_>,
    ) -> std::result::Result<(), Box<Error>> {
        if testing::active() {
            return self
                .send_observed(&sender, args)
                .map(drop)
                .map_err(Box::new);
        }
        self.ensure_init();
        let resolved = self.resolve(&sender);
        for entry in resolved.list() {
            match catch_unwind(AssertUnwindSafe(|| entry.call(&sender, &mut *args))) {
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(error))) if matches!(*error, Error::NotApplicable) => {}
                Ok(Some(Err(error))) => return Err(Box::new(self.receiver_error(entry, *error))),
                Ok(None) => self.dead.store(true, Ordering::Relaxed),
                Err(payload) => {
                    return Err(Box::new(
                        self.receiver_error(entry, Error::from_panic(payload)),
                    ));
                }
            }
        }
        self.prune_if_dead();
        Ok(())
    }

    #[inline(never)]
    fn send_to_receivers(&self, sender: &Sender, args: &mut A::Args<'_>) -> Result<Vec<A::Output>> {
        if traced() {
            let span = self.span(sender);
            let _entered = span.enter();
            return record_outcome(&span, self.send_to_receivers_here(sender, args));
        }
        self.send_to_receivers_here(sender, args)
    }

    #[inline(always)]
    fn send_to_receivers_here(
        &self,
        sender: &Sender,
        args: &mut A::Args<'_>,
    ) -> Result<Vec<A::Output>> {
        if testing::active() {
            return self.send_observed(sender, args);
        }
        self.ensure_init();
        let resolved = self.resolve(sender);
        self.dispatch(resolved.list(), sender, args, |_| false)
    }

    /// Calls every receiver that hears `sender`, whatever the others do, and returns each one's
    /// outcome, a panic included (Django's `send_robust`).
    ///
    /// With the `tracing` feature, each receiver that fails or panics is also logged as an
    /// `ERROR` event (target `clarion::dispatch`, fields `signal`, `receiver`, `error`), as
    /// Django's `send_robust` logs to `django.dispatch`.
    pub fn send_robust(&self, sender: Sender, args: &mut A::Args<'_>) -> Vec<Outcome<A::Output>> {
        let span = self.span(&sender);
        let _entered = span.enter();
        let muted = testing::observe(self, sender, args);
        if muted.whole_signal {
            return Vec::new();
        }
        self.ensure_init();
        let outcomes = self.with_list(&sender, |list| {
            let mut outcomes = Vec::with_capacity(list.len());
            for entry in list.iter().filter(|e| !muted.mutes(e.info())) {
                let called = catch_unwind(AssertUnwindSafe(|| entry.call(&sender, &mut *args)));
                let result = match called {
                    Ok(Some(Err(error))) if matches!(*error, Error::NotApplicable) => continue,
                    Ok(Some(result)) => result.map_err(|e| self.receiver_error(entry, *e)),
                    Ok(None) => {
                        self.dead.store(true, Ordering::Relaxed);
                        continue;
                    }
                    Err(payload) => Err(self.receiver_error(entry, Error::from_panic(payload))),
                };
                #[cfg(feature = "tracing")]
                if let Err(error) = &result {
                    tracing::error!(
                        target: "clarion::dispatch",
                        signal = self.name,
                        receiver = entry.info.name,
                        %error,
                        "a receiver failed in send_robust",
                    );
                }
                outcomes.push(Outcome {
                    id: entry.info.id,
                    receiver: entry.info.name,
                    result,
                });
            }
            outcomes
        });
        self.prune_if_dead();
        outcomes
    }

    /// The span of one send (target `clarion::dispatch`): the signal, the sender, and, once it
    /// is over, the receiver that failed. Disabled, and free but for a branch, without a
    /// subscriber or without the `tracing` feature.
    #[inline]
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    fn span(&self, sender: &Sender) -> DispatchSpan {
        #[cfg(feature = "tracing")]
        {
            tracing::debug_span!(
                target: "clarion::dispatch",
                "send",
                signal = self.name,
                sender = sender.name(),
                failed = tracing::field::Empty,
            )
        }
        #[cfg(not(feature = "tracing"))]
        DispatchSpan
    }

    #[cold]
    fn send_observed(&self, sender: &Sender, args: &mut A::Args<'_>) -> Result<Vec<A::Output>> {
        let muted = testing::observe(self, *sender, args);
        if muted.whole_signal {
            return Ok(Vec::new());
        }
        self.ensure_init();
        self.with_list(sender, |list| {
            self.dispatch(list, sender, args, |e| muted.mutes(e.info()))
        })
    }

    #[inline(always)]
    fn dispatch(
        &self,
        list: &[Entry<A>],
        sender: &Sender,
        args: &mut A::Args<'_>,
        skip: impl Fn(&Entry<A>) -> bool,
    ) -> Result<Vec<A::Output>> {
        let mut out = Vec::new();
        for entry in list {
            if skip(entry) {
                continue;
            }
            match catch_unwind(AssertUnwindSafe(|| entry.call(sender, &mut *args))) {
                Ok(Some(Ok(value))) => out.push(value),
                Ok(Some(Err(error))) if matches!(*error, Error::NotApplicable) => {}
                Ok(Some(Err(error))) => return Err(self.receiver_error(entry, *error)),
                Ok(None) => self.dead.store(true, Ordering::Relaxed),
                Err(payload) => {
                    return Err(self.receiver_error(entry, Error::from_panic(payload)));
                }
            }
        }
        self.prune_if_dead();
        Ok(out)
    }

    #[cold]
    fn receiver_error(&self, entry: &Entry<A>, source: Error) -> Error {
        Error::Receiver {
            signal: self.name,
            receiver: entry.info.name,
            source: Box::new(source),
        }
    }

    /// Runs `f` on the receivers `sender` reaches, from this thread's caches when fresh.
    #[inline(always)]
    fn with_list<R>(&self, sender: &Sender, f: impl FnOnce(&[Entry<A>]) -> R) -> R {
        let resolved = self.resolve(sender);
        f(resolved.list())
    }

    /// The receivers `sender` reaches, pinned until the result is dropped.
    #[inline(always)]
    fn resolve(&self, sender: &Sender) -> Resolved<A> {
        let slot = self.slot.load(Ordering::Relaxed);
        let stamp = self.stamp.load(Ordering::Acquire);
        let index = cache::hot_index(slot, sender);
        match cache::hot_get(index, stamp, sender) {
            Some((list, len)) => Resolved {
                list: list.cast(),
                len,
                _keep: None,
                _pinned: Pinned,
            },
            None => self.resolve_slow(slot, index, sender),
        }
    }

    #[inline(never)]
    fn resolve_slow(&self, slot: u32, index: usize, sender: &Sender) -> Resolved<A> {
        loop {
            // Read before loading: the snapshot loaded next is this stamp's or newer, never older.
            let stamp = self.stamp.load(Ordering::Acquire);
            let Some(snapshot) = cache::cold_get(slot, stamp) else {
                let Some(loaded) = self.published.load_full() else {
                    unreachable!("signal `{}` used before it was initialised", self.name)
                };
                if cache::cold_put(slot, stamp, loaded.clone()) {
                    continue;
                }
                // Thread-local storage is gone (a send from a thread-local destructor).
                match loaded.lookup(sender) {
                    Lookup::Found(list) => {
                        let (list, len) = (list.as_ptr(), list.len());
                        cache::pin();
                        return Resolved {
                            list,
                            len,
                            _keep: Some(loaded),
                            _pinned: Pinned,
                        };
                    }
                    Lookup::NeedChain => {
                        self.register_chain(*sender);
                        continue;
                    }
                }
            };
            // SAFETY: the cold cache holds this signal's `Arc<Snapshot<A>>` of `stamp`.
            let snapshot = unsafe { &*snapshot.cast::<Snapshot<A>>() };
            match snapshot.lookup(sender) {
                Lookup::Found(list) => {
                    cache::hot_put(index, stamp, sender, list.as_ptr().cast(), list.len());
                    return Resolved {
                        list: list.as_ptr(),
                        len: list.len(),
                        _keep: None,
                        _pinned: Pinned,
                    };
                }
                Lookup::NeedChain => self.register_chain(*sender),
            }
        }
    }

    fn ensure_init(&self) {
        if self.summary.load(Ordering::Acquire) & INIT == 0 {
            self.init();
        }
    }

    /// Collects the link-time receivers of this signal and publishes the first snapshot.
    #[cold]
    fn init(&self) {
        let mut registry = self.lock();
        if self.summary.load(Ordering::Acquire) & INIT != 0 {
            return;
        }
        self.slot.store(cache::alloc_slot(), Ordering::Relaxed);
        let mut linked: Vec<Entry<A>> = registry::linked_to(self)
            .map(|(func, meta)| Entry {
                call: Call::Static(func),
                owner: None,
                info: Arc::new(meta.info(self.name)),
            })
            .collect();
        // inventory's iteration order is unspecified: order link-time receivers by path, then
        // location, so every build runs them in the same order.
        linked.sort_by(|a, b| {
            (a.info.name, a.info.file, a.info.line).cmp(&(b.info.name, b.info.file, b.info.line))
        });
        for (seq, entry) in linked.iter_mut().enumerate() {
            Arc::get_mut(&mut entry.info).expect("fresh").seq = seq as u64;
        }
        registry.entries.append(&mut linked);
        registry.entries.sort_by_key(|e| e.info.order_key());
        // A link-time `dispatch_uid` connects once per sender: the first in run order wins.
        let mut seen: Vec<(Cow<'static, str>, Option<Sender>)> = Vec::new();
        registry.entries.retain(|e| match &e.info.dispatch_uid {
            Some(uid) if seen.iter().any(|s| s.0 == *uid && s.1 == e.info.sender) => false,
            Some(uid) => {
                seen.push((uid.clone(), e.info.sender));
                true
            }
            None => true,
        });
        let old = self.publish(&registry);
        drop(registry);
        drop(old);
    }

    fn add(
        &self,
        call: Call<A>,
        owner: Arc<dyn std::any::Any + Send + Sync>,
        options: Connect,
        name: &'static str,
        location: &'static Location<'static>,
        weak: bool,
    ) -> ReceiverId {
        static RUNTIME_SEQ: AtomicU64 = AtomicU64::new(0);
        self.ensure_init();
        let mut registry = self.lock();
        if let Some(uid) = options.dispatch_uid.as_deref() {
            let existing = registry.entries.iter().find(|e| {
                e.info.dispatch_uid.as_deref() == Some(uid)
                    && e.info.sender == options.sender
                    && e.is_alive()
            });
            if let Some(existing) = existing {
                let id = existing.info.id;
                drop(registry);
                // Dropped outside the lock: dropping a closure may run user code.
                drop(owner);
                return id;
            }
        }
        let info = ReceiverInfo {
            id: ReceiverId::next(),
            signal: self.name,
            sender: options.sender,
            name: options.name.unwrap_or(name),
            file: location.file(),
            line: location.line(),
            dispatch_uid: options.dispatch_uid,
            priority: options.priority,
            origin: Origin::Runtime,
            weak,
            krate: None,
            seq: RUNTIME_SEQ.fetch_add(1, Ordering::Relaxed),
        };
        let id = info.id;
        let key = info.order_key();
        let at = registry
            .entries
            .partition_point(|e| e.info.order_key() <= key);
        registry.entries.insert(
            at,
            Entry {
                call,
                owner: Some(owner),
                info: Arc::new(info),
            },
        );
        let old = self.publish(&registry);
        drop(registry);
        drop(old);
        id
    }

    fn remove_where(&self, matches: impl Fn(&ReceiverInfo) -> bool) -> bool {
        self.ensure_init();
        // Dead weak receivers first, as Django clears them before it disconnects: one that held
        // a `dispatch_uid` must not be what a `disconnect_uid` removes while a live receiver
        // holds the uid now.
        self.prune();
        let mut registry = self.lock();
        let Some(at) = registry.entries.iter().position(|e| matches(&e.info)) else {
            return false;
        };
        let removed = registry.entries.remove(at);
        let old = self.publish(&registry);
        drop(registry);
        // This thread's cached snapshot would keep the receiver alive until its next send.
        cache::forget(self.slot.load(Ordering::Relaxed));
        drop((removed, old));
        true
    }

    fn register_chain(&self, sender: Sender) {
        let mut registry = self.lock();
        if registry.chains.iter().any(|c| c.same_as(&sender)) {
            // Another thread registered it; its snapshot is already published.
            return;
        }
        registry.chains.push(sender);
        let old = self.publish(&registry);
        drop(registry);
        drop(old);
    }

    #[inline(always)]
    fn prune_if_dead(&self) {
        if self.dead.load(Ordering::Relaxed) {
            self.prune();
        }
    }

    /// Drops receivers whose weak target is gone.
    #[cold]
    fn prune(&self) {
        self.dead.store(false, Ordering::Relaxed);
        let mut registry = self.lock();
        if registry.entries.iter().all(Entry::is_alive) {
            return;
        }
        let (alive, dead): (Vec<_>, Vec<_>) = std::mem::take(&mut registry.entries)
            .into_iter()
            .partition(Entry::is_alive);
        registry.entries = alive;
        let old = self.publish(&registry);
        drop(registry);
        // As in `remove_where`: this thread's cached snapshot would keep the dead receivers.
        cache::forget(self.slot.load(Ordering::Relaxed));
        // Dropped outside the lock: dropping a closure may run user code.
        drop((dead, old));
    }

    /// Publishes a snapshot of `registry`; returns the previous one, to be dropped after the lock.
    fn publish(&self, registry: &Registry<A>) -> Option<Arc<Snapshot<A>>> {
        let snapshot = Arc::new(Snapshot::build(&registry.entries, &registry.chains));
        let old = self.published.swap(Some(snapshot));
        // After the swap: a reader that sees this stamp loads this snapshot or a newer one.
        self.stamp.store(cache::next_stamp(), Ordering::Release);
        self.summary
            .store(summarize(&registry.entries), Ordering::Release);
        old
    }

    fn lock(&self) -> MutexGuard<'_, Registry<A>> {
        // No user code runs under this lock, so a poisoned lock still holds consistent data.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Pins a closure's signature to the higher-ranked one receivers need.
fn pin_signature<A: SignalArgs, F>(f: F) -> F
where
    F: for<'a, 'b> Fn(Sender, &'b mut A::Args<'a>) -> std::result::Result<A::Output, Box<Error>>,
{
    f
}

fn pin_weak_signature<A: SignalArgs, T, F>(f: F) -> F
where
    F: for<'a, 'b> Fn(
        &T,
        Sender,
        &'b mut A::Args<'a>,
    ) -> std::result::Result<A::Output, Box<Error>>,
{
    f
}

/// A resolved receiver list, valid while the thread is pinned (see `cache`).
struct Resolved<A: SignalArgs> {
    list: *const Entry<A>,
    len: usize,
    /// The snapshot `list` points into, when the thread's caches could not hold it.
    _keep: Option<Arc<Snapshot<A>>>,
    _pinned: Pinned,
}

impl<A: SignalArgs> Resolved<A> {
    #[inline(always)]
    fn list(&self) -> &[Entry<A>] {
        // SAFETY: `list` points into a snapshot kept alive by this thread's cold cache while it
        // is pinned (`_pinned`), or by `_keep`: either lives as long as `self`.
        unsafe { std::slice::from_raw_parts(self.list, self.len) }
    }
}

/// Ends a cache pin when dropped, also while unwinding.
struct Pinned;

impl Drop for Pinned {
    #[inline(always)]
    fn drop(&mut self) {
        cache::unpin();
    }
}

impl<A: SignalArgs> Drop for Signal<A> {
    fn drop(&mut self) {
        let slot = *self.slot.get_mut();
        if slot != 0 {
            cache::free_slot(slot);
        }
    }
}

impl<A: SignalArgs> fmt::Debug for Signal<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal").field("name", &self.name).finish()
    }
}

/// Implemented by [`Signal`] alone: lets the macros take "a signal" generically, so that a path to
/// anything else is reported once, with this message. Not public API.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a signal",
    label = "expected a `Signal<_>` here",
    note = "`#[receiver]` takes a path to a `static` of type `clarion::Signal<Args>`, declared with `signal!` or `Signal::new`"
)]
pub trait IsSignal: sealed::Sealed + Sync + 'static {
    /// The signal's argument type.
    type Args: SignalArgs;
    /// The signal's name.
    fn signal_name(&self) -> &'static str;
}

impl<A: SignalArgs> IsSignal for Signal<A> {
    type Args = A;
    fn signal_name(&self) -> &'static str {
        self.name
    }
}

mod sealed {
    pub trait Sealed {}
    impl<A: super::SignalArgs> Sealed for super::Signal<A> {}
}

/// A signal of any argument type, for introspection.
pub trait AnySignal: Sync + 'static {
    /// The signal's name.
    fn name(&self) -> &'static str;
    /// Every connected receiver, in the order they run.
    fn receivers(&self) -> Vec<ReceiverInfo>;
}

impl<A: SignalArgs> AnySignal for Signal<A> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn receivers(&self) -> Vec<ReceiverInfo> {
        Signal::receivers(self)
    }
}

#[cfg(feature = "tracing")]
type DispatchSpan = tracing::Span;

/// Without the `tracing` feature, a span that is never anything.
#[cfg(not(feature = "tracing"))]
struct DispatchSpan;

#[cfg(not(feature = "tracing"))]
impl DispatchSpan {
    fn enter(&self) -> DispatchSpan {
        DispatchSpan
    }
}

/// Whether a `tracing` subscriber wants dispatch spans: one branch on the hot path.
#[inline(always)]
fn traced() -> bool {
    #[cfg(feature = "tracing")]
    {
        tracing::enabled!(target: "clarion::dispatch", tracing::Level::DEBUG)
    }
    #[cfg(not(feature = "tracing"))]
    {
        false
    }
}

/// Records on `span` which receiver failed, if one did.
#[cold]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
fn record_outcome<T, E: std::borrow::Borrow<Error>>(
    span: &DispatchSpan,
    outcome: std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    #[cfg(feature = "tracing")]
    if let Err(error) = &outcome {
        match error.borrow() {
            Error::Receiver { receiver, .. } => span.record("failed", *receiver),
            other => span.record("failed", tracing::field::display(other)),
        };
    }
    outcome
}

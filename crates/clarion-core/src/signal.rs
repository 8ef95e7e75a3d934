//! Signals, their receivers, and dispatch.

use std::any::TypeId;
use std::borrow::Cow;
use std::fmt;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use arc_swap::ArcSwapOption;

use crate::cache;
use crate::error::{Error, Result};
use crate::receiver::{IntoReceiverResult, Origin, ReceiverId, ReceiverInfo};
use crate::registry;
use crate::sender::Sender;
use crate::testing;

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
pub type ReceiverFn<A> = for<'a, 'b> fn(
    Sender,
    &'b mut <A as SignalArgs>::Args<'a>,
) -> Result<<A as SignalArgs>::Output>;

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
}

impl Connect {
    /// No sender (hear every sender), no `dispatch_uid`, priority 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hear only signals sent by `T` (or by a sender that names `T` as a parent).
    pub fn sender<T: ?Sized + 'static>(self) -> Self {
        self.from(Sender::of::<T>())
    }

    /// Hear only signals sent by `sender` (or by a sender that names it as a parent).
    pub fn from(mut self, sender: Sender) -> Self {
        self.sender = Some(sender);
        self
    }

    /// Make the connection idempotent: connecting the same `uid` for the same sender again keeps
    /// the first receiver and returns its id.
    pub fn dispatch_uid(mut self, uid: impl Into<Cow<'static, str>>) -> Self {
        self.dispatch_uid = Some(uid.into());
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

pub(crate) trait DynReceiver<A: SignalArgs>: Send + Sync {
    /// `None` when the receiver's weak target is gone.
    fn call(&self, sender: Sender, args: &mut A::Args<'_>) -> Option<Result<A::Output>>;
    fn is_alive(&self) -> bool;
}

struct Strong<F>(F);

impl<A: SignalArgs, F> DynReceiver<A> for Strong<F>
where
    F: for<'a, 'b> Fn(Sender, &'b mut A::Args<'a>) -> Result<A::Output> + Send + Sync,
{
    #[inline]
    fn call(&self, sender: Sender, args: &mut A::Args<'_>) -> Option<Result<A::Output>> {
        Some((self.0)(sender, args))
    }

    fn is_alive(&self) -> bool {
        true
    }
}

struct WeakTarget<T, F> {
    target: Weak<T>,
    f: F,
}

impl<A: SignalArgs, T: Send + Sync, F> DynReceiver<A> for WeakTarget<T, F>
where
    F: for<'a, 'b> Fn(&T, Sender, &'b mut A::Args<'a>) -> Result<A::Output> + Send + Sync,
{
    fn call(&self, sender: Sender, args: &mut A::Args<'_>) -> Option<Result<A::Output>> {
        let target = self.target.upgrade()?;
        Some((self.f)(&target, sender, args))
    }

    fn is_alive(&self) -> bool {
        self.target.strong_count() > 0
    }
}

/// Pins a closure's signature to the higher-ranked one receivers need.
fn strong<A: SignalArgs, F>(f: F) -> F
where
    F: for<'a, 'b> Fn(Sender, &'b mut A::Args<'a>) -> Result<A::Output>,
{
    f
}

fn weak_fn<A: SignalArgs, T, F>(f: F) -> F
where
    F: for<'a, 'b> Fn(&T, Sender, &'b mut A::Args<'a>) -> Result<A::Output>,
{
    f
}

enum Call<A: SignalArgs> {
    Static(ReceiverFn<A>),
    Dynamic(Arc<dyn DynReceiver<A>>),
}

impl<A: SignalArgs> Clone for Call<A> {
    fn clone(&self) -> Self {
        match self {
            Call::Static(f) => Call::Static(*f),
            Call::Dynamic(d) => Call::Dynamic(Arc::clone(d)),
        }
    }
}

pub(crate) struct Entry<A: SignalArgs> {
    call: Call<A>,
    info: Arc<ReceiverInfo>,
}

impl<A: SignalArgs> Clone for Entry<A> {
    fn clone(&self) -> Self {
        Entry {
            call: self.call.clone(),
            info: Arc::clone(&self.info),
        }
    }
}

impl<A: SignalArgs> Entry<A> {
    #[inline]
    fn call(&self, sender: Sender, args: &mut A::Args<'_>) -> Option<Result<A::Output>> {
        match &self.call {
            Call::Static(f) => Some(f(sender, args)),
            Call::Dynamic(d) => d.call(sender, args),
        }
    }

    fn is_alive(&self) -> bool {
        match &self.call {
            Call::Static(_) => true,
            Call::Dynamic(d) => d.is_alive(),
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
    /// Per sender type, sorted by `TypeId`.
    by_sender: Box<[SenderList<A>]>,
}

/// The receivers one sender type reaches, sender-less ones included, in run order.
struct SenderList<A: SignalArgs> {
    id: TypeId,
    /// Whether the sender's parents were taken into account.
    chained: bool,
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
        let mut senders: Vec<(TypeId, Option<Sender>)> = entries
            .iter()
            .filter_map(|e| e.info.sender.map(|s| (s.type_id(), None)))
            .collect();
        senders.extend(chains.iter().map(|s| (s.type_id(), Some(*s))));
        // A registered chain wins over the plain id of the same type.
        senders.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.is_some().cmp(&a.1.is_some())));
        senders.dedup_by_key(|s| s.0);
        let by_sender = senders
            .into_iter()
            .map(|(id, chain)| {
                let reaches = |target: &Sender| match &chain {
                    Some(chain) => chain.reaches(target),
                    None => target.type_id() == id,
                };
                let list: Box<[Entry<A>]> = entries
                    .iter()
                    .filter(|e| e.info.sender.as_ref().is_none_or(reaches))
                    .cloned()
                    .collect();
                SenderList {
                    id,
                    chained: chain.is_some(),
                    list,
                }
            })
            .collect();
        Snapshot { anyone, by_sender }
    }

    #[inline]
    fn lookup(&self, sender: &Sender) -> Lookup<'_, A> {
        let id = sender.type_id();
        match self.by_sender.binary_search_by(|s| s.id.cmp(&id)) {
            Ok(i) => {
                let found = &self.by_sender[i];
                if found.chained || sender.parents().is_empty() {
                    Lookup::Found(&found.list)
                } else {
                    Lookup::NeedChain
                }
            }
            Err(_) if sender.parents().is_empty() => Lookup::Found(&self.anyone),
            Err(_) => Lookup::NeedChain,
        }
    }
}

struct Registry<A: SignalArgs> {
    /// Every receiver, in run order.
    entries: Vec<Entry<A>>,
    /// Senders with parents seen by `send`.
    chains: Vec<Sender>,
}

const UNINIT: u8 = 0;
const EMPTY: u8 = 1;
const LISTENING: u8 = 2;

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
    state: AtomicU8,
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
            state: AtomicU8::new(UNINIT),
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
        let call = strong::<A, _>(move |sender, args| f(sender, args).into_receiver_result());
        let call: Arc<dyn DynReceiver<A>> = Arc::new(Strong(call));
        self.add(
            Call::Dynamic(call),
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
        let f = weak_fn::<A, T, _>(move |target, sender, args| {
            f(target, sender, args).into_receiver_result()
        });
        let call: Arc<dyn DynReceiver<A>> = Arc::new(WeakTarget {
            target: Arc::downgrade(target),
            f,
        });
        self.add(
            Call::Dynamic(call),
            options,
            std::any::type_name::<F>(),
            Location::caller(),
            true,
        )
    }

    /// Disconnects the receiver `id`; returns whether it was connected.
    pub fn disconnect(&self, id: ReceiverId) -> bool {
        self.remove_where(|info| info.id == id)
    }

    /// Disconnects the receiver connected with `dispatch_uid` for `sender` (`None`: for every
    /// sender); returns whether there was one.
    pub fn disconnect_uid(&self, dispatch_uid: &str, sender: Option<Sender>) -> bool {
        self.remove_where(|info| {
            info.dispatch_uid.as_deref() == Some(dispatch_uid) && info.sender == sender
        })
    }

    /// Whether any live receiver would hear a send from `sender`.
    pub fn has_listeners(&self, sender: Sender) -> bool {
        self.ensure_init();
        self.with_list(sender, |list| list.iter().any(Entry::is_alive))
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
        if testing::active() {
            return self.send_observed(sender, args);
        }
        match self.state.load(Ordering::Acquire) {
            EMPTY => return Ok(Vec::new()),
            UNINIT => self.init(),
            _ => {}
        }
        self.with_list(sender, |list| self.dispatch(list, sender, args, |_| false))
    }

    /// Calls every receiver that hears `sender`, whatever the others do, and returns each one's
    /// outcome, a panic included (Django's `send_robust`).
    pub fn send_robust(&self, sender: Sender, args: &mut A::Args<'_>) -> Vec<Outcome<A::Output>> {
        let muted = testing::observe(self, sender, args);
        if muted.whole_signal {
            return Vec::new();
        }
        self.ensure_init();
        let outcomes = self.with_list(sender, |list| {
            let mut outcomes = Vec::with_capacity(list.len());
            for entry in list.iter().filter(|e| !muted.mutes(e.info())) {
                let called = catch_unwind(AssertUnwindSafe(|| entry.call(sender, &mut *args)));
                let result = match called {
                    Ok(Some(result)) => result.map_err(|e| self.receiver_error(entry, e)),
                    Ok(None) => {
                        self.dead.store(true, Ordering::Relaxed);
                        continue;
                    }
                    Err(payload) => Err(self.receiver_error(entry, Error::from_panic(payload))),
                };
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

    #[cold]
    fn send_observed(&self, sender: Sender, args: &mut A::Args<'_>) -> Result<Vec<A::Output>> {
        let muted = testing::observe(self, sender, args);
        if muted.whole_signal {
            return Ok(Vec::new());
        }
        self.ensure_init();
        self.with_list(sender, |list| {
            self.dispatch(list, sender, args, |e| muted.mutes(e.info()))
        })
    }

    #[inline]
    fn dispatch(
        &self,
        list: &[Entry<A>],
        sender: Sender,
        args: &mut A::Args<'_>,
        skip: impl Fn(&Entry<A>) -> bool,
    ) -> Result<Vec<A::Output>> {
        let mut out = Vec::new();
        let mut current = 0;
        let mut dead = false;
        let ran = catch_unwind(AssertUnwindSafe(|| {
            for (i, entry) in list.iter().enumerate() {
                if skip(entry) {
                    continue;
                }
                current = i;
                match entry.call(sender, &mut *args) {
                    Some(Ok(value)) => out.push(value),
                    Some(Err(error)) => return Err(self.receiver_error(entry, error)),
                    None => dead = true,
                }
            }
            Ok(())
        }));
        if dead {
            self.dead.store(true, Ordering::Relaxed);
            self.prune_if_dead();
        }
        match ran {
            Ok(Ok(())) => Ok(out),
            Ok(Err(error)) => Err(error),
            Err(payload) => Err(self.receiver_error(&list[current], Error::from_panic(payload))),
        }
    }

    #[cold]
    fn receiver_error(&self, entry: &Entry<A>, source: Error) -> Error {
        Error::Receiver {
            signal: self.name,
            receiver: entry.info.name,
            source: Box::new(source),
        }
    }

    /// Runs `f` on the receivers `sender` reaches, from this thread's cached snapshot when fresh.
    #[inline]
    fn with_list<R>(&self, sender: Sender, f: impl FnOnce(&[Entry<A>]) -> R) -> R {
        let slot = self.slot.load(Ordering::Relaxed);
        loop {
            let stamp = self.stamp.load(Ordering::Acquire);
            if let Some(ptr) = cache::pin(slot, stamp) {
                let pinned = Pinned;
                // SAFETY: the slot's stamp matches this signal's, so `ptr` came from
                // `Arc::as_ptr` of one of this signal's `Arc<Snapshot<A>>`, which the cache keeps
                // alive while pinned (see `cache`).
                let snapshot = unsafe { &*ptr.cast::<Snapshot<A>>() };
                match snapshot.lookup(&sender) {
                    Lookup::Found(list) => return f(list),
                    Lookup::NeedChain => {
                        drop(pinned);
                        self.register_chain(sender);
                        continue;
                    }
                }
            }
            let Some(snapshot) = self.published.load_full() else {
                unreachable!("signal `{}` used before it was initialised", self.name)
            };
            let ptr = Arc::as_ptr(&snapshot).cast::<()>();
            if cache::fill(slot, stamp, ptr, snapshot.clone()) {
                continue;
            }
            // Thread-local storage is gone (a send from a thread-local destructor): use our `Arc`.
            match snapshot.lookup(&sender) {
                Lookup::Found(list) => return f(list),
                Lookup::NeedChain => self.register_chain(sender),
            }
        }
    }

    fn ensure_init(&self) {
        if self.state.load(Ordering::Acquire) == UNINIT {
            self.init();
        }
    }

    /// Collects the link-time receivers of this signal and publishes the first snapshot.
    #[cold]
    fn init(&self) {
        let mut registry = self.lock();
        if self.state.load(Ordering::Acquire) != UNINIT {
            return;
        }
        self.slot.store(cache::alloc_slot(), Ordering::Relaxed);
        let mut linked: Vec<Entry<A>> = registry::linked_to(self)
            .map(|(func, meta)| Entry {
                call: Call::Static(func),
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
        // A link-time `dispatch_uid` also connects once per sender: the first in order wins.
        let mut seen: Vec<(Cow<'static, str>, Option<Sender>)> = Vec::new();
        linked.retain(|e| match &e.info.dispatch_uid {
            Some(uid) if seen.iter().any(|s| s.0 == *uid && s.1 == e.info.sender) => false,
            Some(uid) => {
                seen.push((uid.clone(), e.info.sender));
                true
            }
            None => true,
        });
        let linked_seq_end = linked.len() as u64;
        registry.entries.append(&mut linked);
        registry.entries.sort_by_key(|e| e.info.order_key());
        debug_assert!(
            registry
                .entries
                .iter()
                .all(|e| e.info.origin == Origin::Runtime || e.info.seq < linked_seq_end)
        );
        let old = self.publish(&registry);
        drop(registry);
        drop(old);
    }

    fn add(
        &self,
        call: Call<A>,
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
                e.info.dispatch_uid.as_deref() == Some(uid) && e.info.sender == options.sender
            });
            if let Some(existing) = existing {
                let id = existing.info.id;
                drop(registry);
                // Dropped outside the lock: dropping a closure may run user code.
                drop(call);
                return id;
            }
        }
        let info = ReceiverInfo {
            id: ReceiverId::next(),
            signal: self.name,
            sender: options.sender,
            name,
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
        let mut registry = self.lock();
        let Some(at) = registry.entries.iter().position(|e| matches(&e.info)) else {
            return false;
        };
        let removed = registry.entries.remove(at);
        let old = self.publish(&registry);
        drop(registry);
        drop((removed, old));
        true
    }

    fn register_chain(&self, sender: Sender) {
        let mut registry = self.lock();
        if registry
            .chains
            .iter()
            .any(|c| c.type_id() == sender.type_id())
        {
            // Another thread registered it; its snapshot is already published.
            return;
        }
        registry.chains.push(sender);
        let old = self.publish(&registry);
        drop(registry);
        drop(old);
    }

    fn prune_if_dead(&self) {
        if self.dead.load(Ordering::Relaxed) {
            self.prune();
        }
    }

    /// Drops receivers whose weak target is gone.
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
        // Dropped outside the lock: dropping a closure may run user code.
        drop((dead, old));
    }

    /// Publishes a snapshot of `registry`; returns the previous one, to be dropped after the lock.
    fn publish(&self, registry: &Registry<A>) -> Option<Arc<Snapshot<A>>> {
        let snapshot = Arc::new(Snapshot::build(&registry.entries, &registry.chains));
        let old = self.published.swap(Some(snapshot));
        // After the swap: a reader that sees this stamp loads this snapshot or a newer one.
        self.stamp.store(cache::next_stamp(), Ordering::Release);
        let state = if registry.entries.is_empty() {
            EMPTY
        } else {
            LISTENING
        };
        self.state.store(state, Ordering::Release);
        old
    }

    fn lock(&self) -> MutexGuard<'_, Registry<A>> {
        // No user code runs under this lock, so a poisoned lock still holds consistent data.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Ends a cache pin when dropped, also while unwinding.
struct Pinned;

impl Drop for Pinned {
    #[inline]
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

//! Link-time registration (`inventory`) and process-wide introspection.

use std::any::TypeId;
use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::receiver::{Origin, ReceiverId, ReceiverInfo};
use crate::sender::Sender;
use crate::signal::{AnySignal, IsSignal, ReceiverFn, Signal, SignalArgs};

/// A receiver registered at link time by `#[receiver]`. Not public API.
#[doc(hidden)]
pub struct LinkedReceiver {
    signal: &'static dyn AnySignal,
    args: TypeId,
    func: ErasedFn,
    meta: LinkedMeta,
}

/// A `ReceiverFn<A>` with `A` erased; only `LinkedReceiver::new` makes one.
struct ErasedFn(*const ());

// SAFETY: it is a function pointer, which is `Send + Sync`; it is only called through the typed
// pointer it was made from.
unsafe impl Send for ErasedFn {}
unsafe impl Sync for ErasedFn {}

/// What `#[receiver]` knows about the fn it registers. Not public API.
#[doc(hidden)]
pub struct LinkedMeta {
    /// `module_path!()::fn_name`.
    pub name: &'static str,
    /// `file!()`.
    pub file: &'static str,
    /// `line!()`.
    pub line: u32,
    /// `env!("CARGO_CRATE_NAME")` of the crate declaring the receiver.
    pub krate: &'static str,
    /// `sender = …`.
    pub sender: Option<Sender>,
    /// `dispatch_uid = "…"`.
    pub dispatch_uid: Option<&'static str>,
    /// `priority = …`.
    pub priority: i32,
}

impl LinkedMeta {
    pub(crate) fn info(&'static self, signal: &'static str) -> ReceiverInfo {
        ReceiverInfo {
            id: ReceiverId::next(),
            signal,
            sender: self.sender,
            name: self.name,
            file: self.file,
            line: self.line,
            // Django ignores a falsy uid: `dispatch_uid = ""` is none, as in `Connect`.
            dispatch_uid: self
                .dispatch_uid
                .filter(|uid| !uid.is_empty())
                .map(Cow::Borrowed),
            priority: self.priority,
            origin: Origin::Linked,
            weak: false,
            krate: Some(self.krate),
            seq: 0,
        }
    }
}

impl LinkedReceiver {
    /// Registers `func` as a receiver of `signal`.
    pub const fn new<S: IsSignal>(
        signal: &'static S,
        func: ReceiverFn<S::Args>,
        meta: LinkedMeta,
    ) -> Self {
        // SAFETY: `IsSignal` is sealed and implemented only by `Signal<A>` with `Args = A`, so
        // `S` is `Signal<S::Args>`.
        let signal: &'static Signal<S::Args> =
            unsafe { &*(signal as *const S).cast::<Signal<S::Args>>() };
        LinkedReceiver {
            signal,
            args: TypeId::of::<S::Args>(),
            func: ErasedFn(func as *const ()),
            meta,
        }
    }
}

inventory::collect!(LinkedReceiver);

/// A signal declared with [`signal!`](crate::signal!), listed by [`signals`]. Not public API.
#[doc(hidden)]
pub struct SignalRegistration(&'static dyn AnySignal);

impl SignalRegistration {
    /// Registers `signal` for introspection.
    pub const fn new<A: SignalArgs>(signal: &'static Signal<A>) -> Self {
        SignalRegistration(signal)
    }
}

inventory::collect!(SignalRegistration);

fn addr(signal: &dyn AnySignal) -> *const () {
    (signal as *const dyn AnySignal).cast::<()>()
}

/// The link-time receivers of `signal`.
pub(crate) fn linked_to<A: SignalArgs>(
    signal: &Signal<A>,
) -> impl Iterator<Item = (ReceiverFn<A>, &'static LinkedMeta)> + '_ {
    let this = (signal as *const Signal<A>).cast::<()>();
    inventory::iter::<LinkedReceiver>
        .into_iter()
        .filter(move |linked| std::ptr::eq(addr(linked.signal), this))
        .map(|linked| {
            assert_eq!(
                linked.args,
                TypeId::of::<A>(),
                "one signal, one argument type"
            );
            // SAFETY: `LinkedReceiver::new` made `func` from a `ReceiverFn<A'>` for the signal at
            // this address, which is a `Signal<A>`; so `A' == A` (checked above as well).
            let func = unsafe { std::mem::transmute::<*const (), ReceiverFn<A>>(linked.func.0) };
            (func, &linked.meta)
        })
}

/// Every signal declared with [`signal!`](crate::signal!) or with a `#[receiver]`, by name.
pub fn signals() -> Vec<&'static dyn AnySignal> {
    let mut all: Vec<&'static dyn AnySignal> = inventory::iter::<SignalRegistration>
        .into_iter()
        .map(|r| r.0)
        .chain(
            inventory::iter::<LinkedReceiver>
                .into_iter()
                .map(|l| l.signal),
        )
        .collect();
    all.sort_by(|a, b| a.name().cmp(b.name()).then(addr(*a).cmp(&addr(*b))));
    all.dedup_by(|a, b| std::ptr::eq(addr(*a), addr(*b)));
    all
}

/// Every receiver connected to any signal of [`signals`]: link-time and runtime ones, grouped by
/// signal, each group in run order. Answers "which receivers are connected?".
///
/// ```
/// for r in clarion::receivers() {
///     println!("{} {:?} {} {}:{}", r.signal, r.sender, r.name, r.file, r.line);
/// }
/// ```
pub fn receivers() -> Vec<ReceiverInfo> {
    signals().into_iter().flat_map(|s| s.receivers()).collect()
}

/// The crates (as `CARGO_CRATE_NAME`) whose `#[receiver]`s are linked into this binary.
pub fn linked_crates() -> BTreeSet<&'static str> {
    inventory::iter::<LinkedReceiver>
        .into_iter()
        .map(|l| l.meta.krate)
        .collect()
}

/// Fails with [`Error::NotLinked`] naming each crate of `crates` that has no receiver linked into
/// this binary.
///
/// Link-time registration only sees crates the linker keeps: a crate of receivers that nothing in
/// the program references is left out silently (inventory issue #7). Call this at start-up with
/// the crates you rely on, and reference each one (`use my_receivers as _;`).
///
/// ```
/// assert!(clarion::expect_linked(&["a_crate_that_is_not_here"]).is_err());
/// ```
pub fn expect_linked(crates: &[&str]) -> Result<()> {
    let linked = linked_crates();
    let missing: Vec<String> = crates
        .iter()
        .map(|c| c.replace('-', "_"))
        .filter(|c| !linked.contains(c.as_str()))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::NotLinked { crates: missing })
    }
}

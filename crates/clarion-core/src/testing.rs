//! Test aids: capture what a signal sent, mute a signal or a receiver, count the statements run,
//! within a scope.
//!
//! Every aid is scoped to the **current thread** and to the guard it returns, so tests running
//! in parallel threads never see each other's captures or mutes. While no aid is active anywhere,
//! `send` pays one relaxed atomic load for them.
//!
//! ```
//! use clarion::prelude::*;
//! use clarion::testing;
//!
//! #[derive(SignalArgs)]
//! pub struct Ping { pub n: u32 }
//! signal! { pub static PING: Signal<Ping>; }
//! struct Me;
//!
//! let pings = testing::capture(&PING, |_sender, args: &Ping| args.n);
//! let _quiet = testing::mute(&PING);
//! PING.send(Sender::of::<Me>(), &mut Ping { n: 7 })?;
//! assert_eq!(pings.take(), vec![7]);
//! # Ok::<(), clarion::Error>(())
//! ```

use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::receiver::{ReceiverId, ReceiverInfo};
use crate::sender::Sender;
use crate::signal::{Signal, SignalArgs};

/// How many aids are alive on all threads; `send` looks at thread-local state only when non-zero.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

#[inline]
pub(crate) fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed) != 0
}

type TapFn<A> = Box<dyn for<'a, 'b> Fn(Sender, &'b <A as SignalArgs>::Args<'a>)>;

enum Aid {
    Tap(Box<dyn Any>),
    MuteSignal,
    MuteReceiver(ReceiverId),
    MuteNamed(String),
}

struct Registered {
    key: u64,
    signal: *const (),
    aid: Aid,
}

thread_local! {
    static AIDS: RefCell<Vec<Registered>> = const { RefCell::new(Vec::new()) };
}

fn register(signal: *const (), aid: Aid) -> u64 {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    let key = NEXT.fetch_add(1, Ordering::Relaxed) as u64;
    AIDS.with(|aids| aids.borrow_mut().push(Registered { key, signal, aid }));
    ACTIVE.fetch_add(1, Ordering::Relaxed);
    key
}

fn unregister(key: u64) {
    let removed = AIDS
        .try_with(|aids| {
            let mut aids = aids.borrow_mut();
            let at = aids.iter().position(|r| r.key == key)?;
            Some(aids.remove(at))
        })
        .ok()
        .flatten();
    ACTIVE.fetch_sub(1, Ordering::Relaxed);
    drop(removed);
}

fn addr<A: SignalArgs>(signal: &Signal<A>) -> *const () {
    (signal as *const Signal<A>).cast()
}

/// What is muted for one send on this thread.
#[derive(Default)]
pub(crate) struct Muting {
    pub(crate) whole_signal: bool,
    ids: Vec<ReceiverId>,
    names: Vec<String>,
}

impl Muting {
    pub(crate) fn mutes(&self, info: &ReceiverInfo) -> bool {
        self.ids.contains(&info.id) || self.names.iter().any(|n| n == info.name)
    }
}

/// Runs this thread's taps for `signal` and says what is muted.
pub(crate) fn observe<A: SignalArgs>(
    signal: &Signal<A>,
    sender: Sender,
    args: &A::Args<'_>,
) -> Muting {
    let mut muting = Muting::default();
    if !active() {
        return muting;
    }
    let this = addr(signal);
    // Taps run under a shared borrow: a tap may send signals, but not create or drop an aid.
    let _ = AIDS.try_with(|aids| {
        let aids = aids.borrow();
        for r in aids.iter().filter(|r| r.signal == this) {
            match &r.aid {
                Aid::Tap(tap) => {
                    if let Some(tap) = tap.downcast_ref::<TapFn<A>>() {
                        tap(sender, args);
                    }
                }
                Aid::MuteSignal => muting.whole_signal = true,
                Aid::MuteReceiver(id) => muting.ids.push(*id),
                Aid::MuteNamed(name) => muting.names.push(name.clone()),
            }
        }
    });
    muting
}

/// Records, on this thread, what `signal` sends while the returned guard lives.
///
/// `record` turns each send's sender and arguments into an owned value (the arguments may borrow,
/// so they cannot be kept as they are). Sends are recorded even when the signal is muted.
pub fn capture<A, T, F>(signal: &Signal<A>, record: F) -> Capture<T>
where
    A: SignalArgs,
    T: 'static,
    F: for<'a, 'b> Fn(Sender, &'b A::Args<'a>) -> T + 'static,
{
    let log: Rc<RefCell<Vec<T>>> = Rc::default();
    let sink = Rc::clone(&log);
    let tap: TapFn<A> = Box::new(move |sender, args| {
        let value = record(sender, args);
        sink.borrow_mut().push(value);
    });
    let key = register(addr(signal), Aid::Tap(Box::new(tap)));
    Capture {
        key,
        log,
        _thread: PhantomData,
    }
}

/// The guard of [`capture`]: holds what was sent; stops recording when dropped.
#[must_use = "capturing stops when the guard is dropped"]
pub struct Capture<T> {
    key: u64,
    log: Rc<RefCell<Vec<T>>>,
    _thread: PhantomData<*const ()>,
}

impl<T> Capture<T> {
    /// Takes what was recorded so far, leaving the record empty.
    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut self.log.borrow_mut())
    }

    /// How many sends are recorded.
    pub fn len(&self) -> usize {
        self.log.borrow().len()
    }

    /// Whether no send is recorded.
    pub fn is_empty(&self) -> bool {
        self.log.borrow().is_empty()
    }
}

impl<T> Drop for Capture<T> {
    fn drop(&mut self) {
        unregister(self.key);
    }
}

/// Keeps every receiver of `signal` from running on this thread while the guard lives.
pub fn mute<A: SignalArgs>(signal: &Signal<A>) -> Muted {
    Muted::new(addr(signal), Aid::MuteSignal)
}

/// Keeps the receiver `id` of `signal` from running on this thread while the guard lives.
pub fn mute_receiver<A: SignalArgs>(signal: &Signal<A>, id: ReceiverId) -> Muted {
    Muted::new(addr(signal), Aid::MuteReceiver(id))
}

/// Keeps the receiver named `name` (its path, as [`ReceiverInfo::name`] shows it) of `signal` from
/// running on this thread while the guard lives.
pub fn mute_receiver_named<A: SignalArgs>(signal: &Signal<A>, name: &str) -> Muted {
    Muted::new(addr(signal), Aid::MuteNamed(name.to_owned()))
}

/// The guard of [`mute`], [`mute_receiver`] and [`mute_receiver_named`].
#[must_use = "muting ends when the guard is dropped"]
pub struct Muted {
    key: u64,
    _thread: PhantomData<*const ()>,
}

impl Muted {
    fn new(signal: *const (), aid: Aid) -> Self {
        Muted {
            key: register(signal, aid),
            _thread: PhantomData,
        }
    }
}

impl Drop for Muted {
    fn drop(&mut self) {
        unregister(self.key);
    }
}

/// A statement clarion ran while a [`capture_queries`] guard lived (Django's
/// `connection.queries` entry).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CapturedQuery {
    /// The alias of the database it ran on.
    pub using: String,
    /// Its SQL, with placeholders where the values were bound.
    pub sql: String,
}

impl std::fmt::Display for CapturedQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.using, self.sql)
    }
}

/// How many [`capture_queries`] guards are alive on all threads: a statement looks at
/// thread-local state only when non-zero.
static QUERY_CAPTURES: AtomicUsize = AtomicUsize::new(0);

/// What one [`capture_queries`] guard has recorded.
type QueryLog = Rc<RefCell<Vec<CapturedQuery>>>;

thread_local! {
    /// The logs of this thread's live [`capture_queries`] guards, by key.
    static QUERY_LOGS: RefCell<Vec<(u64, QueryLog)>> = const { RefCell::new(Vec::new()) };
}

#[inline(always)]
pub(crate) fn queries_active() -> bool {
    QUERY_CAPTURES.load(Ordering::Relaxed) != 0
}

/// Adds a statement to every live capture of this thread.
pub(crate) fn record_query(using: &str, sql: &str) {
    if !queries_active() {
        return;
    }
    let _ = QUERY_LOGS.try_with(|logs| {
        for (_, log) in logs.borrow().iter() {
            log.borrow_mut().push(CapturedQuery {
                using: using.to_owned(),
                sql: sql.to_owned(),
            });
        }
    });
}

/// Records, on this thread, every statement clarion runs while the returned guard lives
/// (Django's `CaptureQueriesContext`): a model's `INSERT`, a query set's `SELECT`, SQL run with
/// [`Transaction::execute_values`](crate::db::Transaction::execute_values), … on every database.
///
/// Transaction control (`BEGIN`, `COMMIT`, `SAVEPOINT`, …) is not counted, unlike Django, so that
/// a count does not change when the code under test runs inside an `atomic` block.
///
/// ```
/// use clarion::db::{self, Database};
/// use clarion::testing;
///
/// db::register(Database::open_as("queries_doc", "sqlite::memory:")?);
/// let queries = testing::capture_queries();
/// db::atomic_using("queries_doc", |tx| {
///     tx.execute_batch("CREATE TABLE t (x INTEGER)")?;
///     tx.execute_values("INSERT INTO t VALUES ($1)", &[1.into()])
/// })?;
/// assert_eq!(queries.len(), 2);
/// assert_eq!(queries.take()[1].sql, "INSERT INTO t VALUES ($1)");
/// # Ok::<(), clarion::Error>(())
/// ```
pub fn capture_queries() -> CapturedQueries {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    let key = NEXT.fetch_add(1, Ordering::Relaxed) as u64;
    let log: QueryLog = Rc::default();
    QUERY_LOGS.with(|logs| logs.borrow_mut().push((key, Rc::clone(&log))));
    QUERY_CAPTURES.fetch_add(1, Ordering::Relaxed);
    CapturedQueries {
        key,
        log,
        _thread: PhantomData,
    }
}

/// The guard of [`capture_queries`]: holds the statements run; stops recording when dropped.
#[must_use = "capturing stops when the guard is dropped"]
pub struct CapturedQueries {
    key: u64,
    log: QueryLog,
    _thread: PhantomData<*const ()>,
}

impl CapturedQueries {
    /// Takes the statements recorded so far, leaving the record empty.
    pub fn take(&self) -> Vec<CapturedQuery> {
        std::mem::take(&mut self.log.borrow_mut())
    }

    /// How many statements are recorded.
    pub fn len(&self) -> usize {
        self.log.borrow().len()
    }

    /// Whether no statement is recorded.
    pub fn is_empty(&self) -> bool {
        self.log.borrow().is_empty()
    }
}

impl Drop for CapturedQueries {
    fn drop(&mut self) {
        let key = self.key;
        let _ = QUERY_LOGS.try_with(|logs| logs.borrow_mut().retain(|(k, _)| *k != key));
        QUERY_CAPTURES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs `f` and checks that it ran exactly `expected` statements on this thread (Django's
/// `assertNumQueries`), returning what `f` returned.
///
/// # Panics
///
/// When the count differs, with every statement that ran, numbered, as an assertion does.
///
/// ```
/// use clarion::db::{self, Database};
/// use clarion::testing;
///
/// db::register(Database::open_as("num_queries_doc", "sqlite::memory:")?);
/// let rows = testing::assert_num_queries(2, || {
///     db::atomic_using("num_queries_doc", |tx| {
///         tx.execute_batch("CREATE TABLE t (x INTEGER)")?;
///         tx.query_values("SELECT count(*) FROM t", &[])
///     })
/// })?;
/// assert_eq!(rows.len(), 1);
/// # Ok::<(), clarion::Error>(())
/// ```
#[track_caller]
pub fn assert_num_queries<T>(expected: usize, f: impl FnOnce() -> T) -> T {
    let queries = capture_queries();
    let value = f();
    let ran = queries.take();
    if ran.len() != expected {
        let listed: Vec<String> = ran
            .iter()
            .enumerate()
            .map(|(n, query)| format!("{}. {query}", n + 1))
            .collect();
        panic!(
            "{} queries ran, {expected} expected:\n{}",
            ran.len(),
            listed.join("\n")
        );
    }
    value
}

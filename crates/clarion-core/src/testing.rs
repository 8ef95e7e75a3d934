//! Test aids: capture what a signal sent, mute a signal or a receiver, count the statements run,
//! within a scope.
//!
//! Every aid is scoped to the **current thread** and to the guard it returns, so tests running
//! in parallel threads never see each other's captures or mutes. The work that thread awaits
//! through clarion's awaitable API (feature `tokio`: `asave`, `aatomic`, …), which runs on other
//! threads, is in the scope too: an async test captures and mutes what its own awaited calls
//! send, and not what tasks it spawned do. While no aid is active anywhere, `send` pays one
//! relaxed atomic load for them.
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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::receiver::{ReceiverId, ReceiverInfo};
use crate::sender::Sender;
use crate::signal::{Signal, SignalArgs};

/// How many aids are alive on all threads; `send` looks at thread-local state only when non-zero.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

#[inline]
pub(crate) fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed) != 0
}

type TapFn<A> =
    Box<dyn for<'a, 'b> Fn(Sender, &'b <A as SignalArgs>::Args<'a>) + Send + Sync + 'static>;

#[derive(Clone)]
enum Aid {
    Tap(Arc<dyn Any + Send + Sync>),
    MuteSignal,
    MuteReceiver(ReceiverId),
    MuteNamed(String),
}

struct Registered {
    key: u64,
    /// The signal's address.
    signal: usize,
    aid: Aid,
}

/// The aids of one thread, shared with the threads that run the work it awaits.
#[derive(Default)]
pub(crate) struct Scope {
    aids: Mutex<Vec<Registered>>,
    queries: Mutex<Vec<(u64, QueryLog)>>,
}

impl Scope {
    fn aids(&self) -> MutexGuard<'_, Vec<Registered>> {
        // Nothing panics while it is held: the list is always whole.
        self.aids.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn queries(&self) -> MutexGuard<'_, Vec<(u64, QueryLog)>> {
        self.queries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

thread_local! {
    /// This thread's scope: its own, or the one of the thread whose awaited work it runs.
    static SCOPE: RefCell<Option<Arc<Scope>>> = const { RefCell::new(None) };
}

/// This thread's scope, made if it has none.
fn scope() -> Arc<Scope> {
    SCOPE.with_borrow_mut(|scope| Arc::clone(scope.get_or_insert_with(Arc::default)))
}

/// This thread's scope, if any aid is active anywhere: what the awaitable API hands to the
/// thread that runs the awaited work (see [`Inherited`]).
#[cfg(feature = "tokio")]
pub(crate) fn inherit() -> Option<Arc<Scope>> {
    if !active() && !queries_active() {
        return None;
    }
    SCOPE.with_borrow(Clone::clone)
}

/// Runs, on the thread that does a task's awaited work, inside the task's scope, for as long
/// as it lives.
#[cfg(feature = "tokio")]
pub(crate) struct Inherited(Option<Option<Arc<Scope>>>);

#[cfg(feature = "tokio")]
impl Inherited {
    pub(crate) fn enter(scope: Option<Arc<Scope>>) -> Inherited {
        match scope {
            Some(scope) => Inherited(Some(SCOPE.replace(Some(scope)))),
            None => Inherited(None),
        }
    }
}

#[cfg(feature = "tokio")]
impl Drop for Inherited {
    fn drop(&mut self) {
        if let Some(previous) = self.0.take() {
            SCOPE.set(previous);
        }
    }
}

fn register(signal: usize, aid: Aid) -> (Arc<Scope>, u64) {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    let key = NEXT.fetch_add(1, Ordering::Relaxed) as u64;
    let scope = scope();
    scope.aids().push(Registered { key, signal, aid });
    ACTIVE.fetch_add(1, Ordering::Relaxed);
    (scope, key)
}

fn unregister(scope: &Scope, key: u64) {
    let removed = {
        let mut aids = scope.aids();
        aids.iter()
            .position(|r| r.key == key)
            .map(|at| aids.remove(at))
    };
    ACTIVE.fetch_sub(1, Ordering::Relaxed);
    drop(removed);
}

fn addr<A: SignalArgs>(signal: &Signal<A>) -> usize {
    (signal as *const Signal<A>).addr()
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
    let Some(scope) = SCOPE
        .try_with(|scope| scope.borrow().clone())
        .ok()
        .flatten()
    else {
        return muting;
    };
    let this = addr(signal);
    // Taken out of the lock before a tap runs: a tap may send signals, and create or drop aids.
    let aids: Vec<Aid> = scope
        .aids()
        .iter()
        .filter(|r| r.signal == this)
        .map(|r| r.aid.clone())
        .collect();
    for aid in aids {
        match aid {
            Aid::Tap(tap) => {
                if let Some(tap) = tap.downcast_ref::<TapFn<A>>() {
                    tap(sender, args);
                }
            }
            Aid::MuteSignal => muting.whole_signal = true,
            Aid::MuteReceiver(id) => muting.ids.push(id),
            Aid::MuteNamed(name) => muting.names.push(name),
        }
    }
    muting
}

/// Records, on this thread, what `signal` sends while the returned guard lives.
///
/// `record` turns each send's sender and arguments into an owned value (the arguments may borrow,
/// so they cannot be kept as they are). Sends are recorded even when the signal is muted.
pub fn capture<A, T, F>(signal: &Signal<A>, record: F) -> Capture<T>
where
    A: SignalArgs,
    T: Send + 'static,
    F: for<'a, 'b> Fn(Sender, &'b A::Args<'a>) -> T + Send + Sync + 'static,
{
    let log: Arc<Mutex<Vec<T>>> = Arc::default();
    let sink = Arc::clone(&log);
    let tap: TapFn<A> = Box::new(move |sender, args| {
        let value = record(sender, args);
        sink.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(value);
    });
    let (scope, key) = register(addr(signal), Aid::Tap(Arc::new(tap)));
    Capture { scope, key, log }
}

/// The guard of [`capture`]: holds what was sent; stops recording when dropped.
#[must_use = "capturing stops when the guard is dropped"]
pub struct Capture<T> {
    scope: Arc<Scope>,
    key: u64,
    log: Arc<Mutex<Vec<T>>>,
}

impl<T> Capture<T> {
    fn log(&self) -> MutexGuard<'_, Vec<T>> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes what was recorded so far, leaving the record empty.
    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut self.log())
    }

    /// How many sends are recorded.
    pub fn len(&self) -> usize {
        self.log().len()
    }

    /// Whether no send is recorded.
    pub fn is_empty(&self) -> bool {
        self.log().is_empty()
    }
}

impl<T> Drop for Capture<T> {
    fn drop(&mut self) {
        unregister(&self.scope, self.key);
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
    scope: Arc<Scope>,
    key: u64,
}

impl Muted {
    fn new(signal: usize, aid: Aid) -> Self {
        let (scope, key) = register(signal, aid);
        Muted { scope, key }
    }
}

impl Drop for Muted {
    fn drop(&mut self) {
        unregister(&self.scope, self.key);
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
type QueryLog = Arc<Mutex<Vec<CapturedQuery>>>;

#[inline(always)]
pub(crate) fn queries_active() -> bool {
    QUERY_CAPTURES.load(Ordering::Relaxed) != 0
}

/// Adds a statement to every live capture of this thread's scope.
pub(crate) fn record_query(using: &str, sql: &str) {
    if !queries_active() {
        return;
    }
    let Some(scope) = SCOPE
        .try_with(|scope| scope.borrow().clone())
        .ok()
        .flatten()
    else {
        return;
    };
    for (_, log) in scope.queries().iter() {
        log.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(CapturedQuery {
                using: using.to_owned(),
                sql: sql.to_owned(),
            });
    }
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
    let log: QueryLog = Arc::default();
    let scope = scope();
    scope.queries().push((key, Arc::clone(&log)));
    QUERY_CAPTURES.fetch_add(1, Ordering::Relaxed);
    CapturedQueries { scope, key, log }
}

/// The guard of [`capture_queries`]: holds the statements run; stops recording when dropped.
#[must_use = "capturing stops when the guard is dropped"]
pub struct CapturedQueries {
    scope: Arc<Scope>,
    key: u64,
    log: QueryLog,
}

impl CapturedQueries {
    fn log(&self) -> MutexGuard<'_, Vec<CapturedQuery>> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the statements recorded so far, leaving the record empty.
    pub fn take(&self) -> Vec<CapturedQuery> {
        std::mem::take(&mut self.log())
    }

    /// How many statements are recorded.
    pub fn len(&self) -> usize {
        self.log().len()
    }

    /// Whether no statement is recorded.
    pub fn is_empty(&self) -> bool {
        self.log().is_empty()
    }
}

impl Drop for CapturedQueries {
    fn drop(&mut self) {
        let key = self.key;
        self.scope.queries().retain(|(k, _)| *k != key);
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

//! `aatomic`: a transaction that follows a task across `.await`s.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::run::{CURRENT, Message, Worker};
use crate::db::{DEFAULT_ALIAS, Transaction};
use crate::{Error, Result};

/// Runs the async block `f` in a transaction on the [`default`](crate::db::default) database
/// (Django: `async with transaction.atomic()` has no counterpart; Django runs `atomic` in a
/// thread with `sync_to_async`): the awaitable form of [`atomic`](crate::db::atomic), with the
/// same semantics.
///
/// - If `f` returns `Ok`, the transaction commits, then the
///   [`on_commit`](AsyncTransaction::on_commit) callbacks run, and `aatomic` returns the value.
/// - If `f` returns `Err`, everything it wrote is rolled back and the error is returned.
/// - If the future is dropped before `f` finished (a timeout, a `select!`) or `f` panics,
///   everything it wrote is rolled back.
/// - Nested inside another `aatomic` block of the same task, it joins it through a savepoint:
///   an `Err` rolls back only what the inner block wrote.
///
/// Every awaitable call the task makes inside `f` (`asave`, `aget`, …) runs inside the
/// transaction. A synchronous call made there (`save()`) would run outside it, and is refused
/// with [`Error::SyncInAsyncTransaction`]. Work spawned onto other tasks does not belong to the
/// block.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> clarion::Result<()> {
/// use clarion::db::{self, Database, params};
///
/// db::register(Database::open("sqlite::memory:")?);
/// db::aatomic(|tx| async move {
///     tx.run(|tx| tx.execute_batch("CREATE TABLE account (name TEXT PRIMARY KEY)")).await
/// })
/// .await?;
///
/// let outcome = db::aatomic(|tx| async move {
///     tx.run(|tx| tx.execute("INSERT INTO account VALUES (?1)", params!["alice"])).await?;
///     tx.on_commit(|| println!("welcome email sent"));
///     // A nested block is a savepoint: its failure undoes only its own writes.
///     let nested = db::aatomic(|tx| async move {
///         tx.run(|tx| tx.execute("INSERT INTO account VALUES (?1)", params!["bob"])).await?;
///         Err::<(), _>(clarion::Error::msg("bob changed his mind"))
///     })
///     .await;
///     assert!(nested.is_err());
///     tx.run(|tx| tx.query_row("SELECT count(*) FROM account", (), |row| row.get::<_, i64>(0)))
///         .await
/// })
/// .await?;
/// assert_eq!(outcome, 1);
/// # Ok(())
/// # }
/// ```
pub async fn aatomic<T, F, Fut>(f: F) -> Result<T>
where
    F: FnOnce(AsyncTransaction) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    aatomic_using(DEFAULT_ALIAS, f).await
}

/// As [`aatomic`], on the database registered as `alias`.
///
/// Fails with [`Error::UnknownDatabase`] if no database is registered under `alias`, and with
/// [`Error::NoAsyncRuntime`] outside a tokio runtime.
pub async fn aatomic_using<T, F, Fut>(alias: &str, f: F) -> Result<T>
where
    F: FnOnce(AsyncTransaction) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let worker = match CURRENT.try_with(Worker::clone) {
        Ok(worker) => worker,
        Err(_) => Worker::spawn(alias)?,
    };
    let (opened, is_open) = oneshot::channel();
    let (done, is_done) = oneshot::channel();
    worker.send(Message::Begin {
        alias: alias.to_owned(),
        opened,
        done,
    })?;
    let closed = || Error::TransactionClosed {
        alias: alias.to_owned(),
    };
    if is_open.await.is_err() {
        // The level could not open (an unknown alias, a busy database): its error says why.
        return Err(is_done.await.unwrap_or_else(|_| Err(closed())).unwrap_err());
    }
    let mut level = Level {
        worker: &worker,
        ended: false,
    };
    let tx = AsyncTransaction {
        worker: worker.clone(),
        alias: alias.into(),
    };
    let outcome = CURRENT.scope(worker.clone(), f(tx)).await;
    level.end(outcome.is_ok());
    let ended = is_done.await.unwrap_or_else(|_| Err(closed()));
    match outcome {
        Ok(value) => ended.map(|()| value),
        Err(error) => Err(error),
    }
}

/// An open level of a task's transaction: rolled back if the task lets go of it without ending
/// it (its future dropped, or a panic unwinding through it).
struct Level<'a> {
    worker: &'a Worker,
    ended: bool,
}

impl Level<'_> {
    fn end(&mut self, commit: bool) {
        self.ended = true;
        // A thread that is gone has rolled back already; its outcome says so.
        let _ = self.worker.send(Message::End { commit });
    }
}

impl Drop for Level<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.end(false);
        }
    }
}

/// The transaction of an [`aatomic`] block, as its async code holds it. Cheap to clone, `Send`;
/// it only reaches the transaction while its block runs.
#[derive(Clone)]
pub struct AsyncTransaction {
    worker: Worker,
    alias: Arc<str>,
}

impl std::fmt::Debug for AsyncTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncTransaction")
            .field("alias", &self.alias)
            .finish_non_exhaustive()
    }
}

impl AsyncTransaction {
    /// The alias of the database the block runs on.
    pub fn alias(&self) -> &str {
        &self.alias
    }

    /// Runs synchronous code inside the transaction, on its thread, with the
    /// [`Transaction`] of the innermost open level: raw SQL, or any synchronous clarion call.
    /// After the block has ended it is [`Error::TransactionClosed`].
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T> + Send + 'static,
    {
        self.worker.call(f).await
    }

    /// Registers `f` to run after the outermost block commits (Django's
    /// `transaction.on_commit`), on the transaction's thread, in order of registration; it never
    /// runs if the transaction rolls back. See [`Transaction::on_commit`].
    pub fn on_commit(&self, f: impl FnOnce() + Send + 'static) {
        // Sent in order with the block's other work: it joins the level open at that point.
        let _ = self
            .worker
            .send(Message::Job(Box::new(move |tx: &Transaction| {
                tx.on_commit(f)
            })));
    }
}

//! clarion from async code (feature `tokio`): awaitable saves, deletes, queries and
//! transactions that never block a runtime worker.
//!
//! Every awaitable call runs clarion's synchronous code on a thread of tokio's blocking pool,
//! and the calling task waits without holding a worker:
//!
//! - outside a transaction, each call gets a blocking thread of its own for its duration;
//! - inside [`aatomic`], the block's transaction lives on one blocking thread
//!   for as long as the block runs, and every awaitable call made by the task inside it runs
//!   there, in order, inside the transaction: the transaction follows the task across `.await`s
//!   and across the runtime's worker threads, and two tasks never share one.
//!
//! Receivers run where the synchronous API runs them, on that thread: a `pre_save` receiver can
//! still change the instance and refuse the save, and model receivers run inside the save's
//! transaction.
//!
//! **Cancellation.** A future dropped before it finished (a request timeout, a `select!`) leaves
//! nothing half-written: a save, delete or update whose future is gone rolls back instead of
//! committing, and an [`aatomic`] block whose future is dropped rolls back
//! whole. Work whose commit had already begun when the future was dropped is committed, as with
//! any database client.
//!
//! See `docs/async.md` for the guide.

pub(crate) mod fixtures;
mod model;
mod receiver;
mod run;
mod transaction;

pub use model::AsyncModel;
#[doc(hidden)]
pub use receiver::await_receiver;
pub use transaction::{AsyncTransaction, aatomic, aatomic_using};

pub(crate) use run::{cancelled, in_async_transaction, run};

use crate::{Migrated, Result};

/// As [`migrate`](crate::migrate), awaitable: creates and evolves the tables of every linked
/// model on the default database, on a blocking thread.
pub async fn amigrate() -> Result<Migrated> {
    run(crate::migrate).await
}

/// As [`migrate_using`](crate::migrate_using), awaitable.
pub async fn amigrate_using(using: &str) -> Result<Migrated> {
    let using = using.to_owned();
    run(move || crate::migrate_using(&using)).await
}

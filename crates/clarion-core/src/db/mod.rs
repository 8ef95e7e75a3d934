//! Databases and transactions: where models will be saved.
//!
//! A [`Database`] is a pool of connections opened from a URL and known by an alias, like an entry
//! of Django's `DATABASES`. [`register`] makes it known process-wide; [`atomic`] and
//! [`atomic_using`] run a closure in a transaction on it.
//!
//! ```
//! use clarion::db::{self, Database, params};
//!
//! // Django: DATABASES = {"notes": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
//! db::register(Database::open_as("notes", "sqlite::memory:")?);
//!
//! db::atomic_using("notes", |tx| {
//!     tx.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)", ())?;
//!     tx.execute("INSERT INTO note (body) VALUES (?1)", params!["it's saved"])?;
//!     Ok(())
//! })?;
//!
//! let body: String =
//!     db::atomic_using("notes", |tx| tx.query_row("SELECT body FROM note", (), |row| row.get(0)))?;
//! assert_eq!(body, "it's saved");
//! # Ok::<(), clarion::Error>(())
//! ```
//!
//! Nesting, savepoints and `on_commit` are described on [`atomic`] and in `docs/transactions.md`.

mod backend;
mod connection;
mod database;
mod observe;
mod options;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres-tls")]
mod postgres_tls;
mod sqlite_error;
mod sqlite_value;
mod transaction;
mod write_queue;

#[cfg(feature = "tokio")]
pub use crate::asynchronous::{AsyncTransaction, aatomic, aatomic_using};
pub use backend::Backend;
pub(crate) use backend::sqlite_placeholders;
pub use connection::{Connection, ConnectionCreated, connection_created};
pub(crate) use database::DEFAULT_ALIAS_STATIC;
pub use database::{
    BUSY_TIMEOUT, DEFAULT_ALIAS, Database, DatabaseBuilder, POSTGRES_POOL_SIZE, database, default,
    register, registered_aliases,
};
#[cfg(feature = "tokio")]
pub(crate) use transaction::in_transaction_here;
pub(crate) use transaction::{Binder, read_using};
pub use transaction::{Transaction, atomic, atomic_using, current_transaction};

/// The SQLite driver, for its value and row types (`clarion::db::rusqlite::types::Value`, …)
/// without a dependency of your own.
pub use rusqlite;
/// A row of a query result, as passed to the closures of [`Transaction::query_row`] and
/// [`Transaction::query`].
pub use rusqlite::Row;
/// Builds the bound parameters of a statement: `params![name, 42, None::<i64>]`.
pub use rusqlite::params;

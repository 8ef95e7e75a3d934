//! The one error type of clarion.

use std::borrow::Cow;
use std::fmt;

/// Everything that can go wrong in clarion.
///
/// Receivers return `Result<_, E>` with `E: Into<Error>`; a failing receiver reaches the caller of
/// [`Signal::send`](crate::Signal::send) wrapped in [`Error::Receiver`], which names the receiver and
/// the signal. Match on the variants; the set grows (it is `#[non_exhaustive]`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A receiver returned an error or panicked while a signal was being sent.
    #[error("receiver `{receiver}` of signal `{signal}` failed: {source}")]
    Receiver {
        /// The signal that was being sent.
        signal: &'static str,
        /// The receiver's path (`crate::module::fn`) or, for a closure, its type name.
        receiver: &'static str,
        /// What the receiver returned (or [`Error::Panic`] if it panicked).
        source: Box<Error>,
    },
    /// A receiver panicked; `message` is the panic payload when it was a string.
    #[error("panicked: {message}")]
    Panic {
        /// The panic message.
        message: String,
    },
    /// A plain message, e.g. from `Err("out of stock".into())` in a receiver.
    #[error("{0}")]
    Message(Cow<'static, str>),
    /// A field's value is not valid for it: too long for its `max_length`, of the wrong type for
    /// its column, or missing (Django: `ValidationError`).
    #[error("invalid value for field `{field}` of `{model}`: {reason}")]
    Validation {
        /// The model's label, `app.model`.
        model: &'static str,
        /// The field's name.
        field: String,
        /// Why the value is refused.
        reason: String,
    },
    /// A field name that the model does not have, e.g. in `update_fields`.
    #[error("`{model}` has no field `{field}`; its fields are: {}", .known.join(", "))]
    UnknownField {
        /// The model's label, `app.model`.
        model: &'static str,
        /// The name that was given.
        field: String,
        /// The model's fields, in declaration order.
        known: Vec<&'static str>,
    },
    /// A query that had to find one row found none (Django: `Model.DoesNotExist`).
    #[error("`{model}` matching the query does not exist")]
    DoesNotExist {
        /// The model's label, `app.model`.
        model: &'static str,
    },
    /// An instance without a primary key was used where its row is needed: as the target of a
    /// [`ForeignKey`](crate::model::ForeignKey), or a side of a many-to-many relation.
    #[error("`{model}` has no primary key yet: save it before relating rows to it")]
    Unsaved {
        /// The model's label, `app.model`.
        model: &'static str,
    },
    /// A delete was refused because rows point at the rows it would delete through foreign keys
    /// declared `on_delete = protect` (Django: `ProtectedError`). Nothing was deleted.
    #[error(
        "cannot delete `{model}` rows: they are referenced through protected foreign keys ({}) by {}",
        .relations.join(", "),
        protected_objects(.objects)
    )]
    Protected {
        /// The label of the model whose delete was called.
        model: &'static str,
        /// The protecting fields, as `app.model.field`.
        relations: Vec<String>,
        /// Each protecting row: its model's label and its primary key.
        objects: Vec<(&'static str, crate::Value)>,
    },
    /// A page that a [`Paginator`](crate::query::Paginator) does not have: number 0, or past
    /// the last page; or a paginator of 0 rows per page (Django: `InvalidPage`).
    #[error("{}", invalid_page(.model, *.page, *.per_page, *.num_pages, *.count))]
    InvalidPage {
        /// The model's label, `app.model`.
        model: &'static str,
        /// The page number asked for (pages are numbered from 1).
        page: usize,
        /// The paginator's rows per page.
        per_page: usize,
        /// How many pages there are (at least 1); 0 when `per_page` is 0.
        num_pages: usize,
        /// How many rows the paginated query set has.
        count: usize,
    },
    /// A query that had to find one row found several (Django: `MultipleObjectsReturned`).
    #[error("`get()` on `{model}` returned {} rows, not exactly one", rows_found(*.count))]
    MultipleObjectsReturned {
        /// The model's label, `app.model`.
        model: &'static str,
        /// How many rows matched, counted up to 21 (as Django does): 21 means "more than 20".
        count: usize,
    },
    /// Saves and deletes nested deeper than [`MAX_SAVE_DEPTH`](crate::model::MAX_SAVE_DEPTH):
    /// almost always a receiver that saves the instance it was called for, which saves it
    /// again, and so on.
    #[error(
        "saving `{model}` nested {depth} saves deep: a receiver that saves the instance it was \
         called for re-enters save(); save with `update_fields` from a receiver of another \
         signal, or check `created`/a flag before saving again"
    )]
    RecursionLimit {
        /// The model whose save went over the limit.
        model: &'static str,
        /// The depth reached.
        depth: usize,
    },
    /// The transaction committed, but work registered to run after the commit failed: an
    /// `on = commit` receiver returned an error. The data is saved; these errors are what is
    /// left to handle.
    #[error("committed, but {} after-commit receiver(s) failed: {}", .errors.len(), display_all(.errors))]
    AfterCommit {
        /// Each failure, as an [`Error::Receiver`].
        errors: Vec<Error>,
    },
    /// A fixture could not be loaded; nothing of it was written.
    #[error("fixture record {index}{}: {reason}", fixture_at(.model.as_deref(), .field.as_deref()))]
    Fixture {
        /// The index of the record in the fixture's list (0-based).
        index: usize,
        /// The record's model label, if it had a readable one.
        model: Option<String>,
        /// The field at fault, if one is.
        field: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// Not public API: a receiver that does not apply to this send (see `clarion::__private`).
    #[doc(hidden)]
    #[error("receiver does not apply")]
    NotApplicable,
    /// Receivers of a crate that declared them are not linked into this binary.
    #[error(
        "no receivers of crate(s) {} are linked into this binary; reference each crate (for example \
         `use {} as _;`) so the linker keeps it",
        .crates.join(", "),
        .crates.first().map(String::as_str).unwrap_or("my_receivers")
    )]
    NotLinked {
        /// The crates that were expected but contributed no receiver.
        crates: Vec<String>,
    },
    /// A constraint of the database refused a write: `UNIQUE`, `PRIMARY KEY`, `NOT NULL`,
    /// `FOREIGN KEY` or `CHECK` (Django: `IntegrityError`).
    #[error("integrity error: {detail}{}", .kind.hint())]
    Integrity {
        /// Which kind of constraint failed.
        kind: ConstraintKind,
        /// What failed, as the database names it: `users.email` for a `UNIQUE` or `NOT NULL`
        /// column, the constraint's name for a named `CHECK`; `None` when the database does not
        /// say (SQLite never names a failed `FOREIGN KEY`).
        constraint: Option<String>,
        /// The database's own message, e.g. `UNIQUE constraint failed: users.email`.
        detail: String,
        /// The driver's error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// A statement named a table that does not exist, usually because the tables of the models
    /// were never created.
    #[error(
        "table `{table}` does not exist; run `clarion::migrate()` to create the tables of your models"
    )]
    MissingTable {
        /// The table, as the statement named it.
        table: String,
        /// The driver's error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// Another connection held the database's lock (SQLite's "database is locked"), and the
    /// statement could not run. Nothing of it was written. Either the statement kept retrying
    /// for the database's busy timeout (`waited`; [`BUSY_TIMEOUT`](crate::db::BUSY_TIMEOUT)
    /// unless [`DatabaseBuilder::busy_timeout`](crate::db::DatabaseBuilder::busy_timeout) says
    /// otherwise), or SQLite refused to wait at all: a transaction that began by reading and then writes while another connection writes
    /// would deadlock if it waited. Retry later, keep transactions that write short, and write
    /// inside [`db::atomic`](crate::db::atomic), which takes the write lock when it begins
    /// (Django: `OperationalError`).
    #[error("{}", busy_message(.waited, .detail))]
    Busy {
        /// The database's own message.
        detail: String,
        /// How long the statement waited before giving up (the whole busy timeout), or `None`
        /// when SQLite refused to wait.
        waited: Option<std::time::Duration>,
        /// The driver's error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// PostgreSQL could not serialize this transaction with a concurrent one (SQLSTATE `40001`,
    /// a serialization failure, or `40P01`, a deadlock) and rolled it back. Nothing of it was
    /// written; run the whole transaction again (Django: `OperationalError`).
    #[error(
        "the transaction conflicted with a concurrent one and was rolled back: {detail}; run it again"
    )]
    Serialization {
        /// The server's own message.
        detail: String,
        /// The driver's error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// clarion's blocking API was called, on a PostgreSQL database, from a thread that drives a
    /// single-threaded tokio runtime (the `current_thread` flavor, `#[tokio::test]`'s default,
    /// or a `LocalSet`). The PostgreSQL driver blocks on a runtime of its own, which tokio cannot
    /// allow there, and such a runtime has no other thread to hand its tasks to. Nothing was
    /// run. On a multi-threaded runtime the same call works: clarion steps off the runtime with
    /// `tokio::task::block_in_place` first.
    #[error(
        "`{alias}` is a PostgreSQL database, and clarion's blocking API cannot reach it from a \
         thread that drives a single-threaded tokio runtime (`current_thread`, or a `LocalSet`); \
         use the awaitable API (`asave`, `aget`, `aatomic`, … with the `tokio` feature), run the \
         call inside `tokio::task::spawn_blocking`, or use the multi-threaded runtime"
    )]
    BlockingInAsync {
        /// The alias of the database.
        alias: String,
    },
    /// A synchronous call (`save()`, `get()`, `atomic`, …) was made by a task inside one of its
    /// [`aatomic`](crate::db::aatomic) blocks. It would have run outside the block's
    /// transaction, on the runtime's thread (and on SQLite waited for the lock the block holds):
    /// nothing was run. Call its awaitable form instead, or run it inside the transaction with
    /// [`AsyncTransaction::run`](crate::db::AsyncTransaction::run).
    #[error(
        "a synchronous database call was made inside an `aatomic` block on `{alias}`, where it \
         would run outside the block's transaction; await its awaitable form (`asave`, `aget`, \
         `aatomic`, …) or run it with `tx.run(|tx| …)`"
    )]
    SyncInAsyncTransaction {
        /// The alias of the database the synchronous call was for.
        alias: String,
    },
    /// An awaitable call was made outside a tokio runtime: clarion's async API runs its work on
    /// the runtime's blocking threads.
    #[error(
        "clarion's awaitable API needs a tokio runtime (`#[tokio::main]`, `#[tokio::test]`), \
         and none is running on this thread"
    )]
    NoAsyncRuntime,
    /// An `async fn` receiver could not be awaited where the signal was sent: on the thread of a
    /// single-threaded tokio runtime (`#[tokio::test]`'s default) nothing may block, and inside
    /// another async receiver's await the runtime cannot be entered again. The receiver did not
    /// run. Use the awaitable form of the call (`asave`, `adelete`, …), which sends signals on a
    /// blocking thread, or a multi-threaded runtime.
    #[error(
        "an `async fn` receiver cannot be awaited on this thread (it drives a single-threaded \
         tokio runtime, or already awaits another async receiver); call the awaitable form \
         (`asave`, `adelete`, …), which runs receivers on a blocking thread"
    )]
    AsyncReceiverBlocked,
    /// A synchronous `send` reached a receiver connected with
    /// [`Signal::connect_async`](crate::Signal::connect_async) in a build without clarion's
    /// `tokio` feature, which is what awaits such a receiver from synchronous code. The receiver
    /// did not run. Send with [`Signal::asend`](crate::Signal::asend) (or `asend_robust`), or
    /// enable the feature.
    #[error(
        "an async receiver cannot be awaited by a synchronous `send` without clarion's `tokio` \
         feature; send with `asend` or `asend_robust`, or enable the feature"
    )]
    AsyncReceiverNeedsAsend,
    /// The future that was waiting for this work was dropped (a timeout, a `select!`), or the
    /// runtime shut down: the work was rolled back, or never began. Nobody is waiting for this
    /// error; it ends the work and shows in traces.
    #[error(
        "the work was cancelled: the future waiting for it was dropped, and it was rolled back"
    )]
    Cancelled,
    /// The connection to the database server was lost (the server closed it, restarted, or an
    /// administrator terminated the session). The transaction it carried was not committed; the
    /// pool replaces the connection, so the next operation gets a fresh one.
    #[error(
        "the connection to the database was lost: {detail}; nothing of the open transaction was committed"
    )]
    ConnectionLost {
        /// What the driver or the server said.
        detail: String,
        /// The driver's error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// An API that only one backend offers was called on a database of another
    /// ([`Transaction::execute`](crate::db::Transaction::execute) and its siblings take
    /// `rusqlite` parameters and rows, so they serve SQLite only; use
    /// [`Transaction::execute_values`](crate::db::Transaction::execute_values) and
    /// [`Transaction::query_values`](crate::db::Transaction::query_values) on both).
    #[error("`{api}` is not available on a {backend} database{}", .hint.map(|h| format!("; {h}")).unwrap_or_default())]
    WrongBackend {
        /// The method called.
        api: &'static str,
        /// The backend of the database it was called on.
        backend: crate::db::Backend,
        /// What to use instead.
        hint: Option<&'static str>,
    },
    /// Any other error reported by the database or its driver (Django: `DatabaseError`).
    #[error("database error: {source}")]
    Database {
        /// The driver's error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// No connection could be taken from the pool of a database in time.
    #[error("no connection to database `{alias}` available: {source}")]
    Pool {
        /// The alias of the database.
        alias: String,
        /// The pool's error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// No database is registered under this alias (Django: a key missing from `DATABASES`).
    #[error(
        "no database is registered as `{alias}`; register one with \
         `clarion::db::register(Database::open_as(\"{alias}\", \"sqlite://app.db\")?)`{}",
        known_aliases(.known)
    )]
    UnknownDatabase {
        /// The alias that was asked for.
        alias: String,
        /// The aliases that are registered, sorted.
        known: Vec<String>,
    },
    /// A database URL that clarion cannot open.
    #[error("cannot open database URL `{url}`: {reason}")]
    DatabaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A [`Transaction`](crate::db::Transaction) was used after its block ended, or after the
    /// database rolled the transaction back on its own (SQLite does after some errors, such as
    /// a full disk).
    #[error("transaction on database `{alias}` is no longer active")]
    TransactionClosed {
        /// The alias of the database.
        alias: String,
    },
    /// A write inside this transaction failed after changing rows, and it ran without a
    /// savepoint of its own (a `save()` joins the caller's transaction directly), so what it
    /// changed cannot be undone alone: the transaction can only roll back. Every statement fails
    /// with this error until the `atomic` block that was open when the write failed ends, and
    /// that block is rolled back (Django: "An error occurred in the current transaction. You
    /// can't execute queries until the end of the 'atomic' block."). To go on after a failed
    /// save, run it in its own `atomic` block: a savepoint.
    #[error(
        "the transaction on `{alias}` must be rolled back: {reason}; to recover from a failed \
         save and go on, run the save in its own `atomic` block (a savepoint)"
    )]
    RollbackOnly {
        /// The alias of the database.
        alias: String,
        /// The failure that left the transaction unusable.
        reason: String,
    },
    /// Any other error, boxed.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// Two models linked into the binary are mapped to one table (or a model to the join table
    /// of a many-to-many relation): `migrate()` would create one table for both, and the second
    /// model's saves would fail on columns it does not have. Found when the registry of models is
    /// built; reported by `migrate()`.
    #[error(
        "`{first}` and `{second}` are both mapped to the table `{table}`: give one of them a \
         table of its own with `#[model(table = \"…\")]` (a model that shares another's table \
         and fields is a `#[proxy(of = …)]`)"
    )]
    DuplicateTable {
        /// The table both are mapped to.
        table: &'static str,
        /// The first, by label: a model's (`app.model`) or a relation's (`app.model_field`).
        first: &'static str,
        /// The second, by label.
        second: &'static str,
    },
    /// A statement named a column that its table does not have: usually a field added to a
    /// model whose table was created before it, and never brought up to date. Run
    /// [`migrate`](crate::migrate), which adds the missing columns.
    #[error(
        "column `{column}`{} does not exist; run `clarion::migrate()` to add the missing columns of your models",
        of_table(.table.as_deref())
    )]
    MissingColumn {
        /// The table, when the database names it (SQLite does on an insert, PostgreSQL on an
        /// insert or update; a read names only the column).
        table: Option<String>,
        /// The column, as the statement named it.
        column: String,
        /// The driver's error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// [`migrate`](crate::migrate) found differences between the models and the database that
    /// it does not resolve on its own, as they could lose data or need a person's decision (a
    /// changed type, a column that became `NOT NULL` or lost it, a new `NOT NULL` column
    /// without a default). Nothing was changed: each difference carries SQL a person could run
    /// (see docs/migrations.md).
    #[error(
        "the database differs from the models in {} way(s) that `migrate()` does not change on its own; nothing was changed: {}",
        .differences.len(),
        display_all(.differences)
    )]
    SchemaDiffers {
        /// Each difference, in the order of the models and their fields.
        differences: Vec<crate::migrate::SchemaDifference>,
    },
}

fn of_table(table: Option<&str>) -> String {
    table
        .map(|table| format!(" of table `{table}`"))
        .unwrap_or_default()
}

impl Error {
    /// Wraps any error type as [`Error::Other`].
    pub fn other<E>(error: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Error::Other(Box::new(error))
    }

    /// Builds an [`Error::Message`].
    pub fn msg(message: impl Into<Cow<'static, str>>) -> Self {
        Error::Message(message.into())
    }

    /// If this is an [`Error::Receiver`], the receiver's name.
    pub fn receiver(&self) -> Option<&'static str> {
        match self {
            Error::Receiver { receiver, .. } => Some(receiver),
            _ => None,
        }
    }

    /// Builds the [`Error::Panic`] for a caught panic payload.
    pub(crate) fn from_panic(payload: Box<dyn std::any::Any + Send>) -> Self {
        Error::from_panic_ref(&*payload)
    }

    /// As [`Error::from_panic`], leaving the payload to be resumed.
    pub(crate) fn from_panic_ref(payload: &(dyn std::any::Any + Send)) -> Self {
        Error::Panic {
            message: panic_message(payload).to_owned(),
        }
    }
}

/// The message of a caught panic: its payload when it was a string (`panic!` with a literal or
/// with formatting), a placeholder otherwise.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "a non-string panic payload"
    }
}

impl From<&'static str> for Error {
    fn from(message: &'static str) -> Self {
        Error::Message(Cow::Borrowed(message))
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error::Message(Cow::Owned(message))
    }
}

impl From<Box<dyn std::error::Error + Send + Sync + 'static>> for Error {
    fn from(error: Box<dyn std::error::Error + Send + Sync + 'static>) -> Self {
        Error::Other(error)
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::other(error)
    }
}

impl From<fmt::Error> for Error {
    fn from(error: fmt::Error) -> Self {
        Error::other(error)
    }
}

impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

fn protected_objects(objects: &[(&'static str, crate::Value)]) -> String {
    const SHOWN: usize = 10;
    let mut out: Vec<String> = objects
        .iter()
        .take(SHOWN)
        .map(|(label, key)| format!("{label} {key}"))
        .collect();
    if objects.len() > SHOWN {
        out.push(format!("and {} more", objects.len() - SHOWN));
    }
    out.join(", ")
}

fn invalid_page(
    model: &str,
    page: usize,
    per_page: usize,
    num_pages: usize,
    count: usize,
) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if per_page == 0 {
        format!("a paginator of `{model}` needs at least 1 row per page, not 0")
    } else if page == 0 {
        format!("page 0 of `{model}` does not exist: pages are numbered from 1 to {num_pages}")
    } else {
        format!(
            "page {page} of `{model}` does not exist: {count} row{} make{} {num_pages} page{} of {per_page}",
            plural(count),
            if count == 1 { "s" } else { "" },
            plural(num_pages),
        )
    }
}

fn rows_found(count: usize) -> String {
    if count > 20 {
        "more than 20".to_owned()
    } else {
        count.to_string()
    }
}

fn display_all<T: fmt::Display>(errors: &[T]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn fixture_at(model: Option<&str>, field: Option<&str>) -> String {
    match (model, field) {
        (Some(model), Some(field)) => format!(" (`{model}`, field `{field}`)"),
        (Some(model), None) => format!(" (`{model}`)"),
        (None, Some(field)) => format!(" (field `{field}`)"),
        (None, None) => String::new(),
    }
}

fn known_aliases(known: &[String]) -> String {
    if known.is_empty() {
        " (no database is registered yet)".to_owned()
    } else {
        format!(" (registered: {})", known.join(", "))
    }
}

/// The kind of constraint behind an [`Error::Integrity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConstraintKind {
    /// A `UNIQUE` constraint or unique index.
    Unique,
    /// The `PRIMARY KEY` (a duplicate key).
    PrimaryKey,
    /// A `NOT NULL` column got `NULL`.
    NotNull,
    /// A `FOREIGN KEY`: the referenced row is missing, or a deleted row is still referenced.
    ForeignKey,
    /// A `CHECK` constraint.
    Check,
    /// Another constraint (for example one raised by a trigger).
    Other,
}

impl ConstraintKind {
    /// What to add to the message, for the one kind whose message names nothing.
    fn hint(self) -> &'static str {
        match self {
            ConstraintKind::ForeignKey => {
                " (a referenced row does not exist, or a row being deleted is still referenced)"
            }
            _ => "",
        }
    }
}

/// `Result` with [`Error`] as the error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn busy_message(waited: &Option<std::time::Duration>, detail: &str) -> String {
    if let Some(waited) = waited {
        format!(
            "the database is locked by another connection and stayed locked for {} s: {detail}; \
             retry later, or shorten the transactions that hold the lock",
            waited.as_secs_f64()
        )
    } else {
        format!(
            "the database is locked by another connection, and this transaction, which began by \
             reading, cannot wait for it without risking a deadlock: {detail}; write inside \
             `db::atomic`, which takes the write lock when it begins, or retry later"
        )
    }
}

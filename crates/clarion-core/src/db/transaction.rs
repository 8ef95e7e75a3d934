//! [`atomic`]: transactions, savepoints and `on_commit`, with a per-thread stack of open
//! transactions so that nested blocks (and, later, `save()`) join the outer one.

use std::cell::{Cell, Ref, RefCell};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use r2d2::PooledConnection;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Params, Row};

use super::Backend;
use super::database::{self, DEFAULT_ALIAS, Database, Pooled};
use super::observe;
#[cfg(feature = "postgres")]
use super::postgres::{Param, PgConn, PgRow};
use crate::value::{Value, ValueRef};
use crate::{Error, Result};

type Callback = Box<dyn FnOnce() -> Result<()> + Send + 'static>;

type SqliteConn = PooledConnection<SqliteConnectionManager>;

/// How many statements a transaction keeps prepared outside `rusqlite`'s statement cache.
const HOT_STATEMENTS: usize = 16;

/// A statement a transaction runs often: a model's `INSERT`, `UPDATE` or `DELETE`, keyed by the
/// address of its `&'static` SQL. Taking a statement from `rusqlite`'s cache hashes the SQL and
/// copies it into a fresh `Arc<str>` on every call, which costs a quarter of a small insert;
/// these are held prepared for as long as the transaction lasts.
struct HotStatement<'c> {
    key: usize,
    uses: u32,
    statement: Option<rusqlite::Statement<'c>>,
}

type Hot<'c> = RefCell<Vec<HotStatement<'c>>>;

self_cell::self_cell! {
    /// The SQLite connection of an open transaction and the statements held prepared on it,
    /// which borrow it and are finalized before it goes back to the pool.
    struct SqliteHeld {
        owner: SqliteConn,
        #[not_covariant]
        dependent: Hot,
    }
}

/// The connection of an open transaction.
enum Held {
    Sqlite(SqliteHeld),
    #[cfg(feature = "postgres")]
    Postgres(Box<PgHeld>),
}

/// The PostgreSQL connection of an open transaction. The driver's calls take `&mut`; the
/// transaction is used through shared handles on one thread, hence the `RefCell`.
#[cfg(feature = "postgres")]
struct PgHeld {
    conn: RefCell<PooledConnection<super::postgres::Manager>>,
    /// Rows changed by the statements of this transaction (SQLite counts them itself).
    changes: Cell<u64>,
    /// How often the connection was taken for statements in this transaction: a statement that
    /// finds it at 1 is the transaction's first, the only one that may be run again in a fresh
    /// transaction (see [`PgHeld::run_once_more`]). Counted where the connection is handed out
    /// ([`Held::conn`]), so that a savepoint or SQL the caller wrote counts too; erring towards
    /// "not the first" only costs a retry.
    statements: Cell<u32>,
}

/// The outermost transaction a thread has open on one database, shared by every level nested in
/// it. Lives in [`OPEN`] from `BEGIN` to `COMMIT`/`ROLLBACK`.
struct State {
    database_id: u64,
    alias: String,
    backend: Backend,
    /// Whether `alias` is [`DEFAULT_ALIAS`]: most saves name the default database by that very
    /// constant, and this spares them reading the alias's bytes (see [`State::is_on`]).
    is_default: bool,
    /// Taken out when the outermost level ends, so the connection goes back to the pool even if a
    /// [`Transaction`] handle outlives the block.
    conn: RefCell<Option<Held>>,
    /// Set when a write failed after changing rows inside this transaction without a savepoint of
    /// its own (a `save()` joining the caller's block): the level that must roll back, and why.
    /// Until that level ends, every statement fails with [`Error::RollbackOnly`].
    rollback_only: RefCell<Option<(usize, String)>>,
    /// Set once SQLite is found outside the transaction although the block is still open: it
    /// rolled back on its own after an error (disk full, I/O), or the caller's own SQL ended it.
    /// Every statement then fails with [`Error::TransactionClosed`], since it would run in
    /// autocommit mode, outside any transaction. Checked after each statement that could have
    /// ended the transaction (a failed one, or SQL the caller wrote) rather than before every
    /// statement, which would cost a call into SQLite per statement on the write path.
    ended: Cell<bool>,
    /// The innermost open level: 1 is the outermost transaction, 2 its first savepoint, ….
    depth: Cell<usize>,
    /// `on_commit` callbacks in registration order. A level records the length when it starts
    /// and truncates back to it if it rolls back, discarding what was registered inside it.
    on_commit: RefCell<Vec<Callback>>,
    /// The writes under way that joined this transaction without a savepoint of their own
    /// (see [`Transaction::join`]), innermost last.
    joined: RefCell<Vec<JoinedWrite>>,
    /// How many savepoints [`Transaction::join`] has taken: their names are numbered.
    write_savepoints: Cell<u64>,
}

/// A save, delete or many-to-many change that joined the caller's transaction, while it runs.
struct JoinedWrite {
    /// Rows the connection had changed when the write began.
    changes: u64,
    /// The `on_commit` callbacks registered before it began.
    callbacks: usize,
    /// The savepoint taken when SQL that clarion did not write (a receiver's own) first ran
    /// inside the write while it had changed nothing yet: its number.
    savepoint: Option<u64>,
}

thread_local! {
    /// The transactions open on this thread, one per database (rarely more than one or two).
    static OPEN: RefCell<Vec<Rc<State>>> = const { RefCell::new(Vec::new()) };
}

#[inline]
fn open_state(matches: impl Fn(&State) -> bool) -> Option<Rc<State>> {
    OPEN.with_borrow(|open| open.iter().find(|state| matches(state)).cloned())
}

impl State {
    /// Whether this transaction is on the database registered as `alias`.
    #[inline]
    fn is_on(&self, alias: &str) -> bool {
        if std::ptr::eq(alias, database::DEFAULT_ALIAS_STATIC) {
            self.is_default
        } else {
            self.alias == alias
        }
    }
}

/// A transaction (or a savepoint nested in one) on one database, as seen inside [`atomic`].
///
/// It runs statements with bound parameters only: values travel separately from the SQL, so
/// quotes, NULs and any other content reach the database exactly as given. It is tied to its
/// thread's connection and is therefore not `Send`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<clarion::db::Transaction>();
/// ```
#[derive(Clone)]
pub struct Transaction {
    state: Rc<State>,
    level: usize,
}

impl Transaction {
    /// The alias of the database this transaction runs on (Django's `using`).
    pub fn using(&self) -> &str {
        &self.state.alias
    }

    /// The nesting level of this block: 1 for the outermost transaction, 2 for a savepoint
    /// inside it, and so on.
    pub fn depth(&self) -> usize {
        self.level
    }

    /// The engine of the database this transaction runs on.
    pub fn backend(&self) -> Backend {
        self.state.backend
    }

    /// Executes one statement with bound values and returns the number of rows it changed, on
    /// either backend. Placeholders are written `$1, $2, …` (PostgreSQL's form; on SQLite they
    /// are rewritten to `?1, ?2, …`); each value is converted to the type the database expects.
    ///
    /// ```
    /// use clarion::db::{self, Database};
    /// use clarion::Value;
    ///
    /// db::register(Database::open_as("values_doc", "sqlite::memory:")?);
    /// let count = db::atomic_using("values_doc", |tx| {
    ///     tx.execute_batch("CREATE TABLE tag (name TEXT PRIMARY KEY, uses BIGINT NOT NULL)")?;
    ///     tx.execute_values("INSERT INTO tag VALUES ($1, $2)", &["rust".into(), 3.into()])?;
    ///     tx.query_values("SELECT uses FROM tag WHERE name = $1", &["rust".into()])
    /// })?;
    /// assert_eq!(count, vec![vec![Value::Int(3)]]);
    /// # Ok::<(), clarion::Error>(())
    /// ```
    pub fn execute_values(&self, sql: &str, params: &[Value]) -> Result<usize> {
        self.run_user(sql, changed, |conn| match conn {
            Conn::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(&super::sqlite_placeholders(sql))?;
                bind_values(&mut statement, params)?;
                Ok(statement.raw_execute()?)
            }
            #[cfg(feature = "postgres")]
            Conn::Postgres(held) => {
                let params: Vec<Param> = params.iter().map(|v| Param::new(v.as_ref())).collect();
                held.execute(|pg| pg.prepare_cached(sql), &params)
            }
        })
    }

    /// Runs a query with bound values and returns every row as values, on either backend
    /// (placeholders as in [`execute_values`](Transaction::execute_values)).
    pub fn query_values(&self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>> {
        self.run_user(sql, returned, |conn| {
            let read = |row: &dyn crate::model::Row, columns: usize| {
                (0..columns)
                    .map(|i| row.value(i).map(|v| v.to_owned()))
                    .collect::<Result<Vec<Value>>>()
            };
            match conn {
                Conn::Sqlite(conn) => {
                    let mut statement = conn.prepare_cached(&super::sqlite_placeholders(sql))?;
                    bind_values(&mut statement, params)?;
                    let columns = statement.column_count();
                    let mut rows = statement.raw_query();
                    let mut out = Vec::new();
                    while let Some(row) = rows.next()? {
                        out.push(read(&super::sqlite_value::SqliteRow(row), columns)?);
                    }
                    Ok(out)
                }
                #[cfg(feature = "postgres")]
                Conn::Postgres(held) => {
                    let params: Vec<Param> =
                        params.iter().map(|v| Param::new(v.as_ref())).collect();
                    let rows = held.rows(|pg| pg.prepare_cached(sql), &params)?;
                    rows.iter()
                        .map(|row| read(&PgRow(row), row.len()))
                        .collect()
                }
            }
        })
    }

    /// Executes one statement with bound `params` (`()`, a tuple, or [`params!`](super::params))
    /// and returns the number of rows it changed. SQLite only: the parameters and rows are
    /// `rusqlite`'s (see [`execute_values`](Transaction::execute_values) for both backends).
    ///
    /// The statement is prepared once per connection and cached, so running the same SQL again
    /// costs no parsing.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.run_user_sql("Transaction::execute", Some(sql), changed, |conn| {
            Ok(conn.prepare_cached(sql)?.execute(params)?)
        })
    }

    /// Executes several `;`-separated statements that take no parameters, such as a schema, on
    /// either backend.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        self.run_user(
            sql,
            |_| None,
            |conn| match conn {
                Conn::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
                #[cfg(feature = "postgres")]
                Conn::Postgres(held) => {
                    let mut pg = held.conn.borrow_mut();
                    let outcome = pg.client.batch_execute(sql);
                    if super::postgres::may_change_schema(sql) {
                        // A cached statement of a table changed under it fails with "cached plan
                        // must not change result type": prepare afresh.
                        pg.forget_statements();
                    }
                    Ok(outcome?)
                }
            },
        )
    }

    /// Runs a query expected to return at least one row and maps the first with `f`. SQLite
    /// only (see [`query_values`](Transaction::query_values) for both backends).
    ///
    /// No row is an [`Error::Database`] wrapping `rusqlite::Error::QueryReturnedNoRows`.
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    {
        self.run_user_sql(
            "Transaction::query_row",
            Some(sql),
            |_| Some(1),
            |conn| Ok(conn.prepare_cached(sql)?.query_row(params, f)?),
        )
    }

    /// Runs a query and maps every row with `f`. SQLite only (see
    /// [`query_values`](Transaction::query_values) for both backends).
    pub fn query<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<Vec<T>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> rusqlite::Result<T>,
    {
        self.run_user_sql("Transaction::query", Some(sql), returned, |conn| {
            let mut statement = conn.prepare_cached(sql)?;
            let rows = statement.query_map(params, f)?;
            Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
        })
    }

    /// Runs one statement, prepared once per connection and cached, with the parameters `bind`
    /// passes, in order; returns the number of rows changed.
    pub(crate) fn execute_bound(
        &self,
        sql: &str,
        bind: impl FnOnce(&mut Binder<'_, '_>) -> Result<()>,
    ) -> Result<usize> {
        self.observed(sql, changed, || {
            self.run(|conn| match conn {
                Conn::Sqlite(conn) => {
                    let mut statement = conn.prepare_cached(sql)?;
                    bind_all(&mut statement, bind)?;
                    Ok(statement.raw_execute()?)
                }
                #[cfg(feature = "postgres")]
                Conn::Postgres(held) => {
                    let params = pg_params(bind)?;
                    held.execute(|pg| pg.prepare_cached(sql), &params)
                }
            })
        })
    }

    /// Runs a query with the parameters `bind` passes and reads every row with `read`.
    pub(crate) fn query_bound<T>(
        &self,
        sql: &str,
        bind: impl FnOnce(&mut Binder<'_, '_>) -> Result<()>,
        mut read: impl FnMut(&dyn crate::model::Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.observed(sql, returned, || {
            self.run(|conn| match conn {
                Conn::Sqlite(conn) => {
                    let mut statement = conn.prepare_cached(sql)?;
                    bind_all(&mut statement, bind)?;
                    let mut rows = statement.raw_query();
                    let mut out = Vec::new();
                    while let Some(row) = rows.next()? {
                        out.push(read(&super::sqlite_value::SqliteRow(row))?);
                    }
                    Ok(out)
                }
                #[cfg(feature = "postgres")]
                Conn::Postgres(held) => {
                    let params = pg_params(bind)?;
                    held.query(|pg| pg.prepare_cached(sql), &params, read)
                }
            })
        })
    }

    /// The rowid of the last row inserted on this connection (the `id` of an auto-increment
    /// primary key). SQLite only: on PostgreSQL, `INSERT … RETURNING` gives the key.
    pub fn last_insert_rowid(&self) -> Result<i64> {
        self.run_user_sql(
            "Transaction::last_insert_rowid",
            None,
            |_| None,
            |conn| Ok(conn.last_insert_rowid()),
        )
    }

    /// Runs `f` once the outermost transaction has committed (Django's
    /// `transaction.on_commit`).
    ///
    /// - Callbacks run in the order they were registered, after `COMMIT` succeeded and on the
    ///   thread that committed, outside any transaction.
    /// - A callback registered inside a savepoint that rolls back is discarded; so is every
    ///   callback when the transaction rolls back. A callback belongs to the innermost level open
    ///   when it is registered, whichever handle registers it.
    /// - A panicking callback cannot undo the commit. The remaining callbacks still run; then the
    ///   first panic is resumed, so [`atomic`] unwinds *after* the data is committed. (Django's
    ///   default, `robust=False`, also propagates the exception after the commit, but skips the
    ///   remaining callbacks.)
    pub fn on_commit(&self, f: impl FnOnce() + Send + 'static) {
        self.on_commit_fallible(move || {
            f();
            Ok(())
        });
    }

    /// As [`on_commit`](Transaction::on_commit), for work that can fail: the block that commits
    /// returns [`Error::AfterCommit`] with every such error (the data stays committed), after
    /// all callbacks have run.
    pub fn on_commit_fallible(&self, f: impl FnOnce() -> Result<()> + Send + 'static) {
        self.state.on_commit.borrow_mut().push(Box::new(f));
    }

    /// Runs statements the crate itself built (a model's or a query set's), which cannot end
    /// the transaction unless they fail.
    fn run<T>(&self, f: impl FnOnce(Conn<'_>) -> Result<T>) -> Result<T> {
        let held = self.held()?;
        let outcome = f(held.conn());
        if let Err(error) = &outcome {
            self.note_failure(&held, error);
        }
        outcome
    }

    /// Runs a statement the crate built on this transaction's PostgreSQL connection; only called
    /// once the backend is known to be PostgreSQL.
    #[cfg(feature = "postgres")]
    fn on_postgres<T>(
        &self,
        sql: &str,
        rows: impl FnOnce(&T) -> Option<u64>,
        f: impl FnOnce(&PgHeld) -> Result<T>,
    ) -> Result<T> {
        self.observed(sql, rows, || {
            self.run(|conn| match conn {
                Conn::Postgres(held) => f(held),
                Conn::Sqlite(_) => unreachable!("called on PostgreSQL only"),
            })
        })
    }

    /// Runs SQL the caller wrote, which may end the transaction whether or not it fails.
    fn run_user<T>(
        &self,
        sql: &str,
        rows: impl FnOnce(&T) -> Option<u64>,
        f: impl FnOnce(Conn<'_>) -> Result<T>,
    ) -> Result<T> {
        let held = self.held()?;
        self.cover(&held)?;
        let outcome = self.observed(sql, rows, || f(held.conn()));
        match &outcome {
            Err(error) => self.note_failure(&held, error),
            Ok(_) => self.note_if_ended(&held),
        }
        outcome
    }

    /// Runs one statement through `run`, counted and traced (see [`observe`]).
    #[inline(always)]
    fn observed<T>(
        &self,
        sql: &str,
        rows: impl FnOnce(&T) -> Option<u64>,
        run: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        observe::statement(&self.state.alias, self.state.backend, sql, rows, run)
    }

    /// Runs SQL the caller wrote through an API that only SQLite offers.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    fn run_user_sql<T>(
        &self,
        api: &'static str,
        sql: Option<&str>,
        rows: impl FnOnce(&T) -> Option<u64>,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T>,
    ) -> Result<T> {
        let run = |conn: Conn<'_>| match conn {
            Conn::Sqlite(conn) => f(conn),
            #[cfg(feature = "postgres")]
            Conn::Postgres(_) => Err(Error::WrongBackend {
                api,
                backend: Backend::Postgres,
                hint: Some(
                    "use `execute_values`/`query_values`, which take `$1`-style placeholders on both backends",
                ),
            }),
        };
        match sql {
            Some(sql) => self.run_user(sql, rows, run),
            // Not a statement (`last_insert_rowid`): nothing to count.
            None => {
                let held = self.held()?;
                run(held.conn())
            }
        }
    }

    /// Records what a failed statement did to the transaction: SQLite may have rolled it back on
    /// its own; a PostgreSQL transaction is aborted by any error the server reports, and only a
    /// rollback (of the whole transaction, or to the savepoint of the innermost level) makes it
    /// usable again, so the innermost open level is marked to be rolled back.
    #[cold]
    fn note_failure(&self, held: &Held, error: &Error) {
        self.note_if_ended(held);
        #[cfg(feature = "postgres")]
        if matches!(held, Held::Postgres(_)) && super::postgres::aborts_transaction(error) {
            let mut rollback_only = self.state.rollback_only.borrow_mut();
            if rollback_only.is_none() {
                *rollback_only = Some((self.state.depth.get(), error.to_string()));
            }
        }
        #[cfg(not(feature = "postgres"))]
        let _ = error;
    }

    /// Records that the database left the transaction while it is open: SQLite is back in
    /// autocommit mode, or the PostgreSQL connection is gone.
    fn note_if_ended(&self, held: &Held) {
        let ended = match held {
            Held::Sqlite(held) => held.borrow_owner().is_autocommit(),
            #[cfg(feature = "postgres")]
            Held::Postgres(held) => held.left_transaction(),
        };
        if ended {
            self.state.ended.set(true);
        }
    }

    /// The connection, if this level may still run statements. Every statement of the write
    /// path starts here, so the usual case is a few loads and a borrow, inlined; why the
    /// transaction cannot be used is worked out out of line.
    #[inline]
    fn held(&self) -> Result<Ref<'_, Held>> {
        let state = &*self.state;
        if state.depth.get() >= self.level
            && !state.ended.get()
            && state.rollback_only.borrow().is_none()
            && let Ok(held) = Ref::filter_map(state.conn.borrow(), Option::as_ref)
        {
            return Ok(held);
        }
        Err(self.unusable())
    }

    /// Why this level cannot run statements (see [`held`](Transaction::held)).
    #[cold]
    #[inline(never)]
    fn unusable(&self) -> Error {
        if let Some((_, reason)) = self.state.rollback_only.borrow().as_ref()
            && self.state.depth.get() >= self.level
            && !self.state.ended.get()
        {
            return Error::RollbackOnly {
                alias: self.state.alias.clone(),
                reason: reason.clone(),
            };
        }
        Error::TransactionClosed {
            alias: self.state.alias.clone(),
        }
    }

    /// As [`execute_bound`](Transaction::execute_bound), for SQL that lives for the whole program
    /// (a model's statements): from its second use in this transaction, the statement is held
    /// prepared instead of being taken from the statement cache.
    pub(crate) fn execute_static(
        &self,
        sql: &'static str,
        bind: impl FnOnce(&mut Binder<'_, '_>) -> Result<()>,
    ) -> Result<usize> {
        #[cfg(feature = "postgres")]
        if self.state.backend == Backend::Postgres {
            return self.on_postgres(sql, changed, |held| {
                held.execute(|pg| pg.prepare_static(sql), &pg_params(bind)?)
            });
        }
        self.with_static(sql, changed, |_, statement, failed| {
            bind_all(statement, bind)?;
            statement.raw_execute().map_err(failed)
        })
    }

    /// As [`execute_static`](Transaction::execute_static), also returning the rowid of the last
    /// row inserted (the key of an auto-increment `INSERT`).
    #[inline]
    pub(crate) fn insert_static(
        &self,
        sql: &'static str,
        bind: impl FnOnce(&mut Binder<'_, '_>) -> Result<()>,
    ) -> Result<(usize, i64)> {
        #[cfg(feature = "postgres")]
        if self.state.backend == Backend::Postgres {
            return self.insert_static_postgres(sql, bind);
        }
        self.with_static(sql, inserted, |conn, statement, failed| {
            bind_all(statement, bind)?;
            let rows = statement.raw_execute().map_err(failed)?;
            Ok((rows, conn.last_insert_rowid()))
        })
    }

    /// [`insert_static`](Transaction::insert_static) on PostgreSQL: the key comes back from the
    /// statement's `RETURNING`.
    #[cfg(feature = "postgres")]
    #[inline(never)]
    fn insert_static_postgres(
        &self,
        sql: &'static str,
        bind: impl FnOnce(&mut Binder<'_, '_>) -> Result<()>,
    ) -> Result<(usize, i64)> {
        self.on_postgres(sql, inserted, |held| {
            let rows = held.rows(|pg| pg.prepare_static(sql), &pg_params(bind)?)?;
            let key = match rows.first() {
                Some(row) => crate::model::Row::value(&PgRow(row), 0)?.to_owned(),
                None => Value::Null,
            };
            let Value::Int(key) = key else {
                return Err(Error::msg(format!(
                    "the database returned {key} as the key of the insert"
                )));
            };
            held.changes.set(held.changes.get() + 1);
            Ok((1, key))
        })
    }

    /// As [`query_bound`](Transaction::query_bound), for SQL that lives for the whole program,
    /// held prepared as [`execute_static`](Transaction::execute_static) holds its statements.
    pub(crate) fn query_static<T>(
        &self,
        sql: &'static str,
        bind: impl FnOnce(&mut Binder<'_, '_>) -> Result<()>,
        mut read: impl FnMut(&dyn crate::model::Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        #[cfg(feature = "postgres")]
        if self.state.backend == Backend::Postgres {
            return self.on_postgres(sql, returned, |held| {
                held.query(|pg| pg.prepare_static(sql), &pg_params(bind)?, read)
            });
        }
        self.with_static(sql, returned, |_, statement, failed| {
            bind_all(statement, bind)?;
            let mut rows = statement.raw_query();
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(failed)? {
                out.push(read(&super::sqlite_value::SqliteRow(row))?);
            }
            Ok(out)
        })
    }

    /// Runs `run` on the statement of `sql`: from its second use in this transaction, one held
    /// prepared in the transaction's hot list (keyed by the text's address); before that, or
    /// when the list is full, one from the connection's statement cache.
    #[cfg_attr(
        not(feature = "postgres"),
        allow(clippy::infallible_destructuring_match)
    )]
    fn with_static<T>(
        &self,
        sql: &'static str,
        rows: impl FnOnce(&T) -> Option<u64>,
        run: impl FnOnce(
            &rusqlite::Connection,
            &mut rusqlite::Statement<'_>,
            &dyn Fn(rusqlite::Error) -> Error,
        ) -> Result<T>,
    ) -> Result<T> {
        // The write path's statements: when nobody watches, the statement's own code, inlined
        // as it was before statements were observed (wrapping it in the observer's closure
        // kept the field binding from being inlined into it, +25 ns a save).
        if observe::watched() {
            return self.with_static_observed(sql, rows, run);
        }
        self.with_static_here(sql, run)
    }

    /// [`with_static`](Transaction::with_static) while something watches statements: out of
    /// line, so that the unwatched path stays as small as it was.
    #[cold]
    #[inline(never)]
    fn with_static_observed<T>(
        &self,
        sql: &'static str,
        rows: impl FnOnce(&T) -> Option<u64>,
        run: impl FnOnce(
            &rusqlite::Connection,
            &mut rusqlite::Statement<'_>,
            &dyn Fn(rusqlite::Error) -> Error,
        ) -> Result<T>,
    ) -> Result<T> {
        self.observed(sql, rows, || self.with_static_here(sql, run))
    }

    /// [`with_static`](Transaction::with_static) without the observation.
    #[inline(always)]
    #[cfg_attr(
        not(feature = "postgres"),
        allow(clippy::infallible_destructuring_match)
    )]
    fn with_static_here<T>(
        &self,
        sql: &'static str,
        run: impl FnOnce(
            &rusqlite::Connection,
            &mut rusqlite::Statement<'_>,
            &dyn Fn(rusqlite::Error) -> Error,
        ) -> Result<T>,
    ) -> Result<T> {
        let held = self.held()?;
        let held = match &*held {
            Held::Sqlite(held) => held,
            #[cfg(feature = "postgres")]
            Held::Postgres(_) => {
                unreachable!("on PostgreSQL, `execute_static` and `query_static` run directly")
            }
        };
        held.with_dependent(|conn, hot| {
            // Only running (or preparing) a statement can end the transaction; binding cannot.
            let failed = |error| self.failed(conn, error);
            let key = sql.as_ptr() as usize;
            let mut hot = hot.borrow_mut();
            let mut picked = match hot.iter().position(|h| h.key == key) {
                Some(at) if hot[at].statement.is_some() => {
                    Picked::Held(hot[at].statement.as_mut().expect("checked just before"))
                }
                _ => first_uses(conn, &mut hot, sql, &failed)?,
            };
            let statement = match &mut picked {
                Picked::Held(statement) => statement,
                Picked::Cached(statement) => &mut **statement,
            };
            run(conn, statement, &failed)
        })
    }

    /// A statement of this transaction failed: notes whether SQLite ended the transaction
    /// with it, and returns the error.
    #[cold]
    fn failed(&self, conn: &rusqlite::Connection, error: rusqlite::Error) -> Error {
        if conn.is_autocommit() {
            self.state.ended.set(true);
        }
        error.into()
    }

    /// Runs a save, delete or many-to-many change (its receivers and its writes) inside this
    /// open transaction, *without* a savepoint of its own: a savepoint per save costs SQLite
    /// more than the insert itself (its pages are copied to a sub-journal), and PostgreSQL two
    /// round trips.
    ///
    /// If the write fails, what it did must not be kept, and the caller's block must stay usable
    /// when that can be done exactly:
    /// - It changed nothing (a `pre_save` receiver refused the save): the block goes on, without
    ///   the `on_commit` callbacks the write registered.
    /// - Its receivers ran SQL of their own (`execute_batch`, `query_values`, an `atomic`
    ///   block): what such SQL changes is not known (a counter of changed rows misses DDL, and
    ///   on PostgreSQL `INSERT … RETURNING` read as rows), so the first time it runs while the
    ///   write has changed nothing yet, a savepoint is taken just before it. A failure rolls back
    ///   to it, exactly undoing the write, and the block goes on.
    /// - Otherwise, it changed rows before any such SQL: the block is marked rollback-only
    ///   ([`Error::RollbackOnly`]) and will be rolled back, so nothing half-written is ever
    ///   committed. A caller that wants to go on after a failed save runs it in its own
    ///   `atomic` block, as Django requires too.
    pub(crate) fn join<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        // No check that the transaction is usable: the write's first statement makes it.
        let changes = {
            let held = Ref::filter_map(self.state.conn.borrow(), Option::as_ref).map_err(|_| {
                Error::TransactionClosed {
                    alias: self.state.alias.clone(),
                }
            })?;
            held.total_changes()
        };
        let callbacks = self.state.on_commit.borrow().len();
        self.state.joined.borrow_mut().push(JoinedWrite {
            changes,
            callbacks,
            savepoint: None,
        });
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| f(self)));
        let write = self
            .state
            .joined
            .borrow_mut()
            .pop()
            .expect("pushed above, and joined writes end in the order they began");
        match outcome {
            Ok(Ok(value)) => {
                if let Some(savepoint) = write.savepoint {
                    self.release_write_savepoint(savepoint)?;
                }
                Ok(value)
            }
            Ok(Err(error)) => {
                self.undo_joined(&write, &error);
                Err(error)
            }
            Err(payload) => {
                self.set_rollback_only(format!(
                    "a save panicked: {}",
                    Error::from_panic_ref(&*payload)
                ));
                panic::resume_unwind(payload)
            }
        }
    }

    /// Takes a savepoint for every joined write under way that has changed nothing yet and has
    /// none, before SQL that clarion did not write runs (see [`join`](Transaction::join)).
    /// Outermost first, so that each write's savepoint is nested in those of the writes around
    /// it. Nothing to do, and one borrow, outside a joined write.
    #[inline]
    fn cover(&self, held: &Held) -> Result<()> {
        let mut joined = self.state.joined.borrow_mut();
        if joined.is_empty() {
            return Ok(());
        }
        let changes = held.total_changes();
        for write in joined.iter_mut() {
            if write.savepoint.is_none() && write.changes == changes {
                let number = self.state.write_savepoints.get() + 1;
                self.state.write_savepoints.set(number);
                held.batch(&format!("SAVEPOINT clarion_write_{number}"))?;
                write.savepoint = Some(number);
            }
        }
        Ok(())
    }

    /// A joined write succeeded: its savepoint is merged into the caller's transaction.
    fn release_write_savepoint(&self, savepoint: u64) -> Result<()> {
        // A transaction that can no longer run statements is rolled back or closed as a whole,
        // and the savepoint with it.
        let Ok(held) = self.held() else {
            return Ok(());
        };
        held.batch(&format!("RELEASE SAVEPOINT clarion_write_{savepoint}"))
            .inspect_err(|error| {
                self.set_rollback_only(format!(
                    "the savepoint of a save could not be released: {error}"
                ))
            })
    }

    /// A joined write failed: undoes exactly what it did, or marks the caller's block
    /// rollback-only (see [`join`](Transaction::join)).
    #[cold]
    fn undo_joined(&self, write: &JoinedWrite, error: &Error) {
        let conn = self.state.conn.borrow();
        let Some(held) = conn.as_ref() else {
            return;
        };
        if self.state.ended.get() {
            // The database left the transaction: there is nothing to roll back to, and every
            // later statement fails with `TransactionClosed`.
            return;
        }
        if let Some(savepoint) = write.savepoint {
            // The write had changed nothing before the savepoint: rolling back to it undoes all
            // of it, including an aborted state a failed statement left on PostgreSQL.
            let rolled = held
                .batch(&format!("ROLLBACK TO SAVEPOINT clarion_write_{savepoint}"))
                .and_then(|()| held.batch(&format!("RELEASE SAVEPOINT clarion_write_{savepoint}")));
            match rolled {
                Ok(()) => {
                    let mut rollback_only = self.state.rollback_only.borrow_mut();
                    if matches!(*rollback_only, Some((level, _)) if level >= self.level) {
                        *rollback_only = None;
                    }
                    drop(rollback_only);
                    self.discard_on_commit(write.callbacks);
                }
                Err(_) => self.set_rollback_only(format!(
                    "the savepoint of a failed save could not be rolled back; the save failed with: {error}"
                )),
            }
            return;
        }
        if held.total_changes() != write.changes {
            drop(conn);
            self.set_rollback_only(error.to_string());
        } else {
            // Kept usable: what the failed write queued for the commit must not run.
            drop(conn);
            self.discard_on_commit(write.callbacks);
        }
    }

    /// Drops the `on_commit` callbacks registered after the first `len`.
    fn discard_on_commit(&self, len: usize) {
        self.state.on_commit.borrow_mut().truncate(len);
    }

    /// Marks this level to be rolled back: a write that joined it without a savepoint failed
    /// after changing rows. The first reason is kept.
    pub(crate) fn set_rollback_only(&self, reason: String) {
        let mut rollback_only = self.state.rollback_only.borrow_mut();
        if rollback_only.is_none() {
            *rollback_only = Some((self.level, reason));
        }
    }
}

/// The connection of an open transaction, borrowed for one statement.
enum Conn<'h> {
    Sqlite(&'h rusqlite::Connection),
    #[cfg(feature = "postgres")]
    Postgres(&'h PgHeld),
}

impl Held {
    fn conn(&self) -> Conn<'_> {
        match self {
            Held::Sqlite(held) => Conn::Sqlite(held.borrow_owner()),
            #[cfg(feature = "postgres")]
            Held::Postgres(held) => {
                held.statements.set(held.statements.get().saturating_add(1));
                Conn::Postgres(held)
            }
        }
    }

    fn total_changes(&self) -> u64 {
        match self {
            Held::Sqlite(held) => held.borrow_owner().total_changes(),
            #[cfg(feature = "postgres")]
            Held::Postgres(held) => held.changes.get(),
        }
    }

    /// Runs statements that take no parameters and return nothing (`BEGIN`, `SAVEPOINT`, …).
    fn batch(&self, sql: &str) -> Result<()> {
        match self {
            Held::Sqlite(held) => Ok(run_cached(held.borrow_owner(), sql)?),
            #[cfg(feature = "postgres")]
            Held::Postgres(held) => {
                // A savepoint taken here makes any later statement not the transaction's first:
                // beginning the transaction anew would lose it.
                held.statements.set(held.statements.get().saturating_add(1));
                Ok(held.conn.borrow_mut().client.batch_execute(sql)?)
            }
        }
    }
}

#[cfg(feature = "postgres")]
impl PgHeld {
    /// Whether the server is no longer in this transaction: the connection is gone, or SQL the
    /// caller wrote ended it (`COMMIT`, `ROLLBACK`), which SQLite reports as autocommit mode and
    /// PostgreSQL's client does not report at all. The transaction's `SET LOCAL` marker answers:
    /// it reads `on` exactly as long as the transaction lasts (a failed transaction refuses the
    /// query, and is still open). One round trip, after the caller's own SQL only.
    #[cold]
    fn left_transaction(&self) -> bool {
        let Ok(mut conn) = self.conn.try_borrow_mut() else {
            return false;
        };
        if conn.client.is_closed() {
            return true;
        }
        match conn
            .client
            .simple_query("SELECT current_setting('clarion.open', true)")
        {
            Ok(messages) => !messages.iter().any(|message| {
                matches!(message, postgres::SimpleQueryMessage::Row(row) if row.get(0) == Some("on"))
            }),
            Err(error) => error.is_closed(),
        }
    }

    fn execute(
        &self,
        prepare: impl Fn(&mut PgConn) -> Result<postgres::Statement>,
        params: &[Param],
    ) -> Result<usize> {
        let rows = self.run_once_more(prepare, |client, statement| {
            client.execute(statement, &super::postgres::refs(params))
        })?;
        self.changes.set(self.changes.get() + rows);
        Ok(usize::try_from(rows).unwrap_or(usize::MAX))
    }

    fn query<T>(
        &self,
        prepare: impl Fn(&mut PgConn) -> Result<postgres::Statement>,
        params: &[Param],
        mut read: impl FnMut(&dyn crate::model::Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        // Read with the connection released: reading sends `post_init`, whose receivers may
        // run statements of their own.
        let rows = self.rows(prepare, params)?;
        rows.iter().map(|row| read(&PgRow(row))).collect()
    }

    fn rows(
        &self,
        prepare: impl Fn(&mut PgConn) -> Result<postgres::Statement>,
        params: &[Param],
    ) -> Result<Vec<postgres::Row>> {
        self.run_once_more(prepare, |client, statement| {
            client.query(statement, &super::postgres::refs(params))
        })
    }

    /// Runs the statement `prepare` gives. If the server refuses it because a table it reads
    /// changed type under the prepared statement (another client's `ALTER TABLE`), every
    /// statement prepared on the connection is as stale, and they are all forgotten. The server
    /// has then aborted the transaction, so the statement can only be run again in a new one,
    /// which changes nothing the caller saw only when it was the transaction's first statement:
    /// then the transaction is begun anew and the statement run once more (as Rails does).
    /// Otherwise the error stands (the block rolls back), and the next transaction on this
    /// connection prepares afresh.
    fn run_once_more<T>(
        &self,
        prepare: impl Fn(&mut PgConn) -> Result<postgres::Statement>,
        run: impl Fn(&mut postgres::Client, &postgres::Statement) -> Result<T, postgres::Error>,
    ) -> Result<T> {
        let first = self.statements.get() == 1;
        // A second statement run under the same borrow of the connection is not the first.
        self.statements.set(self.statements.get().saturating_add(1));
        let mut conn = self.conn.borrow_mut();
        let statement = prepare(&mut conn)?;
        match run(&mut conn.client, &statement) {
            Ok(out) => Ok(out),
            Err(error) if super::postgres::is_stale_plan(&error) => {
                conn.forget_statements();
                if !first {
                    return Err(error.into());
                }
                conn.client.batch_execute("ROLLBACK")?;
                conn.client.batch_execute(super::postgres::BEGIN)?;
                let statement = prepare(&mut conn)?;
                Ok(run(&mut conn.client, &statement)?)
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// Collects the parameters `bind` passes, for PostgreSQL, which takes them all at once.
#[cfg(feature = "postgres")]
fn pg_params(bind: impl FnOnce(&mut Binder<'_, '_>) -> Result<()>) -> Result<Vec<Param>> {
    let mut params = Vec::new();
    bind(&mut Binder {
        to: BindTo::Postgres(&mut params),
    })?;
    Ok(params)
}

impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("using", &self.state.alias)
            .field("depth", &self.level)
            .finish_non_exhaustive()
    }
}

/// The statement [`Transaction::with_static`] runs.
enum Picked<'h, 'c> {
    /// Held prepared for the rest of the transaction.
    Held(&'h mut rusqlite::Statement<'c>),
    /// From the connection's statement cache.
    Cached(rusqlite::CachedStatement<'c>),
}

/// [`Transaction::with_static`]'s statement when it is not held prepared yet: its first use in
/// the transaction takes it from the connection's statement cache; its second prepares it to
/// be held in the hot list, unless the list is full.
#[inline(never)]
fn first_uses<'h, 'c>(
    conn: &'c rusqlite::Connection,
    hot: &'h mut Vec<HotStatement<'c>>,
    sql: &'static str,
    failed: &dyn Fn(rusqlite::Error) -> Error,
) -> Result<Picked<'h, 'c>> {
    let key = sql.as_ptr() as usize;
    let at = match hot.iter().position(|h| h.key == key) {
        Some(at) => Some(at),
        None if hot.len() < HOT_STATEMENTS => {
            hot.push(HotStatement {
                key,
                uses: 0,
                statement: None,
            });
            Some(hot.len() - 1)
        }
        None => None,
    };
    if let Some(entry) = at.map(|at| &mut hot[at]) {
        entry.uses += 1;
        if entry.uses > 1 {
            let statement = conn.prepare(sql).map_err(failed)?;
            return Ok(Picked::Held(entry.statement.insert(statement)));
        }
    }
    Ok(Picked::Cached(conn.prepare_cached(sql).map_err(failed)?))
}

/// Binds `params` to a statement of SQL the caller wrote, refusing a count that does not match
/// its placeholders (SQLite would leave a missing one `NULL`; PostgreSQL refuses it too).
fn bind_values(statement: &mut rusqlite::Statement<'_>, params: &[Value]) -> Result<()> {
    if statement.parameter_count() != params.len() {
        return Err(rusqlite::Error::InvalidParameterCount(
            params.len(),
            statement.parameter_count(),
        )
        .into());
    }
    for (i, value) in params.iter().enumerate() {
        statement.raw_bind_parameter(i + 1, value.as_ref())?;
    }
    Ok(())
}

fn bind_all(
    statement: &mut rusqlite::Statement<'_>,
    bind: impl FnOnce(&mut Binder<'_, '_>) -> Result<()>,
) -> Result<()> {
    // Every parameter is bound on every call, so the previous values need no clearing.
    bind(&mut Binder {
        to: BindTo::Sqlite { statement, next: 1 },
    })
}

/// Binds a statement's parameters, in order: what the `bind` closures of
/// [`Transaction::execute_bound`] and its siblings are given. A concrete type rather than a
/// `dyn FnMut`, so that binding a model's fields compiles to straight-line calls.
pub(crate) struct Binder<'s, 'c> {
    to: BindTo<'s, 'c>,
}

enum BindTo<'s, 'c> {
    /// Straight into the statement, by number.
    Sqlite {
        statement: &'s mut rusqlite::Statement<'c>,
        next: usize,
    },
    /// Collected, to be converted to the types the server expects when the statement runs.
    #[cfg(feature = "postgres")]
    Postgres(&'s mut Vec<Param>),
}

impl Binder<'_, '_> {
    /// Binds the next parameter.
    ///
    /// Small enough to inline where a model's fields are bound, where the kind of each field's
    /// value is known at compile time and the `match` disappears: the common kinds then bind
    /// through a direct call with their own type.
    #[inline(always)]
    #[allow(irrefutable_let_patterns)] // without the `postgres` feature
    pub(crate) fn bind(&mut self, value: ValueRef<'_>) -> Result<()> {
        let BindTo::Sqlite { statement, next } = &mut self.to else {
            return self.bind_collected(value);
        };
        match value {
            ValueRef::Text(text) => bind_text(statement, next, text),
            ValueRef::Int(int) => bind_int(statement, next, int),
            other => bind_other(statement, next, other),
        }
    }

    #[cold]
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    fn bind_collected(&mut self, value: ValueRef<'_>) -> Result<()> {
        match &mut self.to {
            BindTo::Sqlite { .. } => unreachable!("bound directly"),
            #[cfg(feature = "postgres")]
            BindTo::Postgres(params) => {
                if let ValueRef::Text(text) = value
                    && text.contains('\0')
                {
                    // The server would refuse it (invalid byte sequence) and abort the
                    // transaction; refused here, nothing is sent and the transaction goes on.
                    return Err(Error::msg(format!(
                        "PostgreSQL cannot store the NUL character (0x00) in text ({value}); \
                         store such data in a bytes field (`Vec<u8>`), as Django's PostgreSQL \
                         backend also refuses it"
                    )));
                }
                if let ValueRef::Json(json) = value
                    && let Some(text) = super::postgres::nul_in_json(json)
                {
                    // As for text: the server would abort the transaction.
                    let mut shown: String = text.chars().take(60).collect();
                    if shown.len() < text.len() {
                        shown.push('…');
                    }
                    return Err(Error::msg(format!(
                        "PostgreSQL cannot store the NUL character (\\u0000) in a JSON value \
                         (jsonb refuses it), here in the string or key {shown:?}; remove it, or \
                         store such data in a bytes field (`Vec<u8>`)"
                    )));
                }
                params.push(Param::new(value));
                Ok(())
            }
        }
    }
}

#[inline]
fn bind_text(statement: &mut rusqlite::Statement<'_>, next: &mut usize, text: &str) -> Result<()> {
    statement.raw_bind_parameter(*next, text)?;
    *next += 1;
    Ok(())
}

#[inline]
fn bind_int(statement: &mut rusqlite::Statement<'_>, next: &mut usize, int: i64) -> Result<()> {
    statement.raw_bind_parameter(*next, int)?;
    *next += 1;
    Ok(())
}

#[inline(never)]
fn bind_other(
    statement: &mut rusqlite::Statement<'_>,
    next: &mut usize,
    value: ValueRef<'_>,
) -> Result<()> {
    statement.raw_bind_parameter(*next, value)?;
    *next += 1;
    Ok(())
}

/// Runs `f` in a transaction on the [`default`](super::default) database (Django:
/// `transaction.atomic()`).
///
/// - If `f` returns `Ok`, the transaction commits, then the [`on_commit`](Transaction::on_commit)
///   callbacks run, and `atomic` returns the value.
/// - If `f` returns `Err`, everything it wrote is rolled back and the error is returned.
/// - If `f` panics, everything it wrote is rolled back and the panic continues to unwind.
/// - Called while this thread already has a transaction open on the same database, `atomic`
///   joins it through a `SAVEPOINT`: an `Err` or a panic rolls back only what this inner block
///   wrote, and the outer block decides what to do with the error. Nothing is committed until
///   the outermost block ends.
///
/// The outermost transaction starts with `BEGIN IMMEDIATE`, taking SQLite's write lock at once
/// (waiting up to [`BUSY_TIMEOUT`](super::BUSY_TIMEOUT) for another writer), so it cannot fail
/// halfway with "database is locked" when its first write comes. The threads of one process
/// take it in the order they asked.
///
/// ```
/// use clarion::db::{self, Database, params};
///
/// db::register(Database::open("sqlite::memory:")?);
/// db::atomic(|tx| tx.execute_batch("CREATE TABLE account (name TEXT PRIMARY KEY, balance INTEGER)"))?;
///
/// let outcome = db::atomic(|tx| {
///     tx.execute("INSERT INTO account VALUES (?1, ?2)", params!["alice", 100])?;
///     tx.on_commit(|| println!("welcome email sent"));
///     // A nested block is a savepoint: its failure undoes only its own writes.
///     let nested = db::atomic(|tx| {
///         tx.execute("INSERT INTO account VALUES (?1, ?2)", params!["bob", 50])?;
///         tx.on_commit(|| unreachable!("rolled back with its savepoint"));
///         Err::<(), _>(clarion::Error::msg("bob changed his mind"))
///     });
///     assert!(nested.is_err());
///     tx.query_row("SELECT count(*) FROM account", (), |row| row.get::<_, i64>(0))
/// })?;
/// assert_eq!(outcome, 1); // alice is saved, bob is not; the email was sent after the commit
/// # Ok::<(), clarion::Error>(())
/// ```
pub fn atomic<T>(f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
    atomic_using(DEFAULT_ALIAS, f)
}

/// Runs `f` in a transaction on the database registered as `alias` (Django:
/// `transaction.atomic(using=alias)`); see [`atomic`].
///
/// Fails with [`Error::UnknownDatabase`] if no database is registered under `alias`.
pub fn atomic_using<T>(alias: &str, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
    // Joining an open transaction needs no registry lookup: a nested `save()` stays cheap.
    if let Some(state) = open_state(|state| state.is_on(alias)) {
        return nested(state, f);
    }
    let database = database::database(alias)?;
    outermost(&database, Begin::Immediate, f)
}

/// As [`atomic_using`] for blocks that only read: outside a transaction it starts a deferred one,
/// which takes no write lock, so readers on a file database do not queue behind each other.
pub(crate) fn read_using<T>(alias: &str, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
    if let Some(state) = open_state(|state| state.is_on(alias)) {
        return nested(state, f);
    }
    let database = database::database(alias)?;
    outermost(&database, Begin::Deferred, f)
}

/// Whether this thread has a transaction open, on any database.
#[cfg(feature = "tokio")]
pub(crate) fn in_transaction_here() -> bool {
    OPEN.with_borrow(|open| !open.is_empty())
}

/// How the outermost transaction starts.
#[derive(Clone, Copy)]
enum Begin {
    /// Takes SQLite's write lock at once.
    Immediate,
    /// Takes locks as statements need them.
    Deferred,
}

/// The transaction this thread has open on the database registered as `alias`, at its innermost
/// level, or `None` outside any [`atomic`] block on it.
///
/// For code that must run inside the caller's transaction without opening one of its own, or
/// that registers [`on_commit`](Transaction::on_commit) work only when there is a commit to wait
/// for.
#[inline]
pub fn current_transaction(alias: &str) -> Option<Transaction> {
    let state = open_state(|state| state.is_on(alias))?;
    let level = state.depth.get();
    Some(Transaction { state, level })
}

pub(super) fn atomic_on<T>(
    database: &Database,
    f: impl FnOnce(&Transaction) -> Result<T>,
) -> Result<T> {
    match open_state(|state| state.alias == database.alias()) {
        Some(state) if state.database_id == database.id() => nested(state, f),
        // One alias, one open transaction per thread: `using` must say which database is meant.
        Some(_) => Err(Error::msg(format!(
            "this thread already has a transaction open on another database registered as `{}`",
            database.alias()
        ))),
        None => outermost(database, Begin::Immediate, f),
    }
}

fn outermost<T>(
    database: &Database,
    begin: Begin,
    f: impl FnOnce(&Transaction) -> Result<T>,
) -> Result<T> {
    // A task inside an `aatomic` block reaches its transaction only through the awaitable
    // calls; this one would run beside it, on the runtime's thread.
    #[cfg(feature = "tokio")]
    if crate::asynchronous::in_async_transaction() {
        return Err(Error::SyncInAsyncTransaction {
            alias: database.alias().to_owned(),
        });
    }
    let span = observe::TransactionSpan::begin(database.alias(), database.backend(), 1);
    #[cfg(feature = "postgres")]
    let outcome = if database.backend() == Backend::Postgres {
        super::postgres::off_the_runtime(database.alias(), || outermost_here(database, begin, f))
    } else {
        outermost_here(database, begin, f)
    };
    #[cfg(not(feature = "postgres"))]
    let outcome = outermost_here(database, begin, f);
    span.end(match &outcome {
        Ok(_) | Err(Error::AfterCommit { .. }) => "commit",
        Err(_) => "rollback",
    });
    outcome
}

/// [`outermost`] on the calling thread.
fn outermost_here<T>(
    database: &Database,
    begin: Begin,
    f: impl FnOnce(&Transaction) -> Result<T>,
) -> Result<T> {
    // The busy handler waits as long as this database says, on this thread, for the whole
    // transaction (its statements all run here).
    let _busy = (database.backend() == Backend::Sqlite)
        .then(|| super::sqlite_error::BusyLimit::set(database.busy_timeout()));
    // This process's writers take SQLite's write lock in turn, in the order they asked; the
    // turn ends when the transaction has committed or rolled back, before its on-commit work.
    let turn = match (database.backend(), begin) {
        (Backend::Sqlite, Begin::Immediate) => Some(database.write_turn()?),
        _ => None,
    };
    let held = match database.connection()? {
        Pooled::Sqlite(conn) => {
            if !conn.is_autocommit() {
                // Left open by a block that could not roll back; never let it swallow this one.
                conn.execute_batch("ROLLBACK")?;
            }
            conn.execute_batch(match begin {
                Begin::Immediate => "BEGIN IMMEDIATE",
                Begin::Deferred => "BEGIN DEFERRED",
            })?;
            Held::Sqlite(SqliteHeld::new(conn, |_| RefCell::new(Vec::new())))
        }
        #[cfg(feature = "postgres")]
        Pooled::Postgres(mut conn) => {
            // PostgreSQL takes row locks as statements need them: there is no write lock to
            // take up front, so both kinds of block begin alike (at READ COMMITTED, as Django).
            // The marker tells later whether the server is still in this transaction: a
            // `SET LOCAL` lasts exactly as long as the transaction (see `left_transaction`).
            conn.client.batch_execute(super::postgres::BEGIN)?;
            Held::Postgres(Box::new(PgHeld {
                conn: RefCell::new(*conn),
                changes: Cell::new(0),
                statements: Cell::new(0),
            }))
        }
    };
    let state = Rc::new(State {
        database_id: database.id(),
        alias: database.alias().to_owned(),
        backend: database.backend(),
        is_default: database.alias() == DEFAULT_ALIAS,
        conn: RefCell::new(Some(held)),
        depth: Cell::new(1),
        on_commit: RefCell::new(Vec::new()),
        joined: RefCell::new(Vec::new()),
        write_savepoints: Cell::new(0),
        rollback_only: RefCell::new(None),
        ended: Cell::new(false),
    });
    OPEN.with_borrow_mut(|open| open.push(Rc::clone(&state)));
    let tx = Transaction {
        state: Rc::clone(&state),
        level: 1,
    };
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| f(&tx)));
    OPEN.with_borrow_mut(|open| open.retain(|open| !Rc::ptr_eq(open, &state)));
    state.depth.set(0);
    // Finalizes the held statements, then frees the connection from them.
    let conn = match state
        .conn
        .borrow_mut()
        .take()
        .expect("the connection is only taken here")
    {
        Held::Sqlite(held) => Ending::Sqlite(held.into_owner()),
        #[cfg(feature = "postgres")]
        Held::Postgres(held) => Ending::Postgres(Box::new(RefCell::new(held.conn.into_inner()))),
    };
    let rollback = || {
        // The block's own error (or panic) is what the caller needs; a failed ROLLBACK (for
        // instance when SQLite already rolled back) adds nothing to it.
        let _ = conn.batch("ROLLBACK");
    };
    if let Some((_, reason)) = state.rollback_only.take() {
        rollback();
        return rolled_back(outcome, &state.alias, reason);
    }
    match outcome {
        Ok(Ok(_)) if state.ended.get() || conn.left_transaction() => {
            Err(Error::TransactionClosed {
                alias: state.alias.clone(),
            })
        }
        // The future waiting for this work was dropped: nobody will learn that it committed.
        #[cfg(feature = "tokio")]
        Ok(Ok(_)) if crate::asynchronous::cancelled() => {
            rollback();
            Err(Error::Cancelled)
        }
        Ok(Ok(value)) => {
            if let Err(error) = conn.batch("COMMIT") {
                rollback();
                return Err(error);
            }
            drop(conn);
            drop(turn);
            run_on_commit(state.on_commit.take())?;
            Ok(value)
        }
        Ok(Err(error)) => {
            rollback();
            Err(error)
        }
        Err(payload) => {
            rollback();
            panic::resume_unwind(payload)
        }
    }
}

/// The connection of a transaction that is ending, freed from its held statements.
enum Ending {
    Sqlite(PooledConnection<SqliteConnectionManager>),
    #[cfg(feature = "postgres")]
    Postgres(Box<RefCell<PooledConnection<super::postgres::Manager>>>),
}

impl Ending {
    fn batch(&self, sql: &str) -> Result<()> {
        match self {
            Ending::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            #[cfg(feature = "postgres")]
            Ending::Postgres(conn) => Ok(conn.borrow_mut().client.batch_execute(sql)?),
        }
    }

    /// Whether the database is no longer in the transaction: SQLite rolled back on its own, or
    /// the PostgreSQL connection is gone.
    fn left_transaction(&self) -> bool {
        match self {
            Ending::Sqlite(conn) => conn.is_autocommit(),
            #[cfg(feature = "postgres")]
            Ending::Postgres(conn) => conn.borrow().client.is_closed(),
        }
    }
}

fn nested<T>(state: Rc<State>, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
    let span = observe::TransactionSpan::begin(&state.alias, state.backend, state.depth.get() + 1);
    let outcome = nested_here(state, f);
    span.end(if outcome.is_ok() {
        "release"
    } else {
        "rollback"
    });
    outcome
}

/// [`nested`], unobserved.
fn nested_here<T>(state: Rc<State>, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
    let level = state.depth.get() + 1;
    // The level number is unique among the open savepoints of this connection.
    let savepoint = format!("clarion_{level}");
    let tx = Transaction {
        state: Rc::clone(&state),
        level: level - 1,
    };
    // A block opened inside a joined write (by a receiver) runs SQL clarion cannot account
    // for, and the write's savepoint must come before the block's: releasing the block's
    // savepoint releases every savepoint taken after it.
    tx.cover(&*tx.held()?)?;
    tx.run(|conn| match conn {
        Conn::Sqlite(conn) => Ok(run_cached(conn, &format!("SAVEPOINT {savepoint}"))?),
        #[cfg(feature = "postgres")]
        Conn::Postgres(held) => Ok(held
            .conn
            .borrow_mut()
            .client
            .batch_execute(&format!("SAVEPOINT {savepoint}"))?),
    })?;
    state.depth.set(level);
    let callbacks_before = state.on_commit.borrow().len();
    let tx = Transaction {
        state: Rc::clone(&state),
        level,
    };
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| f(&tx)));
    state.depth.set(level - 1);
    let rollback = || {
        state.on_commit.borrow_mut().truncate(callbacks_before);
        if let Some(held) = state.conn.borrow().as_ref() {
            // If SQLite already rolled the whole transaction back, there is no savepoint left;
            // the outer levels find out through `TransactionClosed`. On PostgreSQL, rolling
            // back to the savepoint also ends an aborted state the block's failure left.
            let rolled = match held {
                Held::Sqlite(held) => held
                    .borrow_owner()
                    .execute_batch(&format!(
                        "ROLLBACK TO SAVEPOINT {savepoint}; RELEASE SAVEPOINT {savepoint}"
                    ))
                    .map_err(Error::from),
                #[cfg(feature = "postgres")]
                Held::Postgres(_) => held.batch(&format!(
                    "ROLLBACK TO SAVEPOINT {savepoint}; RELEASE SAVEPOINT {savepoint}"
                )),
            };
            let gone = match held {
                Held::Sqlite(held) => held.borrow_owner().is_autocommit(),
                #[cfg(feature = "postgres")]
                Held::Postgres(held) => held.left_transaction(),
            };
            if gone {
                state.ended.set(true);
            } else if rolled.is_err() {
                // The savepoint could not be restored: nothing the outer levels do may commit.
                let mut rollback_only = state.rollback_only.borrow_mut();
                if rollback_only.is_none() {
                    *rollback_only = Some((
                        level - 1,
                        "the savepoint of a failed block could not be rolled back".to_owned(),
                    ));
                }
            }
        }
    };
    let marked_here = matches!(*state.rollback_only.borrow(), Some((marked, _)) if marked >= level);
    if marked_here {
        let (_, reason) = state.rollback_only.take().expect("checked above");
        rollback();
        return rolled_back(outcome, &state.alias, reason);
    }
    match outcome {
        Ok(Ok(value)) => {
            let released = state
                .conn
                .borrow()
                .as_ref()
                .map(|held| held.batch(&format!("RELEASE SAVEPOINT {savepoint}")));
            match released {
                Some(Ok(())) => Ok(value),
                Some(Err(error)) => {
                    rollback();
                    if state.ended.get() {
                        // The block's own SQL ended the transaction, savepoints and all.
                        return Err(Error::TransactionClosed {
                            alias: state.alias.clone(),
                        });
                    }
                    Err(error)
                }
                None => Err(Error::TransactionClosed {
                    alias: state.alias.clone(),
                }),
            }
        }
        Ok(Err(error)) => {
            rollback();
            Err(error)
        }
        Err(payload) => {
            rollback();
            panic::resume_unwind(payload)
        }
    }
}

/// The result of a level that was marked rollback-only and has been rolled back: the block's own
/// error if it returned one (usually the failed save's), else [`Error::RollbackOnly`], since
/// what the block did was not kept.
fn rolled_back<T>(
    outcome: std::thread::Result<Result<T>>,
    alias: &str,
    reason: String,
) -> Result<T> {
    match outcome {
        Ok(Ok(_)) => Err(Error::RollbackOnly {
            alias: alias.to_owned(),
            reason,
        }),
        Ok(Err(error)) => Err(error),
        Err(payload) => panic::resume_unwind(payload),
    }
}

/// Runs a statement that takes no parameters through the connection's statement cache: every
/// `save()` inside a transaction opens and releases a savepoint, and parsing those two statements
/// each time would cost as much as the insert itself.
fn run_cached(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.raw_execute().map(drop)
}

/// Runs every callback even if one fails or panics, then resumes the first panic, or returns the
/// errors as [`Error::AfterCommit`]: the commit stands, and the caller still learns that a
/// callback failed.
fn run_on_commit(callbacks: Vec<Callback>) -> Result<()> {
    let mut first_panic = None;
    let mut errors = Vec::new();
    for callback in callbacks {
        match panic::catch_unwind(AssertUnwindSafe(callback)) {
            Ok(Ok(())) => {}
            Ok(Err(error)) => errors.push(error),
            Err(payload) => {
                first_panic.get_or_insert(payload);
            }
        }
    }
    if let Some(payload) = first_panic {
        panic::resume_unwind(payload);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::AfterCommit { errors })
    }
}

/// The rows a statement that changes rows reports, for its span.
fn changed(rows: &usize) -> Option<u64> {
    u64::try_from(*rows).ok()
}

/// The rows a query returned, for its span.
#[allow(clippy::ptr_arg)] // called on a `Vec<T>` result through `impl FnOnce(&Vec<T>)`
fn returned<T>(rows: &Vec<T>) -> Option<u64> {
    u64::try_from(rows.len()).ok()
}

/// The rows an `INSERT` that reports its key inserted, for its span.
fn inserted(outcome: &(usize, i64)) -> Option<u64> {
    u64::try_from(outcome.0).ok()
}

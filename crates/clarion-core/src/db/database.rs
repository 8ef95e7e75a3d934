//! [`Database`]: a pool of connections behind an alias, and the process-wide registry of them.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;

use super::Backend;
use super::connection::{Connection, ConnectionCreated, connection_created};
pub use super::options::DatabaseBuilder;
use super::transaction::{self, Transaction};
use crate::{Error, Result, Sender};

/// The alias of the database that [`atomic`](super::atomic) and [`default`] use, as in Django.
pub const DEFAULT_ALIAS: &str = "default";

/// [`DEFAULT_ALIAS`] at one address: a `const` may be copied into each crate that uses it, so
/// the write path names the default database through this to let an open transaction recognise
/// it by address (see `State::is_on`).
pub(crate) static DEFAULT_ALIAS_STATIC: &str = DEFAULT_ALIAS;

/// How long a statement waits for another connection's lock on a SQLite file, and how long
/// taking a connection from a pool may wait, before failing (Django's SQLite `timeout`, 5 s).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Pool size for a file database. SQLite has one writer at a time anyway; more connections only
/// let readers and waiting writers queue inside SQLite rather than in the pool.
const FILE_POOL_SIZE: u32 = 8;

/// Tells the thread-local transaction stack which database a transaction belongs to, even when two
/// databases were opened under the same alias.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A database: a pool of connections opened from a URL, known by an alias.
///
/// Cloning is cheap and every clone shares the pool. Register it with [`register`] to reach it
/// by alias from [`atomic_using`](super::atomic_using) (and, later, from models).
///
/// | URL | database |
/// |---|---|
/// | `sqlite://app.db`, `sqlite:app.db` | the file `app.db`, relative to the working directory, created if missing |
/// | `sqlite:///var/lib/app.db` | an absolute path |
/// | `sqlite::memory:`, `sqlite://:memory:` | a private in-memory database |
/// | `postgres://user:password@host:5432/dbname`, `postgresql://…` | a PostgreSQL database (feature `postgres`) |
///
/// Every SQLite connection runs with `PRAGMA foreign_keys = ON` and a [`BUSY_TIMEOUT`].
///
/// **PostgreSQL** databases are served by a pool of up to [`POSTGRES_POOL_SIZE`] connections
/// (`r2d2`), each checked with an empty query when it is taken from the pool, so a connection
/// the server dropped is replaced instead of failing the next transaction. The URL takes the
/// `postgres` crate's options (`?connect_timeout=5&application_name=web`), and, with the
/// `postgres-tls` feature, libpq's `sslmode` and `sslrootcert` for TLS.
/// See `docs/databases.md`.
///
/// Pool sizes, timeouts and session options are set with [`Database::builder`], or in the URL's
/// query string (`sqlite://app.db?busy_timeout=10s`, `postgres://…?max_connections=32`).
///
/// **In-memory databases** are served by a pool of exactly one connection, so every transaction
/// sees the same data; a second thread asking for it waits (up to [`BUSY_TIMEOUT`]) until the
/// first thread's transaction ends, which is what SQLite's single writer would impose anyway.
/// Each `open` of `sqlite::memory:` is a new, empty database that lives as long as the
/// `Database` (and its clones). A shared-cache URI would allow several connections, but they
/// fail at once with `SQLITE_LOCKED` instead of waiting, so clarion does not use one.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

/// How many connections the pool of a PostgreSQL database holds at most. Django opens one per
/// thread; a pool shared by the threads of a process serves the same load with fewer.
pub const POSTGRES_POOL_SIZE: u32 = 10;

struct Inner {
    id: u64,
    alias: String,
    url: String,
    busy_timeout: Duration,
    pool: Pools,
    /// The order in which this process's threads take SQLite's write lock.
    writers: super::write_queue::WriteQueue,
}

enum Pools {
    Sqlite(Pool<SqliteConnectionManager>),
    #[cfg(feature = "postgres")]
    Postgres(Pool<super::postgres::Manager>),
}

/// A connection taken from a database's pool.
pub(crate) enum Pooled {
    Sqlite(r2d2::PooledConnection<SqliteConnectionManager>),
    #[cfg(feature = "postgres")]
    Postgres(Box<r2d2::PooledConnection<super::postgres::Manager>>),
}

impl Database {
    /// Opens the database at `url` under the alias [`DEFAULT_ALIAS`] (`"default"`).
    ///
    /// Fails with [`Error::DatabaseUrl`] for a URL that is not a SQLite URL, and with
    /// [`Error::Database`] when the file cannot be opened.
    pub fn open(url: &str) -> Result<Database> {
        Database::open_as(DEFAULT_ALIAS, url)
    }

    /// Opens the database at `url` under `alias` (Django: a key of `DATABASES`), with the
    /// default settings, or those of the URL's query string (see [`Database::builder`]).
    pub fn open_as(alias: impl Into<String>, url: &str) -> Result<Database> {
        Database::builder(url).alias(alias).build()
    }

    /// A builder for the database at `url`, to set its pool and connections (sizes, timeouts,
    /// PostgreSQL session options) before opening it; see [`DatabaseBuilder`].
    pub fn builder(url: &str) -> DatabaseBuilder {
        DatabaseBuilder::new(url)
    }

    pub(super) fn from_builder(builder: DatabaseBuilder, url: &str) -> Result<Database> {
        let DatabaseBuilder {
            alias, settings, ..
        } = builder;
        let target = parse_url(url)?;
        #[cfg(feature = "postgres")]
        if let Target::Postgres(config) = target {
            let (config, tls) = *config;
            return Database::postgres(alias, url, config, &tls, settings);
        }
        let memory = matches!(target, Target::Memory);
        if memory && settings.max_connections.is_some_and(|max| max != 1) {
            return Err(Error::DatabaseUrl {
                url: url.to_owned(),
                reason: "an in-memory SQLite database is one connection: it cannot have more",
            });
        }
        let created_alias = alias.clone();
        let manager = match target {
            // Not `SqliteConnectionManager::memory()`: that opens a shared-cache database, whose
            // table locks make every statement about 40% slower. The pool's one connection never
            // closes, so a private `:memory:` database lives exactly as long as the pool.
            Target::Memory => SqliteConnectionManager::file(":memory:"),
            Target::File(path) => SqliteConnectionManager::file(path),
            #[cfg(feature = "postgres")]
            Target::Postgres(_) => unreachable!("opened above"),
        }
        .with_init(move |conn| {
            conn.busy_handler(Some(super::sqlite_error::busy_wait))?;
            // SQLite reads a double-quoted name that names no column as a string literal (its
            // "double-quoted string" misfeature): a read of a column the table lacks would
            // return the column's name as its value, and fail later as a value error. Turned
            // off, it is "no such column", which `Error::MissingColumn` explains.
            conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
            conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
            conn.execute_batch("PRAGMA foreign_keys = ON;")?;
            send_connection_created(&created_alias, Connection::sqlite(conn)).map_err(|error| {
                // The pool's init hook speaks rusqlite's error type.
                rusqlite::Error::ToSqlConversionFailure(Box::new(error))
            })
        });
        if !memory {
            // Open one connection up front: a bad path fails here, at once, with SQLite's
            // message, rather than after the pool has retried for its whole timeout.
            r2d2::ManageConnection::connect(&manager).map_err(Error::from)?;
        }
        let builder = Pool::builder().connection_timeout(settings.acquire_timeout());
        let pool = if memory {
            // The one connection *is* the database: never close it for being idle or old.
            builder
                .max_size(1)
                .min_idle(Some(0))
                .idle_timeout(None)
                .max_lifetime(None)
                .test_on_check_out(false)
                .build_unchecked(manager)
        } else {
            settings
                .apply(builder.max_size(FILE_POOL_SIZE).min_idle(Some(0)))
                .build_unchecked(manager)
        };
        let database = Database {
            inner: Arc::new(Inner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                alias,
                url: url.to_owned(),
                busy_timeout: settings.busy_timeout(),
                pool: Pools::Sqlite(pool),
                writers: Default::default(),
            }),
        };
        Ok(database)
    }

    #[cfg(feature = "postgres")]
    fn postgres(
        alias: String,
        url: &str,
        config: postgres::Config,
        tls: &super::postgres::Tls,
        settings: super::options::Settings,
    ) -> Result<Database> {
        let manager =
            super::postgres::Manager::new(config, tls, alias.clone(), settings.session.clone())?;
        // No connection is opened here: a server that is down fails the first operation (with
        // the driver's reason, after the pool's timeout) rather than the program's start-up.
        let pool = settings
            .apply(
                Pool::builder()
                    .max_size(POSTGRES_POOL_SIZE)
                    .min_idle(Some(0))
                    .connection_timeout(settings.acquire_timeout()),
            )
            .build_unchecked(manager);
        Ok(Database {
            inner: Arc::new(Inner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                alias,
                url: url.to_owned(),
                busy_timeout: settings.busy_timeout(),
                pool: Pools::Postgres(pool),
                writers: Default::default(),
            }),
        })
    }

    /// How many connections its pool holds at most.
    pub fn max_connections(&self) -> u32 {
        match &self.inner.pool {
            Pools::Sqlite(pool) => pool.max_size(),
            #[cfg(feature = "postgres")]
            Pools::Postgres(pool) => pool.max_size(),
        }
    }

    /// SQLite: how long a statement waits for another connection's lock (see
    /// [`DatabaseBuilder::busy_timeout`]).
    pub fn busy_timeout(&self) -> Duration {
        self.inner.busy_timeout
    }

    /// The engine this database runs on.
    pub fn backend(&self) -> Backend {
        match self.inner.pool {
            Pools::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// The alias this database was opened under.
    pub fn alias(&self) -> &str {
        &self.inner.alias
    }

    /// The URL this database was opened from.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// Runs `f` in a transaction on this database, joining (through a savepoint) the transaction
    /// this thread already has open on it. See [`atomic`](super::atomic).
    pub fn atomic<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        transaction::atomic_on(self, f)
    }

    pub(crate) fn id(&self) -> u64 {
        self.inner.id
    }

    /// Waits for this thread's turn to take SQLite's write lock (see [`super::write_queue`]),
    /// up to the busy timeout, after which the database is busy as SQLite would say.
    pub(super) fn write_turn(&self) -> Result<super::write_queue::Turn<'_>> {
        let timeout = self.inner.busy_timeout;
        self.inner
            .writers
            .enter(timeout)
            .ok_or_else(|| super::sqlite_error::busy_after(timeout))
    }

    pub(crate) fn connection(&self) -> Result<Pooled> {
        let failed = |error: r2d2::Error| Error::Pool {
            alias: self.inner.alias.clone(),
            source: Box::new(error),
        };
        Ok(match &self.inner.pool {
            Pools::Sqlite(pool) => Pooled::Sqlite(pool.get().map_err(failed)?),
            #[cfg(feature = "postgres")]
            Pools::Postgres(pool) => Pooled::Postgres(Box::new(pool.get().map_err(failed)?)),
        })
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("alias", &self.inner.alias)
            .field("url", &self.inner.url)
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

enum Target {
    Memory,
    File(String),
    #[cfg(feature = "postgres")]
    Postgres(Box<(postgres::Config, super::postgres::Tls)>),
}

/// Sends [`connection_created`] for a connection a pool just opened.
pub(crate) fn send_connection_created(alias: &str, connection: Connection<'_>) -> Result<()> {
    let backend = connection.backend();
    connection_created
        .send(
            Sender::of::<Backend>(),
            &mut ConnectionCreated {
                using: alias,
                backend,
                connection,
            },
        )
        .map(drop)
}

fn parse_url(url: &str) -> Result<Target> {
    let invalid = |reason| Error::DatabaseUrl {
        url: url.to_owned(),
        reason,
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        return Ok(Target::Postgres(Box::new(super::postgres::config(url)?)));
        #[cfg(not(feature = "postgres"))]
        return Err(invalid(
            "PostgreSQL needs clarion's `postgres` feature: `clarion = { version = \"…\", features = [\"postgres\"] }`",
        ));
    }
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Err(invalid(
            "a database URL starts with `sqlite:` (`sqlite://path/to/file.db`, `sqlite::memory:`) or `postgres://`",
        ));
    };
    let path = rest.strip_prefix("//").unwrap_or(rest);
    match path {
        ":memory:" => Ok(Target::Memory),
        "" => Err(invalid("no file path after `sqlite://`")),
        path => Ok(Target::File(path.to_owned())),
    }
}

/// The registered databases, by alias (Django: `settings.DATABASES`).
static REGISTRY: RwLock<Option<HashMap<String, Database>>> = RwLock::new(None);

/// Makes `database` known under its alias, process-wide; returns the database it replaces.
///
/// ```
/// use clarion::db::{self, Database};
///
/// db::register(Database::open_as("reports", "sqlite::memory:")?);
/// assert_eq!(db::database("reports")?.alias(), "reports");
/// # Ok::<(), clarion::Error>(())
/// ```
pub fn register(database: Database) -> Option<Database> {
    // The map stays consistent even if a holder panicked: every write is a single insert.
    let mut registry = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
    registry
        .get_or_insert_with(HashMap::new)
        .insert(database.alias().to_owned(), database)
}

/// The database registered under `alias`, or [`Error::UnknownDatabase`] naming it.
pub fn database(alias: &str) -> Result<Database> {
    let registry = REGISTRY.read().unwrap_or_else(PoisonError::into_inner);
    match registry.as_ref().and_then(|map| map.get(alias)) {
        Some(database) => Ok(database.clone()),
        None => {
            drop(registry);
            Err(Error::UnknownDatabase {
                alias: alias.to_owned(),
                known: registered_aliases(),
            })
        }
    }
}

/// The database registered as [`DEFAULT_ALIAS`] (`"default"`).
pub fn default() -> Result<Database> {
    database(DEFAULT_ALIAS)
}

/// The aliases of every registered database, sorted.
pub fn registered_aliases() -> Vec<String> {
    let registry = REGISTRY.read().unwrap_or_else(PoisonError::into_inner);
    let mut aliases: Vec<String> = registry
        .as_ref()
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default();
    aliases.sort();
    aliases
}

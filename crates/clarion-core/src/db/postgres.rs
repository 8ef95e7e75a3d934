//! The PostgreSQL backend (feature `postgres`): connections from an `r2d2` pool with a statement
//! cache each, field values bound by the type the server expects, rows read back as model rows,
//! and the server's errors classified by SQLSTATE.

use std::collections::HashMap;
use std::error::Error as StdError;

use bytes::{BufMut, BytesMut};
use postgres::error::SqlState;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};
use r2d2::ManageConnection;
use r2d2_postgres::PostgresConnectionManager;

use super::connection::Connection;
use crate::error::ConstraintKind;
use crate::model::Row;
use crate::value::ValueRef;
use crate::{Error, Result};

type BoxError = Box<dyn StdError + Sync + Send>;

/// How many statements of SQL built at run time (query sets, `IN` lists of each length) a
/// connection keeps prepared before it forgets them all and starts over.
const TEXT_CACHE: usize = 256;

/// A pooled PostgreSQL connection and the statements prepared on it.
pub(crate) struct PgConn {
    pub(crate) client: Client,
    /// Statements of SQL that lives for the whole program (a model's `INSERT`, …), by the
    /// address of its text: no hashing of the text on the write path.
    by_address: HashMap<usize, Statement>,
    /// Statements of SQL built at run time, by text.
    by_text: HashMap<String, Statement>,
}

impl PgConn {
    /// The prepared statement of `sql`, which lives for the whole program.
    pub(crate) fn prepare_static(&mut self, sql: &'static str) -> Result<Statement> {
        let key = sql.as_ptr() as usize;
        if let Some(statement) = self.by_address.get(&key) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.by_address.insert(key, statement.clone());
        Ok(statement)
    }

    /// The prepared statement of `sql`, from the connection's cache.
    pub(crate) fn prepare_cached(&mut self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.by_text.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        if self.by_text.len() >= TEXT_CACHE {
            self.by_text.clear();
        }
        self.by_text.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Forgets every prepared statement: after DDL, a cached plan may describe a table that
    /// changed (PostgreSQL replans, but the cached result types would be stale).
    pub(crate) fn forget_statements(&mut self) {
        self.by_text.clear();
        self.by_address.clear();
    }
}

/// Runs `f`, which uses PostgreSQL connections, from wherever the blocking API was called.
///
/// The `postgres` driver blocks on a runtime of its own (`block_on`), which tokio refuses with a
/// panic on a thread that drives a runtime: `#[tokio::main]`'s, or a worker running a handler.
/// Worse, dropping the connection during that unwind blocks again, panics again, and aborts the
/// process. So:
/// - outside any runtime, and on a runtime's blocking threads (`spawn_blocking`), `f` runs as it
///   is;
/// - on a multi-threaded runtime, `f` runs in `block_in_place`, which hands the thread's other
///   tasks to another worker and leaves the runtime for the duration;
/// - on a single-threaded runtime there is no other worker to hand them to: `block_in_place`
///   refuses, before anything touched a connection, and the call is
///   [`Error::BlockingInAsync`].
pub(crate) fn off_the_runtime<T>(alias: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    use std::panic::{self, AssertUnwindSafe};
    use tokio::runtime::{Handle, RuntimeFlavor};

    let Ok(handle) = Handle::try_current() else {
        return f();
    };
    if handle.runtime_flavor() == RuntimeFlavor::MultiThread {
        return tokio::task::block_in_place(f);
    }
    // A single-threaded runtime's handle is also current on its `spawn_blocking` threads, where
    // blocking is fine and `block_in_place` just runs `f`: only trying tells the two apart.
    let started = std::cell::Cell::new(false);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        tokio::task::block_in_place(|| {
            started.set(true);
            f()
        })
    }));
    match outcome {
        Ok(result) => result,
        Err(_) if !started.get() => Err(Error::BlockingInAsync {
            alias: alias.to_owned(),
        }),
        Err(payload) => panic::resume_unwind(payload),
    }
}

/// A string or key of `json` that holds the NUL character, which `jsonb` cannot hold (the server
/// refuses `\u0000` and aborts the transaction). Walks the value with a stack of its own: a value
/// built in code may be nested deeper than the thread's stack allows recursion.
pub(crate) fn nul_in_json(json: &serde_json::Value) -> Option<&str> {
    use serde_json::Value as Json;
    let mut pending = match json {
        Json::String(text) => return text.contains('\0').then_some(text.as_str()),
        Json::Array(_) | Json::Object(_) => vec![json],
        _ => return None,
    };
    while let Some(value) = pending.pop() {
        match value {
            Json::String(text) if text.contains('\0') => return Some(text),
            Json::Array(items) => pending.extend(items),
            Json::Object(map) => {
                for (key, item) in map {
                    if key.contains('\0') {
                        return Some(key);
                    }
                    pending.push(item);
                }
            }
            _ => {}
        }
    }
    None
}

/// How clarion begins a transaction on PostgreSQL. The marker tells later whether the server is
/// still in this transaction: a `SET LOCAL` lasts exactly as long as the transaction (see
/// `PgHeld::left_transaction`).
pub(crate) const BEGIN: &str = "BEGIN; SET LOCAL clarion.open = 'on'";

/// The server's message when a prepared statement's result columns changed type since it was
/// prepared (another client's `ALTER TABLE … ALTER COLUMN … TYPE`), under SQLSTATE 0A000.
const STALE_PLAN: &str = "cached plan must not change result type";

/// Whether the server refused a prepared statement because a table it reads changed under it:
/// the statement, and any other prepared on the connection before the change, can only work
/// again prepared afresh.
pub(crate) fn is_stale_plan(error: &postgres::Error) -> bool {
    error.as_db_error().is_some_and(|db| {
        *db.code() == SqlState::FEATURE_NOT_SUPPORTED && db.message() == STALE_PLAN
    })
}

/// Whether a batch of SQL may change a table that a cached statement reads (DDL). Errs towards
/// yes: forgetting the cache costs one `PREPARE` per statement, keeping a stale one fails it.
pub(crate) fn may_change_schema(sql: &str) -> bool {
    let sql = sql.to_ascii_lowercase();
    ["alter", "drop", "create", "truncate", "rename"]
        .iter()
        .any(|word| sql.contains(word))
}

/// The pool's connection manager: `r2d2_postgres`'s, plus a statement cache per connection and
/// the [`connection_created`] signal.
pub(crate) struct Manager {
    inner: Connector,
    alias: String,
    /// `(name, value)` of each session setting, set on every new connection.
    session: Vec<(String, String)>,
}

/// How the pool connects: in the clear, or with TLS.
enum Connector {
    Plain(PostgresConnectionManager<NoTls>),
    #[cfg(feature = "postgres-tls")]
    Tls(PostgresConnectionManager<tokio_postgres_rustls::MakeRustlsConnect>),
}

/// What the URL's `sslmode` asks of TLS, beyond the driver's own handling of `disable`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TlsMode {
    /// `prefer`, `require`: encrypted, the certificate not checked (as libpq without a root
    /// certificate).
    Encrypt,
    /// `verify-ca`: signed by a trusted authority.
    VerifyCa,
    /// `verify-full`: signed by a trusted authority, for this host.
    VerifyFull,
}

/// The parts of a PostgreSQL URL clarion reads itself: `sslmode` and `sslrootcert`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tls {
    mode: Option<TlsMode>,
    root_cert: Option<String>,
}

impl Manager {
    pub(crate) fn new(
        config: postgres::Config,
        tls: &Tls,
        alias: String,
        session: Vec<(String, String)>,
    ) -> Result<Self> {
        let inner = match tls.mode {
            None => Connector::Plain(PostgresConnectionManager::new(config, NoTls)),
            #[cfg(feature = "postgres-tls")]
            Some(mode) => Connector::Tls(PostgresConnectionManager::new(
                config,
                super::postgres_tls::connector(mode, tls.root_cert.as_deref())?,
            )),
            #[cfg(not(feature = "postgres-tls"))]
            Some(_) => unreachable!("refused by `config` without the feature"),
        };
        Ok(Manager {
            inner,
            alias,
            session,
        })
    }
}

impl ManageConnection for Manager {
    type Connection = PgConn;
    type Error = Error;

    fn connect(&self) -> Result<PgConn> {
        // Not `ConnectionLost`: there was no connection to lose.
        let connected = match &self.inner {
            Connector::Plain(manager) => manager.connect(),
            #[cfg(feature = "postgres-tls")]
            Connector::Tls(manager) => manager.connect(),
        };
        let mut client = connected.map_err(|error| Error::Database {
            source: Box::new(ServerError(error)),
        })?;
        for (name, value) in &self.session {
            client.batch_execute(&super::options::set_statement(name, value))?;
        }
        super::database::send_connection_created(&self.alias, Connection::postgres(&mut client))?;
        Ok(PgConn {
            client,
            by_address: HashMap::new(),
            by_text: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<()> {
        conn.client.simple_query("")?;
        Ok(())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}

/// Parses a `postgres://` or `postgresql://` URL: its `sslmode` (libpq's `disable`, `allow`,
/// `prefer`, `require`, `verify-ca`, `verify-full`) and `sslrootcert` here, the rest by the
/// driver.
pub(crate) fn config(url: &str) -> Result<(postgres::Config, Tls)> {
    use postgres::config::SslMode;
    let invalid = |reason| Error::DatabaseUrl {
        url: url.to_owned(),
        reason,
    };
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut tls = Tls::default();
    let mut ssl_mode = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=').unwrap_or((pair, "")) {
            ("sslmode", mode) => {
                let (driver, wanted) = match mode {
                    "disable" => (SslMode::Disable, None),
                    "allow" | "prefer" => (SslMode::Prefer, Some(TlsMode::Encrypt)),
                    "require" => (SslMode::Require, Some(TlsMode::Encrypt)),
                    "verify-ca" => (SslMode::Require, Some(TlsMode::VerifyCa)),
                    "verify-full" => (SslMode::Require, Some(TlsMode::VerifyFull)),
                    _ => {
                        return Err(invalid(
                            "`sslmode` is one of disable, allow, prefer, require, verify-ca, verify-full",
                        ));
                    }
                };
                ssl_mode = Some(driver);
                tls.mode = wanted;
            }
            ("sslrootcert", path) => tls.root_cert = Some(path.to_owned()),
            _ => rest.push(pair),
        }
    }
    if tls.mode.is_some() && !cfg!(feature = "postgres-tls") {
        return Err(invalid(
            "TLS to PostgreSQL needs clarion's `postgres-tls` feature: `clarion = { version = \"…\", features = [\"postgres-tls\"] }`",
        ));
    }
    if tls.root_cert.is_some() && !matches!(tls.mode, Some(TlsMode::VerifyCa | TlsMode::VerifyFull))
    {
        return Err(invalid(
            "`sslrootcert` goes with `sslmode=verify-ca` or `sslmode=verify-full`",
        ));
    }
    let driver_url = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    let mut config = driver_url
        .parse::<postgres::Config>()
        .map_err(|error| invalid(leak_reason(error)))?;
    if let Some(mode) = ssl_mode {
        config.ssl_mode(mode);
    }
    Ok((config, tls))
}

/// `Error::DatabaseUrl` holds a `&'static str`; the driver's reasons are a handful of fixed
/// messages, so the few distinct ones are kept for the life of the program.
fn leak_reason(error: postgres::Error) -> &'static str {
    use std::sync::Mutex;
    static SEEN: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let text = error.to_string();
    let mut seen = SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = seen.iter().find(|known| **known == text) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.into_boxed_str());
    seen.push(leaked);
    leaked
}

/// A field value bound as a parameter, converted to the type the server expects for it: the
/// same `i64` binds an `integer`, a `bigint` or a `smallint` column (range-checked), so tables
/// created by hand or by Django work as well as those `migrate()` creates.
#[derive(Debug)]
pub(crate) enum Param {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
    Json(String),
    #[cfg(feature = "chrono")]
    Date(chrono::NaiveDate),
    #[cfg(feature = "chrono")]
    DateTime(chrono::NaiveDateTime),
    #[cfg(feature = "chrono")]
    DateTimeUtc(chrono::DateTime<chrono::Utc>),
    #[cfg(feature = "uuid")]
    Uuid(uuid::Uuid),
}

impl Param {
    pub(crate) fn new(value: ValueRef<'_>) -> Self {
        match value {
            ValueRef::Null => Param::Null,
            ValueRef::Bool(b) => Param::Bool(b),
            ValueRef::Int(i) => Param::Int(i),
            ValueRef::Float(f) => Param::Float(f),
            ValueRef::Text(s) => Param::Text(s.to_owned()),
            ValueRef::Bytes(b) => Param::Bytes(b.to_vec()),
            ValueRef::Json(j) => Param::Json(j.to_string()),
            #[cfg(feature = "chrono")]
            ValueRef::Date(d) => Param::Date(d),
            #[cfg(feature = "chrono")]
            ValueRef::DateTime(d) => Param::DateTime(d),
            #[cfg(feature = "chrono")]
            ValueRef::DateTimeUtc(d) => Param::DateTimeUtc(d),
            #[cfg(feature = "uuid")]
            ValueRef::Uuid(u) => Param::Uuid(u),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Param::Null => "null",
            Param::Bool(_) => "bool",
            Param::Int(_) => "integer",
            Param::Float(_) => "float",
            Param::Text(_) => "text",
            Param::Bytes(_) => "bytes",
            Param::Json(_) => "JSON",
            #[cfg(feature = "chrono")]
            Param::Date(_) => "date",
            #[cfg(feature = "chrono")]
            Param::DateTime(_) | Param::DateTimeUtc(_) => "datetime",
            #[cfg(feature = "uuid")]
            Param::Uuid(_) => "uuid",
        }
    }
}

fn is_text(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    )
}

fn mismatch(param: &Param, ty: &Type) -> BoxError {
    format!(
        "cannot bind a {} value to a parameter of type `{ty}`",
        param.kind()
    )
    .into()
}

fn int_to<T: TryFrom<i64>>(i: i64, ty: &Type) -> std::result::Result<T, BoxError> {
    T::try_from(i).map_err(|_| format!("{i} is out of range for type `{ty}`").into())
}

impl ToSql for Param {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match (self, ty) {
            (Param::Null, _) => Ok(IsNull::Yes),
            (Param::Int(i), &Type::INT8) => i.to_sql(ty, out),
            (Param::Int(i), &Type::INT4) => int_to::<i32>(*i, ty)?.to_sql(ty, out),
            (Param::Int(i), &Type::INT2) => int_to::<i16>(*i, ty)?.to_sql(ty, out),
            (Param::Int(i), &Type::OID) => int_to::<u32>(*i, ty)?.to_sql(ty, out),
            (Param::Int(i), &Type::FLOAT8) => (*i as f64).to_sql(ty, out),
            (Param::Int(i), &Type::BOOL) => (*i != 0).to_sql(ty, out),
            (Param::Int(i), ty) if is_text(ty) => i.to_string().as_str().to_sql(ty, out),
            (Param::Bool(b), &Type::BOOL) => b.to_sql(ty, out),
            (Param::Bool(b), &Type::INT8 | &Type::INT4 | &Type::INT2) => {
                Param::Int(i64::from(*b)).to_sql(ty, out)
            }
            (Param::Float(f), &Type::FLOAT8) => f.to_sql(ty, out),
            (Param::Float(f), &Type::FLOAT4) => (*f as f32).to_sql(ty, out),
            (Param::Float(f), ty) if is_text(ty) => f.to_string().as_str().to_sql(ty, out),
            (Param::Text(s), ty) if is_text(ty) => s.as_str().to_sql(ty, out),
            (Param::Text(s) | Param::Json(s), &Type::JSON) => {
                out.put_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            (Param::Text(s) | Param::Json(s), &Type::JSONB) => {
                // The binary form of `jsonb` is a version byte, then the text.
                out.put_u8(1);
                out.put_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            (Param::Json(s), ty) if is_text(ty) => s.as_str().to_sql(ty, out),
            (Param::Bytes(b), &Type::BYTEA) => b.as_slice().to_sql(ty, out),
            #[cfg(feature = "chrono")]
            (Param::Date(d), &Type::DATE) => d.to_sql(ty, out),
            #[cfg(feature = "chrono")]
            (Param::DateTime(d), &Type::TIMESTAMP) => d.to_sql(ty, out),
            #[cfg(feature = "chrono")]
            (Param::DateTime(d), &Type::TIMESTAMPTZ) => d.and_utc().to_sql(ty, out),
            #[cfg(feature = "chrono")]
            (Param::DateTimeUtc(d), &Type::TIMESTAMPTZ) => d.to_sql(ty, out),
            #[cfg(feature = "chrono")]
            (Param::DateTimeUtc(d), &Type::TIMESTAMP) => d.naive_utc().to_sql(ty, out),
            #[cfg(feature = "uuid")]
            (Param::Uuid(u), &Type::UUID) => u.to_sql(ty, out),
            #[cfg(feature = "uuid")]
            (Param::Uuid(u), ty) if is_text(ty) => u.simple().to_string().as_str().to_sql(ty, out),
            (param, ty) => Err(mismatch(param, ty)),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Every combination is decided, and refused with a clear message, in `to_sql`.
        true
    }

    to_sql_checked!();
}

/// One column of a PostgreSQL row, borrowed from it, as a model value.
struct Cell<'a>(ValueRef<'a>);

impl<'a> FromSql<'a> for Cell<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        Ok(Cell(match *ty {
            Type::INT8 => ValueRef::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => ValueRef::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => ValueRef::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::OID => ValueRef::Int(i64::from(u32::from_sql(ty, raw)?)),
            Type::FLOAT8 => ValueRef::Float(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => ValueRef::Float(f64::from(f32::from_sql(ty, raw)?)),
            Type::BOOL => ValueRef::Bool(bool::from_sql(ty, raw)?),
            Type::BYTEA => ValueRef::Bytes(<&[u8]>::from_sql(ty, raw)?),
            // Read as text: a JSON field parses it, as it does SQLite's.
            Type::JSON => ValueRef::Text(std::str::from_utf8(raw)?),
            Type::JSONB => match raw.split_first() {
                Some((1, text)) => ValueRef::Text(std::str::from_utf8(text)?),
                _ => return Err("unsupported jsonb version".into()),
            },
            #[cfg(feature = "chrono")]
            Type::DATE => ValueRef::Date(chrono::NaiveDate::from_sql(ty, raw)?),
            #[cfg(feature = "chrono")]
            Type::TIMESTAMP => ValueRef::DateTime(chrono::NaiveDateTime::from_sql(ty, raw)?),
            #[cfg(feature = "chrono")]
            Type::TIMESTAMPTZ => ValueRef::DateTimeUtc(chrono::DateTime::from_sql(ty, raw)?),
            #[cfg(feature = "uuid")]
            Type::UUID => ValueRef::Uuid(uuid::Uuid::from_sql(ty, raw)?),
            ref ty if is_text(ty) => ValueRef::Text(<&str>::from_sql(ty, raw)?),
            ref ty => {
                return Err(format!(
                    "clarion cannot read a column of type `{ty}` (cast it in the SQL, e.g. to text)"
                )
                .into());
            }
        }))
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxError> {
        Ok(Cell(ValueRef::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A PostgreSQL row, read as a model row.
pub(crate) struct PgRow<'a>(pub(crate) &'a postgres::Row);

impl Row for PgRow<'_> {
    fn value(&self, index: usize) -> Result<ValueRef<'_>> {
        Ok(self.0.try_get::<_, Cell<'_>>(index)?.0)
    }
}

/// Binds every parameter as a `&dyn ToSql`, as the driver takes them.
pub(crate) fn refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// The driver's error, shown with the server's message, SQLSTATE and detail (the driver's own
/// text is only "db error"); the driver's error is its `source`.
#[derive(Debug)]
pub(crate) struct ServerError(pub(crate) postgres::Error);

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_db_error() {
            Some(db) => {
                write!(f, "{} (SQLSTATE {})", db.message(), db.code().code())?;
                if let Some(detail) = db.detail() {
                    write!(f, ": {detail}")?;
                }
                if is_stale_plan(&self.0) {
                    // Only the first statement of a transaction is run again on its own.
                    f.write_str(
                        ": a table this statement reads was changed by another connection \
                         (ALTER TABLE) after the statement was prepared, and the statement came \
                         after others in its transaction, so it could not be run again; the \
                         connection's prepared statements were dropped, so running the \
                         transaction again works",
                    )?;
                }
                Ok(())
            }
            // "error connecting to server", and the reason below it.
            None => match self.0.source() {
                Some(cause) => write!(f, "{}: {cause}", self.0),
                None => self.0.fmt(f),
            },
        }
    }
}

impl StdError for ServerError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.0)
    }
}

impl From<postgres::Error> for Error {
    fn from(error: postgres::Error) -> Self {
        let Some(db) = error.as_db_error() else {
            if error.is_closed() || error.source().is_some_and(|s| s.is::<std::io::Error>()) {
                return Error::ConnectionLost {
                    detail: error.to_string(),
                    source: Box::new(ServerError(error)),
                };
            }
            return Error::Database {
                source: Box::new(ServerError(error)),
            };
        };
        let code = db.code().clone();
        let detail = match db.detail() {
            Some(more) => format!("{}: {more}", db.message()),
            None => db.message().to_owned(),
        };
        let kind = match code {
            SqlState::UNIQUE_VIOLATION => Some(ConstraintKind::Unique),
            SqlState::NOT_NULL_VIOLATION => Some(ConstraintKind::NotNull),
            SqlState::FOREIGN_KEY_VIOLATION => Some(ConstraintKind::ForeignKey),
            SqlState::CHECK_VIOLATION => Some(ConstraintKind::Check),
            SqlState::EXCLUSION_VIOLATION | SqlState::INTEGRITY_CONSTRAINT_VIOLATION => {
                Some(ConstraintKind::Other)
            }
            _ => None,
        };
        if let Some(mut kind) = kind {
            // The same shape as SQLite's `table.column`, where the server names a column or its
            // detail gives the key's columns (`Key (slug)=(a) already exists.`); else the
            // constraint's name.
            let key_columns = db.detail().and_then(key_columns);
            let constraint = match (db.table(), db.column(), key_columns, db.constraint()) {
                (Some(table), Some(column), _, _) => Some(format!("{table}.{column}")),
                (Some(table), None, Some(columns), _) if kind == ConstraintKind::Unique => Some(
                    columns
                        .iter()
                        .map(|column| format!("{table}.{column}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                (_, _, _, Some(name)) => Some(name.to_owned()),
                _ => None,
            };
            // `<table>_pkey` is PostgreSQL's name for the primary key's constraint (the only one
            // `migrate` creates, and what Django's tables have).
            if kind == ConstraintKind::Unique
                && let (Some(table), Some(name)) = (db.table(), db.constraint())
                && name == format!("{table}_pkey")
            {
                kind = ConstraintKind::PrimaryKey;
            }
            return Error::Integrity {
                kind,
                constraint,
                detail,
                source: Box::new(ServerError(error)),
            };
        }
        match code {
            SqlState::T_R_SERIALIZATION_FAILURE | SqlState::T_R_DEADLOCK_DETECTED => {
                Error::Serialization {
                    detail,
                    source: Box::new(ServerError(error)),
                }
            }
            SqlState::ADMIN_SHUTDOWN
            | SqlState::CRASH_SHUTDOWN
            | SqlState::CANNOT_CONNECT_NOW
            | SqlState::CONNECTION_FAILURE
            | SqlState::CONNECTION_EXCEPTION => Error::ConnectionLost {
                detail,
                source: Box::new(ServerError(error)),
            },
            SqlState::UNDEFINED_TABLE => {
                // `relation "post" does not exist`
                let table = db
                    .message()
                    .split('"')
                    .nth(1)
                    .unwrap_or(db.message())
                    .to_owned();
                Error::MissingTable {
                    table,
                    source: Box::new(ServerError(error)),
                }
            }
            SqlState::UNDEFINED_COLUMN => match undefined_column(db.message()) {
                Some((table, column)) => Error::MissingColumn {
                    table,
                    column,
                    source: Box::new(ServerError(error)),
                },
                None => Error::Database {
                    source: Box::new(ServerError(error)),
                },
            },
            _ => Error::Database {
                source: Box::new(ServerError(error)),
            },
        }
    }
}

/// The table (when named) and column of the server's messages for SQLSTATE `42703`:
/// `column "views" of relation "post" does not exist` (insert, update), `column "views" does
/// not exist` (read) or `column post.views does not exist` (a qualified name).
fn undefined_column(message: &str) -> Option<(Option<String>, String)> {
    let rest = message.strip_prefix("column ")?;
    if let Some(rest) = rest.strip_prefix('"') {
        let (column, rest) = rest.split_once('"')?;
        let table = rest
            .strip_prefix(" of relation \"")
            .and_then(|rest| rest.split_once('"'))
            .map(|(table, _)| table.to_owned());
        return Some((table, column.to_owned()));
    }
    let (name, _) = rest.split_once(" does not exist")?;
    Some(match name.rsplit_once('.') {
        Some((table, column)) => (Some(table.to_owned()), column.to_owned()),
        None => (None, name.to_owned()),
    })
}

/// The columns of a key named in a violation's detail, `Key (a, b)=(1, 2) already exists.`;
/// `None` for an expression (`Key (lower(name))=…`), whose text is not a column list.
fn key_columns(detail: &str) -> Option<Vec<String>> {
    let rest = detail.strip_prefix("Key (")?;
    let (columns, _) = rest.split_once(")=(")?;
    let columns: Vec<String> = columns
        .split(", ")
        .map(|c| c.trim_matches('"').to_owned())
        .collect();
    columns
        .iter()
        .all(|c| !c.is_empty() && !c.contains('('))
        .then_some(columns)
}

/// Whether a failed statement left the server-side transaction aborted: every error the server
/// reports does, until the transaction or the enclosing savepoint is rolled back. An error raised
/// before the statement reached the server (binding a value) does not.
pub(crate) fn aborts_transaction(error: &Error) -> bool {
    match error {
        Error::Integrity { source, .. }
        | Error::MissingTable { source, .. }
        | Error::MissingColumn { source, .. }
        | Error::Busy { source, .. }
        | Error::Serialization { source, .. }
        | Error::ConnectionLost { source, .. }
        | Error::Database { source } => source
            .downcast_ref::<ServerError>()
            .is_some_and(|ServerError(e)| e.as_db_error().is_some() || e.is_closed()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::key_columns;

    #[test]
    fn ddl_forgets_the_statement_cache_and_other_sql_keeps_it() {
        assert!(super::may_change_schema(
            "ALTER TABLE post ADD COLUMN x int"
        ));
        assert!(super::may_change_schema("create index i on t (c)"));
        assert!(!super::may_change_schema("SET application_name = 'web'"));
        assert!(!super::may_change_schema(
            "UPDATE tag SET posts = (SELECT count(*) FROM post_tags)"
        ));
    }

    #[test]
    fn the_table_and_column_of_an_undefined_column() {
        let read = |message| super::undefined_column(message);
        assert_eq!(
            read("column \"views\" of relation \"post\" does not exist"),
            Some((Some("post".to_owned()), "views".to_owned()))
        );
        assert_eq!(
            read("column \"views\" does not exist"),
            Some((None, "views".to_owned()))
        );
        assert_eq!(
            read("column post.views does not exist"),
            Some((Some("post".to_owned()), "views".to_owned()))
        );
        assert_eq!(read("syntax error at or near \"x\""), None);
    }

    #[test]
    fn the_key_columns_of_a_violation_detail() {
        assert_eq!(
            key_columns("Key (slug)=(a) already exists."),
            Some(vec!["slug".to_owned()])
        );
        assert_eq!(
            key_columns("Key (a, \"b c\")=(1, 2) already exists."),
            Some(vec!["a".to_owned(), "b c".to_owned()])
        );
        assert_eq!(key_columns("Key (lower(name))=(x) already exists."), None);
        assert_eq!(key_columns("Failing row contains (1)."), None);
    }
}

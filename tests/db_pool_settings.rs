//! `Database::builder`: pool sizes and timeouts, SQLite's busy timeout and PostgreSQL's session
//! options, from code and from the URL's query string, with today's defaults kept.
//! `tests/postgres_db_pool_settings.rs` runs the same on PostgreSQL.

#[path = "support/backend.rs"]
mod backend;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use clarion::db::{self, Backend, Database};
use clarion::{Error, Value};

/// The URL of a fresh database of this binary's backend (a SQLite file, or a schema of its own).
fn url(name: &str) -> (String, Option<tempfile::TempDir>) {
    match backend::backend() {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!(
                "sqlite://{}",
                dir.path().join(format!("{name}.db")).display()
            );
            (url, Some(dir))
        }
        _ => {
            let alias = backend::register(name);
            (db::database(alias).unwrap().url().to_owned(), None)
        }
    }
}

/// `url` with more query parameters.
fn with(url: &str, query: &str) -> String {
    format!("{url}{}{query}", if url.contains('?') { "&" } else { "?" })
}

#[test]
fn defaults_are_unchanged() {
    let (url, _dir) = url("pool_defaults");
    let database = Database::open_as("pool_defaults", &url).unwrap();
    let expected = match backend::backend() {
        Backend::Sqlite => 8,
        _ => db::POSTGRES_POOL_SIZE,
    };
    assert_eq!(database.max_connections(), expected);
    assert_eq!(database.busy_timeout(), db::BUSY_TIMEOUT);
    let memory = Database::open_as("pool_memory", "sqlite::memory:").unwrap();
    assert_eq!(memory.max_connections(), 1);
}

#[test]
fn settings_come_from_the_url_and_code_wins_over_it() {
    let (url, _dir) = url("pool_url");
    let database = Database::builder(&with(
        &url,
        "max_connections=3&min_idle=1&busy_timeout=250ms",
    ))
    .alias("pool_url")
    .build()
    .unwrap();
    assert_eq!(database.max_connections(), 3);
    assert_eq!(database.busy_timeout(), Duration::from_millis(250));
    database
        .atomic(|tx| tx.query_values("SELECT 1", &[]))
        .unwrap();

    let database = Database::builder(&with(&url, "max_connections=3"))
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(1))
        .max_lifetime(None)
        .idle_timeout(Some(Duration::from_secs(60)))
        .build()
        .unwrap();
    assert_eq!(database.max_connections(), 5, "the builder's setting wins");
}

#[test]
fn bad_settings_are_refused_with_the_reason() {
    let (url, _dir) = url("pool_bad");
    for (query, reason) in [
        ("max_connections=many", "whole number"),
        ("busy_timeout=soon", "duration"),
    ] {
        let error = Database::open_as("pool_bad", &with(&url, query)).unwrap_err();
        assert!(
            matches!(&error, Error::DatabaseUrl { reason: r, .. } if r.contains(reason)),
            "{query}: {error}"
        );
    }
    let error = Database::builder("sqlite::memory:")
        .max_connections(2)
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("one connection"), "{error}");
    if backend::backend() == Backend::Sqlite {
        let error = Database::open_as("pool_bad", &with(&url, "journal=wal")).unwrap_err();
        assert!(error.to_string().contains("busy_timeout"), "{error}");
    }
    let error = Database::builder(&url)
        .session_option("statement_timeout; DROP TABLE x", "1")
        .build()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("not the name of a PostgreSQL setting"),
        "{error}"
    );
}

#[test]
fn a_sqlite_busy_timeout_of_its_own_is_waited_and_reported() {
    if backend::backend() != Backend::Sqlite {
        // PostgreSQL locks rows, not the database: it has no busy timeout.
        return;
    }
    let (url, _dir) = url("pool_busy");
    let database = Database::builder(&url)
        .alias("pool_busy")
        .busy_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    database
        .atomic(|tx| tx.execute_batch("CREATE TABLE t (x INTEGER)"))
        .unwrap();
    let (locked, wait) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let holder = {
        let database = database.clone();
        thread::spawn(move || {
            database.atomic(|tx| {
                tx.execute_values("INSERT INTO t VALUES (1)", &[])?;
                locked.send(()).unwrap();
                released.recv().unwrap();
                Ok(())
            })
        })
    };
    wait.recv().unwrap();
    let began = Instant::now();
    let error = database
        .atomic(|tx| tx.execute_values("INSERT INTO t VALUES (2)", &[]))
        .unwrap_err();
    let waited = began.elapsed();
    release.send(()).unwrap();
    holder.join().unwrap().unwrap();
    assert!(
        matches!(error, Error::Busy { waited: Some(w), .. } if w == Duration::from_millis(300)),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("stayed locked for 0.3 s"),
        "{error}"
    );
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "waited {waited:?}"
    );
    let rows = database
        .atomic(|tx| tx.query_values("SELECT x FROM t", &[]))
        .unwrap();
    assert_eq!(rows, [vec![Value::Int(1)]]);
}

#[test]
fn postgres_session_options_are_set_on_every_connection() {
    if backend::backend() != Backend::Postgres {
        return;
    }
    let (url, _dir) = url("pool_session");
    let database = Database::builder(&url)
        .alias("pool_session_options")
        .session_option("statement_timeout", "1234ms")
        .session_option("application_name", "clarion's test")
        .max_connections(2)
        .build()
        .unwrap();
    for _ in 0..3 {
        let rows = database
            .atomic(|tx| {
                tx.query_values(
                    "SELECT current_setting('statement_timeout'), current_setting('application_name')",
                    &[],
                )
            })
            .unwrap();
        assert_eq!(
            rows,
            [vec![Value::from("1234ms"), Value::from("clarion's test")]]
        );
    }
    // The driver's own URL options still reach it.
    let database =
        Database::open_as("pool_session_url", &with(&url, "application_name=from-url")).unwrap();
    let rows = database
        .atomic(|tx| tx.query_values("SELECT current_setting('application_name')", &[]))
        .unwrap();
    assert_eq!(rows, [vec![Value::from("from-url")]]);
}

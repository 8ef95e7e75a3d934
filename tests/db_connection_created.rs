//! `connection_created`: sent once for each connection a pool opens, with the alias and the
//! backend, before any transaction runs on it; a receiver can set session options that then hold
//! for every transaction on that connection; a failing receiver fails the operation that needed
//! the connection, clearly. Runs on SQLite here and on PostgreSQL as
//! `tests/postgres_db_connection_created.rs`.

use std::sync::Mutex;

use clarion::Value;
use clarion::db::{self, Backend, Connection, connection_created};
use clarion::prelude::*;

#[path = "support/backend.rs"]
mod backend;

/// Every connection opened, by alias: `(alias, backend)`.
static OPENED: Mutex<Vec<(String, Backend)>> = Mutex::new(Vec::new());

fn opened(alias: &str) -> Vec<Backend> {
    OPENED
        .lock()
        .unwrap()
        .iter()
        .filter(|(a, _)| a == alias)
        .map(|(_, b)| *b)
        .collect()
}

#[receiver(connection_created)]
fn record(using: &str, backend: Backend) {
    OPENED.lock().unwrap().push((using.to_owned(), backend));
}

/// A session option, set on each new connection of the alias `cc_session`.
#[receiver(connection_created)]
fn session_option(using: &str, connection: &mut Connection<'_>) -> clarion::Result<()> {
    if using != "cc_session" {
        return Ok(());
    }
    match connection.backend() {
        Backend::Sqlite => connection.execute_batch("PRAGMA cache_size = -4321"),
        _ => connection.execute_batch("SET application_name = 'clarion-session'"),
    }
}

#[receiver(connection_created)]
fn refuse(using: &str) -> clarion::Result<()> {
    if using == "cc_refused" {
        return Err(clarion::Error::msg("no connections for cc_refused today"));
    }
    Ok(())
}

#[test]
fn sent_once_per_new_connection_with_the_alias_and_backend() {
    let alias = backend::register("cc_once");
    assert!(
        opened(alias).is_empty(),
        "nothing is opened before it is needed"
    );
    for _ in 0..5 {
        db::atomic_using(alias, |tx| tx.query_values("SELECT 1", &[])).unwrap();
    }
    // One thread, one block at a time: the pool hands the same connection back each time.
    assert_eq!(opened(alias), vec![backend::backend()]);
}

#[test]
fn a_receiver_sets_session_options_that_every_transaction_sees() {
    let alias = backend::register("cc_session");
    let sql = match backend::backend() {
        Backend::Sqlite => "PRAGMA cache_size",
        _ => "SELECT current_setting('application_name')",
    };
    let expected = match backend::backend() {
        Backend::Sqlite => Value::Int(-4321),
        _ => Value::from("clarion-session"),
    };
    for _ in 0..3 {
        let rows = db::atomic_using(alias, |tx| tx.query_values(sql, &[])).unwrap();
        assert_eq!(rows, vec![vec![expected.clone()]]);
    }
}

#[test]
fn a_failing_receiver_fails_the_operation_that_needed_the_connection() {
    let alias = backend::register("cc_refused");
    let error = db::atomic_using(alias, |_| Ok(())).unwrap_err();
    assert!(
        matches!(error, clarion::Error::Pool { ref alias, .. } if alias == "cc_refused"),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("no connections for cc_refused today"),
        "the receiver's error reaches the caller: {error}"
    );
}

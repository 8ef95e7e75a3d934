//! SQL the caller writes, on either backend: `execute_values` and `query_values` take `$1`-style
//! placeholders and `Value`s, and read rows back as `Value`s; the `rusqlite`-typed methods say
//! clearly that they are SQLite's. Runs on SQLite here and on PostgreSQL as
//! `tests/postgres_db_values.rs`.

use clarion::db::{self, Backend};
use clarion::{Error, Value};

#[path = "support/backend.rs"]
mod backend;

fn table(alias: &str) -> &str {
    backend::register(alias);
    db::atomic_using(alias, |tx| {
        tx.execute_batch(
            "CREATE TABLE reading (name TEXT PRIMARY KEY, n BIGINT NOT NULL, x DOUBLE PRECISION, \
             note TEXT)",
        )
    })
    .unwrap();
    alias
}

#[test]
fn values_round_trip_with_the_same_placeholders_on_both_backends() {
    let alias = table("values_round_trip");
    let rows = db::atomic_using(alias, |tx| {
        let written = tx.execute_values(
            "INSERT INTO reading (name, n, x, note) VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)",
            &[
                "it's".into(),
                Value::Int(i64::MIN),
                Value::Float(0.5),
                Value::Null,
                "$1 stays text".into(),
                Value::Int(7),
                Value::Float(-2.25),
                "'$2' too".into(),
            ],
        )?;
        assert_eq!(written, 2);
        // A `$n` inside quotes is text, not a placeholder, on both backends.
        tx.query_values(
            "SELECT name, n, x, note, '$9' FROM reading WHERE n < $1 ORDER BY n",
            &[Value::Int(100)],
        )
    })
    .unwrap();
    assert_eq!(
        rows,
        vec![
            vec![
                Value::from("it's"),
                Value::Int(i64::MIN),
                Value::Float(0.5),
                Value::Null,
                Value::from("$9"),
            ],
            vec![
                Value::from("$1 stays text"),
                Value::Int(7),
                Value::Float(-2.25),
                Value::from("'$2' too"),
                Value::from("$9"),
            ],
        ]
    );
}

#[test]
fn a_wrong_number_of_values_is_refused_and_nothing_is_written() {
    let alias = table("values_count");
    for params in [
        vec![Value::from("one")],
        vec!["a".into(), 1.into(), 2.into()],
    ] {
        let outcome = db::atomic_using(alias, |tx| {
            tx.execute_values("INSERT INTO reading (name, n) VALUES ($1, $2)", &params)
        });
        let error = outcome.unwrap_err();
        assert!(matches!(error, Error::Database { .. }), "{error:?}");
    }
    let count = db::atomic_using(alias, |tx| {
        tx.query_values("SELECT count(*) FROM reading", &[])
    })
    .unwrap();
    assert_eq!(count, vec![vec![Value::Int(0)]]);
}

#[test]
fn the_rusqlite_typed_methods_are_sqlites() {
    let alias = table("values_rusqlite");
    let outcome = db::atomic_using(alias, |tx| {
        tx.execute("INSERT INTO reading (name, n) VALUES (?1, ?2)", ("a", 1))
    });
    match backend::backend() {
        Backend::Sqlite => assert_eq!(outcome.unwrap(), 1),
        _ => {
            let error = outcome.unwrap_err();
            assert!(
                matches!(
                    error,
                    Error::WrongBackend {
                        api: "Transaction::execute",
                        backend: Backend::Postgres,
                        ..
                    }
                ),
                "{error:?}"
            );
            assert!(error.to_string().contains("execute_values"), "{error}");
        }
    }
}

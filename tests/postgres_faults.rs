//! Faults only a database server has: a connection killed in the middle of a transaction, a
//! serialization failure between two transactions, the server's constraint errors; each must
//! give a clear `clarion::Error`, leave nothing half-written, and leave the pool usable.
//! PostgreSQL only (see `tests/support/backend.rs`: without a server its tests fail, unless
//! `CLARION_TEST_POSTGRES=skip` skips them explicitly).

use std::sync::mpsc;
use std::thread;

use clarion::db::{self, Backend};
use clarion::prelude::*;
use clarion::{Error, Value};

#[path = "support/backend.rs"]
mod backend;

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "faults")]
pub struct Account {
    pub id: Option<i64>,
    #[model(unique, max_length = 40)]
    pub owner: String,
    pub balance: i64,
}

fn database(alias: &str) -> &str {
    assert_eq!(backend::backend(), Backend::Postgres);
    backend::register(alias);
    clarion::migrate_using(alias).unwrap();
    alias
}

fn account(owner: &str, balance: i64, using: &str) -> Account {
    let mut account = Account {
        id: None,
        owner: owner.to_owned(),
        balance,
    };
    account.save_with(SaveOptions::new().using(using)).unwrap();
    account
}

fn count(using: &str) -> usize {
    Account::objects().using(using.to_owned()).count().unwrap()
}

/// Terminates the server process of the connection that runs `pid`'s session, from a
/// connection of its own.
fn terminate(pid: i64) {
    let server = clarion::db::Database::open_as("killer", &backend::postgres_url()).unwrap();
    let killed = server
        .atomic(|tx| tx.query_values("SELECT pg_terminate_backend($1)", &[Value::Int(pid)]))
        .unwrap();
    assert_eq!(killed, vec![vec![Value::Bool(true)]]);
}

fn backend_pid(tx: &db::Transaction) -> i64 {
    match tx.query_values("SELECT pg_backend_pid()", &[]).unwrap()[0][0] {
        Value::Int(pid) => pid,
        ref other => panic!("pid {other:?}"),
    }
}

#[test]
fn a_connection_killed_mid_transaction_loses_the_transaction_whole_and_the_pool_recovers() {
    let using = database("killed");
    account("before", 1, using);
    let error = db::atomic_using(using, |tx| {
        let mut first = Account {
            id: None,
            owner: "half".into(),
            balance: 2,
        };
        first.save_with(SaveOptions::new().using(using))?;
        terminate(backend_pid(tx));
        let mut second = Account {
            id: None,
            owner: "never".into(),
            balance: 3,
        };
        second.save_with(SaveOptions::new().using(using))
    })
    .unwrap_err();
    assert!(
        matches!(error, Error::ConnectionLost { .. }),
        "a clear error, not a generic one: {error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("nothing of the open transaction was committed"),
        "{error}"
    );
    // The pool replaced the dead connection: the next operations work, and see only what was
    // committed before.
    assert_eq!(count(using), 1);
    account("after", 4, using);
    assert_eq!(count(using), 2);
}

#[test]
fn an_idle_connection_the_server_dropped_is_replaced_before_it_is_used() {
    let using = database("idle_killed");
    let pid = db::atomic_using(using, |tx| Ok(backend_pid(tx))).unwrap();
    terminate(pid);
    // The same pooled connection would be handed out next; the check on check-out finds it dead.
    account("fresh", 1, using);
    let new_pid = db::atomic_using(using, |tx| Ok(backend_pid(tx))).unwrap();
    assert_ne!(pid, new_pid);
    assert_eq!(count(using), 1);
}

#[test]
fn a_serialization_failure_is_its_own_error_and_writes_nothing() {
    let using = database("serial");
    let mut shared = account("shared", 100, using);
    let id = shared.id.unwrap();
    let (read, go_on) = mpsc::channel();
    let (updated, wait_update) = mpsc::channel();
    // A REPEATABLE READ transaction reads the row; another commits a change to it; the first then
    // writes the same row, which PostgreSQL refuses with SQLSTATE 40001.
    let first = thread::spawn(move || {
        db::atomic_using(using, |tx| {
            tx.execute_batch("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")?;
            let mut mine = Account::objects()
                .using(using)
                .filter(Account::ID.eq(id))
                .get()?;
            read.send(()).unwrap();
            wait_update.recv().unwrap();
            mine.balance -= 30;
            mine.save_with(SaveOptions::new().using(using))?;
            let mut extra = Account {
                id: None,
                owner: "written by the loser".into(),
                balance: 0,
            };
            extra.save_with(SaveOptions::new().using(using))
        })
    });
    go_on.recv().unwrap();
    shared.balance += 5;
    shared.save_with(SaveOptions::new().using(using)).unwrap();
    updated.send(()).unwrap();
    let error = first.join().unwrap().unwrap_err();
    assert!(
        matches!(error, Error::Serialization { .. }),
        "a serialization failure says so: {error:?}"
    );
    assert!(error.to_string().contains("run it again"), "{error}");
    // Only the committed change is there; nothing of the failed transaction.
    let stored = Account::objects()
        .using(using)
        .filter(Account::ID.eq(id))
        .get()
        .unwrap();
    assert_eq!(stored.balance, 105);
    assert_eq!(count(using), 1);
}

#[test]
fn the_servers_constraint_errors_are_integrity_errors_naming_the_constraint() {
    let using = database("integrity");
    account("unique", 1, using);
    let mut duplicate = Account {
        id: None,
        owner: "unique".into(),
        balance: 2,
    };
    let error = duplicate
        .save_with(SaveOptions::new().using(using))
        .unwrap_err();
    match &error {
        Error::Integrity {
            kind, constraint, ..
        } => {
            assert_eq!(*kind, clarion::ConstraintKind::Unique);
            let constraint = constraint.as_deref().unwrap_or_default();
            assert!(constraint.contains("owner"), "{constraint}");
        }
        other => panic!("expected an integrity error, got {other:?}"),
    }
    assert!(error.to_string().contains("unique"), "{error}");
    assert_eq!(duplicate.id, None);
    assert_eq!(count(using), 1);
}

#[test]
fn a_failed_statement_leaves_the_block_rollback_only_and_a_savepoint_recovers_it() {
    let using = database("aborted");
    account("taken", 1, using);
    let outcome = db::atomic_using(using, |tx| {
        // In its own block (a savepoint), a failed save leaves the transaction usable.
        let inner = db::atomic_using(using, |_| {
            Account {
                id: None,
                owner: "taken".into(),
                balance: 0,
            }
            .save_with(SaveOptions::new().using(using))
        });
        assert!(matches!(inner, Err(Error::Integrity { .. })), "{inner:?}");
        account("kept", 2, using);
        // Without one, PostgreSQL aborts the transaction: every later statement is refused
        // until the block ends, and the block rolls back.
        let failed = Account {
            id: None,
            owner: "taken".into(),
            balance: 0,
        }
        .save_with(SaveOptions::new().using(using));
        assert!(matches!(failed, Err(Error::Integrity { .. })), "{failed:?}");
        let refused = tx.query_values("SELECT 1", &[]).unwrap_err();
        assert!(matches!(refused, Error::RollbackOnly { .. }), "{refused:?}");
        Ok(())
    });
    assert!(
        matches!(outcome, Err(Error::RollbackOnly { .. })),
        "the block could not commit: {outcome:?}"
    );
    assert_eq!(count(using), 1, "\"kept\" was rolled back with its block");
}

#[test]
fn a_missing_table_says_to_run_migrate() {
    assert_eq!(backend::backend(), Backend::Postgres);
    let using = backend::register("no_tables");
    let error = account_result(using).unwrap_err();
    assert!(
        matches!(error, Error::MissingTable { ref table, .. } if table == "account"),
        "{error:?}"
    );
    assert!(error.to_string().contains("migrate"), "{error}");
}

fn account_result(using: &str) -> clarion::Result<()> {
    Account {
        id: None,
        owner: "x".into(),
        balance: 0,
    }
    .save_with(SaveOptions::new().using(using))
}

/// Runs the race of two transactions that insert explicit keys: `first` writes key 10 in a
/// transaction left open while another saves key 5 and commits; then `first` commits. The
/// sequence must end past both keys: the next automatic keys come after 10, and none collides.
fn explicit_keys_race(using: &'static str, first: fn(&'static str) -> clarion::Result<()>) {
    let (wrote, go_on) = mpsc::channel();
    let (committed, wait_commit) = mpsc::channel();
    let a = thread::spawn(move || {
        db::atomic_using(using, |_| {
            first(using)?;
            wrote.send(()).unwrap();
            wait_commit.recv().unwrap();
            Ok(())
        })
    });
    go_on.recv().unwrap();
    let mut five = Account {
        id: Some(5),
        owner: "five".into(),
        balance: 0,
    };
    five.save_with(SaveOptions::new().using(using)).unwrap();
    committed.send(()).unwrap();
    a.join().unwrap().unwrap();
    for n in 0..5 {
        let mut next = Account {
            id: None,
            owner: format!("auto {n}"),
            balance: 0,
        };
        next.save_with(SaveOptions::new().using(using))
            .unwrap_or_else(|error| panic!("automatic key {n} after the race: {error}"));
        assert!(next.id > Some(10), "the sequence went back: {next:?}");
    }
    assert_eq!(count(using), 7);
}

#[test]
fn an_explicit_key_never_moves_the_sequence_backwards_under_a_concurrent_one() {
    explicit_keys_race(database("keys_race_save"), |using| {
        Account {
            id: Some(10),
            owner: "ten".into(),
            balance: 0,
        }
        .save_with(SaveOptions::new().using(using))
    });
}

#[test]
fn a_fixture_key_never_moves_the_sequence_backwards_under_a_concurrent_one() {
    explicit_keys_race(database("keys_race_fixture"), |using| {
        clarion::fixtures::load_using(
            r#"[{"model": "faults.account", "pk": 10, "fields": {"owner": "ten", "balance": 0}}]"#,
            using,
        )
        .map(drop)
    });
}

/// Runs `sql` on `using`'s schema from a client of its own, as another program would.
fn other_client(using: &str, sql: &str) {
    let other = clarion::db::Database::open_as("other", &backend::schema_url(using)).unwrap();
    other.atomic(|tx| tx.execute_batch(sql)).unwrap();
}

#[test]
fn another_clients_alter_type_costs_at_most_one_failed_transaction() {
    let using = database("stale_plan");
    account("one", 1, using);
    let pid = db::atomic_using(using, |tx| Ok(backend_pid(tx))).unwrap();
    // Prepares the read of every column on the pool's one idle connection.
    assert_eq!(Account::objects().using(using).all().unwrap().len(), 1);

    // The server refuses the cached statement once a column it returns changes type
    // ("cached plan must not change result type"). As the first statement of its transaction,
    // the read is run again, prepared afresh, and the caller sees nothing.
    other_client(
        using,
        "ALTER TABLE account ALTER COLUMN balance TYPE integer",
    );
    let read = Account::objects().using(using).all().unwrap();
    assert_eq!((read[0].owner.as_str(), read[0].balance), ("one", 1));
    let same = db::atomic_using(using, |tx| Ok(backend_pid(tx))).unwrap();
    assert_eq!(pid, same, "the same pooled connection throughout");

    // After another statement of the same transaction it cannot be run again (the server has
    // aborted the transaction): the error says what happened, and the next transaction on the
    // connection works.
    other_client(
        using,
        "ALTER TABLE account ALTER COLUMN balance TYPE bigint",
    );
    let error = db::atomic_using(using, |tx| {
        assert_eq!(backend_pid(tx), pid);
        Account::objects().using(using).all()
    })
    .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("cached plan must not change result type"),
        "{text}"
    );
    assert!(text.contains("another connection"), "a clear error: {text}");
    let read = db::atomic_using(using, |tx| {
        assert_eq!(backend_pid(tx), pid);
        Account::objects().using(using).all()
    })
    .unwrap();
    assert_eq!(read.len(), 1);
    account("two", 2, using);
    assert_eq!(count(using), 2);
}

/// Runs this binary's `a_missing_table_says_to_run_migrate` (which needs the server) in a child
/// process against a port where no server listens, with `CLARION_TEST_POSTGRES` set to `skip`
/// (or unset); returns whether it succeeded, and its output.
fn run_without_a_server(skip: Option<&str>) -> (bool, String) {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args(["a_missing_table_says_to_run_migrate", "--exact"])
        .env(
            "CLARION_TEST_POSTGRES_URL",
            "postgres://postgres@127.0.0.1:1/test",
        )
        .env_remove("CLARION_TEST_POSTGRES");
    if let Some(skip) = skip {
        child.env("CLARION_TEST_POSTGRES", skip);
    }
    let output = child.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn without_a_server_the_tests_fail_saying_how_to_run_or_skip_them() {
    let (passed, output) = run_without_a_server(None);
    assert!(
        !passed,
        "no server is a failure, not a silent pass:\n{output}"
    );
    assert!(output.contains("CLARION_TEST_POSTGRES_URL"), "{output}");
    assert!(output.contains("CLARION_TEST_POSTGRES=skip"), "{output}");

    let (passed, output) = run_without_a_server(Some("skip"));
    assert!(passed, "skipping was asked for:\n{output}");
    assert!(output.contains("SKIPPED: postgres_faults"), "{output}");

    let (passed, output) = run_without_a_server(Some("yes"));
    assert!(!passed, "an unknown value is not a skip:\n{output}");
}

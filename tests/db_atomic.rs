//! `db::atomic`: commit, rollback on `Err` and on panic, savepoints, `on_commit`.
//!
//! Tests run in parallel threads of one process, so each opens its own in-memory database under
//! its own alias.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use clarion::Error;
use clarion::db::{self, Database, Transaction, params};

fn fresh(alias: &str) -> &str {
    db::register(Database::open_as(alias, "sqlite::memory:").unwrap());
    db::atomic_using(alias, |tx| {
        tx.execute_batch("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
    })
    .unwrap();
    alias
}

fn insert(tx: &Transaction, name: &str) -> clarion::Result<()> {
    tx.execute("INSERT INTO item (name) VALUES (?1)", params![name])?;
    Ok(())
}

fn names(alias: &str) -> Vec<String> {
    db::atomic_using(alias, |tx| {
        tx.query("SELECT name FROM item ORDER BY id", (), |row| row.get(0))
    })
    .unwrap()
}

type Log = Arc<Mutex<Vec<&'static str>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn push(log: &Log, entry: &'static str) -> impl FnOnce() + Send + 'static {
    let log = Arc::clone(log);
    move || log.lock().unwrap().push(entry)
}

fn entries(log: &Log) -> Vec<&'static str> {
    log.lock().unwrap().clone()
}

#[test]
fn commit_persists_and_returns_the_value() {
    let alias = fresh("commit_persists");
    let value = db::atomic_using(alias, |tx| {
        insert(tx, "a")?;
        insert(tx, "b")?;
        Ok(42)
    })
    .unwrap();
    assert_eq!(value, 42);
    assert_eq!(names(alias), ["a", "b"]);
}

#[test]
fn err_rolls_back_and_reaches_the_caller() {
    let alias = fresh("err_rolls_back");
    let error = db::atomic_using(alias, |tx| {
        insert(tx, "a")?;
        Err::<(), _>(Error::msg("out of stock"))
    })
    .unwrap_err();
    assert_eq!(error.to_string(), "out of stock");
    assert!(names(alias).is_empty());
}

#[test]
fn panic_rolls_back_and_propagates() {
    let alias = fresh("panic_rolls_back");
    let payload = panic::catch_unwind(AssertUnwindSafe(|| {
        db::atomic_using(alias, |tx| {
            insert(tx, "a")?;
            panic!("receiver blew up");
            #[allow(unreachable_code)]
            Ok(())
        })
    }))
    .unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"receiver blew up"));
    assert!(names(alias).is_empty());
    // The connection went back to the pool clean: the next transaction works.
    db::atomic_using(alias, |tx| insert(tx, "b")).unwrap();
    assert_eq!(names(alias), ["b"]);
}

#[test]
fn nested_err_rolls_back_only_the_savepoint() {
    let alias = fresh("nested_err");
    db::atomic_using(alias, |tx| {
        insert(tx, "outer-before")?;
        let inner = db::atomic_using(alias, |tx| {
            assert_eq!(tx.depth(), 2);
            insert(tx, "inner")?;
            Err::<(), _>(Error::msg("inner fails"))
        });
        assert!(inner.is_err());
        insert(tx, "outer-after")
    })
    .unwrap();
    assert_eq!(names(alias), ["outer-before", "outer-after"]);
}

#[test]
fn nested_panic_rolls_back_only_the_savepoint() {
    let alias = fresh("nested_panic");
    db::atomic_using(alias, |tx| {
        insert(tx, "outer")?;
        let caught = panic::catch_unwind(AssertUnwindSafe(|| {
            db::atomic_using(alias, |tx| {
                insert(tx, "inner")?;
                panic!("inner panics");
                #[allow(unreachable_code)]
                Ok(())
            })
        }));
        assert!(caught.is_err());
        assert_eq!(tx.depth(), 1);
        Ok(())
    })
    .unwrap();
    assert_eq!(names(alias), ["outer"]);
}

#[test]
fn inner_commit_is_undone_by_outer_rollback() {
    let alias = fresh("outer_rollback");
    let result = db::atomic_using(alias, |tx| {
        insert(tx, "outer")?;
        db::atomic_using(alias, |tx| insert(tx, "inner"))?;
        Err::<(), _>(Error::msg("outer fails"))
    });
    assert!(result.is_err());
    assert!(names(alias).is_empty());
}

#[test]
fn three_levels_roll_back_independently() {
    let alias = fresh("three_levels");
    db::atomic_using(alias, |tx| {
        insert(tx, "1")?;
        db::atomic_using(alias, |tx| {
            insert(tx, "2")?;
            let third = db::atomic_using(alias, |tx| {
                assert_eq!(tx.depth(), 3);
                insert(tx, "3")?;
                Err::<(), _>(Error::msg("no"))
            });
            assert!(third.is_err());
            // A fresh savepoint at the same depth works after the rolled-back one.
            db::atomic_using(alias, |tx| insert(tx, "3b"))
        })
    })
    .unwrap();
    assert_eq!(names(alias), ["1", "2", "3b"]);
}

#[test]
fn an_integrity_error_inside_a_savepoint_can_be_handled() {
    let alias = fresh("integrity_in_savepoint");
    db::atomic_using(alias, |tx| {
        insert(tx, "taken")?;
        let duplicate = db::atomic_using(alias, |tx| insert(tx, "taken"));
        assert!(matches!(duplicate, Err(Error::Integrity { .. })));
        insert(tx, "other")
    })
    .unwrap();
    assert_eq!(names(alias), ["taken", "other"]);
}

#[test]
fn on_commit_runs_after_the_outermost_commit_in_order() {
    let alias = fresh("on_commit_order");
    let log = log();
    db::atomic_using(alias, |tx| {
        tx.on_commit(push(&log, "first"));
        db::atomic_using(alias, |tx| {
            tx.on_commit(push(&log, "nested"));
            Ok(())
        })?;
        // The nested level committed its savepoint, but nothing runs before the outer commit.
        assert!(entries(&log).is_empty());
        tx.on_commit(push(&log, "last"));
        Ok(())
    })
    .unwrap();
    assert_eq!(entries(&log), ["first", "nested", "last"]);
}

#[test]
fn on_commit_sees_the_committed_data_outside_the_transaction() {
    let alias = fresh("on_commit_sees_data");
    let seen = Arc::new(Mutex::new(None));
    let seen_in_callback = Arc::clone(&seen);
    let alias_owned = alias.to_owned();
    db::atomic_using(alias, |tx| {
        insert(tx, "a")?;
        tx.on_commit(move || {
            assert!(db::current_transaction(&alias_owned).is_none());
            *seen_in_callback.lock().unwrap() = Some(names(&alias_owned));
        });
        Ok(())
    })
    .unwrap();
    assert_eq!(seen.lock().unwrap().clone(), Some(vec!["a".to_owned()]));
}

#[test]
fn on_commit_does_not_run_after_rollback() {
    let alias = fresh("on_commit_rollback");
    let log = log();
    let _ = db::atomic_using(alias, |tx| {
        tx.on_commit(push(&log, "outer"));
        db::atomic_using(alias, |tx| {
            tx.on_commit(push(&log, "inner"));
            Ok(())
        })?;
        Err::<(), _>(Error::msg("rollback"))
    });
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        db::atomic_using(alias, |tx| {
            tx.on_commit(push(&log, "panicked"));
            panic!("rollback by panic");
            #[allow(unreachable_code)]
            Ok(())
        })
    }));
    assert!(entries(&log).is_empty());
}

#[test]
fn on_commit_in_a_rolled_back_savepoint_is_discarded() {
    let alias = fresh("on_commit_savepoint");
    let log = log();
    db::atomic_using(alias, |tx| {
        tx.on_commit(push(&log, "kept-before"));
        let _ = db::atomic_using(alias, |tx| {
            tx.on_commit(push(&log, "discarded"));
            db::atomic_using(alias, |tx| {
                tx.on_commit(push(&log, "discarded-deeper"));
                Ok(())
            })?;
            Err::<(), _>(Error::msg("savepoint rolls back"))
        });
        tx.on_commit(push(&log, "kept-after"));
        Ok(())
    })
    .unwrap();
    assert_eq!(entries(&log), ["kept-before", "kept-after"]);
}

#[test]
fn a_panicking_on_commit_callback_does_not_undo_the_commit() {
    let alias = fresh("on_commit_panics");
    let log = log();
    let payload = panic::catch_unwind(AssertUnwindSafe(|| {
        db::atomic_using(alias, |tx| {
            insert(tx, "committed")?;
            tx.on_commit(|| panic!("mail server down"));
            tx.on_commit(push(&log, "still runs"));
            Ok(())
        })
    }))
    .unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"mail server down"));
    assert_eq!(entries(&log), ["still runs"]);
    assert_eq!(names(alias), ["committed"]);
}

#[test]
fn current_transaction_joins_the_innermost_level() {
    let alias = fresh("current_transaction");
    assert!(db::current_transaction(alias).is_none());
    db::atomic_using(alias, |_| {
        let outer = db::current_transaction(alias).expect("inside atomic");
        assert_eq!((outer.using(), outer.depth()), (alias, 1));
        db::atomic_using(alias, |_| {
            let inner = db::current_transaction(alias).expect("inside atomic");
            assert_eq!(inner.depth(), 2);
            insert(&inner, "via current")
        })
    })
    .unwrap();
    assert!(db::current_transaction(alias).is_none());
    assert_eq!(names(alias), ["via current"]);
}

#[test]
fn a_transaction_used_after_its_block_is_closed() {
    let alias = fresh("closed_handle");
    let escaped = db::atomic_using(alias, |tx| Ok(tx.clone())).unwrap();
    let error = insert(&escaped, "too late").unwrap_err();
    assert!(
        matches!(&error, Error::TransactionClosed { alias: a } if a == alias),
        "{error:?}"
    );
    let inner = db::atomic_using(alias, |_| db::atomic_using(alias, |tx| Ok(tx.clone())));
    assert!(matches!(
        insert(&inner.unwrap(), "too late"),
        Err(Error::TransactionClosed { .. })
    ));
    assert!(names(alias).is_empty());
}

#[test]
fn a_block_whose_own_sql_ends_the_transaction_writes_nothing_more() {
    let alias = fresh("ended_by_caller");
    // The caller's `ROLLBACK` ends SQLite's transaction inside an open block: any later
    // statement would run in autocommit mode and be kept whatever the block decides, so it is
    // refused, on this level and on a nested one.
    let outcome = db::atomic_using(alias, |tx| {
        insert(tx, "rolled back by the caller")?;
        tx.execute_batch("ROLLBACK")?;
        let nested = db::atomic_using(alias, |tx| insert(tx, "nested"));
        assert!(
            matches!(&nested, Err(Error::TransactionClosed { .. })),
            "{nested:?}"
        );
        insert(tx, "after the rollback")
    });
    assert!(
        matches!(&outcome, Err(Error::TransactionClosed { alias: a }) if a == alias),
        "{outcome:?}"
    );
    assert!(names(alias).is_empty());

    let outcome = db::atomic_using(alias, |tx| {
        db::atomic_using(alias, |tx| tx.execute_batch("COMMIT"))?;
        insert(tx, "after the commit")
    });
    assert!(
        matches!(&outcome, Err(Error::TransactionClosed { .. })),
        "{outcome:?}"
    );
    assert!(names(alias).is_empty());
    // The connection goes back to the pool usable.
    db::atomic_using(alias, |tx| insert(tx, "later")).unwrap();
    assert_eq!(names(alias), ["later"]);
}

#[test]
fn database_atomic_runs_on_an_unregistered_database() {
    let database = Database::open_as("unregistered_direct", "sqlite::memory:").unwrap();
    let count = database
        .atomic(|tx| {
            tx.execute_batch("CREATE TABLE t (x INTEGER)")?;
            tx.execute("INSERT INTO t VALUES (?1)", [7])?;
            // Nested through the Database handle joins, too.
            database.atomic(|tx| {
                assert_eq!(tx.depth(), 2);
                tx.query_row("SELECT count(*) FROM t", (), |row| row.get::<_, i64>(0))
            })
        })
        .unwrap();
    assert_eq!(count, 1);
    assert!(matches!(
        db::database("unregistered_direct"),
        Err(Error::UnknownDatabase { .. })
    ));
}

#[test]
fn an_in_memory_database_is_shared_by_every_transaction() {
    let alias = fresh("memory_shared");
    let thread_alias = alias.to_owned();
    std::thread::spawn(move || db::atomic_using(&thread_alias, |tx| insert(tx, "from thread")))
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(names(alias), ["from thread"]);
}

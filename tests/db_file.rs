//! File databases: commits reach the disk, pooled connections enforce foreign keys, and two
//! threads' transactions both commit.

use std::sync::{Arc, Barrier};
use std::thread;

use clarion::Error;
use clarion::db::{self, Database, params};

fn url(dir: &tempfile::TempDir, name: &str) -> String {
    format!("sqlite://{}", dir.path().join(name).display())
}

#[test]
fn a_commit_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir, "persist.db");
    let database = Database::open(&url).unwrap();
    database
        .atomic(|tx| {
            tx.execute_batch("CREATE TABLE t (v TEXT)")?;
            tx.execute("INSERT INTO t VALUES (?1)", ["kept"])?;
            Ok(())
        })
        .unwrap();
    let _ = database.atomic(|tx| {
        tx.execute("INSERT INTO t VALUES (?1)", ["rolled back"])?;
        Err::<(), _>(Error::msg("no"))
    });
    drop(database);
    let reopened = Database::open(&url).unwrap();
    let values = reopened
        .atomic(|tx| tx.query("SELECT v FROM t", (), |row| row.get::<_, String>(0)))
        .unwrap();
    assert_eq!(values, ["kept"]);
}

#[test]
fn every_pooled_connection_enforces_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::open_as("file_fk", &url(&dir, "fk.db")).unwrap();
    database
        .atomic(|tx| {
            tx.execute_batch(
                "CREATE TABLE parent (id INTEGER PRIMARY KEY);
                 CREATE TABLE child (parent_id INTEGER REFERENCES parent (id));",
            )
        })
        .unwrap();
    // Several threads at once take several connections from the pool.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let database = database.clone();
            thread::spawn(move || {
                database.atomic(|tx| {
                    let on: i64 = tx.query_row("PRAGMA foreign_keys", (), |row| row.get(0))?;
                    assert_eq!(on, 1);
                    tx.execute("INSERT INTO child VALUES (?1)", [42])
                })
            })
        })
        .collect();
    for handle in handles {
        let error = handle.join().unwrap().unwrap_err();
        assert!(matches!(error, Error::Integrity { .. }), "{error:?}");
    }
}

#[test]
fn two_threads_in_their_own_transactions_both_commit() {
    let dir = tempfile::tempdir().unwrap();
    db::register(Database::open_as("file_threads", &url(&dir, "threads.db")).unwrap());
    db::atomic_using("file_threads", |tx| {
        tx.execute_batch("CREATE TABLE event (thread INTEGER, n INTEGER)")
    })
    .unwrap();
    let start = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|thread_no| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                db::atomic_using("file_threads", |tx| {
                    assert_eq!(tx.depth(), 1, "each thread has its own transaction");
                    for n in 0..50 {
                        tx.execute("INSERT INTO event VALUES (?1, ?2)", params![thread_no, n])?;
                        if n % 10 == 0 {
                            thread::yield_now();
                        }
                    }
                    Ok(())
                })
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap().unwrap();
    }
    let per_thread: Vec<(i64, i64)> = db::atomic_using("file_threads", |tx| {
        tx.query(
            "SELECT thread, count(*) FROM event GROUP BY thread ORDER BY thread",
            (),
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
    })
    .unwrap();
    assert_eq!(per_thread, [(0, 50), (1, 50)]);
}

#[test]
fn a_file_in_a_missing_directory_fails_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let error = Database::open(&url(&dir, "no/such/dir/app.db")).unwrap_err();
    assert!(matches!(error, Error::Database { .. }), "{error:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "fails at once, no pool retry"
    );
}

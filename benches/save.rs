//! The write path of models against raw `rusqlite` (issue #3).
//!
//! **What is measured.** 10,000 rows of the same shape (`id`, `title`, `body`, `views`) written
//! in one transaction to an in-memory SQLite database:
//!
//! | case | clarion | baseline (raw `rusqlite`, same transaction) |
//! |---|---|---|
//! | `insert/none` | `save()` of 10,000 new `Plain`s (no receivers) inside one `atomic` | a cached prepared `INSERT` executed 10,000 times |
//! | `insert/two` | the same for `Watched`, which has one `pre_save` and one `post_save` receiver | the same `INSERT` into `watched` |
//! | `update/two` | `save()` of 10,000 existing `Watched` rows | a cached prepared `UPDATE … WHERE id = ?` |
//! | `update_fields/one` | `save_with(update_fields(&["views"]))` of 10,000 existing `Watched` (goal 1.2x) | a cached prepared `UPDATE watched SET views = ? WHERE id = ?` |
//! | `delete/two` | `delete()` of 10,000 `Watched`, with one `pre_delete` and one `post_delete` receiver | a cached prepared `DELETE … WHERE id = ?` |
//! | `queryset_delete/two` | `Watched::objects().delete()`: loads the rows, then the per-object signals | `DELETE FROM watched` |
//!
//! Each case has its own baseline on the same table of a raw database laid out exactly as
//! clarion's (same tables, same `PRAGMA foreign_keys = ON`, same `sqlite_sequence`; see `Raw`).
//! The instances are built before the clock starts (as the baseline's rows are), and each
//! iteration starts from the same table contents; the clean-up is not timed. The goals: insert
//! without receivers at most 1.15x the baseline, with the two receivers at most 1.3x. Update and
//! deletes are reported, with no goal.
//!
//! **PostgreSQL** (issue #6), when a server is reachable at `CLARION_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`; otherwise the case is skipped with a message):
//!
//! | case | clarion | baseline (raw `postgres` crate, same transaction) |
//! |---|---|---|
//! | `postgres_insert/two` | `save()` of 2,000 new `Watched` (one `pre_save`, one `post_save` receiver) inside one `atomic` on a PostgreSQL alias | the same prepared `INSERT … RETURNING "id"` run 2,000 times with `query_one` on one connection |
//!
//! Both sides write the same table in the schema `clarion_bench` over local TCP; the goal is at
//! most 1.3x.
//!
//! After criterion's report (under `cargo bench` only), `main` prints a table of its own: each
//! case and its baseline timed in alternating rounds (which goes first switches every round), so
//! both see the same machine load, with the median ratio and each goal's verdict
//! (`benches/support/paired.rs`, shared with `benches/relations.rs`). `docs/performance.md` records
//! the numbers.

#[path = "support/paired.rs"]
mod paired;

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use clarion::db::{self, Database, rusqlite};
use clarion::prelude::*;
use paired::{Case, Run, timed};

const ROWS: usize = 10_000;

/// A model nobody listens to.
#[derive(Model, Clone)]
pub struct Plain {
    /// Assigned on insert.
    pub id: Option<i64>,
    /// Some text.
    #[model(max_length = 100)]
    pub title: String,
    /// More text.
    pub body: String,
    /// A number.
    pub views: i64,
}

/// The same shape, with one receiver for each of its signals.
#[derive(Model, Clone)]
pub struct Watched {
    /// Assigned on insert.
    pub id: Option<i64>,
    /// Some text.
    #[model(max_length = 100)]
    pub title: String,
    /// More text.
    pub body: String,
    /// A number.
    pub views: i64,
}

static PRE: AtomicU64 = AtomicU64::new(0);
static POST: AtomicU64 = AtomicU64::new(0);

/// The receivers' trivial work: a counter bump. A load and a store rather than `fetch_add`,
/// whose locked instruction would cost more than the rest of the receiver (the benchmark runs
/// on one thread).
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(counter.load(Ordering::Relaxed) + by, Ordering::Relaxed);
}

#[receiver(pre_save, sender = Watched)]
fn count_views(instance: &mut Watched) {
    bump(&PRE, instance.views as u64 & 1);
}

#[receiver(post_save, sender = Watched)]
fn count_created(created: bool) {
    bump(&POST, u64::from(created));
}

#[receiver(pre_delete, sender = Watched)]
fn before_delete(instance: &Watched) {
    bump(&PRE, instance.views as u64 & 1);
}

#[receiver(post_delete, sender = Watched)]
fn after_delete(instance: &Watched) {
    bump(&POST, instance.id.unwrap_or(0) as u64 & 1);
}

const SCHEMA: &str = "(id integer NOT NULL PRIMARY KEY AUTOINCREMENT, title text NOT NULL, \
                      body text NOT NULL, views integer NOT NULL)";

fn rows() -> Vec<(String, String, i64)> {
    (0..ROWS)
        .map(|i| {
            (
                format!("Post number {i}"),
                format!("The body of post {i}, a few words long."),
                i as i64,
            )
        })
        .collect()
}

fn plain(rows: &[(String, String, i64)]) -> Vec<Plain> {
    rows.iter()
        .map(|(title, body, views)| Plain {
            id: None,
            title: title.clone(),
            body: body.clone(),
            views: *views,
        })
        .collect()
}

fn watched(rows: &[(String, String, i64)]) -> Vec<Watched> {
    rows.iter()
        .map(|(title, body, views)| Watched {
            id: None,
            title: title.clone(),
            body: body.clone(),
            views: *views,
        })
        .collect()
}

/// The raw `rusqlite` connection of the baselines: a database laid out exactly as clarion's,
/// so that both sides run the same statements on the same tables.
///
/// That means the same tables in the same order, `PRAGMA foreign_keys = ON` as on every clarion
/// connection, and the same `sqlite_sequence`: an `AUTOINCREMENT` insert looks its table up in
/// that table by a scan, so a table whose row comes later costs the insert a little more.
struct Raw {
    conn: rusqlite::Connection,
}

impl Raw {
    fn new() -> Raw {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("PRAGMA foreign_keys = ON; {}", schema()))
            .unwrap();
        // clarion's database gets its `sqlite_sequence` rows in this order in `check`.
        for table in SEQUENCE_ORDER {
            conn.execute_batch(&format!(
                "INSERT INTO {table} (title, body, views) VALUES ('', '', 0); DELETE FROM {table};"
            ))
            .unwrap();
        }
        Raw { conn }
    }

    fn insert(&mut self, table: &str, rows: &[(String, String, i64)]) {
        let tx = self.conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached(&format!(
                    "INSERT INTO {table} (title, body, views) VALUES (?1, ?2, ?3)"
                ))
                .unwrap();
            for (title, body, views) in rows {
                black_box(insert.execute((title, body, views)).unwrap());
            }
        }
        tx.commit().unwrap();
    }

    fn ids(&self, table: &str) -> Vec<i64> {
        let mut select = self
            .conn
            .prepare(&format!("SELECT id FROM {table} ORDER BY id"))
            .unwrap();
        select
            .query_map((), |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn update(&mut self, table: &str, ids: &[i64], rows: &[(String, String, i64)]) {
        let tx = self.conn.transaction().unwrap();
        {
            let mut update = tx
                .prepare_cached(&format!(
                    "UPDATE {table} SET title = ?1, body = ?2, views = ?3 WHERE id = ?4"
                ))
                .unwrap();
            for (id, (title, body, views)) in ids.iter().zip(rows) {
                black_box(update.execute((title, body, views + 1, id)).unwrap());
            }
        }
        tx.commit().unwrap();
    }

    fn update_views(&mut self, table: &str, ids: &[i64], rows: &[(String, String, i64)]) {
        let tx = self.conn.transaction().unwrap();
        {
            let mut update = tx
                .prepare_cached(&format!("UPDATE {table} SET views = ?1 WHERE id = ?2"))
                .unwrap();
            for (id, (_, _, views)) in ids.iter().zip(rows) {
                black_box(update.execute((views + 1, id)).unwrap());
            }
        }
        tx.commit().unwrap();
    }

    fn delete(&mut self, table: &str, ids: &[i64]) {
        let tx = self.conn.transaction().unwrap();
        {
            let mut delete = tx
                .prepare_cached(&format!("DELETE FROM {table} WHERE id = ?1"))
                .unwrap();
            for id in ids {
                black_box(delete.execute([id]).unwrap());
            }
        }
        tx.commit().unwrap();
    }

    fn delete_all(&mut self, table: &str) {
        self.conn
            .execute_batch(&format!("DELETE FROM {table}"))
            .unwrap();
    }
}

/// The order in which the tables first receive a row, on both sides (see [`Raw`]).
const SEQUENCE_ORDER: [&str; 2] = ["watched", "plain"];

fn schema() -> String {
    format!("CREATE TABLE plain {SCHEMA}; CREATE TABLE watched {SCHEMA};")
}

/// The clarion database of the benchmarks, registered as the default.
fn clarion_db() {
    db::register(Database::open("sqlite::memory:").unwrap());
    db::atomic(|tx| tx.execute_batch(&schema())).unwrap();
}

fn clear(table: &str) {
    db::atomic(|tx| tx.execute_batch(&format!("DELETE FROM {table}"))).unwrap();
}

fn save_all<M: Model>(instances: &mut [M]) {
    db::atomic(|_| {
        for instance in instances.iter_mut() {
            instance.save()?;
        }
        Ok(())
    })
    .unwrap();
}

fn delete_all<M: Model>(instances: &mut [M]) {
    db::atomic(|_| {
        for instance in instances.iter_mut() {
            black_box(instance.delete()?);
        }
        Ok(())
    })
    .unwrap();
}

/// Every case.
/// Rows of the PostgreSQL case: each insert is a round trip to the server.
const PG_ROWS: usize = 2_000;
const PG_ALIAS: &str = "pg";

/// The PostgreSQL URL of the bench's schema, once it is set up with clarion's tables; `None`
/// (with a message) when no server answers.
fn postgres_bench() -> Option<String> {
    static URL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        let server = std::env::var("CLARION_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let setup = Database::open_as("pg_setup", &server).ok()?;
        if let Err(error) = setup.atomic(|tx| {
            tx.execute_batch(
                "DROP SCHEMA IF EXISTS clarion_bench CASCADE; CREATE SCHEMA clarion_bench",
            )
        }) {
            println!("postgres_insert: skipped, no PostgreSQL server at {server}: {error}");
            return None;
        }
        let separator = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{separator}options=-c%20search_path%3Dclarion_bench");
        db::register(Database::open_as(PG_ALIAS, &url).unwrap());
        clarion::migrate_using(PG_ALIAS).unwrap();
        Some(url)
    })
    .clone()
}

fn postgres_cases(out: &mut Vec<Case>, data: &[(String, String, i64)]) {
    let Some(url) = postgres_bench() else { return };
    let data: Vec<_> = data[..PG_ROWS].to_vec();
    let clear_pg = || {
        db::atomic_using(PG_ALIAS, |tx| tx.execute_batch("DELETE FROM watched")).unwrap();
    };
    let d = data.clone();
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // Prepared once, as clarion's statement is prepared once per connection.
    let insert = raw
        .prepare(
            "INSERT INTO \"watched\" (\"title\", \"body\", \"views\") \
             VALUES ($1, $2, $3) RETURNING \"id\"",
        )
        .unwrap();
    out.push(Case {
        group: "postgres_insert",
        name: "two",
        goal: Some(1.3),
        limit: None,
        clarion: Box::new(move || {
            let mut instances = watched(&d);
            let t = timed(|| {
                db::atomic_using(PG_ALIAS, |_| {
                    for instance in instances.iter_mut() {
                        instance.save_with(SaveOptions::new().using(PG_ALIAS))?;
                    }
                    Ok(())
                })
                .unwrap();
            });
            clear_pg();
            t
        }),
        baseline: Box::new(move || {
            let t = timed(|| {
                let mut tx = raw.transaction().unwrap();
                for (title, body, views) in &data {
                    let row = tx.query_one(&insert, &[title, body, views]).unwrap();
                    black_box(row.get::<_, i64>(0));
                }
                tx.commit().unwrap();
            });
            raw.batch_execute("DELETE FROM watched").unwrap();
            t
        }),
    });
}

fn cases() -> Vec<Case> {
    let data = rows();
    let mut out = Vec::new();
    postgres_cases(&mut out, &data);

    let raw_insert = |table: &'static str| -> Run {
        let d = data.clone();
        let mut raw = Raw::new();
        Box::new(move || {
            let t = timed(|| raw.insert(table, &d));
            raw.delete_all(table);
            t
        })
    };
    let d = data.clone();
    out.push(Case {
        group: "insert",
        name: "none",
        goal: Some(1.15),
        limit: None,
        clarion: Box::new(move || {
            let mut instances = plain(&d);
            let t = timed(|| save_all(&mut instances));
            clear("plain");
            t
        }),
        baseline: raw_insert("plain"),
    });
    let d = data.clone();
    out.push(Case {
        group: "insert",
        name: "two",
        goal: Some(1.3),
        limit: None,
        clarion: Box::new(move || {
            let mut instances = watched(&d);
            let t = timed(|| save_all(&mut instances));
            clear("watched");
            t
        }),
        baseline: raw_insert("watched"),
    });

    let d = data.clone();
    let mut raw = Raw::new();
    let update_baseline: Run = Box::new(move || {
        raw.insert("watched", &d);
        let ids = raw.ids("watched");
        let t = timed(|| raw.update("watched", &ids, &d));
        raw.delete_all("watched");
        t
    });
    let d = data.clone();
    out.push(Case {
        group: "update",
        name: "two",
        goal: None,
        limit: None,
        clarion: Box::new(move || {
            let mut instances = watched(&d);
            save_all(&mut instances);
            for instance in &mut instances {
                instance.views += 1;
            }
            let t = timed(|| save_all(&mut instances));
            clear("watched");
            t
        }),
        baseline: update_baseline,
    });

    let d = data.clone();
    let mut raw = Raw::new();
    let update_views_baseline: Run = Box::new(move || {
        raw.insert("watched", &d);
        let ids = raw.ids("watched");
        let t = timed(|| raw.update_views("watched", &ids, &d));
        raw.delete_all("watched");
        t
    });
    let d = data.clone();
    out.push(Case {
        group: "update_fields",
        name: "one",
        goal: Some(1.2),
        limit: None,
        clarion: Box::new(move || {
            let mut instances = watched(&d);
            save_all(&mut instances);
            for instance in &mut instances {
                instance.views += 1;
            }
            let t = timed(|| {
                db::atomic(|_| {
                    for instance in instances.iter_mut() {
                        instance.save_with(SaveOptions::new().update_fields(&["views"]))?;
                    }
                    Ok(())
                })
                .unwrap()
            });
            clear("watched");
            t
        }),
        baseline: update_views_baseline,
    });

    let d = data.clone();
    let mut raw = Raw::new();
    let delete_baseline: Run = Box::new(move || {
        raw.insert("watched", &d);
        let ids = raw.ids("watched");
        timed(|| raw.delete("watched", &ids))
    });
    let d = data.clone();
    out.push(Case {
        group: "delete",
        name: "two",
        goal: None,
        limit: None,
        clarion: Box::new(move || {
            let mut instances = watched(&d);
            save_all(&mut instances);
            timed(|| delete_all(&mut instances))
        }),
        baseline: delete_baseline,
    });

    let d = data.clone();
    let mut raw = Raw::new();
    let queryset_baseline: Run = Box::new(move || {
        raw.insert("watched", &d);
        timed(|| raw.delete_all("watched"))
    });
    let d = data;
    out.push(Case {
        group: "queryset_delete",
        name: "two",
        goal: None,
        limit: None,
        clarion: Box::new(move || {
            let mut instances = watched(&d);
            save_all(&mut instances);
            timed(|| {
                black_box(Watched::objects().delete().unwrap());
            })
        }),
        baseline: queryset_baseline,
    });
    out
}

/// Checks that each case writes what it should before anything is timed.
fn check() {
    let data = rows();
    let mut instances = watched(&data);
    let before = (PRE.load(Ordering::Relaxed), POST.load(Ordering::Relaxed));
    save_all(&mut instances);
    assert_eq!(Watched::objects().count().unwrap(), ROWS);
    assert_eq!(
        POST.load(Ordering::Relaxed) - before.1,
        ROWS as u64,
        "post_save ran once per insert"
    );
    assert!(PRE.load(Ordering::Relaxed) > before.0, "pre_save ran");
    assert_eq!(Watched::objects().delete().unwrap().total, ROWS);
    let mut instances = plain(&data);
    save_all(&mut instances);
    assert_eq!(Plain::objects().count().unwrap(), ROWS);
    assert!(instances.iter().all(|p| p.id.is_some()));
    clear("plain");
    // Both sides' tables got their first rows in the same order (see `Raw`).
    const SEQUENCE: &str = "SELECT name FROM sqlite_sequence ORDER BY rowid";
    let clarion: Vec<String> = db::atomic(|tx| tx.query(SEQUENCE, (), |row| row.get(0))).unwrap();
    let raw = Raw::new();
    let mut select = raw.conn.prepare(SEQUENCE).unwrap();
    let baseline: Vec<String> = select
        .query_map((), |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(clarion, baseline);
    assert_eq!(clarion, SEQUENCE_ORDER);
}

/// Sets up, checks, then runs the cases (see [`paired::main`]).
fn main() {
    clarion_db();
    check();
    paired::main(
        &format!("save: median ms per {ROWS} rows ({PG_ROWS} for postgres_insert)"),
        cases,
    );
}

//! The write path of models against raw `rusqlite` (issue #3).
//!
//! **What is measured.** 10,000 rows of the same shape (`id`, `title`, `body`, `views`) written
//! in one transaction to an in-memory SQLite database:
//!
//! | case | clarion | baseline (raw `rusqlite`, same transaction) |
//! |---|---|---|
//! | `insert/none` | `save()` of 10,000 new `Plain`s (no receivers) inside one `atomic` | a cached prepared `INSERT` executed 10,000 times |
//! | `insert/two` | the same for `Watched`, which has one `pre_save` and one `post_save` receiver | the same `INSERT` |
//! | `update/two` | `save()` of 10,000 existing `Watched` rows | a cached prepared `UPDATE … WHERE id = ?` |
//! | `delete/two` | `delete()` of 10,000 `Watched`, with one `pre_delete` and one `post_delete` receiver | a cached prepared `DELETE … WHERE id = ?` |
//! | `queryset_delete/two` | `Watched::objects().delete()`: loads the rows, then the per-object signals | `DELETE FROM watched` |
//!
//! The instances are built before the clock starts (as the baseline's rows are), and each
//! iteration starts from the same table contents; the clean-up is not timed. The goals: insert
//! without receivers at most 1.15x the baseline, with the two receivers at most 1.3x. Update and
//! deletes are reported, with no goal.
//!
//! After criterion's report (under `cargo bench` only), `main` prints a table of its own: each
//! case and its baseline timed in alternating rounds, so both see the same machine load, with the
//! median ratio and each goal's verdict. `docs/performance.md` records the numbers.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clarion::db::{self, Database, rusqlite};
use clarion::prelude::*;
use criterion::Criterion;

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

#[receiver(pre_save, sender = Watched)]
fn count_views(instance: &mut Watched) {
    PRE.fetch_add(instance.views as u64 & 1, Ordering::Relaxed);
}

#[receiver(post_save, sender = Watched)]
fn count_created(created: bool) {
    POST.fetch_add(u64::from(created), Ordering::Relaxed);
}

#[receiver(pre_delete, sender = Watched)]
fn before_delete(instance: &Watched) {
    PRE.fetch_add(instance.views as u64 & 1, Ordering::Relaxed);
}

#[receiver(post_delete, sender = Watched)]
fn after_delete(instance: &Watched) {
    POST.fetch_add(instance.id.unwrap_or(0) as u64 & 1, Ordering::Relaxed);
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

/// The raw `rusqlite` connection of the baselines, with the same schema.
struct Raw {
    conn: rusqlite::Connection,
}

impl Raw {
    fn new() -> Raw {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("CREATE TABLE raw {SCHEMA}"))
            .unwrap();
        Raw { conn }
    }

    fn insert(&mut self, rows: &[(String, String, i64)]) {
        let tx = self.conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO raw (title, body, views) VALUES (?1, ?2, ?3)")
                .unwrap();
            for (title, body, views) in rows {
                black_box(insert.execute((title, body, views)).unwrap());
            }
        }
        tx.commit().unwrap();
    }

    fn ids(&self) -> Vec<i64> {
        let mut select = self.conn.prepare("SELECT id FROM raw ORDER BY id").unwrap();
        select
            .query_map((), |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn update(&mut self, ids: &[i64], rows: &[(String, String, i64)]) {
        let tx = self.conn.transaction().unwrap();
        {
            let mut update = tx
                .prepare_cached("UPDATE raw SET title = ?1, body = ?2, views = ?3 WHERE id = ?4")
                .unwrap();
            for (id, (title, body, views)) in ids.iter().zip(rows) {
                black_box(update.execute((title, body, views + 1, id)).unwrap());
            }
        }
        tx.commit().unwrap();
    }

    fn delete(&mut self, ids: &[i64]) {
        let tx = self.conn.transaction().unwrap();
        {
            let mut delete = tx.prepare_cached("DELETE FROM raw WHERE id = ?1").unwrap();
            for id in ids {
                black_box(delete.execute([id]).unwrap());
            }
        }
        tx.commit().unwrap();
    }

    fn delete_all(&mut self) {
        self.conn.execute_batch("DELETE FROM raw").unwrap();
    }
}

/// The clarion database of the benchmarks, registered as the default.
fn clarion_db() {
    db::register(Database::open("sqlite::memory:").unwrap());
    db::atomic(|tx| {
        tx.execute_batch(&format!(
            "CREATE TABLE plain {SCHEMA}; CREATE TABLE watched {SCHEMA};"
        ))
    })
    .unwrap();
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

/// One timed case: returns how long its timed part took; sets up and cleans up untimed.
type Case = Box<dyn FnMut() -> Duration>;

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// Every case, by (group, function).
fn cases() -> Vec<(&'static str, &'static str, Case)> {
    let data = rows();
    let mut out: Vec<(&'static str, &'static str, Case)> = Vec::new();

    let d = data.clone();
    let mut raw = Raw::new();
    out.push((
        "insert",
        "baseline",
        Box::new(move || {
            let t = timed(|| raw.insert(&d));
            raw.delete_all();
            t
        }),
    ));
    let d = data.clone();
    out.push((
        "insert",
        "none",
        Box::new(move || {
            let mut instances = plain(&d);
            let t = timed(|| save_all(&mut instances));
            clear("plain");
            t
        }),
    ));
    let d = data.clone();
    out.push((
        "insert",
        "two",
        Box::new(move || {
            let mut instances = watched(&d);
            let t = timed(|| save_all(&mut instances));
            clear("watched");
            t
        }),
    ));

    let d = data.clone();
    let mut raw = Raw::new();
    out.push((
        "update",
        "baseline",
        Box::new(move || {
            raw.insert(&d);
            let ids = raw.ids();
            let t = timed(|| raw.update(&ids, &d));
            raw.delete_all();
            t
        }),
    ));
    let d = data.clone();
    out.push((
        "update",
        "two",
        Box::new(move || {
            let mut instances = watched(&d);
            save_all(&mut instances);
            for instance in &mut instances {
                instance.views += 1;
            }
            let t = timed(|| save_all(&mut instances));
            clear("watched");
            t
        }),
    ));

    let d = data.clone();
    let mut raw = Raw::new();
    out.push((
        "delete",
        "baseline",
        Box::new(move || {
            raw.insert(&d);
            let ids = raw.ids();
            timed(|| raw.delete(&ids))
        }),
    ));
    let d = data.clone();
    out.push((
        "delete",
        "two",
        Box::new(move || {
            let mut instances = watched(&d);
            save_all(&mut instances);
            timed(|| delete_all(&mut instances))
        }),
    ));

    let d = data.clone();
    let mut raw = Raw::new();
    out.push((
        "queryset_delete",
        "baseline",
        Box::new(move || {
            raw.insert(&d);
            timed(|| raw.delete_all())
        }),
    ));
    let d = data;
    out.push((
        "queryset_delete",
        "two",
        Box::new(move || {
            let mut instances = watched(&d);
            save_all(&mut instances);
            timed(|| {
                black_box(Watched::objects().delete().unwrap());
            })
        }),
    ));
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
}

fn criterion_benches(c: &mut Criterion) {
    let mut cases = cases();
    for (group, function, case) in &mut cases {
        let mut g = c.benchmark_group(*group);
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(3));
        g.bench_function(*function, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| case()).sum())
        });
        g.finish();
    }
}

/// The compact table: each case timed in alternating rounds with its baseline.
fn ratio_table() {
    const ROUNDS: usize = 15;
    let mut cases = cases();
    let groups = ["insert", "update", "delete", "queryset_delete"];
    println!();
    println!("save: median ms per {ROWS} rows (alternating rounds of {ROUNDS})");
    println!(
        "{:<22} {:>9} {:>9} {:>8}  {:<16} verdict",
        "case", "clarion", "baseline", "ratio", "goal"
    );
    for group in groups {
        let base_at = cases
            .iter()
            .position(|(g, f, _)| *g == group && *f == "baseline")
            .expect("every group has a baseline");
        let others: Vec<usize> = (0..cases.len())
            .filter(|&i| cases[i].0 == group && i != base_at)
            .collect();
        let mut base_samples = Vec::new();
        let mut samples = vec![Vec::new(); others.len()];
        for _ in 0..ROUNDS {
            base_samples.push((cases[base_at].2)());
            for (k, &i) in others.iter().enumerate() {
                samples[k].push((cases[i].2)());
            }
        }
        let base = median(base_samples);
        for (k, &i) in others.iter().enumerate() {
            let ms = median(std::mem::take(&mut samples[k]));
            let ratio = ms / base;
            let (goal, ok) = match (group, cases[i].1) {
                ("insert", "none") => ("<= 1.15x", Some(ratio <= 1.15)),
                ("insert", "two") => ("<= 1.3x", Some(ratio <= 1.3)),
                _ => ("(reported)", None),
            };
            let verdict = match ok {
                Some(true) => "PASS",
                Some(false) => "FAIL",
                None => "-",
            };
            println!(
                "{:<22} {ms:>9.2} {base:>9.2} {ratio:>7.2}x  {goal:<16} {verdict}",
                format!("{group}/{}", cases[i].1)
            );
        }
    }
}

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    clarion_db();
    check();
    let mut criterion = Criterion::default().configure_from_args();
    criterion_benches(&mut criterion);
    criterion.final_summary();
    // Without `--bench` (as under `cargo test --benches`) criterion runs each case once; the
    // table is for real benchmark runs only.
    if std::env::args().any(|a| a == "--bench") {
        ratio_table();
    }
}

//! The awaitable API (feature `tokio`) against the synchronous one it runs on (issue #16).
//!
//! **What is measured.** Saves of a model with one `pre_save` and one `post_save` receiver, to a
//! SQLite file (as a service has, so that each commit reaches the file):
//!
//! | case | clarion | baseline |
//! |---|---|---|
//! | `asave/own_transaction` | 200 `asave().await`s, each its own transaction, from a task on a multi-threaded runtime | 200 `save()`s, each its own transaction, from a plain thread |
//! | `asave/in_aatomic` | 2,000 `asave().await`s inside one `aatomic` block | 2,000 `save()`s inside one `atomic` block, from a plain thread |
//!
//! On PostgreSQL (when a server answers at `CLARION_TEST_POSTGRES_URL`, default the local one),
//! with a model whose `pre_save` and `post_save` receivers are `async fn`s, against raw
//! `tokio-postgres` running the same prepared `INSERT … RETURNING "id"`:
//!
//! | case | clarion | baseline (raw `tokio-postgres`) | goal |
//! |---|---|---|---|
//! | `postgres_asave/in_aatomic` | 2,000 `asave`s in one `aatomic` | 2,000 inserts in one transaction on one client | 1.3x |
//! | `postgres_asave/own_transaction` | 200 `asave`s, each its own transaction | 200 inserts, each its own statement | 1.3x |
//! | `postgres_asave/64_tasks` | 64 tasks × 200 `asave`s on a pool of 16 connections | the same on 16 clients shared through a semaphore | 1.25x (throughput ≥ 0.8x) |
//!
//! and, once, the latency of each `asave` of the 64-task case (p50, p99).
//!
//! The baseline is what the same program does without async: the synchronous call on a thread
//! of its own. The goal: the awaitable form at most 1.5x the synchronous one. The clarion side
//! pays what async costs here: handing each call to a blocking thread and back (and, inside
//! `aatomic`, to the block's thread over a channel).
//!
//! After criterion's report (under `cargo bench` only) the paired table
//! (`benches/support/paired.rs`) gives the ratios; `docs/performance.md` records them.

#[path = "support/paired.rs"]
mod paired;

use std::sync::atomic::{AtomicU64, Ordering};

use std::sync::Arc;
use std::time::{Duration, Instant};

use clarion::db::{self, Database};
use clarion::prelude::*;
use paired::{Case, timed};

const ALIAS: &str = "bench_async";

/// A model with one receiver for each save signal.
#[derive(Model, Clone)]
pub struct Watched {
    /// Assigned on insert.
    pub id: Option<i64>,
    /// Some text.
    #[model(max_length = 100)]
    pub title: String,
    /// A number.
    pub views: i64,
}

static SEEN: AtomicU64 = AtomicU64::new(0);

#[receiver(pre_save, sender = Watched)]
fn before(instance: &mut Watched) {
    SEEN.fetch_add(instance.views as u64 & 1, Ordering::Relaxed);
}

#[receiver(post_save, sender = Watched)]
fn after(created: bool) {
    SEEN.fetch_add(u64::from(created), Ordering::Relaxed);
}

fn instances(n: usize) -> Vec<Watched> {
    (0..n)
        .map(|i| Watched {
            id: None,
            title: format!("Post number {i}"),
            views: i as i64,
        })
        .collect()
}

fn clear() {
    db::atomic_using(ALIAS, |tx| tx.execute_batch("DELETE FROM watched")).unwrap();
}

/// The PostgreSQL model, with `async fn` receivers.
#[derive(Model, Clone)]
#[model(table = "signed")]
pub struct Signed {
    /// Assigned on insert.
    pub id: Option<i64>,
    /// Some text.
    pub title: String,
    /// A number.
    pub views: i64,
}

#[receiver(pre_save, sender = Signed)]
async fn before_async(instance: &mut Signed) {
    SEEN.fetch_add(instance.views as u64 & 1, Ordering::Relaxed);
}

#[receiver(post_save, sender = Signed)]
async fn after_async(created: bool) {
    SEEN.fetch_add(u64::from(created), Ordering::Relaxed);
}

const PG_ALIAS: &str = "bench_async_pg";
const INSERT: &str =
    "INSERT INTO \"signed\" (\"title\", \"views\") VALUES ($1, $2) RETURNING \"id\"";
const TASKS: usize = 64;
const PER_TASK: usize = 200;
const POOL: usize = 16;

fn signed(n: usize) -> Vec<Signed> {
    (0..n)
        .map(|i| Signed {
            id: None,
            title: format!("Post number {i}"),
            views: i as i64,
        })
        .collect()
}

/// The URL of the bench's PostgreSQL schema, set up with clarion's tables and registered as
/// [`PG_ALIAS`] with a pool of [`POOL`]; `None` (with a message) when no server answers.
fn postgres() -> Option<String> {
    static URL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        let server = std::env::var("CLARION_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let setup = Database::open_as("pg_setup", &server).ok()?;
        if let Err(error) = setup.atomic(|tx| {
            tx.execute_batch(
                "DROP SCHEMA IF EXISTS clarion_bench_async CASCADE; \
                 CREATE SCHEMA clarion_bench_async",
            )
        }) {
            println!("postgres_asave: skipped, no PostgreSQL server at {server}: {error}");
            return None;
        }
        let separator = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{separator}options=-c%20search_path%3Dclarion_bench_async");
        let database = Database::builder(&url)
            .alias(PG_ALIAS)
            .max_connections(POOL as u32)
            .build()
            .unwrap();
        db::register(database);
        clarion::migrate_using(PG_ALIAS).unwrap();
        Some(url)
    })
    .clone()
}

/// A raw client of the bench's schema with the bench's `INSERT` prepared once, as a competent
/// user keeps it: one preparation per connection, not one per row.
struct RawClient {
    client: tokio_postgres::Client,
    insert: tokio_postgres::Statement,
}

/// A [`RawClient`], its connection driven on `runtime`.
fn raw_client(runtime: &tokio::runtime::Runtime, url: &str) -> RawClient {
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let insert = client.prepare(INSERT).await.unwrap();
        RawClient { client, insert }
    })
}

/// The raw side of every PostgreSQL case: `rows` inserted with the prepared statement, each
/// returning its key.
async fn raw_insert(raw: &RawClient, rows: &[Signed]) {
    for row in rows {
        let id: i64 = raw
            .client
            .query_one(&raw.insert, &[&row.title, &row.views])
            .await
            .unwrap()
            .get(0);
        std::hint::black_box(id);
    }
}

fn clear_pg() {
    db::atomic_using(PG_ALIAS, |tx| tx.execute_batch("DELETE FROM signed")).unwrap();
}

/// 64 tasks × 200 `asave`s, each timed; how long each took.
async fn many_tasks() -> Vec<Duration> {
    let options = SaveOptions::new().using(PG_ALIAS);
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            tokio::spawn(async move {
                let mut took = Vec::with_capacity(PER_TASK);
                for mut instance in signed(PER_TASK) {
                    let began = Instant::now();
                    instance.asave_with(options).await.unwrap();
                    took.push(began.elapsed());
                }
                took
            })
        })
        .collect();
    let mut all = Vec::with_capacity(TASKS * PER_TASK);
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

fn postgres_cases(out: &mut Vec<Case>, runtime: &Arc<tokio::runtime::Runtime>) {
    let Some(url) = postgres() else { return };
    let options = SaveOptions::new().using(PG_ALIAS);

    let (rt, raw_rt) = (Arc::clone(runtime), Arc::clone(runtime));
    let raw = Arc::new(raw_client(runtime, &url));
    out.push(Case {
        group: "postgres_asave",
        name: "in_aatomic",
        goal: Some(1.3),
        limit: None,
        clarion: Box::new(move || {
            let all = signed(2_000);
            let t = timed(|| {
                rt.block_on(db::aatomic_using(PG_ALIAS, |_| async move {
                    for mut instance in all {
                        instance.asave_with(options).await?;
                    }
                    Ok(())
                }))
                .unwrap()
            });
            clear_pg();
            t
        }),
        baseline: Box::new(move || {
            let rows = signed(2_000);
            let raw = Arc::clone(&raw);
            let t = timed(|| {
                raw_rt.block_on(async {
                    raw.client.batch_execute("BEGIN").await.unwrap();
                    raw_insert(&raw, &rows).await;
                    raw.client.batch_execute("COMMIT").await.unwrap();
                })
            });
            clear_pg();
            t
        }),
    });

    let (rt, raw_rt) = (Arc::clone(runtime), Arc::clone(runtime));
    let raw = Arc::new(raw_client(runtime, &url));
    out.push(Case {
        group: "postgres_asave",
        name: "own_transaction",
        goal: Some(1.3),
        limit: None,
        clarion: Box::new(move || {
            let mut all = signed(200);
            let t = timed(|| {
                rt.block_on(async {
                    for instance in &mut all {
                        instance.asave_with(options).await.unwrap();
                    }
                })
            });
            clear_pg();
            t
        }),
        baseline: Box::new(move || {
            let rows = signed(200);
            let raw = Arc::clone(&raw);
            let t = timed(|| raw_rt.block_on(raw_insert(&raw, &rows)));
            clear_pg();
            t
        }),
    });

    let (rt, raw_rt) = (Arc::clone(runtime), Arc::clone(runtime));
    // What a competent user pools by hand: 16 clients, each task takes a free one.
    let clients: Vec<RawClient> = (0..POOL).map(|_| raw_client(runtime, &url)).collect();
    let pool = Arc::new(tokio::sync::Mutex::new(clients));
    let permits = Arc::new(tokio::sync::Semaphore::new(POOL));
    out.push(Case {
        group: "postgres_asave",
        name: "64_tasks",
        goal: Some(1.25),
        limit: None,
        clarion: Box::new(move || {
            let t = timed(|| {
                rt.block_on(many_tasks());
            });
            clear_pg();
            t
        }),
        baseline: Box::new(move || {
            let (pool, permits) = (Arc::clone(&pool), Arc::clone(&permits));
            let t = timed(|| {
                raw_rt.block_on(async move {
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|_| {
                            let (pool, permits) = (Arc::clone(&pool), Arc::clone(&permits));
                            tokio::spawn(async move {
                                for row in signed(PER_TASK) {
                                    let _permit = permits.acquire().await.unwrap();
                                    let client = pool.lock().await.pop().unwrap();
                                    raw_insert(&client, std::slice::from_ref(&row)).await;
                                    pool.lock().await.push(client);
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.unwrap();
                    }
                })
            });
            clear_pg();
            t
        }),
    });
}

/// The latency of each `asave` of the 64-task case, once.
fn report_latencies(runtime: &tokio::runtime::Runtime) {
    if postgres().is_none() {
        return;
    }
    let mut took = runtime.block_on(many_tasks());
    clear_pg();
    took.sort();
    let at = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
    println!(
        "postgres_asave/64_tasks latency of one asave: p50 {:?}, p99 {:?} ({} saves)",
        at(0.5),
        at(0.99),
        took.len()
    );
}

fn cases() -> Vec<Case> {
    let options = SaveOptions::new().using(ALIAS);
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    );
    let own = Arc::clone(&runtime);
    let mut out = Vec::new();
    postgres_cases(&mut out, &runtime);
    out.extend([
        Case {
            group: "asave",
            name: "own_transaction",
            goal: Some(1.5),
            limit: None,
            clarion: Box::new(move || {
                let mut all = instances(200);
                let t = timed(|| {
                    own.block_on(async {
                        for instance in &mut all {
                            instance.asave_with(options).await.unwrap();
                        }
                    })
                });
                clear();
                t
            }),
            baseline: Box::new(move || {
                let mut all = instances(200);
                let t = timed(|| {
                    for instance in &mut all {
                        instance.save_with(options).unwrap();
                    }
                });
                clear();
                t
            }),
        },
        Case {
            group: "asave",
            name: "in_aatomic",
            goal: Some(1.5),
            limit: None,
            clarion: Box::new(move || {
                let all = instances(2_000);
                let t = timed(|| {
                    runtime
                        .block_on(db::aatomic_using(ALIAS, |_| async move {
                            for mut instance in all {
                                instance.asave_with(options).await?;
                            }
                            Ok(())
                        }))
                        .unwrap()
                });
                clear();
                t
            }),
            baseline: Box::new(move || {
                let mut all = instances(2_000);
                let t = timed(|| {
                    db::atomic_using(ALIAS, |_| {
                        for instance in &mut all {
                            instance.save_with(options)?;
                        }
                        Ok(())
                    })
                    .unwrap()
                });
                clear();
                t
            }),
        },
    ]);
    out
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    db::register(Database::open_as(ALIAS, &url).unwrap());
    clarion::migrate_using(ALIAS).unwrap();
    paired::main("ms per run", cases);
    if std::env::args().any(|a| a == "--bench") {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        report_latencies(&runtime);
    }
}

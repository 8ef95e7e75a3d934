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

fn cases() -> Vec<Case> {
    let options = SaveOptions::new().using(ALIAS);
    let runtime = std::sync::Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    );
    let own = std::sync::Arc::clone(&runtime);
    vec![
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
    ]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    db::register(Database::open_as(ALIAS, &url).unwrap());
    clarion::migrate_using(ALIAS).unwrap();
    paired::main("ms per run", cases);
}

//! The awaitable API (feature `tokio`): saves, deletes, reloads and query sets with their
//! receivers, `aatomic` across `.await`s, synchronous calls refused inside it, cancellation at
//! every await point, many tasks at once, and calls made without a runtime.
//!
//! `tests/postgres_async_models.rs` runs the same on PostgreSQL (see `tests/support/backend.rs`).

use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use clarion::Error;
use clarion::db::{self, Backend, Database, Transaction};
use clarion::models::SaveOptions;
use clarion::prelude::*;

#[path = "support/backend.rs"]
mod backend;

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "asyncm", many_to_many(tags = Tag))]
pub struct Note {
    pub id: Option<i64>,
    pub title: String,
    pub slug: String,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "asyncm")]
pub struct Tag {
    pub id: Option<i64>,
    pub name: String,
}

static M2M: Mutex<Vec<(String, M2mAction, usize)>> = Mutex::new(Vec::new());

#[receiver(m2m_changed, sender = NoteTags)]
fn record_tags(instance: &Note, action: M2mAction, pk_set: &Option<PkSet>, using: &str) {
    M2M.lock().unwrap().push((
        format!("{using}:{}", instance.title),
        action,
        pk_set.as_ref().map_or(0, |set| set.len()),
    ));
}

/// One row per `post_save` of a `Note`, written by the receiver inside the save's transaction.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "asyncm")]
pub struct Audit {
    pub id: Option<i64>,
    pub note: i64,
    pub created: bool,
}

#[receiver(pre_save, sender = Note)]
fn slugify(instance: &mut Note) -> clarion::Result<()> {
    if instance.title == "forbidden" {
        return Err("titles may not be `forbidden`".into());
    }
    instance.slug = instance.title.to_lowercase().replace(' ', "-");
    Ok(())
}

#[receiver(post_save, sender = Note)]
fn audit(instance: &Note, created: bool, using: &str) -> clarion::Result<()> {
    if instance.title == "panics after writing" {
        panic!("the audit receiver panicked");
    }
    let mut row = Audit {
        id: None,
        note: instance.id.expect("saved"),
        created,
    };
    row.save_with(SaveOptions::new().using(using))?;
    if instance.title == "held" {
        // Holds the save open, its rows written, until the test lets it go.
        HELD.store(true, Ordering::SeqCst);
        while !RELEASED.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    Ok(())
}

static HELD: AtomicBool = AtomicBool::new(false);
static RELEASED: AtomicBool = AtomicBool::new(false);

static DELETED: Mutex<Vec<(String, i64)>> = Mutex::new(Vec::new());

#[receiver(post_delete, sender = Note)]
fn record_delete(instance: &Note, using: &str) {
    DELETED
        .lock()
        .unwrap()
        .push((using.to_owned(), instance.id.unwrap_or(-1)));
}

/// A database for `alias` that several connections can use at once: a SQLite file, or a fresh
/// PostgreSQL schema; migrated.
fn database(alias: &'static str) -> &'static str {
    match backend::backend() {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("clarion-async-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("{alias}.sqlite"));
            let _ = std::fs::remove_file(&path);
            let url = format!("sqlite://{}", path.display());
            db::register(Database::open_as(alias, &url).unwrap());
        }
        _ => {
            backend::register(alias);
        }
    }
    clarion::migrate_using(alias).unwrap();
    alias
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn note(title: &str) -> Note {
    Note {
        id: None,
        title: title.into(),
        slug: String::new(),
    }
}

async fn counts(using: &'static str) -> (usize, usize) {
    (
        Note::objects().using(using).acount().await.unwrap(),
        Audit::objects().using(using).acount().await.unwrap(),
    )
}

#[test]
fn awaitable_saves_deletes_and_queries_run_their_receivers_and_copy_the_instance_back() {
    let using = database("async_crud");
    runtime().block_on(async move {
        let mut first = note("Hello World");
        first
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap();
        // The key the insert gave it and what `pre_save` changed came back to the caller's copy.
        assert!(first.id.is_some());
        assert_eq!(first.slug, "hello-world");
        // `post_save` wrote inside the save's transaction.
        assert_eq!(counts(using).await, (1, 1));

        first.title = "Hello Again".into();
        first
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap();
        let audits = Audit::objects().using(using).aall().await.unwrap();
        assert_eq!(
            audits.iter().map(|a| a.created).collect::<Vec<_>>(),
            [true, false]
        );

        let set = Note::objects().using(using);
        let found = set
            .clone()
            .filter(Note::SLUG.eq("hello-again"))
            .aget()
            .await
            .unwrap();
        assert_eq!(found, first);
        assert!(set.aexists().await.unwrap());
        assert_eq!(set.afirst().await.unwrap(), Some(first.clone()));
        assert_eq!(set.alast().await.unwrap(), Some(first.clone()));
        assert_eq!(set.afetch().await.unwrap(), [first.clone()]);
        assert!(matches!(
            set.clone().filter(Note::SLUG.eq("nothing")).aget().await,
            Err(Error::DoesNotExist { .. })
        ));

        assert_eq!(
            set.aupdate(&[Note::TITLE.set("Changed Elsewhere")])
                .await
                .unwrap(),
            1
        );
        first.arefresh_from_db_using(using).await.unwrap();
        assert_eq!(first.title, "Changed Elsewhere");

        // A refused save: the receiver's error, nothing written.
        let mut refused = note("forbidden");
        let error = refused
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Receiver { .. }), "{error:?}");
        assert!(error.to_string().contains("slugify"), "{error}");
        assert_eq!(refused.id, None);
        assert_eq!(counts(using).await, (1, 2));

        // A panicking receiver is an error naming it, and its save's writes are undone.
        let mut panics = note("panics after writing");
        let error = panics
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap_err();
        assert!(error.to_string().contains("audit"), "{error}");
        assert_eq!(counts(using).await, (1, 2));

        let id = first.id.unwrap();
        let deleted = first.adelete_using(using).await.unwrap();
        assert_eq!(deleted.total, 1);
        // An automatic key is `None` again after a delete, on the caller's copy too.
        assert_eq!(first.id, None);
        assert!(DELETED.lock().unwrap().contains(&(using.to_owned(), id)));
        assert_eq!(
            Audit::objects().using(using).adelete().await.unwrap().total,
            2
        );
        assert_eq!(counts(using).await, (0, 0));
    });
}

#[test]
fn aatomic_commits_across_awaits_and_rolls_back_on_error() {
    let using = database("async_atomic");
    runtime().block_on(async move {
        let committed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = std::sync::Arc::clone(&committed);
        let (id, inside) = db::aatomic_using(using, |tx| async move {
            let mut a = note("First");
            a.asave_with(SaveOptions::new().using(using)).await?;
            // The task may resume on another worker thread: the transaction follows it.
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(5)).await;
            let mut b = note("Second");
            b.asave_with(SaveOptions::new().using(using)).await?;
            tx.on_commit(move || {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
            // Reads inside the block see its writes.
            let inside = Note::objects().using(using).acount().await?;
            Ok((a.id, inside))
        })
        .await
        .unwrap();
        assert!(id.is_some());
        assert_eq!(inside, 2);
        assert_eq!(committed.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(counts(using).await, (2, 2));

        // An error rolls back all of it, receivers' writes included; on_commit never runs.
        let error = db::aatomic_using(using, |tx| {
            let committed = std::sync::Arc::clone(&committed);
            async move {
                note("Third")
                    .asave_with(SaveOptions::new().using(using))
                    .await?;
                tx.on_commit(move || {
                    committed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                });
                Err::<(), _>(Error::msg("changed my mind"))
            }
        })
        .await
        .unwrap_err();
        assert_eq!(error.to_string(), "changed my mind");
        assert_eq!(committed.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(counts(using).await, (2, 2));

        // Nested blocks are savepoints: the inner failure undoes only the inner writes.
        db::aatomic_using(using, |_| async move {
            note("Kept")
                .asave_with(SaveOptions::new().using(using))
                .await?;
            let inner = db::aatomic_using(using, |_| async move {
                note("Dropped")
                    .asave_with(SaveOptions::new().using(using))
                    .await?;
                Err::<(), _>(Error::msg("inner"))
            })
            .await;
            assert!(inner.is_err());
            db::aatomic_using(using, |_| async move {
                note("Also kept")
                    .asave_with(SaveOptions::new().using(using))
                    .await
            })
            .await
        })
        .await
        .unwrap();
        let mut titles: Vec<String> = Note::objects()
            .using(using)
            .aall()
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.title)
            .collect();
        titles.sort();
        assert_eq!(titles, ["Also kept", "First", "Kept", "Second"]);
        assert_eq!(counts(using).await, (4, 4));

        // Raw SQL and synchronous clarion calls run inside the transaction through `run`.
        let table = Note::META.table;
        let inside = db::aatomic_using(using, |tx| async move {
            tx.run(move |tx: &Transaction| {
                tx.execute_batch(&format!("DELETE FROM {table} WHERE title = 'Kept'"))?;
                Note::objects().using(using).count()
            })
            .await
        })
        .await
        .unwrap();
        assert_eq!(inside, 3);
        assert_eq!(counts(using).await.0, 3);
    });
}

#[test]
fn a_synchronous_call_inside_aatomic_is_refused_saying_what_to_call() {
    let using = database("async_sync_inside");
    runtime().block_on(async move {
        let outcome = db::aatomic_using(using, |_| async move {
            note("async")
                .asave_with(SaveOptions::new().using(using))
                .await?;
            // Would run beside the block's transaction (and on SQLite wait for its lock).
            let error = note("sync")
                .save_with(SaveOptions::new().using(using))
                .unwrap_err();
            assert!(
                matches!(&error, Error::SyncInAsyncTransaction { alias } if alias == using),
                "{error:?}"
            );
            assert!(error.to_string().contains("asave"), "{error}");
            let error = Note::objects().using(using).count().unwrap_err();
            assert!(matches!(error, Error::SyncInAsyncTransaction { .. }));
            Ok(())
        })
        .await;
        outcome.unwrap();
        assert_eq!(counts(using).await, (1, 1));
    });
}

/// Polls `future` at most `polls` times (letting the blocking threads run between polls), then
/// drops it; whether it finished.
async fn poll_then_drop<F: Future>(future: F, polls: usize) -> bool {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..polls {
        if future.as_mut().poll(&mut context).is_ready() {
            return true;
        }
        tokio::time::sleep(Duration::from_micros(300)).await;
    }
    false
}

/// Waits until the blocking work of dropped futures has ended: the counts stop moving.
async fn settled(using: &'static str) -> (usize, usize) {
    let mut last = counts(using).await;
    loop {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let now = counts(using).await;
        if now == last {
            return now;
        }
        last = now;
    }
}

#[test]
fn a_future_dropped_at_any_await_point_leaves_nothing_half_written() {
    let using = database("async_cancel");
    runtime().block_on(async move {
        let mut finished = [0, 0];
        for polls in 0..40 {
            // A save with its receiver's write: both or neither.
            let before = settled(using).await;
            let done = poll_then_drop(
                async move {
                    note("one")
                        .asave_with(SaveOptions::new().using(using))
                        .await
                        .unwrap()
                },
                polls,
            )
            .await;
            let after = settled(using).await;
            let added = (after.0 - before.0, after.1 - before.1);
            assert!(
                added == (0, 0) || added == (1, 1),
                "after {polls} polls: {added:?}"
            );
            if done {
                finished[0] += 1;
                assert_eq!(added, (1, 1));
            }

            // A block of two saves with an await between them: all or nothing.
            let before = settled(using).await;
            let done = poll_then_drop(
                db::aatomic_using(using, |_| async move {
                    note("a")
                        .asave_with(SaveOptions::new().using(using))
                        .await?;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    note("b").asave_with(SaveOptions::new().using(using)).await
                }),
                polls,
            )
            .await;
            let after = settled(using).await;
            let added = (after.0 - before.0, after.1 - before.1);
            assert!(
                added == (0, 0) || added == (2, 2),
                "after {polls} polls: {added:?}"
            );
            if done {
                finished[1] += 1;
                assert_eq!(added, (2, 2));
            }
        }
        // Both shapes were cut short at some points and finished at others.
        assert!(finished[0] > 0 && finished[0] < 40, "{finished:?}");
        assert!(finished[1] > 0 && finished[1] < 40, "{finished:?}");
        // The connections and the lock were given back: the database works as before.
        let mut last = note("after");
        last.asave_with(SaveOptions::new().using(using))
            .await
            .unwrap();
        db::aatomic_using(using, |_| async move {
            note("after, in a block")
                .asave_with(SaveOptions::new().using(using))
                .await
        })
        .await
        .unwrap();
    });
}

#[test]
fn a_save_whose_future_is_dropped_before_its_commit_is_rolled_back() {
    let using = database("async_dropped_save");
    runtime().block_on(async move {
        let mut future = Box::pin(async move {
            note("held")
                .asave_with(SaveOptions::new().using(using))
                .await
        });
        let mut context = Context::from_waker(Waker::noop());
        // Polls until the save is inside its post_save receiver, its rows written.
        while !HELD.load(Ordering::SeqCst) {
            assert!(future.as_mut().poll(&mut context).is_pending());
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(future);
        RELEASED.store(true, Ordering::SeqCst);
        // The save went on to its end on its thread, and rolled back instead of committing.
        assert_eq!(settled(using).await, (0, 0));
        note("next")
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap();
        assert_eq!(counts(using).await, (1, 1));
    });
}

#[test]
fn a_timeout_around_aatomic_rolls_it_back_and_frees_the_database() {
    let using = database("async_timeout");
    runtime().block_on(async move {
        let outcome = tokio::time::timeout(
            Duration::from_millis(50),
            db::aatomic_using(using, |_| async move {
                note("slow")
                    .asave_with(SaveOptions::new().using(using))
                    .await?;
                tokio::time::sleep(Duration::from_secs(10)).await;
                Ok(())
            }),
        )
        .await;
        assert!(outcome.is_err(), "timed out");
        // Rolled back, and the write lock (SQLite) or row locks (PostgreSQL) are free: another
        // writer goes through at once.
        let began = std::time::Instant::now();
        note("next")
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap();
        assert!(
            began.elapsed() < Duration::from_secs(2),
            "{:?}",
            began.elapsed()
        );
        let titles: Vec<String> = Note::objects()
            .using(using)
            .aall()
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.title)
            .collect();
        assert_eq!(titles, ["next"]);
    });
}

#[test]
fn a_panic_inside_aatomic_rolls_it_back_and_continues_in_the_task() {
    let using = database("async_panic");
    let runtime = runtime();
    let joined = runtime.block_on(runtime.spawn(async move {
        db::aatomic_using(using, |tx| async move {
            note("kept?")
                .asave_with(SaveOptions::new().using(using))
                .await?;
            tx.run(|_| -> clarion::Result<()> { panic!("boom in run") })
                .await
        })
        .await
    }));
    let payload = joined.unwrap_err().into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom in run"));
    runtime.block_on(async move {
        assert_eq!(counts(using).await, (0, 0));
        note("works")
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap();
        assert_eq!(counts(using).await, (1, 1));
    });
}

#[test]
fn sixty_four_tasks_saving_at_once_lose_nothing() {
    const TASKS: usize = 64;
    const SAVES: usize = 20;
    let using = database("async_many");
    runtime().block_on(async move {
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                tokio::spawn(async move {
                    for n in 0..SAVES {
                        let mut item = note(&format!("task {task} save {n}"));
                        if n % 2 == 0 {
                            item.asave_with(SaveOptions::new().using(using)).await?;
                        } else {
                            db::aatomic_using(using, |_| async move {
                                item.asave_with(SaveOptions::new().using(using)).await?;
                                tokio::task::yield_now().await;
                                Ok(())
                            })
                            .await?;
                        }
                    }
                    Ok::<_, Error>(())
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(counts(using).await, (TASKS * SAVES, TASKS * SAVES));
    });
}

#[test]
fn without_a_runtime_an_awaitable_call_says_it_needs_one() {
    let notes = Note::objects();
    let mut future = pin!(notes.acount());
    let mut context = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut context) {
        Poll::Ready(Err(Error::NoAsyncRuntime)) => {}
        other => panic!("expected NoAsyncRuntime, got {other:?}"),
    }
    let mut future = pin!(db::aatomic(|_| async { Ok(()) }));
    let outcome = future.as_mut().poll(&mut context);
    assert!(
        matches!(outcome, Poll::Ready(Err(Error::NoAsyncRuntime))),
        "{outcome:?}"
    );
    assert!(
        Error::NoAsyncRuntime.to_string().contains("tokio runtime"),
        "{}",
        Error::NoAsyncRuntime
    );
}

#[test]
fn awaitable_many_to_many_changes_and_fixtures_send_their_signals() {
    let using = database("async_m2m");
    runtime().block_on(async move {
        let opts = SaveOptions::new().using(using);
        let mut post = note("Tagged");
        post.asave_with(opts).await.unwrap();
        let mut tags = Vec::new();
        for name in ["rust", "async", "django"] {
            let mut tag = Tag {
                id: None,
                name: name.into(),
            };
            tag.asave_with(opts).await.unwrap();
            tags.push(tag);
        }
        post.tags().using(using).aadd(&tags[..2]).await.unwrap();
        assert_eq!(post.tags().using(using).akeys().await.unwrap().len(), 2);
        post.tags().using(using).aremove(&tags[..1]).await.unwrap();
        post.tags()
            .using(using)
            .aset_keys(tags.iter().map(|t| t.id.unwrap()))
            .await
            .unwrap();
        assert_eq!(post.tags().using(using).akeys().await.unwrap().len(), 3);
        post.tags().using(using).aclear().await.unwrap();
        assert!(post.tags().using(using).akeys().await.unwrap().is_empty());
        let heard: Vec<(M2mAction, usize)> = M2M
            .lock()
            .unwrap()
            .iter()
            .filter(|(who, _, _)| who == &format!("{using}:Tagged"))
            .map(|(_, action, n)| (*action, *n))
            .collect();
        assert_eq!(
            heard,
            [
                (M2mAction::PreAdd, 2),
                (M2mAction::PostAdd, 2),
                (M2mAction::PreRemove, 1),
                (M2mAction::PostRemove, 1),
                // `set` adds the two not related yet (the first tag again, and the third).
                (M2mAction::PreAdd, 2),
                (M2mAction::PostAdd, 2),
                (M2mAction::PreClear, 0),
                (M2mAction::PostClear, 0),
            ]
        );
        // An unsaved instance is refused, as by the synchronous manager.
        let mut unsaved = note("Unsaved");
        let error = unsaved.tags().using(using).aadd(&tags).await.unwrap_err();
        assert!(matches!(error, Error::Unsaved { .. }), "{error:?}");

        // Fixtures: dumped and loaded again, awaitably.
        let dumped = clarion::fixtures::adump_using(&["asyncm.tag"], using)
            .await
            .unwrap();
        Tag::objects().using(using).adelete().await.unwrap();
        let loaded = clarion::fixtures::aload_using(&dumped, using)
            .await
            .unwrap();
        assert_eq!(loaded.count, 3);
        assert_eq!(Tag::objects().using(using).acount().await.unwrap(), 3);
        let malformed = clarion::fixtures::aload_using("[{\"model\": 3}]", using).await;
        assert!(malformed.is_err());
        assert_eq!(Tag::objects().using(using).acount().await.unwrap(), 3);
    });
}

#[test]
fn test_aids_see_what_the_awaited_calls_send_and_run_and_not_what_spawned_tasks_do() {
    use clarion::models::signals::{PostSave, post_save};
    use clarion::testing;

    let using = database("async_aids");
    runtime().block_on(async move {
        let saves = testing::capture(&post_save, |_, args: &PostSave<'_>| {
            (args.instance.meta().label, args.created)
        });
        let queries = testing::capture_queries();
        note("Captured")
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap();
        // The note's post_save (recorded as it is sent), then its receiver's audit row's, on
        // the blocking thread.
        assert_eq!(
            saves.take(),
            [("asyncm.note", true), ("asyncm.audit", true)]
        );
        let inserts = queries
            .take()
            .into_iter()
            .filter(|q| q.sql.starts_with("INSERT"))
            .count();
        assert_eq!(inserts, 2);

        // Inside an aatomic block too, on the block's thread.
        db::aatomic_using(using, |_| async move {
            note("In a block")
                .asave_with(SaveOptions::new().using(using))
                .await
        })
        .await
        .unwrap();
        assert_eq!(saves.len(), 2);
        saves.take();

        // Muting reaches the awaited work: no audit row is written.
        {
            let _quiet =
                testing::mute_receiver_named(&post_save, &format!("{}::audit", module_path!()));
            note("Muted")
                .asave_with(SaveOptions::new().using(using))
                .await
                .unwrap();
        }
        assert_eq!(saves.take(), [("asyncm.note", true)]);

        // A spawned task is not in the test's scope.
        tokio::spawn(async move {
            note("Elsewhere")
                .asave_with(SaveOptions::new().using(using))
                .await
                .unwrap()
        })
        .await
        .unwrap();
        assert!(saves.is_empty());
        assert_eq!(counts(using).await, (4, 3));
    });
}

#[test]
fn a_connection_killed_inside_aatomic_is_connection_lost_and_the_next_call_works() {
    if backend::backend() != Backend::Postgres {
        return; // SQLite has no connection to kill.
    }
    use clarion::Value;
    let using = database("async_killed");
    runtime().block_on(async move {
        let error = db::aatomic_using(using, |tx| async move {
            note("Lost")
                .asave_with(SaveOptions::new().using(using))
                .await?;
            let pid = tx
                .run(|tx| tx.query_values("SELECT pg_backend_pid()", &[]))
                .await?;
            let Value::Int(pid) = pid[0][0] else {
                panic!("{pid:?}");
            };
            // Another session kills this block's connection.
            tokio::task::spawn_blocking(move || {
                let server = Database::open_as("async_killer", &backend::postgres_url()).unwrap();
                server
                    .atomic(|tx| {
                        tx.query_values("SELECT pg_terminate_backend($1)", &[Value::Int(pid)])
                    })
                    .unwrap()
            })
            .await
            .unwrap();
            note("After the kill")
                .asave_with(SaveOptions::new().using(using))
                .await
        })
        .await
        .unwrap_err();
        assert!(matches!(error, Error::ConnectionLost { .. }), "{error:?}");
        // Nothing of the block was kept, and the pool hands out a fresh connection.
        note("Next")
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap();
        let titles: Vec<String> = Note::objects()
            .using(using)
            .aall()
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.title)
            .collect();
        assert_eq!(titles, ["Next"]);
    });
}

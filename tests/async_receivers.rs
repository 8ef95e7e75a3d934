//! `#[receiver]` on an `async fn`: awaited where the signal is sent, inside the save's
//! transaction, from the awaitable API and from the synchronous one, on every kind of thread;
//! a clear error where nothing may block.
//!
//! `tests/postgres_async_receivers.rs` runs the same on PostgreSQL.

use std::sync::Mutex;
use std::time::Duration;

use clarion::Error;
use clarion::db::{self, Backend, Database};
use clarion::models::SaveOptions;
use clarion::prelude::*;

#[path = "support/backend.rs"]
mod backend;

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "asyncr")]
pub struct Memo {
    pub id: Option<i64>,
    pub title: String,
    pub slug: String,
}

/// Written by the async `post_save` receiver, with an awaitable save, inside the memo's
/// transaction.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "asyncr")]
pub struct MemoLog {
    pub id: Option<i64>,
    pub memo: i64,
}

static NESTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

// Awaited inside `log_memo`'s await: async receivers nest.
#[receiver(pre_save, sender = MemoLog)]
async fn count_logs() {
    tokio::task::yield_now().await;
    NESTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// What the `on = commit` receiver heard: (alias, memo title).
static COMMITTED: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

// Django 5: `async def slugify(sender, instance, **kwargs)`.
#[receiver(pre_save, sender = Memo)]
async fn slugify(instance: &mut Memo) -> clarion::Result<()> {
    // Stands for an HTTP call or another service.
    tokio::time::sleep(Duration::from_millis(1)).await;
    match instance.title.as_str() {
        "refused" => Err("the spam filter said no".into()),
        "panics" => panic!("the async receiver panicked"),
        _ => {
            instance.slug = instance.title.to_lowercase().replace(' ', "-");
            Ok(())
        }
    }
}

#[receiver(post_save, sender = Memo)]
async fn log_memo(instance: &Memo, using: &str, created: bool) -> clarion::Result<()> {
    tokio::task::yield_now().await;
    if created {
        let mut log = MemoLog {
            id: None,
            memo: instance.id.expect("saved"),
        };
        // Awaited inside the receiver: joins the save's transaction.
        log.asave_with(SaveOptions::new().using(using)).await?;
    }
    if instance.title == "logged, then refused" {
        return Err("refused after logging".into());
    }
    Ok(())
}

#[receiver(post_save, sender = Memo, on = commit)]
async fn after_commit(instance: &Memo, using: &str) {
    tokio::time::sleep(Duration::from_millis(1)).await;
    COMMITTED
        .lock()
        .unwrap()
        .push((using.to_owned(), instance.title.clone()));
}

fn database(alias: &'static str) -> &'static str {
    match backend::backend() {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("clarion-asyncr-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("{alias}.sqlite"));
            let _ = std::fs::remove_file(&path);
            db::register(
                Database::open_as(alias, &format!("sqlite://{}", path.display())).unwrap(),
            );
        }
        _ => {
            backend::register(alias);
        }
    }
    clarion::migrate_using(alias).unwrap();
    alias
}

fn memo(title: &str) -> Memo {
    Memo {
        id: None,
        title: title.into(),
        slug: String::new(),
    }
}

fn committed(using: &str) -> Vec<String> {
    COMMITTED
        .lock()
        .unwrap()
        .iter()
        .filter(|(alias, _)| alias == using)
        .map(|(_, title)| title.clone())
        .collect()
}

fn rows(using: &'static str) -> (usize, usize) {
    std::thread::spawn(move || {
        (
            Memo::objects().using(using).count().unwrap(),
            MemoLog::objects().using(using).count().unwrap(),
        )
    })
    .join()
    .unwrap()
}

#[test]
fn async_receivers_run_inside_an_awaitable_save_and_can_refuse_it() {
    let using = database("asyncr_asave");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let mut saved = memo("Hello Async");
        saved
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap();
        assert_eq!(saved.slug, "hello-async");
        assert_eq!(rows(using), (1, 1));
        assert!(NESTED.load(std::sync::atomic::Ordering::SeqCst) >= 1);
        assert_eq!(committed(using), ["Hello Async"]);

        // Refused by the async pre_save: nothing written, the receiver named.
        let error = memo("refused")
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap_err();
        assert!(error.to_string().contains("slugify"), "{error}");
        assert!(error.to_string().contains("spam filter"), "{error}");
        // Refused after the async post_save logged: its log row goes with the memo.
        let error = memo("logged, then refused")
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap_err();
        assert!(error.to_string().contains("log_memo"), "{error}");
        // A panicking async receiver is an error naming it.
        let error = memo("panics")
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Receiver { receiver, .. } if receiver.contains("slugify")),
            "{error:?}"
        );
        assert_eq!(rows(using), (1, 1));
        assert_eq!(committed(using), ["Hello Async"]);

        // Inside an aatomic block, with the block's rollback undoing the receivers' writes.
        let outcome = db::aatomic_using(using, |_| async move {
            memo("In a block")
                .asave_with(SaveOptions::new().using(using))
                .await?;
            Err::<(), _>(Error::msg("rolled back"))
        })
        .await;
        assert!(outcome.is_err());
        assert_eq!(rows(using), (1, 1));
        assert_eq!(committed(using), ["Hello Async"]);
    });
}

#[test]
fn the_synchronous_api_awaits_async_receivers_on_any_thread_that_may_block() {
    let using = database("asyncr_sync");
    // A plain thread: no runtime, clarion awaits them on one of the thread's own.
    let mut plain = memo("From A Thread");
    plain.save_with(SaveOptions::new().using(using)).unwrap();
    assert_eq!(plain.slug, "from-a-thread");
    assert_eq!(rows(using), (1, 1));

    // A handler calling the synchronous API on a multi-threaded runtime's worker.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let slug = runtime
        .block_on(runtime.spawn(async move {
            let mut handler = memo("From A Handler");
            handler.save_with(SaveOptions::new().using(using))?;
            Ok::<_, Error>(handler.slug)
        }))
        .unwrap()
        .unwrap();
    assert_eq!(slug, "from-a-handler");
    assert_eq!(rows(using), (2, 2));
    assert_eq!(committed(using), ["From A Thread", "From A Handler"]);
}

#[test]
fn on_a_single_threaded_runtime_the_synchronous_call_says_to_await_instead() {
    let using = database("asyncr_current");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        // Nothing may block the runtime's one thread: the receiver cannot run, the save is
        // refused whole.
        let error = memo("Blocked")
            .save_with(SaveOptions::new().using(using))
            .unwrap_err();
        if backend::backend() == Backend::Postgres {
            // The synchronous PostgreSQL driver cannot run here at all: refused before the
            // receivers.
            assert!(matches!(error, Error::BlockingInAsync { .. }), "{error:?}");
        } else {
            let Error::Receiver {
                receiver: name,
                source,
                ..
            } = &error
            else {
                panic!("{error:?}");
            };
            assert!(name.contains("slugify"), "{name}");
            assert!(
                matches!(**source, Error::AsyncReceiverBlocked),
                "{source:?}"
            );
        }
        assert!(error.to_string().contains("asave"), "{error}");
        assert_eq!(rows(using), (0, 0));

        // The awaitable form runs them on a blocking thread.
        let mut awaited = memo("Awaited");
        awaited
            .asave_with(SaveOptions::new().using(using))
            .await
            .unwrap();
        assert_eq!(awaited.slug, "awaited");
        assert_eq!(rows(using), (1, 1));
    });
}

//! clarion's blocking API called from async code on PostgreSQL, as a tokio service calls it
//! (`migrate()` inside `#[tokio::main]`, a `save()` in a handler): it works, or, where blocking
//! is impossible, returns a clear error. It never aborts the process.
//!
//! The sync `postgres` driver blocks on a runtime of its own, which tokio refuses on a thread
//! that drives a runtime; before, that panic hit again while the connection was dropped during
//! the unwind, and the process aborted (SIGABRT).

#[path = "support/backend.rs"]
mod backend;

use clarion::Error;
use clarion::db::Backend;
use clarion::models::SaveOptions;
use clarion::prelude::*;

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "asyncctx")]
pub struct Ticket {
    pub id: Option<i64>,
    pub title: String,
}

fn ticket(title: &str, using: &str) -> clarion::Result<Ticket> {
    let mut ticket = Ticket {
        id: None,
        title: title.into(),
    };
    ticket.save_with(SaveOptions::new().using(using))?;
    Ok(ticket)
}

fn count(using: &str) -> usize {
    Ticket::objects().using(using.to_owned()).count().unwrap()
}

#[test]
fn on_a_multi_threaded_runtime_the_blocking_api_works_in_main_and_in_tasks() {
    assert_eq!(backend::backend(), Backend::Postgres);
    let using = backend::register("async_multi");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        // `#[tokio::main]`'s thread.
        clarion::migrate_using(using).unwrap();
        ticket("from main", using).unwrap();
        // A handler's: a task on a worker thread.
        let saved = tokio::spawn(async move { ticket("from a task", using).map(|t| t.id) })
            .await
            .unwrap()
            .unwrap();
        assert!(saved.is_some());
        // And what the axum example did so far.
        tokio::task::spawn_blocking(move || ticket("from spawn_blocking", using))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(count(using), 3);
    });
}

#[test]
fn on_a_current_thread_runtime_it_is_a_clear_error_and_spawn_blocking_works() {
    assert_eq!(backend::backend(), Backend::Postgres);
    let using = backend::register("async_current");
    clarion::migrate_using(using).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let error = ticket("refused", using).unwrap_err();
        assert!(
            matches!(&error, Error::BlockingInAsync { alias } if alias == using),
            "{error:?}"
        );
        assert!(error.to_string().contains("spawn_blocking"), "{error}");
        tokio::task::spawn_blocking(move || ticket("kept", using))
            .await
            .unwrap()
            .unwrap();
    });
    assert_eq!(
        Ticket::objects()
            .using(using)
            .all()
            .unwrap()
            .into_iter()
            .map(|t| t.title)
            .collect::<Vec<_>>(),
        ["kept"]
    );
}

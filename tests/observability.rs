//! What clarion shows of its work: the statements it runs, counted by
//! `testing::capture_queries` and `testing::assert_num_queries`, and the `tracing` spans of
//! statements, transactions and sends, with the error event of a receiver that fails in
//! `send_robust`. `tests/postgres_observability.rs` runs the same on PostgreSQL.

#[path = "support/memory_db.rs"]
mod memory_db;

use std::collections::HashMap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use clarion::db;
use clarion::models::SaveOptions;
use clarion::prelude::*;
use clarion::testing;
use memory_db::{database, save};

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "obs")]
pub struct Note {
    pub id: Option<i64>,
    pub text: String,
}

#[receiver(pre_save, sender = Note)]
fn refuse_forbidden(instance: &Note) -> clarion::Result<()> {
    if instance.text == "forbidden" {
        return Err("notes may not say `forbidden`".into());
    }
    Ok(())
}

/// The arguments of [`PING`].
#[derive(SignalArgs)]
pub struct Ping {
    /// Unused.
    pub n: u32,
}

signal! {
    /// Sent by the tests, with a receiver that fails on 13.
    pub static PING: Signal<Ping>;
}

#[receiver(PING)]
fn unlucky(args: &Ping) -> clarion::Result<()> {
    if args.n == 13 {
        return Err("13 is unlucky".into());
    }
    Ok(())
}

fn note(text: &str) -> Note {
    Note {
        id: None,
        text: text.into(),
    }
}

#[test]
fn each_write_and_read_is_counted_once_and_transaction_control_is_not() {
    let alias = database("obs_count");
    let mut saved = testing::assert_num_queries(1, || save(note("first"), alias));
    // Inside a block, the same one statement per save: BEGIN and COMMIT are not counted.
    testing::assert_num_queries(2, || {
        db::atomic_using(alias, |_| {
            save(note("second"), alias);
            saved.text = "first, changed".into();
            saved.save_with(SaveOptions::new().using(alias))
        })
    })
    .unwrap();
    let all = testing::assert_num_queries(1, || Note::objects().using(alias).all()).unwrap();
    assert_eq!(all.len(), 2);

    let queries = testing::capture_queries();
    Note::objects().using(alias).count().unwrap();
    let ran = queries.take();
    assert_eq!(ran.len(), 1);
    assert_eq!(ran[0].using, alias);
    assert!(
        ran[0].sql.to_lowercase().starts_with("select count"),
        "{ran:?}"
    );
    assert!(queries.is_empty(), "taken");
}

#[test]
fn a_count_that_differs_fails_with_every_statement_listed() {
    let alias = database("obs_mismatch");
    let failure = panic::catch_unwind(AssertUnwindSafe(|| {
        testing::assert_num_queries(0, || save(note("unexpected"), alias))
    }))
    .unwrap_err();
    let message = failure
        .downcast_ref::<String>()
        .expect("a formatted message");
    assert!(
        message.starts_with("1 queries ran, 0 expected:\n1. [obs_mismatch] INSERT INTO"),
        "{message}"
    );
}

#[test]
fn captures_are_per_thread_and_nest() {
    let alias = database("obs_threads");
    let outer = testing::capture_queries();
    let inner = testing::capture_queries();
    std::thread::scope(|scope| {
        scope.spawn(|| save(note("elsewhere"), alias));
    });
    assert!(outer.is_empty(), "another thread's statement");
    save(note("here"), alias);
    drop(inner);
    save(note("here again"), alias);
    assert_eq!(
        outer.len(),
        2,
        "both saves of this thread, inner capture or not"
    );
}

/// Spans and events as text: `name target field=value …`, with the fields recorded later
/// appended to their span's line.
#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<HashMap<u64, String>>>,
    order: Arc<Mutex<Vec<u64>>>,
    events: Arc<Mutex<Vec<String>>>,
}

static NEXT_SPAN: AtomicU64 = AtomicU64::new(1);

struct Fields<'s>(&'s mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        *self.0 += &format!(" {}={value:?}", field.name());
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        *self.0 += &format!(" {}={value}", field.name());
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target().starts_with("clarion")
    }
    fn new_span(&self, attributes: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let id = NEXT_SPAN.fetch_add(1, Ordering::Relaxed);
        let mut line = format!(
            "{} {}",
            attributes.metadata().name(),
            attributes.metadata().target()
        );
        attributes.record(&mut Fields(&mut line));
        self.spans.lock().unwrap().insert(id, line);
        self.order.lock().unwrap().push(id);
        tracing::span::Id::from_u64(id)
    }
    fn record(&self, span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        if let Some(line) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut Fields(line));
        }
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = format!("{} {}", event.metadata().level(), event.metadata().target());
        event.record(&mut Fields(&mut line));
        self.events.lock().unwrap().push(line);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

impl Recorder {
    fn spans(&self) -> Vec<String> {
        let spans = self.spans.lock().unwrap();
        self.order
            .lock()
            .unwrap()
            .iter()
            .map(|id| spans[id].clone())
            .collect()
    }
}

#[test]
fn statements_transactions_and_sends_are_spans_with_their_outcome() {
    let alias = database("obs_spans");
    let recorder = Recorder::default();
    let _subscriber = tracing::subscriber::set_default(recorder.clone());

    save(note("traced"), alias);
    let refused = note("forbidden").save_with(SaveOptions::new().using(alias));
    assert!(refused.is_err());

    let spans = recorder.spans();
    let vendor = memory_db::backend::backend().vendor();
    let first_commit = spans
        .iter()
        .position(|s| s.starts_with("transaction clarion::transaction"))
        .expect("a transaction span");
    assert!(
        spans[first_commit].contains(&format!("db.system={vendor}"))
            && spans[first_commit].contains(&format!("db.name={alias}"))
            && spans[first_commit].contains("level=1")
            && spans[first_commit].ends_with("outcome=commit"),
        "{spans:#?}"
    );
    let insert = spans
        .iter()
        .find(|s| s.starts_with("statement clarion::sql") && s.contains("INSERT INTO"))
        .expect("the INSERT's span");
    assert!(insert.contains(&format!("db.name={alias}")), "{insert}");
    assert!(insert.contains(" rows=1"), "{insert}");
    assert!(insert.contains(" elapsed_us="), "{insert}");
    let send = spans
        .iter()
        .find(|s| s.starts_with("send clarion::dispatch") && s.contains("signal=pre_save"))
        .expect("the pre_save send's span");
    assert!(send.contains("::Note"), "{send}");
    let failed = spans
        .iter()
        .rfind(|s| s.starts_with("send clarion::dispatch") && s.contains("signal=pre_save"))
        .unwrap();
    assert!(
        failed.contains("failed=") && failed.contains("refuse_forbidden"),
        "{spans:#?}"
    );
    let transactions: Vec<&String> = spans
        .iter()
        .filter(|s| s.starts_with("transaction clarion::transaction"))
        .collect();
    assert_eq!(transactions.len(), 2, "{spans:#?}");
    assert!(transactions[1].ends_with("outcome=rollback"), "{spans:#?}");
}

#[test]
fn a_receiver_failing_in_send_robust_is_an_error_event() {
    let recorder = Recorder::default();
    let _subscriber = tracing::subscriber::set_default(recorder.clone());
    struct Tester;
    let outcomes = PING.send_robust(Sender::of::<Tester>(), &mut Ping { n: 13 });
    assert!(outcomes.iter().any(|o| o.result.is_err()));
    let events = recorder.events.lock().unwrap().clone();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert!(
        events[0].starts_with("ERROR clarion::dispatch"),
        "{events:?}"
    );
    assert!(events[0].contains("::PING"), "{events:?}");
    assert!(events[0].contains("unlucky"), "{events:?}");
    assert!(events[0].contains("13 is unlucky"), "{events:?}");
}

#[test]
fn asend_has_the_span_of_send_and_asend_robust_logs_each_failure() {
    let recorder = Recorder::default();
    let _subscriber = tracing::subscriber::set_default(recorder.clone());
    struct AsyncTester;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let error = runtime
        .block_on(PING.asend(Sender::of::<AsyncTester>(), &mut Ping { n: 13 }))
        .unwrap_err();
    // `observability::unlucky`, or under `postgres_observability::` when that binary runs this.
    let failed = error.receiver().unwrap_or_default();
    assert!(failed.ends_with("observability::unlucky"), "{error}");
    let spans = recorder.spans();
    let send = spans
        .iter()
        .find(|s| s.starts_with("send clarion::dispatch") && s.contains("AsyncTester"))
        .expect("the asend's span");
    assert!(send.contains("::PING"), "{send}");
    assert!(
        send.contains("failed=") && send.contains("unlucky"),
        "{send}"
    );

    let outcomes =
        runtime.block_on(PING.asend_robust(Sender::of::<AsyncTester>(), &mut Ping { n: 13 }));
    assert!(outcomes.iter().any(|o| o.result.is_err()));
    let events = recorder.events.lock().unwrap().clone();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert!(
        events[0].starts_with("ERROR clarion::dispatch"),
        "{events:?}"
    );
    assert!(
        events[0].contains("unlucky") && events[0].contains("13 is unlucky"),
        "{events:?}"
    );
}

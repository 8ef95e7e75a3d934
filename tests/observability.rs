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
    /// Each span's parent: the one given, or the one entered on its thread when it began.
    parents: Arc<Mutex<HashMap<u64, u64>>>,
    /// Each span's metadata, for `current_span`.
    metadata: Arc<Mutex<HashMap<u64, &'static tracing::Metadata<'static>>>>,
    order: Arc<Mutex<Vec<u64>>>,
    events: Arc<Mutex<Vec<String>>>,
}

static NEXT_SPAN: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The spans entered on this thread, innermost last.
    static ENTERED: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

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
        let parent = match attributes.parent() {
            Some(parent) => Some(parent.into_u64()),
            None if attributes.is_contextual() => {
                ENTERED.with_borrow(|stack| stack.last().copied())
            }
            None => None,
        };
        if let Some(parent) = parent {
            self.parents.lock().unwrap().insert(id, parent);
        }
        self.metadata
            .lock()
            .unwrap()
            .insert(id, attributes.metadata());
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
    fn current_span(&self) -> tracing_core::span::Current {
        match ENTERED.with_borrow(|stack| stack.last().copied()) {
            Some(id) => tracing_core::span::Current::new(
                tracing::span::Id::from_u64(id),
                self.metadata.lock().unwrap()[&id],
            ),
            None => tracing_core::span::Current::none(),
        }
    }
    fn enter(&self, span: &tracing::span::Id) {
        ENTERED.with_borrow_mut(|stack| stack.push(span.into_u64()));
    }
    fn exit(&self, span: &tracing::span::Id) {
        ENTERED.with_borrow_mut(|stack| {
            if let Some(at) = stack.iter().rposition(|id| *id == span.into_u64()) {
                stack.remove(at);
            }
        });
    }
}

/// Never interested, but always undecided: see [`Recorder::new`].
struct Undecided;

impl tracing::Subscriber for Undecided {
    fn register_callsite(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        false
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(u64::MAX)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

impl Recorder {
    /// A recorder, for `set_default` on one test's thread (and the threads its awaited work
    /// runs on).
    ///
    /// `tracing` caches whether each callsite is wanted. While at most one subscriber is
    /// registered, it asks only the default subscriber of the thread that reaches the callsite
    /// first: a statement run by a parallel test without a subscriber would cache "never" for
    /// every later test. A subscriber that lives as long as the binary and always answers
    /// "sometimes" keeps each callsite asking the thread's subscriber at every call.
    fn new() -> Recorder {
        static UNDECIDED: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
        UNDECIDED.get_or_init(|| tracing::Dispatch::new(Undecided));
        Recorder::default()
    }

    /// The lines of `span`'s parent, its parent's, and so on.
    fn ancestors(&self, line: &str) -> Vec<String> {
        let spans = self.spans.lock().unwrap();
        let parents = self.parents.lock().unwrap();
        let mut id = spans.iter().find(|(_, l)| *l == line).map(|(id, _)| *id);
        let mut out = Vec::new();
        while let Some(parent) = id.and_then(|id| parents.get(&id).copied()) {
            out.push(spans[&parent].clone());
            id = Some(parent);
        }
        out
    }

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
    let recorder = Recorder::new();
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
    let recorder = Recorder::new();
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

/// Awaited work runs on other threads (tokio's blocking pool, an `aatomic` block's thread), which
/// neither have the task's span entered nor, with `set_default`, its subscriber: both travel with
/// the work, so an `asave` in a request is traced inside the request, by the subscriber the
/// request sees.
#[test]
fn awaited_work_is_traced_inside_the_awaiting_task_s_span() {
    use tracing::Instrument;
    let alias = database("obs_async");
    let recorder = Recorder::new();
    let _subscriber = tracing::subscriber::set_default(recorder.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let options = SaveOptions::new().using(alias);
    runtime
        .block_on(
            async move {
                note("alone").asave_with(options).await?;
                db::aatomic_using(alias, |_| async move {
                    note("in a block").asave_with(options).await?;
                    note("in a block, again").asave_with(options).await
                })
                .await?;
                Note::objects().using(alias).acount().await
            }
            .instrument(tracing::info_span!(target: "clarion_test", "request")),
        )
        .unwrap();

    let spans = recorder.spans();
    let inserts: Vec<&String> = spans
        .iter()
        .filter(|s| s.starts_with("statement clarion::sql") && s.contains("INSERT INTO"))
        .collect();
    assert_eq!(inserts.len(), 3, "{spans:#?}");
    let counts = spans
        .iter()
        .filter(|s| s.starts_with("statement clarion::sql") && s.to_lowercase().contains("count("))
        .count();
    assert_eq!(counts, 1, "{spans:#?}");
    for statement in spans
        .iter()
        .filter(|s| s.starts_with("statement clarion::sql"))
    {
        let ancestors = recorder.ancestors(statement);
        assert!(
            ancestors
                .iter()
                .any(|a| a.starts_with("request clarion_test")),
            "{statement} is not inside the request: {ancestors:#?}"
        );
    }
    // The block's two saves share its one transaction, itself inside the request.
    let in_block: Vec<Vec<String>> = inserts[1..]
        .iter()
        .map(|insert| recorder.ancestors(insert))
        .collect();
    assert!(
        in_block[0][0].starts_with("transaction clarion::transaction")
            && in_block[0] == in_block[1],
        "{in_block:#?}"
    );
}

#[test]
fn asend_has_the_span_of_send_and_asend_robust_logs_each_failure() {
    let recorder = Recorder::new();
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

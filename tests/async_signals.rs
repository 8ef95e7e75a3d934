//! `Signal::asend`, `asend_robust` and `connect_async`: async receivers of custom signals awaited
//! natively, beside synchronous ones, in one order; their failures named; many tasks at once with
//! receivers coming and going; a send dropped at every poll; and what a synchronous `send` does
//! when it meets an async receiver.
//!
//! Every test uses its own signal: tests of one binary run in parallel threads.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use clarion::prelude::*;
use clarion::{BoxFuture, Error, testing};

/// Arguments without a borrow; each receiver appends its name.
#[derive(SignalArgs)]
struct Trace {
    seen: Vec<&'static str>,
}

/// Arguments that borrow, like a model instance being saved.
#[derive(SignalArgs)]
struct Saved<'a> {
    name: &'a str,
    count: u32,
}

/// A signal whose receivers return a value.
#[derive(SignalArgs)]
#[signal_args(output = u32)]
struct Numbered {
    task: usize,
}

struct Shop;
struct Warehouse;
struct Outlet;

static OUTLET_PARENTS: [Sender; 1] = [Sender::of::<Shop>()];

/// Returns `Pending` once, waking itself: an `.await` point that needs no runtime.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn yield_once() -> YieldOnce {
    YieldOnce(false)
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn multi_thread(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

/// An async receiver that appends `name` after an `.await`.
fn traced(
    name: &'static str,
) -> impl for<'a, 'b> Fn(Sender, &'b mut Trace) -> BoxFuture<'b, clarion::Result<()>>
+ Send
+ Sync
+ 'static {
    move |_, args: &mut Trace| {
        Box::pin(async move {
            yield_once().await;
            args.seen.push(name);
            Ok(())
        })
    }
}

static ORDER: Signal<Trace> = Signal::new("order");

#[test]
fn sync_and_async_receivers_run_in_one_order_by_priority_then_connection() {
    ORDER.connect_with(Connect::new().name("sync_a"), |_, args: &mut Trace| {
        args.seen.push("sync_a");
    });
    ORDER.connect_async_with(Connect::new().name("async_b"), traced("async_b"));
    ORDER.connect_with(Connect::new().priority(5), |_, args: &mut Trace| {
        args.seen.push("sync_c");
    });
    ORDER.connect_async_with(Connect::new().priority(-1), traced("async_d"));
    ORDER.connect_async_with(Connect::new().priority(5), traced("async_e"));
    // An async receiver sees what the receivers before it did to the arguments.
    ORDER.connect_async_with(Connect::new().priority(-2), |_, args| {
        Box::pin(async move {
            let before = args.seen.len();
            yield_once().await;
            args.seen.push(if before == 5 {
                "last_saw_five"
            } else {
                "last_saw_wrong"
            });
            Ok(())
        })
    });
    let expected = [
        "sync_c",
        "async_e",
        "sync_a",
        "async_b",
        "async_d",
        "last_saw_five",
    ];

    let mut args = Trace { seen: Vec::new() };
    let out = current_thread()
        .block_on(ORDER.asend(Sender::of::<Shop>(), &mut args))
        .unwrap();
    assert_eq!(out.len(), 6);
    assert_eq!(args.seen, expected);

    // The same order from a synchronous `send` (awaiting the async ones where it is sent) and
    // as introspection lists it.
    let mut args = Trace { seen: Vec::new() };
    ORDER.send(Sender::of::<Shop>(), &mut args).unwrap();
    assert_eq!(args.seen, expected);
    let names: Vec<_> = ORDER.receivers().iter().map(|r| r.name).collect();
    assert_eq!(names[2..4], ["sync_a", "async_b"]);
}

static OUTPUTS: Signal<Numbered> = Signal::new("outputs");

#[test]
fn asend_returns_the_outputs_in_order_and_runs_without_tokio() {
    OUTPUTS.connect(|_, _: &mut Numbered| 1);
    OUTPUTS.connect_async(|_, args| {
        Box::pin(async move {
            yield_once().await;
            Ok(args.task as u32 * 10)
        })
    });
    OUTPUTS.connect(|_, _: &mut Numbered| 3);
    // A hand-written poll loop, no runtime: `asend` is a plain future.
    let mut args = Numbered { task: 2 };
    let mut future = std::pin::pin!(OUTPUTS.asend(Sender::of::<Shop>(), &mut args));
    let mut context = Context::from_waker(Waker::noop());
    let mut polls = 0;
    let out = loop {
        polls += 1;
        if let Poll::Ready(out) = future.as_mut().poll(&mut context) {
            break out.unwrap();
        }
    };
    assert_eq!(out, [1, 20, 3]);
    assert_eq!(polls, 2, "one `.await` that was pending once");
}

static FILTERED: Signal<Trace> = Signal::new("filtered");

#[test]
fn asend_reaches_the_receivers_of_its_sender_and_of_its_parents() {
    FILTERED.connect_async_with(Connect::new().sender::<Shop>(), traced("shop"));
    FILTERED.connect_async_with(Connect::new().sender::<Warehouse>(), traced("warehouse"));
    FILTERED.connect_async(traced("anyone"));
    FILTERED.connect_with(Connect::new().sender::<Shop>(), |_, args: &mut Trace| {
        args.seen.push("shop_sync");
    });
    let runtime = current_thread();
    let send = |sender: Sender| {
        let mut args = Trace { seen: Vec::new() };
        runtime.block_on(FILTERED.asend(sender, &mut args)).unwrap();
        args.seen
    };
    assert_eq!(send(Sender::of::<Shop>()), ["shop", "anyone", "shop_sync"]);
    assert_eq!(send(Sender::of::<Warehouse>()), ["warehouse", "anyone"]);
    assert_eq!(send(Sender::of::<u8>()), ["anyone"]);
    // A sender that names `Shop` as its parent hears `Shop`'s receivers (resolved on first use).
    let outlet = Sender::with_parents::<Outlet>(&OUTLET_PARENTS);
    assert_eq!(send(outlet), ["shop", "anyone", "shop_sync"]);
    let mut args = Trace { seen: Vec::new() };
    let outcomes = runtime.block_on(FILTERED.asend_robust(outlet, &mut args));
    assert_eq!(outcomes.len(), 3);
    assert!(FILTERED.has_listeners(Sender::of::<Warehouse>()));
}

static UIDS: Signal<Trace> = Signal::new("uids");

#[test]
fn dispatch_uid_is_shared_by_sync_and_async_receivers() {
    let first = UIDS.connect_with(
        Connect::new().dispatch_uid("audit"),
        |_, args: &mut Trace| {
            args.seen.push("sync");
        },
    );
    let again = UIDS.connect_async_with(Connect::new().dispatch_uid("audit"), traced("async"));
    assert_eq!(first, again);
    // Another sender is another uid slot.
    let other = UIDS.connect_async_with(
        Connect::new().dispatch_uid("audit").sender::<Shop>(),
        traced("async_shop"),
    );
    assert_ne!(first, other);
    let mut args = Trace { seen: Vec::new() };
    current_thread()
        .block_on(UIDS.asend(Sender::of::<Shop>(), &mut args))
        .unwrap();
    assert_eq!(args.seen, ["sync", "async_shop"]);
    assert!(UIDS.disconnect_uid("audit", Some(Sender::of::<Shop>())));
    assert!(!UIDS.disconnect_uid("audit", Some(Sender::of::<Shop>())));
    assert_eq!(UIDS.receivers().len(), 1);
}

static WEAK: Signal<Trace> = Signal::new("weak");

#[test]
fn a_weak_async_receiver_lives_as_long_as_its_target() {
    let target = Arc::new(Mutex::new(0_u32));
    let id = WEAK.connect_async_weak(&target, Connect::new(), |target, _, args| {
        Box::pin(async move {
            yield_once().await;
            // The `Arc` is the future's own, across the `.await`.
            *target.lock().unwrap() += 1;
            args.seen.push("weak");
            Ok(())
        })
    });
    let info = WEAK.receivers();
    assert_eq!(info.len(), 1);
    assert!(info[0].weak);
    assert_eq!(info[0].id, id);
    let runtime = current_thread();
    let mut args = Trace { seen: Vec::new() };
    runtime
        .block_on(WEAK.asend(Sender::of::<Shop>(), &mut args))
        .unwrap();
    assert_eq!(args.seen, ["weak"]);
    assert_eq!(*target.lock().unwrap(), 1);
    drop(target);
    let mut args = Trace { seen: Vec::new() };
    runtime
        .block_on(WEAK.asend(Sender::of::<Shop>(), &mut args))
        .unwrap();
    assert!(args.seen.is_empty());
    assert!(WEAK.receivers().is_empty());
    assert!(!WEAK.disconnect(id));
}

static DISCONNECT: Signal<Trace> = Signal::new("disconnect");

#[test]
fn a_disconnected_async_receiver_is_not_awaited_again() {
    let id = DISCONNECT.connect_async(traced("gone"));
    DISCONNECT.connect_async(traced("stays"));
    let runtime = current_thread();
    let send = || {
        let mut args = Trace { seen: Vec::new() };
        runtime
            .block_on(DISCONNECT.asend(Sender::of::<Shop>(), &mut args))
            .unwrap();
        args.seen
    };
    assert_eq!(send(), ["gone", "stays"]);
    assert!(DISCONNECT.disconnect(id));
    assert_eq!(send(), ["stays"]);
    assert!(!DISCONNECT.disconnect(id));
}

static FAILING: Signal<Trace> = Signal::new("failing");

#[test]
fn asend_stops_at_the_first_failure_and_names_the_receiver() {
    FAILING.connect_async_with(Connect::new().name("ok_first"), traced("ok_first"));
    FAILING.connect_async_with(Connect::new().name("refuses"), |_, args| {
        Box::pin(async move {
            yield_once().await;
            if args.seen.contains(&"panic") {
                panic!("the async receiver panicked");
            }
            Err("refused after an await".into())
        })
    });
    FAILING.connect_with(Connect::new().name("never"), |_, args: &mut Trace| {
        args.seen.push("never");
    });
    let runtime = current_thread();

    let mut args = Trace { seen: Vec::new() };
    let error = runtime
        .block_on(FAILING.asend(Sender::of::<Shop>(), &mut args))
        .unwrap_err();
    let Error::Receiver {
        signal,
        receiver,
        source,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!((*signal, *receiver), ("failing", "refuses"));
    assert_eq!(source.to_string(), "refused after an await");
    assert_eq!(args.seen, ["ok_first"]);

    // A panic inside the future, after an `.await`, is an error naming the receiver too.
    let mut args = Trace {
        seen: vec!["panic"],
    };
    let error = runtime
        .block_on(FAILING.asend(Sender::of::<Shop>(), &mut args))
        .unwrap_err();
    assert_eq!(error.receiver(), Some("refuses"));
    let Error::Receiver { source, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(
        matches!(&**source, Error::Panic { message } if message == "the async receiver panicked"),
        "{source:?}"
    );
    assert_eq!(args.seen, ["panic", "ok_first"]);
}

static ROBUST: Signal<Numbered> = Signal::new("robust");

#[test]
fn asend_robust_runs_every_receiver_and_returns_each_outcome() {
    let ok = ROBUST.connect_async_with(Connect::new().name("ok"), |_, _| {
        Box::pin(async {
            yield_once().await;
            Ok(1)
        })
    });
    let errs = ROBUST.connect_async_with(Connect::new().name("errs"), |_, _| {
        Box::pin(async {
            yield_once().await;
            Err("no stock".into())
        })
    });
    let panics = ROBUST.connect_async_with(Connect::new().name("panics"), |_, _| {
        Box::pin(async {
            yield_once().await;
            panic!("boom in the future")
        })
    });
    // Panics in the closure itself, before it made its future.
    let panics_early = ROBUST.connect_async_with(Connect::new().name("panics_early"), |_, _| {
        panic!("boom early")
    });
    let sync = ROBUST.connect_with(Connect::new().name("sync"), |_, _: &mut Numbered| 5);

    let outcomes = current_thread()
        .block_on(ROBUST.asend_robust(Sender::of::<Shop>(), &mut Numbered { task: 0 }));
    let summary: Vec<_> = outcomes
        .iter()
        .map(|o| (o.id, o.receiver, o.result.as_ref().ok().copied()))
        .collect();
    assert_eq!(
        summary,
        [
            (ok, "ok", Some(1)),
            (errs, "errs", None),
            (panics, "panics", None),
            (panics_early, "panics_early", None),
            (sync, "sync", Some(5)),
        ]
    );
    let message = |i: usize| outcomes[i].result.as_ref().unwrap_err().to_string();
    assert_eq!(
        message(1),
        "receiver `errs` of signal `robust` failed: no stock"
    );
    assert_eq!(
        message(2),
        "receiver `panics` of signal `robust` failed: panicked: boom in the future"
    );
    assert_eq!(
        message(3),
        "receiver `panics_early` of signal `robust` failed: panicked: boom early"
    );
}

static MUTED: Signal<Trace> = Signal::new("muted");

#[test]
fn the_test_aids_see_and_mute_asend() {
    let id = MUTED.connect_async(traced("muted"));
    MUTED.connect_async(traced("heard"));
    let runtime = current_thread();
    let captured = testing::capture(&MUTED, |sender, args: &Trace| {
        (sender.is::<Shop>(), args.seen.len())
    });
    {
        let _muted = testing::mute_receiver(&MUTED, id);
        let mut args = Trace { seen: Vec::new() };
        runtime
            .block_on(MUTED.asend(Sender::of::<Shop>(), &mut args))
            .unwrap();
        assert_eq!(args.seen, ["heard"]);
    }
    {
        let _muted = testing::mute(&MUTED);
        let mut args = Trace { seen: Vec::new() };
        runtime
            .block_on(MUTED.asend(Sender::of::<Shop>(), &mut args))
            .unwrap();
        assert!(args.seen.is_empty());
        assert!(
            runtime
                .block_on(MUTED.asend_robust(Sender::of::<Shop>(), &mut args))
                .is_empty()
        );
    }
    assert_eq!(captured.take(), [(true, 0), (true, 0), (true, 0)]);
}

static CHURN: Signal<Numbered> = Signal::new("churn");

/// The outputs of the receivers connected throughout; churning ones return 100 and more.
const STEADY: [u32; 4] = [1, 2, 3, 4];

#[test]
fn many_tasks_send_while_receivers_come_and_go_and_nothing_is_lost_or_doubled() {
    const TASKS: usize = 64;
    const SENDS: usize = 100;
    static CALLS: [AtomicUsize; 4] = [const { AtomicUsize::new(0) }; 4];
    static PER_TASK: [AtomicUsize; TASKS] = [const { AtomicUsize::new(0) }; TASKS];

    CHURN.connect(|_, args: &mut Numbered| {
        CALLS[0].fetch_add(1, Ordering::Relaxed);
        PER_TASK[args.task].fetch_add(1, Ordering::Relaxed);
        1
    });
    CHURN.connect_async(|_, _| {
        Box::pin(async {
            tokio::task::yield_now().await;
            CALLS[1].fetch_add(1, Ordering::Relaxed);
            Ok(2)
        })
    });
    CHURN.connect(|_, _: &mut Numbered| {
        CALLS[2].fetch_add(1, Ordering::Relaxed);
        3
    });
    CHURN.connect_async(|_, _| {
        Box::pin(async {
            tokio::time::sleep(Duration::from_micros(10)).await;
            CALLS[3].fetch_add(1, Ordering::Relaxed);
            Ok(4)
        })
    });

    let runtime = multi_thread(4);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churned = runtime.block_on(async {
        // Connects and disconnects sync and async receivers, before, between and after the
        // steady ones (by priority), for as long as the senders run.
        let churner = tokio::spawn({
            let stop = Arc::clone(&stop);
            async move {
                let mut cycles = 0_usize;
                while !stop.load(Ordering::Relaxed) {
                    let priority = [-1, 0, 1][cycles % 3];
                    let options = Connect::new().priority(priority);
                    let id = if cycles.is_multiple_of(2) {
                        CHURN.connect_async_with(options, |_, _| {
                            Box::pin(async {
                                tokio::task::yield_now().await;
                                Ok(100)
                            })
                        })
                    } else {
                        CHURN.connect_with(options, |_, _: &mut Numbered| 101)
                    };
                    tokio::task::yield_now().await;
                    assert!(CHURN.disconnect(id), "churned receiver {id} was lost");
                    cycles += 1;
                }
                cycles
            }
        });
        let senders: Vec<_> = (0..TASKS)
            .map(|task| {
                tokio::spawn(async move {
                    for _ in 0..SENDS {
                        let mut args = Numbered { task };
                        let out = CHURN.asend(Sender::of::<Shop>(), &mut args).await.unwrap();
                        // The steady receivers each ran once, in their order, whatever churned.
                        let steady: Vec<u32> = out.into_iter().filter(|&o| o < 100).collect();
                        assert_eq!(steady, STEADY);
                    }
                })
            })
            .collect();
        for sender in senders {
            sender.await.unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        churner.await.unwrap()
    });
    assert!(churned > 0, "the churner never ran");
    for calls in &CALLS {
        assert_eq!(calls.load(Ordering::Relaxed), TASKS * SENDS);
    }
    for per_task in &PER_TASK {
        assert_eq!(per_task.load(Ordering::Relaxed), SENDS);
    }
    assert_eq!(CHURN.receivers().len(), STEADY.len());
}

static CANCEL: Signal<Trace> = Signal::new("cancel");

/// Counts the futures of async receivers that were dropped before they finished.
static DROPPED_EARLY: AtomicUsize = AtomicUsize::new(0);

struct CountIfUnfinished(bool);

impl Drop for CountIfUnfinished {
    fn drop(&mut self) {
        if !self.0 {
            DROPPED_EARLY.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn slow(
    name: &'static str,
) -> impl for<'a, 'b> Fn(Sender, &'b mut Trace) -> BoxFuture<'b, clarion::Result<()>>
+ Send
+ Sync
+ 'static {
    move |_, args: &mut Trace| {
        Box::pin(async move {
            let mut guard = CountIfUnfinished(false);
            for _ in 0..3 {
                yield_once().await;
            }
            args.seen.push(name);
            guard.0 = true;
            Ok(())
        })
    }
}

#[test]
fn an_asend_dropped_after_any_number_of_polls_leaves_the_signal_whole() {
    CANCEL.connect_with(Connect::new().name("s1"), |_, args: &mut Trace| {
        args.seen.push("s1");
    });
    CANCEL.connect_async_with(Connect::new().name("a1"), slow("a1"));
    CANCEL.connect_with(Connect::new().name("s2"), |_, args: &mut Trace| {
        args.seen.push("s2");
    });
    CANCEL.connect_async_with(Connect::new().name("a2"), slow("a2"));
    let all = ["s1", "a1", "s2", "a2"];
    let before: Vec<_> = CANCEL.receivers().iter().map(|r| r.id).collect();
    let mut context = Context::from_waker(Waker::noop());

    let mut finished_at = None;
    for polls in 0..20 {
        let mut args = Trace { seen: Vec::new() };
        let dropped_before = DROPPED_EARLY.load(Ordering::SeqCst);
        let finished = {
            let mut future = Box::pin(CANCEL.asend(Sender::of::<Shop>(), &mut args));
            (0..polls).any(|_| future.as_mut().poll(&mut context).is_ready())
        };
        // What ran is a prefix of the order, and a receiver awaited when the send was dropped
        // was dropped with it, unfinished.
        assert_eq!(args.seen, all[..args.seen.len()], "after {polls} polls");
        let awaited_one = !finished && matches!(args.seen.len(), 1 | 3);
        let dropped_now = DROPPED_EARLY.load(Ordering::SeqCst) - dropped_before;
        assert_eq!(
            dropped_now,
            usize::from(awaited_one && polls > 0),
            "after {polls} polls"
        );
        // The signal is as it was, and the next send runs every receiver.
        let after: Vec<_> = CANCEL.receivers().iter().map(|r| r.id).collect();
        assert_eq!(after, before);
        let mut args = Trace { seen: Vec::new() };
        current_thread()
            .block_on(CANCEL.asend(Sender::of::<Shop>(), &mut args))
            .unwrap();
        assert_eq!(args.seen, all);
        if finished {
            finished_at = Some(polls);
            break;
        }
    }
    // Two receivers, each pending three times: ready on the seventh poll.
    assert_eq!(finished_at, Some(7));
}

static SYNC_SEND: Signal<Saved> = Signal::new("sync_send");
static SYNC_SEND_CURRENT: Signal<Saved> = Signal::new("sync_send_current");
static SYNC_SEND_RAN: AtomicUsize = AtomicUsize::new(0);

/// A sync receiver, an async one that needs the runtime's timer (and panics for the name
/// "panic"), another sync one; each adds to `count`.
fn connect_sync_send_receivers(signal: &'static Signal<Saved>) {
    signal.connect(|_, args: &mut Saved| args.count += 1);
    signal.connect_async_with(Connect::new().name("needs_the_reactor"), |_, args| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            if args.name == "panic" {
                panic!("panicked inside a sync send");
            }
            args.count += 10;
            SYNC_SEND_RAN.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    });
    signal.connect(|_, args: &mut Saved| args.count += 100);
}

#[test]
fn a_sync_send_awaits_an_async_receiver_on_a_multi_thread_worker_and_on_a_plain_thread() {
    connect_sync_send_receivers(&SYNC_SEND);
    let name = String::from("worker");
    let counted = multi_thread(2).block_on(async move {
        tokio::spawn(async move {
            let mut args = Saved {
                name: &name,
                count: 0,
            };
            // A synchronous send, on a worker thread of a multi-threaded runtime.
            SYNC_SEND.send(Sender::of::<Shop>(), &mut args).unwrap();
            args.count
        })
        .await
        .unwrap()
    });
    assert_eq!(counted, 111);

    // On a thread without a runtime (clarion's own serves the timer).
    let mut args = Saved {
        name: "plain",
        count: 0,
    };
    SYNC_SEND.send(Sender::of::<Shop>(), &mut args).unwrap();
    assert_eq!(args.count, 111);

    // A panic in the future is an error naming the receiver, not an abort.
    let mut args = Saved {
        name: "panic",
        count: 0,
    };
    let error = SYNC_SEND.send(Sender::of::<Shop>(), &mut args).unwrap_err();
    assert_eq!(error.receiver(), Some("needs_the_reactor"));
    assert!(
        error.to_string().contains("panicked inside a sync send"),
        "{error}"
    );
    assert_eq!(args.count, 1);
    assert_eq!(SYNC_SEND_RAN.load(Ordering::SeqCst), 2);
}

#[test]
fn a_sync_send_on_a_current_thread_runtime_is_a_clear_error_and_asend_works_there() {
    static RAN: AtomicUsize = AtomicUsize::new(0);
    SYNC_SEND_CURRENT.connect(|_, args: &mut Saved| args.count += 1);
    SYNC_SEND_CURRENT.connect_async_with(Connect::new().name("needs_the_reactor"), |_, args| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            args.count += 10;
            RAN.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    });
    SYNC_SEND_CURRENT.connect(|_, args: &mut Saved| args.count += 100);
    current_thread().block_on(async {
        let mut args = Saved {
            name: "blocked",
            count: 0,
        };
        let error = SYNC_SEND_CURRENT
            .send(Sender::of::<Shop>(), &mut args)
            .unwrap_err();
        let Error::Receiver {
            receiver, source, ..
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(*receiver, "needs_the_reactor");
        assert!(
            matches!(**source, Error::AsyncReceiverBlocked),
            "{source:?}"
        );
        assert!(error.to_string().contains("awaitable"), "{error}");
        // The receiver did not run, nor any after it.
        assert_eq!(args.count, 1);
        assert_eq!(RAN.load(Ordering::SeqCst), 0);

        // `send_robust` reports it and goes on.
        let mut args = Saved {
            name: "blocked",
            count: 0,
        };
        let outcomes = SYNC_SEND_CURRENT.send_robust(Sender::of::<Shop>(), &mut args);
        assert_eq!(outcomes.len(), 3);
        assert!(outcomes[1].result.is_err());
        assert_eq!(args.count, 101);

        // Awaited natively, on this thread.
        let mut args = Saved {
            name: "awaited",
            count: 0,
        };
        SYNC_SEND_CURRENT
            .asend(Sender::of::<Shop>(), &mut args)
            .await
            .unwrap();
        assert_eq!(args.count, 111);
        assert_eq!(RAN.load(Ordering::SeqCst), 1);
    });
}

static LINKED: Signal<Trace> = Signal::new("linked");

// Declared with `#[receiver]`: to the dispatcher a synchronous receiver that awaits its future
// where it is called (docs/async.md).
#[receiver(LINKED)]
async fn linked_async(seen: &mut Vec<&'static str>) {
    tokio::task::yield_now().await;
    seen.push("linked_async");
}

#[test]
fn asend_reaches_an_async_fn_receiver_through_the_blocking_path() {
    LINKED.connect_async(traced("connected"));
    let mut args = Trace { seen: Vec::new() };
    multi_thread(2)
        .block_on(async {
            tokio::spawn(async move {
                LINKED.asend(Sender::of::<Shop>(), &mut args).await?;
                Ok::<_, Error>(args.seen)
            })
            .await
            .unwrap()
        })
        .map(|seen| assert_eq!(seen, ["linked_async", "connected"]))
        .unwrap();
    // Where nothing may block, the `#[receiver]` one cannot be awaited: a clear error.
    let mut args = Trace { seen: Vec::new() };
    let error = current_thread()
        .block_on(LINKED.asend(Sender::of::<Shop>(), &mut args))
        .unwrap_err();
    assert_eq!(error.receiver(), Some("async_signals::linked_async"));
    assert!(args.seen.is_empty());
}

/// `asend`'s future is `Send` with arguments that borrow, so a handler can await it in a spawned
/// task; checked at compile time, then run in one.
#[test]
fn asend_with_borrowed_arguments_runs_in_a_spawned_task() {
    static SPAWNED: Signal<Saved> = Signal::new("spawned");
    fn assert_send<T: Send>(value: T) -> T {
        value
    }
    SPAWNED.connect_async(|_, args| {
        Box::pin(async move {
            tokio::task::yield_now().await;
            args.count += args.name.len() as u32;
            Ok(())
        })
    });
    let counted = multi_thread(2).block_on(async {
        tokio::spawn(async {
            let name = String::from("borrowed");
            let mut args = Saved {
                name: &name,
                count: 0,
            };
            assert_send(SPAWNED.asend(Sender::of::<Shop>(), &mut args))
                .await
                .unwrap();
            let robust = assert_send(SPAWNED.asend_robust(Sender::of::<Shop>(), &mut args)).await;
            assert_eq!(robust.len(), 1);
            args.count
        })
        .await
        .unwrap()
    });
    assert_eq!(counted, 16);
}

/// An async receiver that disconnects itself and connects another, across an `.await`: the send
/// under way keeps the receivers it started with; the next one sees the change.
#[test]
fn receivers_may_connect_and_disconnect_during_an_asend() {
    static REENTRANT: Signal<Trace> = Signal::new("reentrant");
    static SELF_ID: Mutex<Option<clarion::ReceiverId>> = Mutex::new(None);
    let id = REENTRANT.connect_async(|_, args| {
        Box::pin(async move {
            yield_once().await;
            let id = SELF_ID.lock().unwrap().take().expect("connected");
            assert!(REENTRANT.disconnect(id));
            REENTRANT.connect_async(traced("added"));
            yield_once().await;
            args.seen.push("once");
            Ok(())
        })
    });
    *SELF_ID.lock().unwrap() = Some(id);
    REENTRANT.connect_async(traced("after"));
    let runtime = current_thread();
    let mut args = Trace { seen: Vec::new() };
    runtime
        .block_on(REENTRANT.asend(Sender::of::<Shop>(), &mut args))
        .unwrap();
    assert_eq!(args.seen, ["once", "after"]);
    let mut args = Trace { seen: Vec::new() };
    runtime
        .block_on(REENTRANT.asend(Sender::of::<Shop>(), &mut args))
        .unwrap();
    assert_eq!(args.seen, ["after", "added"]);
}

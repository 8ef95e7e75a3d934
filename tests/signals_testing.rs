//! Test aids (`clarion::testing`): capture, mute a signal, mute one receiver by id or by name.
//! Every aid is scoped to the current thread and to its guard.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;

use clarion::prelude::*;
use clarion::testing;

#[derive(SignalArgs)]
#[signal_args(output = u32)]
struct Order<'a> {
    item: &'a str,
    qty: u32,
}

struct Shop;
struct Warehouse;

fn send(signal: &Signal<Order<'static>>, sender: Sender, qty: u32) -> Vec<u32> {
    signal
        .send(sender, &mut Order { item: "tea", qty })
        .unwrap()
}

static CAPTURED: Signal<Order> = Signal::new("captured");

#[test]
fn capture_records_sender_and_arguments_until_the_guard_is_dropped() {
    let captured = testing::capture(&CAPTURED, |sender, args: &Order| {
        (sender, args.item.to_owned(), args.qty)
    });
    assert!(captured.is_empty());
    send(&CAPTURED, Sender::of::<Shop>(), 1);
    send(&CAPTURED, Sender::of::<Warehouse>(), 2);
    assert_eq!(captured.len(), 2);
    assert_eq!(
        captured.take(),
        [
            (Sender::of::<Shop>(), "tea".to_owned(), 1),
            (Sender::of::<Warehouse>(), "tea".to_owned(), 2)
        ]
    );
    assert!(captured.is_empty(), "take empties the record");
    send(&CAPTURED, Sender::of::<Shop>(), 3);
    assert_eq!(
        captured.take(),
        [(Sender::of::<Shop>(), "tea".to_owned(), 3)]
    );

    // A second capture of the same signal records independently.
    let second = testing::capture(&CAPTURED, |_s, args: &Order| args.qty);
    send(&CAPTURED, Sender::of::<Shop>(), 4);
    assert_eq!(second.take(), [4]);
    assert_eq!(captured.len(), 1);
    drop(second);

    // Without its guard, a capture records nothing; the other capture goes on.
    let third = testing::capture(&CAPTURED, |_s, args: &Order| args.qty);
    drop(third);
    send(&CAPTURED, Sender::of::<Shop>(), 5);
    assert_eq!(captured.len(), 2);
}

static CAPTURED_RECEIVERS_RUN: Signal<Order> = Signal::new("captured-receivers-run");

#[test]
fn capture_alone_lets_receivers_run_and_sees_arguments_before_they_change() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    CAPTURED_RECEIVERS_RUN.connect(|_s, args: &mut Order| {
        CALLS.fetch_add(1, Ordering::SeqCst);
        args.qty += 10;
        args.qty
    });
    let captured = testing::capture(&CAPTURED_RECEIVERS_RUN, |_s, args: &Order| args.qty);
    assert_eq!(send(&CAPTURED_RECEIVERS_RUN, Sender::of::<Shop>(), 1), [11]);
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(captured.take(), [1]);
}

static CAPTURED_EMPTY: Signal<Order> = Signal::new("captured-empty");

#[test]
fn capture_records_a_signal_nobody_listens_to() {
    let captured = testing::capture(&CAPTURED_EMPTY, |_s, args: &Order| args.qty);
    assert!(!CAPTURED_EMPTY.has_listeners(Sender::of::<Shop>()));
    send(&CAPTURED_EMPTY, Sender::of::<Shop>(), 8);
    assert_eq!(captured.take(), [8]);
}

static MUTED: Signal<Order> = Signal::new("muted");

#[test]
fn mute_keeps_receivers_from_running_and_capture_still_records() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    MUTED.connect(|_s, _a: &mut Order| {
        CALLS.fetch_add(1, Ordering::SeqCst);
        1
    });
    let captured = testing::capture(&MUTED, |_s, args: &Order| args.qty);
    {
        let _quiet = testing::mute(&MUTED);
        assert!(send(&MUTED, Sender::of::<Shop>(), 1).is_empty());
        assert!(
            MUTED
                .send_robust(Sender::of::<Shop>(), &mut Order { item: "x", qty: 2 })
                .is_empty()
        );
        assert_eq!(CALLS.load(Ordering::SeqCst), 0);
        assert_eq!(captured.take(), [1, 2], "recorded although muted");
    }
    assert_eq!(send(&MUTED, Sender::of::<Shop>(), 3), [1]);
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(captured.take(), [3]);
}

static MUTED_A: Signal<Order> = Signal::new("muted-a");
static MUTED_B: Signal<Order> = Signal::new("muted-b");

#[test]
fn mute_affects_only_its_signal() {
    MUTED_A.connect(|_s, _a: &mut Order| 1);
    MUTED_B.connect(|_s, _a: &mut Order| 2);
    let _quiet = testing::mute(&MUTED_A);
    assert!(send(&MUTED_A, Sender::of::<Shop>(), 0).is_empty());
    assert_eq!(send(&MUTED_B, Sender::of::<Shop>(), 0), [2]);
}

static MUTE_ONE: Signal<Order> = Signal::new("mute-one");

#[test]
fn mute_receiver_by_id_skips_only_that_receiver() {
    let first = MUTE_ONE.connect(|_s, _a: &mut Order| 1);
    let second = MUTE_ONE.connect(|_s, _a: &mut Order| 2);
    MUTE_ONE.connect(|_s, _a: &mut Order| 3);
    {
        let _one = testing::mute_receiver(&MUTE_ONE, second);
        assert_eq!(send(&MUTE_ONE, Sender::of::<Shop>(), 0), [1, 3]);
        let outcomes = MUTE_ONE.send_robust(Sender::of::<Shop>(), &mut Order { item: "", qty: 0 });
        let values: Vec<u32> = outcomes.into_iter().map(|o| o.result.unwrap()).collect();
        assert_eq!(values, [1, 3]);
        {
            let _two = testing::mute_receiver(&MUTE_ONE, first);
            assert_eq!(send(&MUTE_ONE, Sender::of::<Shop>(), 0), [3]);
        }
        assert_eq!(send(&MUTE_ONE, Sender::of::<Shop>(), 0), [1, 3]);
    }
    assert_eq!(send(&MUTE_ONE, Sender::of::<Shop>(), 0), [1, 2, 3]);
}

static MUTE_OTHER_SIGNAL: Signal<Order> = Signal::new("mute-other-signal");
static MUTE_OTHER_SIGNAL_2: Signal<Order> = Signal::new("mute-other-signal-2");

#[test]
fn mute_receiver_is_tied_to_its_signal() {
    let id = MUTE_OTHER_SIGNAL.connect(|_s, _a: &mut Order| 1);
    MUTE_OTHER_SIGNAL_2.connect(|_s, _a: &mut Order| 2);
    // Muting an id under the wrong signal mutes nothing.
    let _wrong = testing::mute_receiver(&MUTE_OTHER_SIGNAL_2, id);
    assert_eq!(send(&MUTE_OTHER_SIGNAL, Sender::of::<Shop>(), 0), [1]);
    assert_eq!(send(&MUTE_OTHER_SIGNAL_2, Sender::of::<Shop>(), 0), [2]);
}

signal! {
    /// Has link-time receivers muted by name.
    static NAMED: Signal<Order>;
}

#[receiver(NAMED, priority = 1)]
fn named_first() -> u32 {
    1
}

#[receiver(NAMED)]
fn named_second(qty: u32) -> u32 {
    qty
}

fn runtime_named(_sender: Sender, _args: &mut Order) -> u32 {
    3
}

#[test]
fn mute_receiver_named_skips_link_time_and_runtime_receivers_by_path() {
    NAMED.connect_with(Connect::new().priority(-1), runtime_named);
    assert_eq!(send(&NAMED, Sender::of::<Shop>(), 2), [1, 2, 3]);
    {
        let _first = testing::mute_receiver_named(&NAMED, "signals_testing::named_first");
        assert_eq!(send(&NAMED, Sender::of::<Shop>(), 2), [2, 3]);
        let _runtime = testing::mute_receiver_named(&NAMED, "signals_testing::runtime_named");
        assert_eq!(send(&NAMED, Sender::of::<Shop>(), 2), [2]);
        // A name that matches nothing, or only a suffix, mutes nothing more.
        let _nothing = testing::mute_receiver_named(&NAMED, "named_second");
        assert_eq!(send(&NAMED, Sender::of::<Shop>(), 2), [2]);
    }
    assert_eq!(send(&NAMED, Sender::of::<Shop>(), 2), [1, 2, 3]);
}

static ISOLATED_MUTE: Signal<Order> = Signal::new("isolated-mute");

#[test]
fn another_threads_sends_are_not_muted_or_captured() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    ISOLATED_MUTE.connect(|_s, args: &mut Order| {
        CALLS.fetch_add(1, Ordering::SeqCst);
        args.qty
    });
    let _quiet = testing::mute(&ISOLATED_MUTE);
    let captured = testing::capture(&ISOLATED_MUTE, |_s, args: &Order| args.qty);

    let out = thread::spawn(|| send(&ISOLATED_MUTE, Sender::of::<Shop>(), 5))
        .join()
        .unwrap();
    assert_eq!(out, [5], "the other thread's receivers ran");
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
    assert!(captured.is_empty(), "another thread's send is not captured");

    assert!(send(&ISOLATED_MUTE, Sender::of::<Shop>(), 6).is_empty());
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(captured.take(), [6]);
}

static ISOLATED_RECEIVER: Signal<Order> = Signal::new("isolated-receiver");

#[test]
fn muting_one_receiver_does_not_mute_it_on_another_thread() {
    let id = ISOLATED_RECEIVER.connect(|_s, _a: &mut Order| 1);
    ISOLATED_RECEIVER.connect(|_s, _a: &mut Order| 2);
    let _one = testing::mute_receiver(&ISOLATED_RECEIVER, id);
    let _named = testing::mute_receiver_named(&ISOLATED_RECEIVER, "nothing::here");
    let out = thread::spawn(|| send(&ISOLATED_RECEIVER, Sender::of::<Shop>(), 0))
        .join()
        .unwrap();
    assert_eq!(out, [1, 2]);
    assert_eq!(send(&ISOLATED_RECEIVER, Sender::of::<Shop>(), 0), [2]);
}

static CONCURRENT_AIDS: Signal<Order> = Signal::new("concurrent-aids");

/// Two threads, each with its own capture and one of them muted, send at the same time: each
/// capture sees only its thread's sends, and only the muted thread's receivers are skipped.
#[test]
fn aids_on_two_threads_at_once_stay_apart() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    CONCURRENT_AIDS.connect(|_s, _a: &mut Order| {
        CALLS.fetch_add(1, Ordering::SeqCst);
        0
    });
    let start = Arc::new(Barrier::new(2));
    let (tx, rx) = mpsc::channel();
    let threads: Vec<_> = [(1_u32, true), (2, false)]
        .into_iter()
        .map(|(qty, muted)| {
            let (start, tx) = (start.clone(), tx.clone());
            thread::spawn(move || {
                let captured = testing::capture(&CONCURRENT_AIDS, |_s, args: &Order| args.qty);
                let _quiet = muted.then(|| testing::mute(&CONCURRENT_AIDS));
                start.wait();
                for _ in 0..1_000 {
                    send(&CONCURRENT_AIDS, Sender::of::<Shop>(), qty);
                }
                tx.send((qty, captured.take())).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    drop(tx);
    for (qty, captured) in rx {
        assert_eq!(captured.len(), 1_000);
        assert!(captured.iter().all(|q| *q == qty));
    }
    assert_eq!(
        CALLS.load(Ordering::SeqCst),
        1_000,
        "only the unmuted thread's"
    );
}

static AID_IN_RECEIVER: Signal<Order> = Signal::new("aid-in-receiver");
static INNER: Signal<Order> = Signal::new("inner");

#[test]
fn a_receiver_may_create_and_drop_aids_and_a_capture_sees_nested_sends() {
    INNER.connect(|_s, _a: &mut Order| 9);
    AID_IN_RECEIVER.connect(|_s, args: &mut Order| -> clarion::Result<u32> {
        if args.qty == 0 {
            let inner = testing::capture(&INNER, |_s, args: &Order| args.qty);
            let _quiet = testing::mute(&INNER);
            let out = INNER.send(Sender::of::<Shop>(), &mut Order { item: "", qty: 4 })?;
            assert!(out.is_empty());
            assert_eq!(inner.take(), [4]);
            AID_IN_RECEIVER.send(Sender::of::<Shop>(), &mut Order { item: "", qty: 1 })?;
        }
        Ok(args.qty)
    });
    let outer = testing::capture(&AID_IN_RECEIVER, |_s, args: &Order| args.qty);
    assert_eq!(send(&AID_IN_RECEIVER, Sender::of::<Shop>(), 0), [0]);
    assert_eq!(outer.take(), [0, 1], "the nested send is captured too");
    // The receiver's aids ended with it.
    assert_eq!(
        INNER
            .send(Sender::of::<Shop>(), &mut Order { item: "", qty: 4 })
            .unwrap(),
        [9]
    );
}

static TAP_SENDS: Signal<Order> = Signal::new("tap-sends");
static TAP_TARGET: Signal<Order> = Signal::new("tap-target");

#[test]
fn a_capture_may_send_signals() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    TAP_TARGET.connect(|_s, _a: &mut Order| {
        CALLS.fetch_add(1, Ordering::SeqCst);
        0
    });
    let captured = testing::capture(&TAP_SENDS, |sender, args: &Order| {
        TAP_TARGET
            .send(
                sender,
                &mut Order {
                    item: args.item,
                    qty: args.qty,
                },
            )
            .unwrap();
        args.qty
    });
    send(&TAP_SENDS, Sender::of::<Shop>(), 3);
    assert_eq!(captured.take(), [3]);
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
}

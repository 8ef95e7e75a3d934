//! Re-entrancy and snapshots: receivers that send (the same signal too), connect or disconnect
//! while a send runs. Changes made during a send take effect from the next send, nested sends
//! included, and nothing deadlocks.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use clarion::prelude::*;
use clarion::{Error, ReceiverId};

#[derive(SignalArgs)]
struct Depth {
    depth: u32,
}

struct Shop;

type Log = Arc<Mutex<Vec<String>>>;

fn push(log: &Log, entry: String) {
    log.lock().unwrap().push(entry);
}

fn entries(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

fn send(signal: &Signal<Depth>, depth: u32) -> clarion::Result<Vec<()>> {
    signal.send(Sender::of::<Shop>(), &mut Depth { depth })
}

/// Runs `f` on another thread and fails if it does not finish in time (a deadlock).
fn within_deadline<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("deadlock: not finished within 60 s"),
    }
}

static SAME: Signal<Depth> = Signal::new("same");

#[test]
fn a_receiver_may_send_the_same_signal() {
    within_deadline(|| {
        let log: Log = Arc::default();
        let sink = log.clone();
        SAME.connect(move |_s, args: &mut Depth| -> clarion::Result<()> {
            push(&sink, format!("first@{}", args.depth));
            if args.depth < 3 {
                send(&SAME, args.depth + 1)?;
            }
            Ok(())
        });
        let sink = log.clone();
        SAME.connect(move |_s, args: &mut Depth| push(&sink, format!("second@{}", args.depth)));
        let out = send(&SAME, 0).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(
            entries(&log),
            [
                "first@0", "first@1", "first@2", "first@3", "second@3", "second@2", "second@1",
                "second@0"
            ]
        );
    });
}

signal! {
    /// A link-time receiver sends it again.
    static LINKED_SAME: Signal<Depth>;
}

static LINKED_SAME_CALLS: AtomicUsize = AtomicUsize::new(0);

#[receiver(LINKED_SAME)]
fn linked_recurse(depth: u32) -> Result<(), Error> {
    LINKED_SAME_CALLS.fetch_add(1, Ordering::SeqCst);
    if depth < 4 {
        LINKED_SAME.send(Sender::of::<Shop>(), &mut Depth { depth: depth + 1 })?;
    }
    Ok(())
}

#[test]
fn a_link_time_receiver_may_send_the_same_signal() {
    within_deadline(|| {
        send(&LINKED_SAME, 0).unwrap();
        assert_eq!(LINKED_SAME_CALLS.load(Ordering::SeqCst), 5);
    });
}

static PING: Signal<Depth> = Signal::new("ping");
static PONG: Signal<Depth> = Signal::new("pong");

#[test]
fn two_signals_may_send_each_other() {
    within_deadline(|| {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        PING.connect(|_s, args: &mut Depth| -> clarion::Result<()> {
            CALLS.fetch_add(1, Ordering::SeqCst);
            if args.depth > 0 {
                send(&PONG, args.depth - 1)?;
            }
            Ok(())
        });
        PONG.connect(|_s, args: &mut Depth| -> clarion::Result<()> {
            CALLS.fetch_add(1, Ordering::SeqCst);
            if args.depth > 0 {
                send(&PING, args.depth - 1)?;
            }
            Ok(())
        });
        send(&PING, 10).unwrap();
        assert_eq!(CALLS.load(Ordering::SeqCst), 11);
    });
}

static CONNECT_INSIDE: Signal<Depth> = Signal::new("connect-inside");

#[test]
fn a_receiver_connected_during_a_send_runs_from_the_next_send() {
    within_deadline(|| {
        let log: Log = Arc::default();
        let sink = log.clone();
        let connected = Arc::new(AtomicBool::new(false));
        CONNECT_INSIDE.connect(move |_s, _a: &mut Depth| {
            push(&sink, "connector".into());
            if !connected.swap(true, Ordering::SeqCst) {
                let sink = sink.clone();
                CONNECT_INSIDE
                    .connect_with(Connect::new().priority(10), move |_s, _a: &mut Depth| {
                        push(&sink, "new".into())
                    });
            }
        });
        send(&CONNECT_INSIDE, 0).unwrap();
        assert_eq!(
            entries(&log),
            ["connector"],
            "not in the send that connected it"
        );
        send(&CONNECT_INSIDE, 0).unwrap();
        assert_eq!(entries(&log), ["new", "connector"]);
    });
}

static DISCONNECT_INSIDE: Signal<Depth> = Signal::new("disconnect-inside");

#[test]
fn a_receiver_disconnected_during_a_send_still_runs_in_that_send() {
    within_deadline(|| {
        let log: Log = Arc::default();
        let target: Arc<OnceLock<ReceiverId>> = Arc::default();
        let results: Arc<Mutex<Vec<bool>>> = Arc::default();
        let (sink, victim, out) = (log.clone(), target.clone(), results.clone());
        DISCONNECT_INSIDE.connect(move |_s, _a: &mut Depth| {
            push(&sink, "disconnector".into());
            let removed = DISCONNECT_INSIDE.disconnect(*victim.get().unwrap());
            out.lock().unwrap().push(removed);
        });
        let sink = log.clone();
        let id = DISCONNECT_INSIDE.connect(move |_s, _a: &mut Depth| push(&sink, "victim".into()));
        target.set(id).unwrap();

        send(&DISCONNECT_INSIDE, 0).unwrap();
        assert_eq!(entries(&log), ["disconnector", "victim"]);
        send(&DISCONNECT_INSIDE, 0).unwrap();
        assert_eq!(entries(&log), ["disconnector"]);
        assert_eq!(*results.lock().unwrap(), [true, false]);
    });
}

static SELF_DISCONNECT: Signal<Depth> = Signal::new("self-disconnect");

#[test]
fn a_receiver_may_disconnect_itself() {
    within_deadline(|| {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        static OTHERS: AtomicUsize = AtomicUsize::new(0);
        static ME: OnceLock<ReceiverId> = OnceLock::new();
        static REMOVED: AtomicBool = AtomicBool::new(false);
        let id = SELF_DISCONNECT.connect(|_s, _a: &mut Depth| {
            CALLS.fetch_add(1, Ordering::SeqCst);
            REMOVED.store(
                SELF_DISCONNECT.disconnect(*ME.get().unwrap()),
                Ordering::SeqCst,
            );
        });
        ME.set(id).unwrap();
        SELF_DISCONNECT.connect(|_s, _a: &mut Depth| {
            OTHERS.fetch_add(1, Ordering::SeqCst);
        });
        for _ in 0..3 {
            send(&SELF_DISCONNECT, 0).unwrap();
        }
        assert_eq!(CALLS.load(Ordering::SeqCst), 1);
        assert_eq!(OTHERS.load(Ordering::SeqCst), 3);
        assert!(REMOVED.load(Ordering::SeqCst));
        assert_eq!(SELF_DISCONNECT.receivers().len(), 1);
    });
}

signal! {
    /// Its link-time receiver disconnects itself.
    static LINKED_ONCE: Signal<Depth>;
}

static LINKED_ONCE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[receiver(LINKED_ONCE)]
fn linked_runs_once() {
    LINKED_ONCE_CALLS.fetch_add(1, Ordering::SeqCst);
    let me = LINKED_ONCE
        .receivers()
        .into_iter()
        .find(|r| r.name == "signals_reentrancy::linked_runs_once")
        .expect("listed while it runs");
    assert!(LINKED_ONCE.disconnect(me.id));
}

#[test]
fn a_link_time_receiver_may_disconnect_itself() {
    within_deadline(|| {
        for _ in 0..3 {
            send(&LINKED_ONCE, 0).unwrap();
        }
        assert_eq!(LINKED_ONCE_CALLS.load(Ordering::SeqCst), 1);
        assert!(LINKED_ONCE.receivers().is_empty());
        assert!(!LINKED_ONCE.has_listeners(Sender::of::<Shop>()));
    });
}

static CONNECT_THEN_NEST: Signal<Depth> = Signal::new("connect-then-nest");

#[test]
fn a_nested_send_sees_a_receiver_connected_by_the_outer_one_but_the_outer_does_not() {
    within_deadline(|| {
        let log: Log = Arc::default();
        let sink = log.clone();
        let connected = Arc::new(AtomicBool::new(false));
        CONNECT_THEN_NEST.connect(move |_s, args: &mut Depth| -> clarion::Result<()> {
            push(&sink, format!("outer@{}", args.depth));
            if args.depth == 0 && !connected.swap(true, Ordering::SeqCst) {
                let sink = sink.clone();
                CONNECT_THEN_NEST.connect(move |_s, args: &mut Depth| {
                    push(&sink, format!("new@{}", args.depth))
                });
            }
            if args.depth == 0 {
                send(&CONNECT_THEN_NEST, 1)?;
            }
            Ok(())
        });
        let sink = log.clone();
        CONNECT_THEN_NEST
            .connect(move |_s, args: &mut Depth| push(&sink, format!("last@{}", args.depth)));

        send(&CONNECT_THEN_NEST, 0).unwrap();
        assert_eq!(
            entries(&log),
            ["outer@0", "outer@1", "last@1", "new@1", "last@0"]
        );
        send(&CONNECT_THEN_NEST, 0).unwrap();
        assert_eq!(
            entries(&log),
            ["outer@0", "outer@1", "last@1", "new@1", "last@0", "new@0"]
        );
    });
}

static DISCONNECT_THEN_NEST: Signal<Depth> = Signal::new("disconnect-then-nest");

#[test]
fn a_nested_send_skips_a_receiver_disconnected_by_the_outer_one_but_the_outer_does_not() {
    within_deadline(|| {
        let log: Log = Arc::default();
        let victim: Arc<OnceLock<ReceiverId>> = Arc::default();
        let (sink, target) = (log.clone(), victim.clone());
        DISCONNECT_THEN_NEST.connect(move |_s, args: &mut Depth| -> clarion::Result<()> {
            push(&sink, format!("outer@{}", args.depth));
            if args.depth == 0 {
                DISCONNECT_THEN_NEST.disconnect(*target.get().unwrap());
                send(&DISCONNECT_THEN_NEST, 1)?;
            }
            Ok(())
        });
        // Owned data the victim reads: it must still be valid when the outer send reaches it
        // after the nested send replaced the snapshot.
        let sink = log.clone();
        let label = String::from("victim");
        let id = DISCONNECT_THEN_NEST
            .connect(move |_s, args: &mut Depth| push(&sink, format!("{label}@{}", args.depth)));
        victim.set(id).unwrap();

        send(&DISCONNECT_THEN_NEST, 0).unwrap();
        assert_eq!(entries(&log), ["outer@0", "outer@1", "victim@0"]);
        send(&DISCONNECT_THEN_NEST, 0).unwrap();
        assert_eq!(entries(&log), ["outer@0", "outer@1"]);
    });
}

static CHURN: Signal<Depth> = Signal::new("churn");

/// Each top-level send replaces a receiver, then sends again from inside: the outer send keeps
/// iterating the snapshot it started with, whose receivers' captured data must stay intact.
#[test]
fn churning_receivers_during_nested_sends_keeps_every_snapshot_valid() {
    within_deadline(|| {
        static BAD: AtomicUsize = AtomicUsize::new(0);
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        static ROUND: AtomicU32 = AtomicU32::new(0);
        let current: Arc<Mutex<Option<ReceiverId>>> = Arc::default();
        fn checker(round: u32) -> impl Fn(Sender, &mut Depth) + Send + Sync + 'static {
            let data: Vec<u32> = vec![round; 64];
            move |_s, _a| {
                CALLS.fetch_add(1, Ordering::Relaxed);
                if data.iter().any(|&v| v != round) {
                    BAD.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        let slot = current.clone();
        CHURN.connect_with(
            Connect::new().priority(1),
            move |_s, args: &mut Depth| -> clarion::Result<()> {
                if args.depth == 0 {
                    let fresh = CHURN.connect(checker(ROUND.fetch_add(1, Ordering::Relaxed)));
                    if let Some(old) = slot.lock().unwrap().replace(fresh) {
                        assert!(CHURN.disconnect(old));
                    }
                    send(&CHURN, 1)?;
                    send(&CHURN, 2)?;
                }
                Ok(())
            },
        );
        for _ in 0..2_000 {
            send(&CHURN, 0).unwrap();
        }
        assert_eq!(BAD.load(Ordering::Relaxed), 0);
        // Per top-level send after the first: the outer send calls the previous checker, the two
        // nested sends call the new one.
        assert_eq!(CALLS.load(Ordering::Relaxed), 2 * 2_000 + 1_999);
        assert_eq!(CHURN.receivers().len(), 2);
    });
}

static INTROSPECT_INSIDE: Signal<Depth> = Signal::new("introspect-inside");

#[test]
fn introspection_and_uid_connections_inside_a_receiver_do_not_deadlock() {
    within_deadline(|| {
        static SEEN: AtomicUsize = AtomicUsize::new(0);
        INTROSPECT_INSIDE.connect(|_s, _a: &mut Depth| {
            assert!(INTROSPECT_INSIDE.has_listeners(Sender::of::<Shop>()));
            SEEN.fetch_add(INTROSPECT_INSIDE.receivers().len(), Ordering::SeqCst);
            let _ = clarion::receivers();
            let _ = clarion::signals();
            let a = INTROSPECT_INSIDE.connect_with(
                Connect::new().dispatch_uid("inner"),
                |_s, _a: &mut Depth| {},
            );
            let b = INTROSPECT_INSIDE.connect_with(
                Connect::new().dispatch_uid("inner"),
                |_s, _a: &mut Depth| {},
            );
            assert_eq!(a, b);
        });
        send(&INTROSPECT_INSIDE, 0).unwrap();
        send(&INTROSPECT_INSIDE, 0).unwrap();
        // First send: one receiver listed; second: it and "inner".
        assert_eq!(SEEN.load(Ordering::SeqCst), 1 + 2);
        assert!(INTROSPECT_INSIDE.disconnect_uid("inner", None));
    });
}

static NESTED_PANIC: Signal<Depth> = Signal::new("nested-panic");

fn panics_when_nested(_sender: Sender, args: &mut Depth) {
    if args.depth > 0 {
        panic!("nested boom");
    }
}

#[test]
fn a_panic_in_a_nested_send_comes_back_as_nested_receiver_errors() {
    within_deadline(|| {
        NESTED_PANIC.connect(|_s, args: &mut Depth| -> clarion::Result<()> {
            if args.depth == 0 {
                send(&NESTED_PANIC, 1)?;
            }
            Ok(())
        });
        NESTED_PANIC.connect(panics_when_nested);
        let error = send(&NESTED_PANIC, 0).unwrap_err();
        let Error::Receiver { source, .. } = &error else {
            panic!("expected Error::Receiver, got {error:?}");
        };
        let Error::Receiver {
            receiver, source, ..
        } = &**source
        else {
            panic!("expected a nested Error::Receiver, got {source:?}");
        };
        assert_eq!(*receiver, "signals_reentrancy::panics_when_nested");
        assert!(
            matches!(&**source, Error::Panic { message } if message == "nested boom"),
            "{source:?}"
        );
        // Still usable: no lock was left poisoned or pinned.
        NESTED_PANIC.connect_with(Connect::new().priority(5), |_s, _a: &mut Depth| {});
        assert_eq!(NESTED_PANIC.receivers().len(), 3);
        let outcomes = NESTED_PANIC.send_robust(Sender::of::<Shop>(), &mut Depth { depth: 1 });
        assert_eq!(outcomes.len(), 3);
        assert!(outcomes[2].result.is_err());
    });
}

static ROBUST_NESTED: Signal<Depth> = Signal::new("robust-nested");

#[test]
fn send_robust_may_be_nested_in_send_and_the_reverse() {
    within_deadline(|| {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        ROBUST_NESTED.connect(|_s, args: &mut Depth| -> clarion::Result<()> {
            CALLS.fetch_add(1, Ordering::SeqCst);
            match args.depth {
                0 => {
                    let outcomes =
                        ROBUST_NESTED.send_robust(Sender::of::<Shop>(), &mut Depth { depth: 1 });
                    assert_eq!(outcomes.len(), 1);
                    outcomes.into_iter().next().unwrap().result
                }
                1 => send(&ROBUST_NESTED, 2).map(|_| ()),
                _ => Ok(()),
            }
        });
        send(&ROBUST_NESTED, 0).unwrap();
        assert_eq!(CALLS.load(Ordering::SeqCst), 3);
    });
}

/// Sends a signal when dropped: the drop of a disconnected receiver runs user code.
struct SendOnDrop(&'static Signal<Depth>);

impl Drop for SendOnDrop {
    fn drop(&mut self) {
        send(self.0, 7).unwrap();
    }
}

static DROP_SENDS: Signal<Depth> = Signal::new("drop-sends");

#[test]
fn dropping_a_disconnected_receiver_may_send_the_same_signal() {
    within_deadline(|| {
        static SEEN_7: AtomicUsize = AtomicUsize::new(0);
        DROP_SENDS.connect(|_s, args: &mut Depth| {
            if args.depth == 7 {
                SEEN_7.fetch_add(1, Ordering::SeqCst);
            }
        });
        let guard = SendOnDrop(&DROP_SENDS);
        let id = DROP_SENDS.connect(move |_s, _a: &mut Depth| {
            let _ = &guard;
        });
        send(&DROP_SENDS, 0).unwrap();
        assert!(DROP_SENDS.disconnect(id));
        // Whenever the closure is finally dropped (now, or when this thread's next send drops
        // the snapshot it had), its drop sends once.
        send(&DROP_SENDS, 0).unwrap();
        send(&DROP_SENDS, 0).unwrap();
        assert_eq!(SEEN_7.load(Ordering::SeqCst), 1);
    });
}

static DROP_SELF_SENDS: Signal<Depth> = Signal::new("drop-self-sends");

#[test]
fn a_receiver_that_disconnects_itself_may_send_when_dropped() {
    within_deadline(|| {
        static SEEN_7: AtomicUsize = AtomicUsize::new(0);
        static ME: OnceLock<ReceiverId> = OnceLock::new();
        DROP_SELF_SENDS.connect(|_s, args: &mut Depth| {
            if args.depth == 7 {
                SEEN_7.fetch_add(1, Ordering::SeqCst);
            }
        });
        let guard = SendOnDrop(&DROP_SELF_SENDS);
        let id = DROP_SELF_SENDS.connect(move |_s, args: &mut Depth| {
            let _ = &guard;
            if args.depth == 0 {
                DROP_SELF_SENDS.disconnect(*ME.get().unwrap());
            }
        });
        ME.set(id).unwrap();
        send(&DROP_SELF_SENDS, 0).unwrap();
        send(&DROP_SELF_SENDS, 0).unwrap();
        send(&DROP_SELF_SENDS, 0).unwrap();
        assert_eq!(SEEN_7.load(Ordering::SeqCst), 1);
        assert_eq!(DROP_SELF_SENDS.receivers().len(), 1);
    });
}

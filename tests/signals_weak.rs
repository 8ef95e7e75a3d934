//! Weak connections (`connect_weak`, Django's `weak=True`): the receiver lives as long as its
//! target `Arc`, and is neither called nor listed once the target is gone.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Ping {
    n: usize,
}

struct Shop;
struct Warehouse;

/// A receiver's target: counts what it hears.
#[derive(Default)]
struct Counter {
    total: AtomicUsize,
}

fn add(counter: &Counter, _sender: Sender, args: &mut Ping) {
    counter.total.fetch_add(args.n, Ordering::SeqCst);
}

static WEAK: Signal<Ping> = Signal::new("weak");

#[test]
fn a_weak_receiver_runs_while_its_target_lives_and_vanishes_after() {
    let target = Arc::new(Counter::default());
    let id = WEAK.connect_weak(&target, Connect::new(), add);
    let info = WEAK.receivers().into_iter().find(|r| r.id == id).unwrap();
    assert!(info.weak);
    assert_eq!(
        Arc::strong_count(&target),
        1,
        "the connection holds no strong ref"
    );
    assert!(WEAK.has_listeners(Sender::of::<Shop>()));

    WEAK.send(Sender::of::<Shop>(), &mut Ping { n: 2 }).unwrap();
    WEAK.send(Sender::of::<Shop>(), &mut Ping { n: 3 }).unwrap();
    assert_eq!(target.total.load(Ordering::SeqCst), 5);

    let weak = Arc::downgrade(&target);
    drop(target);
    assert!(weak.upgrade().is_none());
    assert!(
        !WEAK.has_listeners(Sender::of::<Shop>()),
        "a dead weak receiver is no listener, even before the next send"
    );
    assert!(WEAK.receivers().iter().all(|r| r.id != id));
    let out = WEAK.send(Sender::of::<Shop>(), &mut Ping { n: 1 }).unwrap();
    assert!(out.is_empty(), "not called");
    assert!(!WEAK.disconnect(id), "already dropped");
}

static WEAK_SENDS_FIRST: Signal<Ping> = Signal::new("weak-sends-first");

#[test]
fn a_dead_weak_receiver_is_dropped_by_the_next_send() {
    static AFTER: AtomicUsize = AtomicUsize::new(0);
    let target = Arc::new(Counter::default());
    let id = WEAK_SENDS_FIRST.connect_weak(&target, Connect::new(), add);
    WEAK_SENDS_FIRST.connect(|_s, _a: &mut Ping| {
        AFTER.fetch_add(1, Ordering::SeqCst);
    });
    drop(target);
    // A send (not `receivers()`) is the first to notice.
    let out = WEAK_SENDS_FIRST
        .send(Sender::of::<Shop>(), &mut Ping { n: 1 })
        .unwrap();
    assert_eq!(out.len(), 1, "only the strong receiver ran");
    assert_eq!(AFTER.load(Ordering::SeqCst), 1);
    let ids: Vec<_> = WEAK_SENDS_FIRST.receivers().iter().map(|r| r.id).collect();
    assert!(!ids.contains(&id));
    assert_eq!(ids.len(), 1);
}

static WEAK_SENDER: Signal<Ping> = Signal::new("weak-sender");

#[test]
fn a_weak_receiver_can_listen_to_one_sender() {
    let target = Arc::new(Counter::default());
    WEAK_SENDER.connect_weak(&target, Connect::new().sender::<Shop>().priority(4), add);
    WEAK_SENDER
        .send(Sender::of::<Warehouse>(), &mut Ping { n: 10 })
        .unwrap();
    WEAK_SENDER
        .send(Sender::of::<Shop>(), &mut Ping { n: 1 })
        .unwrap();
    assert_eq!(target.total.load(Ordering::SeqCst), 1);
    assert!(WEAK_SENDER.has_listeners(Sender::of::<Shop>()));
    assert!(!WEAK_SENDER.has_listeners(Sender::of::<Warehouse>()));
    let info = &WEAK_SENDER.receivers()[0];
    assert_eq!(info.priority, 4);
    assert_eq!(info.sender, Some(Sender::of::<Shop>()));
}

static WEAK_UID: Signal<Ping> = Signal::new("weak-uid");

#[test]
fn a_weak_dispatch_uid_is_connected_once_until_its_target_is_gone() {
    let first = Arc::new(Counter::default());
    let second = Arc::new(Counter::default());
    let a = WEAK_UID.connect_weak(&first, Connect::new().dispatch_uid("w"), add);
    let b = WEAK_UID.connect_weak(&second, Connect::new().dispatch_uid("w"), add);
    assert_eq!(a, b);
    WEAK_UID
        .send(Sender::of::<Shop>(), &mut Ping { n: 1 })
        .unwrap();
    assert_eq!(first.total.load(Ordering::SeqCst), 1);
    assert_eq!(second.total.load(Ordering::SeqCst), 0);

    // Once the first target is gone, its uid is free again.
    drop(first);
    assert!(WEAK_UID.receivers().is_empty());
    let c = WEAK_UID.connect_weak(&second, Connect::new().dispatch_uid("w"), add);
    assert_ne!(c, a);
    WEAK_UID
        .send(Sender::of::<Shop>(), &mut Ping { n: 1 })
        .unwrap();
    assert_eq!(second.total.load(Ordering::SeqCst), 1);
}

static WEAK_DISCONNECT: Signal<Ping> = Signal::new("weak-disconnect");

#[test]
fn a_weak_receiver_can_be_disconnected_while_its_target_lives() {
    let target = Arc::new(Counter::default());
    let id = WEAK_DISCONNECT.connect_weak(&target, Connect::new(), add);
    assert!(WEAK_DISCONNECT.disconnect(id));
    WEAK_DISCONNECT
        .send(Sender::of::<Shop>(), &mut Ping { n: 1 })
        .unwrap();
    assert_eq!(target.total.load(Ordering::SeqCst), 0);
    assert!(!WEAK_DISCONNECT.has_listeners(Sender::of::<Shop>()));
}

static DROPPED_DURING_SEND: Signal<Ping> = Signal::new("dropped-during-send");

#[test]
fn a_weak_target_dropped_by_an_earlier_receiver_is_not_called_in_the_same_send() {
    static HOLDER: Mutex<Option<Arc<Counter>>> = Mutex::new(None);
    static LAST: AtomicUsize = AtomicUsize::new(0);
    let target = Arc::new(Counter::default());
    let weak = Arc::downgrade(&target);
    *HOLDER.lock().unwrap() = Some(target.clone());

    // Runs first and drops the last strong reference.
    DROPPED_DURING_SEND.connect_with(Connect::new().priority(1), |_s, args: &mut Ping| {
        if args.n == 1 {
            drop(HOLDER.lock().unwrap().take());
        }
    });
    let id = DROPPED_DURING_SEND.connect_weak(&target, Connect::new(), add);
    DROPPED_DURING_SEND.connect_with(Connect::new().priority(-1), |_s, _a: &mut Ping| {
        LAST.fetch_add(1, Ordering::SeqCst);
    });
    drop(target);

    DROPPED_DURING_SEND
        .send(Sender::of::<Shop>(), &mut Ping { n: 5 })
        .unwrap();
    assert_eq!(weak.upgrade().unwrap().total.load(Ordering::SeqCst), 5);

    let out = DROPPED_DURING_SEND
        .send(Sender::of::<Shop>(), &mut Ping { n: 1 })
        .unwrap();
    assert!(weak.upgrade().is_none());
    assert_eq!(out.len(), 2, "the weak receiver was skipped: {out:?}");
    assert_eq!(
        LAST.load(Ordering::SeqCst),
        2,
        "the receivers after it still run"
    );
    assert!(DROPPED_DURING_SEND.receivers().iter().all(|r| r.id != id));
    assert_eq!(DROPPED_DURING_SEND.receivers().len(), 2);
}

static DROPS_OWN_TARGET: Signal<Ping> = Signal::new("drops-own-target");

#[test]
fn a_weak_receiver_that_drops_its_own_target_runs_to_the_end_then_goes() {
    static HOLDER: Mutex<Option<Arc<Counter>>> = Mutex::new(None);
    let target = Arc::new(Counter::default());
    *HOLDER.lock().unwrap() = Some(target.clone());
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let id = DROPS_OWN_TARGET.connect_weak(
        &target,
        Connect::new(),
        move |counter: &Counter, _s, _a: &mut Ping| {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(HOLDER.lock().unwrap().take());
            // The target is still borrowed here, so it is still usable.
            counter.total.fetch_add(1, Ordering::SeqCst);
        },
    );
    let weak = Arc::downgrade(&target);
    drop(target);

    DROPS_OWN_TARGET
        .send(Sender::of::<Shop>(), &mut Ping { n: 0 })
        .unwrap();
    assert!(weak.upgrade().is_none(), "dropped once the call returned");
    DROPS_OWN_TARGET
        .send(Sender::of::<Shop>(), &mut Ping { n: 0 })
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(DROPS_OWN_TARGET.receivers().iter().all(|r| r.id != id));
}

static WEAK_CLOSURE_FREED: Signal<Ping> = Signal::new("weak-closure-freed");

#[test]
fn a_dead_weak_receivers_closure_is_freed() {
    let target = Arc::new(Counter::default());
    let token = Arc::new(());
    let held = token.clone();
    WEAK_CLOSURE_FREED.connect_weak(&target, Connect::new(), move |c: &Counter, s, a| {
        let _ = &held;
        add(c, s, a);
    });
    WEAK_CLOSURE_FREED
        .send(Sender::of::<Shop>(), &mut Ping { n: 1 })
        .unwrap();
    assert_eq!(Arc::strong_count(&token), 2);
    drop(target);
    // Two sends: the first notices the dead receiver, the second runs from a snapshot without it.
    WEAK_CLOSURE_FREED
        .send(Sender::of::<Shop>(), &mut Ping { n: 1 })
        .unwrap();
    WEAK_CLOSURE_FREED
        .send(Sender::of::<Shop>(), &mut Ping { n: 1 })
        .unwrap();
    assert!(WEAK_CLOSURE_FREED.receivers().is_empty());
    assert_eq!(Arc::strong_count(&token), 1, "the closure was dropped");
}

static WEAK_ROBUST: Signal<Ping> = Signal::new("weak-robust");

#[test]
fn send_robust_skips_dead_weak_receivers() {
    let alive = Arc::new(Counter::default());
    let dead = Arc::new(Counter::default());
    let alive_id = WEAK_ROBUST.connect_weak(&alive, Connect::new(), add);
    WEAK_ROBUST.connect_weak(&dead, Connect::new(), add);
    drop(dead);
    let outcomes = WEAK_ROBUST.send_robust(Sender::of::<Shop>(), &mut Ping { n: 1 });
    let ids: Vec<_> = outcomes.iter().map(|o| o.id).collect();
    assert_eq!(ids, [alive_id]);
    assert_eq!(alive.total.load(Ordering::SeqCst), 1);
    assert_eq!(WEAK_ROBUST.receivers().len(), 1);
}

static WEAK_UID_DEAD: Signal<Ping> = Signal::new("weak-uid-dead");

/// Django forgets a dead weak receiver as soon as its target goes: connecting again with its
/// `dispatch_uid` connects the new receiver instead of returning the dead one's id.
#[test]
fn a_dead_weak_receiver_does_not_block_its_dispatch_uid() {
    let first = Arc::new(Counter::default());
    let second = Arc::new(Counter::default());
    let a = WEAK_UID_DEAD.connect_weak(&first, Connect::new().dispatch_uid("w"), add);
    drop(first);
    // No send or `receivers()` in between: nothing has noticed the target is gone yet.
    let b = WEAK_UID_DEAD.connect_weak(&second, Connect::new().dispatch_uid("w"), add);
    assert_ne!(
        a, b,
        "the dead receiver's id was returned and the new one dropped"
    );
    WEAK_UID_DEAD
        .send(Sender::of::<Shop>(), &mut Ping { n: 1 })
        .unwrap();
    assert_eq!(second.total.load(Ordering::SeqCst), 1);
}

//! When a receiver's closure (and what it captured) is dropped: after `disconnect`, after a
//! rejected duplicate `dispatch_uid`, with the signal itself.
//!
//! A receiver often captures a resource whose drop matters, e.g. the sending half of a channel that
//! a consumer drains until every sender is gone.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Ping {
    n: u32,
}

struct Shop;

static KEEP_ONE: Signal<Ping> = Signal::new("keep-one");

#[test]
fn a_disconnected_closure_is_dropped_by_the_next_send() {
    KEEP_ONE.connect(|_s, _a: &mut Ping| {});
    let token = Arc::new(());
    let held = token.clone();
    let id = KEEP_ONE.connect(move |_s, _a: &mut Ping| {
        let _ = &held;
    });
    KEEP_ONE
        .send(Sender::of::<Shop>(), &mut Ping { n: 0 })
        .unwrap();
    assert!(KEEP_ONE.disconnect(id));
    KEEP_ONE
        .send(Sender::of::<Shop>(), &mut Ping { n: 0 })
        .unwrap();
    assert_eq!(Arc::strong_count(&token), 1);
}

static LAST_ONE: Signal<Ping> = Signal::new("last-one");

/// The same, when the disconnected receiver was the signal's last one.
#[test]
fn the_last_disconnected_closure_is_dropped_by_the_next_send() {
    let token = Arc::new(());
    let held = token.clone();
    let id = LAST_ONE.connect(move |_s, _a: &mut Ping| {
        let _ = &held;
    });
    LAST_ONE
        .send(Sender::of::<Shop>(), &mut Ping { n: 0 })
        .unwrap();
    assert!(LAST_ONE.disconnect(id));
    for _ in 0..3 {
        LAST_ONE
            .send(Sender::of::<Shop>(), &mut Ping { n: 0 })
            .unwrap();
    }
    assert_eq!(Arc::strong_count(&token), 1);
}

static CHANNEL: Signal<Ping> = Signal::new("channel");

/// Django drops its reference on `disconnect`; a consumer draining a channel whose sending half a
/// receiver captured ends once the receiver is disconnected.
#[test]
fn disconnect_drops_the_closure_right_away() {
    let (tx, rx) = mpsc::channel();
    let id = CHANNEL.connect(move |_s, args: &mut Ping| tx.send(args.n).unwrap());
    CHANNEL
        .send(Sender::of::<Shop>(), &mut Ping { n: 1 })
        .unwrap();
    assert!(CHANNEL.disconnect(id));
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(1));
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(2)),
        Err(mpsc::RecvTimeoutError::Disconnected),
        "the channel's sender is still alive after disconnect"
    );
}

#[test]
fn a_closure_connected_and_disconnected_without_a_send_is_dropped() {
    static UNSENT: Signal<Ping> = Signal::new("unsent");
    let token = Arc::new(());
    let held = token.clone();
    let id = UNSENT.connect(move |_s, _a: &mut Ping| {
        let _ = &held;
    });
    assert!(UNSENT.disconnect(id));
    assert_eq!(Arc::strong_count(&token), 1);
}

#[test]
fn a_closure_sent_from_a_finished_thread_is_dropped_on_disconnect() {
    static OTHER_THREAD: Signal<Ping> = Signal::new("other-thread");
    let token = Arc::new(());
    let held = token.clone();
    let id = OTHER_THREAD.connect(move |_s, _a: &mut Ping| {
        let _ = &held;
    });
    std::thread::spawn(|| {
        OTHER_THREAD
            .send(Sender::of::<Shop>(), &mut Ping { n: 0 })
            .unwrap();
    })
    .join()
    .unwrap();
    assert!(OTHER_THREAD.disconnect(id));
    assert_eq!(Arc::strong_count(&token), 1);
}

/// A signal that is not a `static` (say, one per object) frees its receivers when dropped.
#[test]
fn dropping_a_signal_drops_its_receivers() {
    let token = Arc::new(());
    {
        let signal: Signal<Ping> = Signal::new("local");
        let held = token.clone();
        signal.connect(move |_s, _a: &mut Ping| {
            let _ = &held;
        });
        signal
            .send(Sender::of::<Shop>(), &mut Ping { n: 0 })
            .unwrap();
    }
    assert_eq!(Arc::strong_count(&token), 1);
}

#[test]
fn a_local_signal_works_and_its_slot_can_be_reused() {
    // Signals dropped and created in turn must never see each other's receivers.
    for round in 0..50_u32 {
        let signal: Signal<Ping> = Signal::new("local-round");
        signal.connect(move |_s, args: &mut Ping| {
            assert_eq!(args.n, round, "a receiver of another signal ran");
        });
        let out = signal
            .send(Sender::of::<Shop>(), &mut Ping { n: round })
            .unwrap();
        assert_eq!(out.len(), 1);
    }
}

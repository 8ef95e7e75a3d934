//! Thread safety: many threads sending while others connect and disconnect. Every send runs on
//! one consistent snapshot, counts are exact where they can be, and nothing deadlocks.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::Duration;

use clarion::prelude::*;

#[derive(SignalArgs)]
#[signal_args(output = i32)]
struct Work {
    depth: u32,
}

struct Shop;
struct Animal;
struct Dog;
const DOG: Sender = Sender::with_parents::<Dog>(&[Sender::of::<Animal>()]);

const THREADS: usize = 8;
const SENDS: usize = 10_000;

/// Runs `f` on another thread and fails if it does not finish in time (a deadlock).
fn within_deadline<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("deadlock: not finished within 300 s"),
    }
}

fn work(signal: &Signal<Work>, sender: Sender, depth: u32) -> Vec<i32> {
    signal.send(sender, &mut Work { depth }).unwrap()
}

static BUSY: Signal<Work> = Signal::new("busy");

#[test]
fn sends_from_many_threads_see_whole_snapshots_while_another_thread_connects_and_disconnects() {
    within_deadline(|| {
        static HIGH: AtomicUsize = AtomicUsize::new(0);
        static LOW: AtomicUsize = AtomicUsize::new(0);
        static TOGGLED: AtomicUsize = AtomicUsize::new(0);
        BUSY.connect_with(Connect::new().priority(10), |_s, _a: &mut Work| {
            HIGH.fetch_add(1, Ordering::Relaxed);
            10
        });
        BUSY.connect_with(Connect::new().priority(-10), |_s, _a: &mut Work| {
            LOW.fetch_add(1, Ordering::Relaxed);
            -10
        });

        let done = Arc::new(AtomicBool::new(false));
        let toggler = {
            let done = done.clone();
            thread::spawn(move || {
                let mut toggles = 0_usize;
                while !done.load(Ordering::Relaxed) {
                    let id = BUSY.connect(|_s, _a: &mut Work| {
                        TOGGLED.fetch_add(1, Ordering::Relaxed);
                        0
                    });
                    thread::yield_now();
                    assert!(BUSY.disconnect(id));
                    toggles += 1;
                }
                toggles
            })
        };

        let with_toggled = Arc::new(AtomicUsize::new(0));
        let without = Arc::new(AtomicUsize::new(0));
        let torn = Arc::new(AtomicUsize::new(0));
        let senders: Vec<_> = (0..THREADS)
            .map(|_| {
                let (with_toggled, without, torn) =
                    (with_toggled.clone(), without.clone(), torn.clone());
                thread::spawn(move || {
                    for _ in 0..SENDS {
                        match work(&BUSY, Sender::of::<Shop>(), 0).as_slice() {
                            [10, -10] => without.fetch_add(1, Ordering::Relaxed),
                            [10, 0, -10] => with_toggled.fetch_add(1, Ordering::Relaxed),
                            _ => torn.fetch_add(1, Ordering::Relaxed),
                        };
                    }
                })
            })
            .collect();
        for sender in senders {
            sender.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        let toggles = toggler.join().unwrap();

        let total = THREADS * SENDS;
        assert_eq!(
            torn.load(Ordering::Relaxed),
            0,
            "a send saw a partial snapshot"
        );
        assert_eq!(HIGH.load(Ordering::Relaxed), total);
        assert_eq!(LOW.load(Ordering::Relaxed), total);
        assert_eq!(
            without.load(Ordering::Relaxed) + with_toggled.load(Ordering::Relaxed),
            total
        );
        assert_eq!(
            TOGGLED.load(Ordering::Relaxed),
            with_toggled.load(Ordering::Relaxed),
            "the toggled receiver ran exactly in the sends whose output shows it"
        );
        assert!(toggles > 0);
        // Every toggled receiver is gone: the next send, on any thread, shows the two others.
        assert_eq!(work(&BUSY, Sender::of::<Shop>(), 0), [10, -10]);
        assert_eq!(BUSY.receivers().len(), 2);
        let after = thread::spawn(|| work(&BUSY, Sender::of::<Shop>(), 0))
            .join()
            .unwrap();
        assert_eq!(after, [10, -10]);
    });
}

static CHAINS: Signal<Work> = Signal::new("chains");

#[test]
fn threads_racing_to_resolve_a_parent_chain_each_reach_the_parent_once() {
    within_deadline(|| {
        static ANIMAL_CALLS: AtomicUsize = AtomicUsize::new(0);
        static DOG_CALLS: AtomicUsize = AtomicUsize::new(0);
        CHAINS.connect_with(Connect::new().sender::<Animal>(), |_s, _a: &mut Work| {
            ANIMAL_CALLS.fetch_add(1, Ordering::Relaxed);
            1
        });
        CHAINS.connect_with(Connect::new().sender::<Dog>(), |_s, _a: &mut Work| {
            DOG_CALLS.fetch_add(1, Ordering::Relaxed);
            2
        });
        let start = Arc::new(Barrier::new(THREADS + 1));
        let stop = Arc::new(AtomicBool::new(false));
        // Unrelated connections republish snapshots while the chain is being resolved.
        let churn = {
            let stop = stop.clone();
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                while !stop.load(Ordering::Relaxed) {
                    let id =
                        CHAINS.connect_with(Connect::new().sender::<Shop>(), |_s, _a: &mut Work| 3);
                    assert!(CHAINS.disconnect(id));
                }
            })
        };
        let bad = Arc::new(AtomicUsize::new(0));
        let senders: Vec<_> = (0..THREADS)
            .map(|_| {
                let (start, bad) = (start.clone(), bad.clone());
                thread::spawn(move || {
                    start.wait();
                    for _ in 0..1_000 {
                        if work(&CHAINS, DOG, 0) != [1, 2] {
                            bad.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for sender in senders {
            sender.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        churn.join().unwrap();
        assert_eq!(bad.load(Ordering::Relaxed), 0);
        assert_eq!(ANIMAL_CALLS.load(Ordering::Relaxed), THREADS * 1_000);
        assert_eq!(DOG_CALLS.load(Ordering::Relaxed), THREADS * 1_000);
        assert_eq!(work(&CHAINS, Sender::of::<Animal>(), 0), [1]);
    });
}

static UID_RACE: Signal<Work> = Signal::new("uid-race");

#[test]
fn racing_connections_with_one_dispatch_uid_connect_exactly_once() {
    within_deadline(|| {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        let start = Arc::new(Barrier::new(THREADS));
        let ids: Vec<_> = (0..THREADS)
            .map(|_| {
                let start = start.clone();
                thread::spawn(move || {
                    start.wait();
                    UID_RACE.connect_with(
                        Connect::new().dispatch_uid("only-one"),
                        |_s, _a: &mut Work| {
                            CALLS.fetch_add(1, Ordering::Relaxed);
                            0
                        },
                    )
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        assert_eq!(UID_RACE.receivers().len(), 1);
        work(&UID_RACE, Sender::of::<Shop>(), 0);
        assert_eq!(CALLS.load(Ordering::Relaxed), 1);
    });
}

static DISCONNECT_RACE: Signal<Work> = Signal::new("disconnect-race");

#[test]
fn racing_disconnections_of_one_receiver_succeed_exactly_once() {
    within_deadline(|| {
        for _ in 0..50 {
            let id = DISCONNECT_RACE.connect(|_s, _a: &mut Work| 0);
            let start = Arc::new(Barrier::new(THREADS));
            let removed = (0..THREADS)
                .map(|_| {
                    let start = start.clone();
                    thread::spawn(move || {
                        start.wait();
                        DISCONNECT_RACE.disconnect(id)
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|t| t.join().unwrap())
                .filter(|removed| *removed)
                .count();
            assert_eq!(removed, 1);
            assert!(DISCONNECT_RACE.receivers().is_empty());
        }
    });
}

static WEAK_RACE: Signal<Work> = Signal::new("weak-race");

/// A receiver's target.
struct Target {
    calls: AtomicUsize,
}

#[test]
fn a_weak_target_dropped_while_other_threads_send_stops_being_called() {
    within_deadline(|| {
        let target = Arc::new(Target {
            calls: AtomicUsize::new(0),
        });
        let id =
            WEAK_RACE.connect_weak(&target, Connect::new(), |t: &Target, _s, _a: &mut Work| {
                t.calls.fetch_add(1, Ordering::SeqCst);
                1
            });
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicUsize::new(0));
        let senders: Vec<_> = (0..4)
            .map(|_| {
                let (stop, sent) = (stop.clone(), sent.clone());
                thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        work(&WEAK_RACE, Sender::of::<Shop>(), 0);
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        while sent.load(Ordering::Relaxed) < 1_000 {
            thread::yield_now();
        }
        let weak = Arc::downgrade(&target);
        // Keep only a Weak to read the count while a call may still be running elsewhere.
        drop(target);
        while sent.load(Ordering::Relaxed) < 2_000 {
            thread::yield_now();
        }
        stop.store(true, Ordering::Relaxed);
        for sender in senders {
            sender.join().unwrap();
        }
        assert!(weak.upgrade().is_none());
        assert!(WEAK_RACE.receivers().iter().all(|r| r.id != id));
        assert!(!WEAK_RACE.has_listeners(Sender::of::<Shop>()));
        assert!(work(&WEAK_RACE, Sender::of::<Shop>(), 0).is_empty());
    });
}

static NESTED_BUSY: Signal<Work> = Signal::new("nested-busy");

#[test]
fn nested_sends_on_many_threads_while_receivers_come_and_go() {
    within_deadline(|| {
        static PERMANENT: AtomicUsize = AtomicUsize::new(0);
        NESTED_BUSY.connect(|_s, args: &mut Work| -> clarion::Result<i32> {
            PERMANENT.fetch_add(1, Ordering::Relaxed);
            if args.depth < 2 {
                NESTED_BUSY.send(
                    Sender::of::<Shop>(),
                    &mut Work {
                        depth: args.depth + 1,
                    },
                )?;
            }
            Ok(1)
        });
        let stop = Arc::new(AtomicBool::new(false));
        let churn = {
            let stop = stop.clone();
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let id =
                        NESTED_BUSY.connect_with(Connect::new().priority(1), |_s, _a: &mut Work| 2);
                    thread::yield_now();
                    assert!(NESTED_BUSY.disconnect(id));
                }
            })
        };
        let senders: Vec<_> = (0..4)
            .map(|_| {
                thread::spawn(|| {
                    for _ in 0..2_000 {
                        let out = work(&NESTED_BUSY, Sender::of::<Shop>(), 0);
                        assert!(out == [1] || out == [2, 1], "{out:?}");
                    }
                })
            })
            .collect();
        for sender in senders {
            sender.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        churn.join().unwrap();
        assert_eq!(PERMANENT.load(Ordering::Relaxed), 4 * 2_000 * 3);
    });
}

static SHORT_LIVED: Signal<Work> = Signal::new("short-lived");

#[test]
fn sends_from_many_short_lived_threads_are_all_heard() {
    within_deadline(|| {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        SHORT_LIVED.connect(|_s, _a: &mut Work| {
            CALLS.fetch_add(1, Ordering::Relaxed);
            0
        });
        for round in 0..20 {
            let threads: Vec<_> = (0..10)
                .map(|_| thread::spawn(|| work(&SHORT_LIVED, Sender::of::<Shop>(), 0)))
                .collect();
            let expected: &[i32] = if round <= 10 { &[0] } else { &[0, 1] };
            for t in threads {
                assert_eq!(t.join().unwrap(), expected);
            }
            if round == 10 {
                SHORT_LIVED.connect(|_s, _a: &mut Work| 1);
            }
        }
        assert_eq!(CALLS.load(Ordering::Relaxed), 200);
        assert_eq!(work(&SHORT_LIVED, Sender::of::<Shop>(), 0), [0, 1]);
    });
}

static FROM_TLS_DTOR: Signal<Work> = Signal::new("from-tls-dtor");
static TLS_DTOR_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Sends `FROM_TLS_DTOR` when the thread's locals are destroyed.
struct SendsWhenThreadEnds;

impl Drop for SendsWhenThreadEnds {
    fn drop(&mut self) {
        let out = work(&FROM_TLS_DTOR, Sender::of::<Shop>(), 0);
        assert_eq!(out, [7]);
    }
}

thread_local! {
    static ON_EXIT: SendsWhenThreadEnds = const { SendsWhenThreadEnds };
}

#[test]
fn a_send_from_a_thread_local_destructor_is_delivered() {
    within_deadline(|| {
        FROM_TLS_DTOR.connect(|_s, _a: &mut Work| {
            TLS_DTOR_CALLS.fetch_add(1, Ordering::SeqCst);
            7
        });
        // Our thread-local first, clarion's cache second: destructors run in reverse, so the send
        // may find clarion's thread-local storage already gone.
        thread::spawn(|| {
            ON_EXIT.with(|_| {});
            work(&FROM_TLS_DTOR, Sender::of::<Shop>(), 0);
        })
        .join()
        .unwrap();
        thread::spawn(|| ON_EXIT.with(|_| {})).join().unwrap();
        assert_eq!(TLS_DTOR_CALLS.load(Ordering::SeqCst), 3);
    });
}

static INTROSPECT_RACE: Signal<Work> = Signal::new("introspect-race");

#[test]
fn introspection_while_other_threads_connect_and_send() {
    within_deadline(|| {
        INTROSPECT_RACE.connect(|_s, _a: &mut Work| 0);
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..3)
            .map(|i| {
                let stop = stop.clone();
                thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        match i {
                            0 => {
                                let id = INTROSPECT_RACE.connect(|_s, _a: &mut Work| 1);
                                assert!(INTROSPECT_RACE.disconnect(id));
                            }
                            1 => {
                                work(&INTROSPECT_RACE, Sender::of::<Shop>(), 0);
                            }
                            _ => {
                                let _ = INTROSPECT_RACE
                                    .send_robust(Sender::of::<Shop>(), &mut Work { depth: 0 });
                            }
                        }
                    }
                })
            })
            .collect();
        for _ in 0..2_000 {
            let n = INTROSPECT_RACE.receivers().len();
            assert!(n == 1 || n == 2, "{n}");
            assert!(INTROSPECT_RACE.has_listeners(Sender::of::<Shop>()));
        }
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(INTROSPECT_RACE.receivers().len(), 1);
    });
}

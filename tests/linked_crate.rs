//! A receiver declared in a library crate of the workspace (`clarion-test-receivers`) is linked
//! into a binary that uses the crate, runs on its signal, and shows in introspection.

use std::sync::Mutex;
use std::sync::atomic::Ordering;

use clarion::prelude::*;
use clarion::{Error, Origin};
use clarion_test_receivers::{LIB_EVENT, LibEvent, LibSender, TOTAL};

/// Tests below read and reset `TOTAL`: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// What `TOTAL` was when this crate's receiver ran, right after the library's.
static SEEN_AFTER_LIB: Mutex<Vec<u32>> = Mutex::new(Vec::new());

// A receiver of the library's signal declared here. By path, `clarion_test_receivers::add_amount`
// sorts before `linked_crate::…`, so the library's receiver runs first.
#[receiver(LIB_EVENT, sender = LibSender)]
fn after_the_library(amount: u32) {
    let _ = amount;
    SEEN_AFTER_LIB
        .lock()
        .unwrap()
        .push(TOTAL.load(Ordering::SeqCst));
}

#[test]
fn the_library_crate_is_linked() {
    let crates = clarion::linked_crates();
    assert!(crates.contains("clarion_test_receivers"), "{crates:?}");
    assert!(crates.contains("linked_crate"), "{crates:?}");
    clarion::expect_linked(&["clarion_test_receivers"]).unwrap();
    clarion::expect_linked(&["clarion-test-receivers", "linked_crate"]).unwrap();
    let error =
        clarion::expect_linked(&["clarion_test_receivers", "not_a_receiver_crate"]).unwrap_err();
    assert!(
        matches!(&error, Error::NotLinked { crates } if crates == &["not_a_receiver_crate"]),
        "{error:?}"
    );
}

#[test]
fn the_library_receiver_runs_for_its_sender_only() {
    let _serial = serial();
    let before = TOTAL.load(Ordering::SeqCst);
    LIB_EVENT
        .send(Sender::of::<LibSender>(), &mut LibEvent { amount: 5 })
        .unwrap();
    assert_eq!(TOTAL.load(Ordering::SeqCst), before + 5);
    LIB_EVENT
        .send(Sender::of::<LibSender>(), &mut LibEvent { amount: 7 })
        .unwrap();
    assert_eq!(TOTAL.load(Ordering::SeqCst), before + 12);

    struct SomeoneElse;
    LIB_EVENT
        .send(Sender::of::<SomeoneElse>(), &mut LibEvent { amount: 100 })
        .unwrap();
    assert_eq!(TOTAL.load(Ordering::SeqCst), before + 12);
}

#[test]
fn receivers_of_two_crates_on_one_signal_run_in_path_order() {
    let _serial = serial();
    SEEN_AFTER_LIB.lock().unwrap().clear();
    let before = TOTAL.load(Ordering::SeqCst);
    LIB_EVENT
        .send(Sender::of::<LibSender>(), &mut LibEvent { amount: 3 })
        .unwrap();
    assert_eq!(*SEEN_AFTER_LIB.lock().unwrap(), [before + 3]);

    let names: Vec<&str> = LIB_EVENT.receivers().iter().map(|r| r.name).collect();
    assert_eq!(
        names,
        [
            "clarion_test_receivers::add_amount",
            "linked_crate::after_the_library"
        ]
    );
}

#[test]
fn the_library_receiver_shows_in_introspection() {
    let info = clarion::receivers()
        .into_iter()
        .find(|r| r.name == "clarion_test_receivers::add_amount")
        .expect("the library's receiver is listed");
    assert_eq!(info.signal, "clarion_test_receivers::LIB_EVENT");
    assert_eq!(info.krate, Some("clarion_test_receivers"));
    assert_eq!(info.sender, Some(Sender::of::<LibSender>()));
    assert_eq!(info.origin, Origin::Linked);
    assert!(info.file.ends_with("lib.rs"), "{}", info.file);
    assert_eq!(info.priority, 0);
    assert!(!info.weak);
    assert!(LIB_EVENT.has_listeners(Sender::of::<LibSender>()));

    assert!(
        clarion::signals()
            .iter()
            .any(|s| s.name() == "clarion_test_receivers::LIB_EVENT")
    );
}

//! Introspection: `Signal::receivers`, `clarion::receivers`, `clarion::signals`, every field of
//! `ReceiverInfo`, `linked_crates` and `expect_linked`.

use std::sync::Arc;

use clarion::prelude::*;
use clarion::{Error, Origin, ReceiverInfo};

#[derive(SignalArgs)]
struct Event {
    n: u32,
}

struct Shop;

signal! {
    /// Declared with `signal!`, with link-time and runtime receivers.
    static INTRO: Signal<Event>;
}

const LINKED_LINE: u32 = line!() + 2;
#[receiver(INTRO, sender = Shop, dispatch_uid = "intro-uid", priority = 3)]
fn on_intro(n: u32) {
    let _ = n;
}

#[receiver(INTRO, priority = -2)]
fn on_intro_low() {}

fn runtime_receiver(_sender: Sender, _args: &mut Event) {}

fn weak_receiver(_target: &u32, _sender: Sender, _args: &mut Event) {}

fn find(infos: &[ReceiverInfo], name: &str) -> ReceiverInfo {
    infos
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no receiver {name} in {infos:#?}"))
        .clone()
}

#[test]
fn receiver_info_describes_a_link_time_receiver() {
    let infos = INTRO.receivers();
    let info = find(&infos, "signals_introspection::on_intro");
    assert_eq!(info.signal, "signals_introspection::INTRO");
    assert_eq!(info.sender, Some(Sender::of::<Shop>()));
    assert_eq!(info.file, "tests/signals_introspection.rs");
    assert_eq!(info.line, LINKED_LINE);
    assert_eq!(info.dispatch_uid.as_deref(), Some("intro-uid"));
    assert_eq!(info.priority, 3);
    assert_eq!(info.origin, Origin::Linked);
    assert!(!info.weak);
    assert_eq!(info.krate, Some("signals_introspection"));

    let low = find(&infos, "signals_introspection::on_intro_low");
    assert_eq!(low.sender, None);
    assert_eq!(low.dispatch_uid, None);
    assert_eq!(low.priority, -2);
    assert_ne!(low.id, info.id);
}

static RUNTIME_INFO: Signal<Event> = Signal::new("runtime-info");

#[test]
fn receiver_info_describes_runtime_receivers() {
    let options = Connect::new()
        .sender::<Shop>()
        .dispatch_uid("rt")
        .priority(-4);
    let line = line!() + 1;
    let id = RUNTIME_INFO.connect_with(options, runtime_receiver);
    let plain_line = line!() + 1;
    let plain = RUNTIME_INFO.connect(runtime_receiver);
    let target = Arc::new(5_u32);
    let weak_line = line!() + 1;
    let weak = RUNTIME_INFO.connect_weak(&target, Connect::new(), weak_receiver);

    let infos = RUNTIME_INFO.receivers();
    let ids: Vec<_> = infos.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [plain, weak, id],
        "in run order: priority 0 first, then -4"
    );

    let info = &infos[2];
    assert_eq!(info.signal, "runtime-info");
    assert_eq!(info.sender, Some(Sender::of::<Shop>()));
    assert_eq!(info.name, "signals_introspection::runtime_receiver");
    assert_eq!(info.file, "tests/signals_introspection.rs");
    assert_eq!(info.line, line);
    assert_eq!(info.dispatch_uid.as_deref(), Some("rt"));
    assert_eq!(info.priority, -4);
    assert_eq!(info.origin, Origin::Runtime);
    assert!(!info.weak);
    assert_eq!(info.krate, None);

    assert_eq!(infos[0].line, plain_line);
    assert_eq!(infos[0].sender, None);
    assert_eq!(infos[0].dispatch_uid, None);
    assert_eq!(infos[0].priority, 0);

    assert!(infos[1].weak);
    assert_eq!(infos[1].line, weak_line);
    assert_eq!(infos[1].origin, Origin::Runtime);
    assert_eq!(infos[1].name, "signals_introspection::weak_receiver");
}

#[test]
fn a_closure_receiver_is_named_after_its_type() {
    static CLOSURE_NAME: Signal<Event> = Signal::new("closure-name");
    let id = CLOSURE_NAME.connect(|_s, _a: &mut Event| {});
    let info = find_id(&CLOSURE_NAME.receivers(), id);
    assert!(
        info.name.starts_with("signals_introspection::") && info.name.contains("closure"),
        "{}",
        info.name
    );
}

fn find_id(infos: &[ReceiverInfo], id: clarion::ReceiverId) -> ReceiverInfo {
    infos.iter().find(|r| r.id == id).unwrap().clone()
}

#[test]
fn signal_receivers_list_link_time_and_runtime_receivers_in_run_order() {
    static MIXED: Signal<Event> = Signal::new("mixed");
    #[receiver(MIXED)]
    fn on_mixed() {}

    let zero = MIXED.connect(runtime_receiver);
    let high = MIXED.connect_with(Connect::new().priority(10), runtime_receiver);
    let infos = MIXED.receivers();
    let linked = infos[1].id;
    let ids: Vec<_> = infos.iter().map(|r| r.id).collect();
    assert_eq!(ids, [high, linked, zero]);
    assert_eq!(infos[1].origin, Origin::Linked);
    assert!(infos[1].name.ends_with("on_mixed"), "{}", infos[1].name);
    assert!(MIXED.disconnect(high));
    let ids: Vec<_> = MIXED.receivers().iter().map(|r| r.id).collect();
    assert_eq!(ids, [linked, zero]);
}

signal! {
    /// Listed by `clarion::receivers()` with its runtime receivers.
    static GLOBAL: Signal<Event>;
}

#[receiver(GLOBAL)]
fn on_global() {}

#[test]
fn clarion_receivers_lists_every_declared_signals_receivers_grouped_by_signal() {
    let runtime = GLOBAL.connect_with(Connect::new().priority(-1), runtime_receiver);
    let all = clarion::receivers();
    let global: Vec<&ReceiverInfo> = all
        .iter()
        .filter(|r| r.signal == "signals_introspection::GLOBAL")
        .collect();
    assert_eq!(global.len(), 2, "{global:#?}");
    assert_eq!(global[0].name, "signals_introspection::on_global");
    assert_eq!(global[1].id, runtime);

    // Grouped: each signal's receivers are contiguous.
    let mut seen: Vec<&str> = Vec::new();
    for r in &all {
        if seen.last() != Some(&r.signal) {
            assert!(!seen.contains(&r.signal), "{} is split", r.signal);
            seen.push(r.signal);
        }
    }
    assert!(
        all.iter()
            .any(|r| r.name == "signals_introspection::on_intro")
    );

    assert!(GLOBAL.disconnect(runtime));
    assert!(!clarion::receivers().iter().any(|r| r.id == runtime));
}

static UNDECLARED_WITH_RECEIVER: Signal<Event> = Signal::new("undeclared-with-receiver");
static UNDECLARED_WITHOUT_RECEIVER: Signal<Event> = Signal::new("undeclared-without-receiver");

#[receiver(UNDECLARED_WITH_RECEIVER)]
fn on_undeclared() {}

signal! {
    /// Declared, with no receiver at all.
    static LONELY: Signal<Event>;
}

#[test]
fn clarion_signals_lists_declared_signals_and_signals_with_link_time_receivers_once() {
    let names: Vec<&str> = clarion::signals().iter().map(|s| s.name()).collect();
    for expected in [
        "signals_introspection::INTRO",
        "signals_introspection::GLOBAL",
        "signals_introspection::LONELY",
        "undeclared-with-receiver",
    ] {
        assert_eq!(
            names.iter().filter(|n| **n == expected).count(),
            1,
            "{expected} once in {names:?}"
        );
    }
    assert!(!names.contains(&"undeclared-without-receiver"));
    let _ = &UNDECLARED_WITHOUT_RECEIVER;
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by name");

    let lonely = clarion::signals()
        .into_iter()
        .find(|s| s.name() == "signals_introspection::LONELY")
        .unwrap();
    assert!(lonely.receivers().is_empty());
    let id = LONELY.connect(runtime_receiver);
    let listed = lonely.receivers();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
}

#[test]
fn disconnecting_a_link_time_receiver_removes_it_from_introspection() {
    static LINKED_GONE: Signal<Event> = Signal::new("linked-gone");
    #[receiver(LINKED_GONE)]
    fn goes_away() {}

    let infos = LINKED_GONE.receivers();
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0].origin, Origin::Linked);
    assert!(infos[0].name.ends_with("goes_away"), "{}", infos[0].name);
    assert!(LINKED_GONE.disconnect(infos[0].id));
    assert!(LINKED_GONE.receivers().is_empty());
    assert!(
        LINKED_GONE
            .send(Sender::of::<Shop>(), &mut Event { n: 0 })
            .unwrap()
            .is_empty()
    );
}

#[test]
fn receiver_ids_are_unique_and_display_with_a_hash() {
    static IDS: Signal<Event> = Signal::new("ids");
    let a = IDS.connect(runtime_receiver);
    let b = IDS.connect(runtime_receiver);
    assert_ne!(a, b);
    assert!(a.to_string().starts_with('#'), "{a}");
    assert_ne!(a.to_string(), b.to_string());
    assert_eq!(Origin::Linked.to_string(), "link-time");
    assert_eq!(Origin::Runtime.to_string(), "runtime");
}

#[test]
fn linked_crates_names_this_test_crate() {
    let crates = clarion::linked_crates();
    assert!(crates.contains("signals_introspection"), "{crates:?}");
    clarion::expect_linked(&["signals_introspection"]).unwrap();
    clarion::expect_linked(&["signals-introspection"]).unwrap();
    clarion::expect_linked(&[]).unwrap();
}

#[test]
fn expect_linked_names_every_missing_crate() {
    let error =
        clarion::expect_linked(&["no_such_crate", "signals_introspection", "other-missing"])
            .unwrap_err();
    match &error {
        Error::NotLinked { crates } => assert_eq!(crates, &["no_such_crate", "other_missing"]),
        other => panic!("expected Error::NotLinked, got {other:?}"),
    }
    let text = error.to_string();
    assert!(text.contains("no_such_crate"), "{text}");
    assert!(text.contains("other_missing"), "{text}");
    assert!(text.contains("use no_such_crate as _;"), "{text}");
}

//! Run order: priority (higher first), then link-time before runtime, link-time by path, runtime
//! by connection order; sender-specific and sender-less receivers interleaved. Also link-time
//! `dispatch_uid`s and their interplay with runtime connections.

use std::sync::{Arc, Mutex};

use clarion::Origin;
use clarion::prelude::*;

#[derive(SignalArgs)]
struct Step {
    n: u32,
}

struct Shop;
struct Warehouse;

type Log = Arc<Mutex<Vec<&'static str>>>;

fn logger(log: &Log, label: &'static str) -> impl Fn(Sender, &mut Step) + Send + Sync + 'static {
    let log = log.clone();
    move |_sender, _args| log.lock().unwrap().push(label)
}

fn entries(log: &Log) -> Vec<&'static str> {
    std::mem::take(&mut *log.lock().unwrap())
}

signal! {
    /// Mixes link-time and runtime receivers of several priorities.
    static ORDERED: Signal<Step>;
}

static ORDERED_LOG: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

fn linked(label: &'static str) {
    ORDERED_LOG.lock().unwrap().push(label);
}

// Declared in an order that is neither path order nor priority order, so that the source order
// cannot pass for either.
#[receiver(ORDERED, priority = -5)]
fn z_linked_low() {
    linked("z_linked_low");
}

#[receiver(ORDERED)]
fn b_linked() {
    linked("b_linked");
}

mod nested {
    use super::*;

    // `signals_order::nested::a_in_module` sorts after `signals_order::b_linked`: by path, not by
    // fn name.
    #[receiver(ORDERED)]
    fn a_in_module() {
        linked("nested::a_in_module");
    }
}

#[receiver(ORDERED)]
fn a_linked() {
    linked("a_linked");
}

#[receiver(ORDERED, priority = 7)]
fn m_linked_high() {
    linked("m_linked_high");
}

#[test]
fn priority_then_link_time_by_path_then_runtime_by_connection() {
    // The runtime receivers log to the same place as the linked ones.
    let both = |label: &'static str| {
        move |_sender: Sender, _args: &mut Step| ORDERED_LOG.lock().unwrap().push(label)
    };
    ORDERED.connect(both("r1 (0)"));
    ORDERED.connect_with(Connect::new().priority(7), both("r2 (7)"));
    ORDERED.connect_with(Connect::new().priority(-5), both("r3 (-5)"));
    ORDERED.connect(both("r4 (0)"));
    ORDERED.connect_with(Connect::new().priority(100), both("r5 (100)"));
    ORDERED.connect_with(Connect::new().priority(i32::MIN), both("r6 (MIN)"));
    ORDERED.connect_with(Connect::new().priority(i32::MAX), both("r7 (MAX)"));
    ORDERED.connect_with(Connect::new().priority(-1), both("r8 (-1)"));

    ORDERED
        .send(Sender::of::<Shop>(), &mut Step { n: 0 })
        .unwrap();
    let expected = [
        "r7 (MAX)",
        "r5 (100)",
        "m_linked_high",
        "r2 (7)",
        "a_linked",
        "b_linked",
        "nested::a_in_module",
        "r1 (0)",
        "r4 (0)",
        "r8 (-1)",
        "z_linked_low",
        "r3 (-5)",
        "r6 (MIN)",
    ];
    assert_eq!(*ORDERED_LOG.lock().unwrap(), expected);

    // `receivers()` lists them in the same order.
    let infos = ORDERED.receivers();
    let priorities: Vec<i32> = infos.iter().map(|r| r.priority).collect();
    assert_eq!(
        priorities,
        [i32::MAX, 100, 7, 7, 0, 0, 0, 0, 0, -1, -5, -5, i32::MIN]
    );
    let linked_names: Vec<&str> = infos
        .iter()
        .filter(|r| r.origin == Origin::Linked)
        .map(|r| r.name)
        .collect();
    assert_eq!(
        linked_names,
        [
            "signals_order::m_linked_high",
            "signals_order::a_linked",
            "signals_order::b_linked",
            "signals_order::nested::a_in_module",
            "signals_order::z_linked_low",
        ]
    );
}

static RUNTIME_ORDER: Signal<Step> = Signal::new("runtime-order");

#[test]
fn runtime_receivers_of_equal_priority_run_in_connection_order() {
    let log: Log = Arc::default();
    let labels = ["one", "two", "three", "four", "five", "six"];
    let ids: Vec<_> = labels
        .iter()
        .map(|label| RUNTIME_ORDER.connect(logger(&log, label)))
        .collect();
    RUNTIME_ORDER
        .send(Sender::of::<Shop>(), &mut Step { n: 0 })
        .unwrap();
    assert_eq!(entries(&log), labels);

    // Disconnecting one in the middle and connecting again puts the new one last.
    assert!(RUNTIME_ORDER.disconnect(ids[2]));
    RUNTIME_ORDER.connect(logger(&log, "three again"));
    RUNTIME_ORDER
        .send(Sender::of::<Shop>(), &mut Step { n: 0 })
        .unwrap();
    assert_eq!(
        entries(&log),
        ["one", "two", "four", "five", "six", "three again"]
    );
}

static INTERLEAVED: Signal<Step> = Signal::new("interleaved");

#[test]
fn sender_specific_and_sender_less_receivers_are_interleaved_in_order() {
    let log: Log = Arc::default();
    INTERLEAVED.connect(logger(&log, "any-1"));
    INTERLEAVED.connect_with(Connect::new().sender::<Shop>(), logger(&log, "shop-1"));
    INTERLEAVED.connect_with(
        Connect::new().sender::<Warehouse>(),
        logger(&log, "warehouse-1"),
    );
    INTERLEAVED.connect(logger(&log, "any-2"));
    INTERLEAVED.connect_with(Connect::new().sender::<Shop>(), logger(&log, "shop-2"));
    INTERLEAVED.connect_with(
        Connect::new().sender::<Shop>().priority(3),
        logger(&log, "shop-high"),
    );
    INTERLEAVED.connect_with(Connect::new().priority(-3), logger(&log, "any-low"));
    INTERLEAVED.connect_with(Connect::new().priority(3), logger(&log, "any-high"));

    INTERLEAVED
        .send(Sender::of::<Shop>(), &mut Step { n: 0 })
        .unwrap();
    assert_eq!(
        entries(&log),
        [
            "shop-high",
            "any-high",
            "any-1",
            "shop-1",
            "any-2",
            "shop-2",
            "any-low"
        ]
    );
    INTERLEAVED
        .send(Sender::of::<Warehouse>(), &mut Step { n: 0 })
        .unwrap();
    assert_eq!(
        entries(&log),
        ["any-high", "any-1", "warehouse-1", "any-2", "any-low"]
    );
    INTERLEAVED
        .send(Sender::of::<u8>(), &mut Step { n: 0 })
        .unwrap();
    assert_eq!(entries(&log), ["any-high", "any-1", "any-2", "any-low"]);
}

signal! {
    /// Sender-specific link-time receivers between sender-less ones.
    static LINKED_INTERLEAVED: Signal<Step>;
}

static LINKED_INTERLEAVED_LOG: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

#[receiver(LINKED_INTERLEAVED)]
fn li_a_any(n: u32) {
    LINKED_INTERLEAVED_LOG
        .lock()
        .unwrap()
        .push(if n == 0 { "a_any" } else { "a_any again" });
}

#[receiver(LINKED_INTERLEAVED, sender = Shop)]
fn li_b_shop() {
    LINKED_INTERLEAVED_LOG.lock().unwrap().push("b_shop");
}

#[receiver(LINKED_INTERLEAVED)]
fn li_c_any() {
    LINKED_INTERLEAVED_LOG.lock().unwrap().push("c_any");
}

#[receiver(LINKED_INTERLEAVED, sender = Warehouse, priority = 1)]
fn li_d_warehouse() {
    LINKED_INTERLEAVED_LOG.lock().unwrap().push("d_warehouse");
}

#[test]
fn link_time_sender_specific_receivers_are_interleaved_too() {
    LINKED_INTERLEAVED
        .send(Sender::of::<Shop>(), &mut Step { n: 0 })
        .unwrap();
    LINKED_INTERLEAVED
        .send(Sender::of::<Warehouse>(), &mut Step { n: 1 })
        .unwrap();
    assert_eq!(
        *LINKED_INTERLEAVED_LOG.lock().unwrap(),
        [
            "a_any",
            "b_shop",
            "c_any",
            "d_warehouse",
            "a_any again",
            "c_any"
        ]
    );
}

// Link-time `dispatch_uid`s: once per sender, the first in order wins; runtime connects with the
// same uid and sender are no-ops returning the link-time receiver's id.
signal! {
    /// Link-time receivers sharing a `dispatch_uid`.
    static LINKED_UID: Signal<Step>;
}

static LINKED_UID_LOG: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

#[receiver(LINKED_UID, dispatch_uid = "shared")]
fn uid_b_second_by_path() {
    LINKED_UID_LOG.lock().unwrap().push("uid_b");
}

#[receiver(LINKED_UID, dispatch_uid = "shared")]
fn uid_a_first_by_path() {
    LINKED_UID_LOG.lock().unwrap().push("uid_a");
}

#[receiver(LINKED_UID, sender = Shop, dispatch_uid = "shared")]
fn uid_0_for_shop() {
    LINKED_UID_LOG.lock().unwrap().push("uid_0");
}

#[test]
fn link_time_dispatch_uid_connects_once_per_sender_and_blocks_runtime_duplicates() {
    let infos = LINKED_UID.receivers();
    let names: Vec<&str> = infos.iter().map(|r| r.name).collect();
    assert_eq!(
        names,
        [
            "signals_order::uid_0_for_shop",
            "signals_order::uid_a_first_by_path"
        ]
    );
    let shop_id = infos[0].id;
    let any_id = infos[1].id;
    assert_eq!(infos[1].dispatch_uid.as_deref(), Some("shared"));

    let log: Log = Arc::default();
    let dup_any = LINKED_UID.connect_with(
        Connect::new().dispatch_uid("shared"),
        logger(&log, "runtime-any"),
    );
    assert_eq!(dup_any, any_id, "runtime duplicate of a link-time uid");
    let dup_shop = LINKED_UID.connect_with(
        Connect::new().sender::<Shop>().dispatch_uid("shared"),
        logger(&log, "runtime-shop"),
    );
    assert_eq!(dup_shop, shop_id);
    let warehouse = LINKED_UID.connect_with(
        Connect::new().sender::<Warehouse>().dispatch_uid("shared"),
        logger(&log, "runtime-warehouse"),
    );
    assert!(warehouse != any_id && warehouse != shop_id);

    LINKED_UID
        .send(Sender::of::<Shop>(), &mut Step { n: 0 })
        .unwrap();
    LINKED_UID
        .send(Sender::of::<Warehouse>(), &mut Step { n: 0 })
        .unwrap();
    assert_eq!(*LINKED_UID_LOG.lock().unwrap(), ["uid_0", "uid_a", "uid_a"]);
    assert_eq!(entries(&log), ["runtime-warehouse"]);

    // Disconnecting the link-time receiver by uid frees the uid for a runtime receiver.
    assert!(LINKED_UID.disconnect_uid("shared", None));
    let replacement = LINKED_UID.connect_with(
        Connect::new().dispatch_uid("shared"),
        logger(&log, "runtime-any"),
    );
    assert_ne!(replacement, any_id);
    LINKED_UID
        .send(Sender::of::<u8>(), &mut Step { n: 0 })
        .unwrap();
    assert_eq!(entries(&log), ["runtime-any"]);
    assert_eq!(*LINKED_UID_LOG.lock().unwrap(), ["uid_0", "uid_a", "uid_a"]);
}

signal! {
    /// A link-time `dispatch_uid` duplicate followed, in path order, by another receiver.
    static LINKED_UID_GAP: Signal<Step>;
}

static LINKED_UID_GAP_LOG: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

#[receiver(LINKED_UID_GAP, dispatch_uid = "gap")]
fn gap_a() {
    LINKED_UID_GAP_LOG.lock().unwrap().push("gap_a");
}

#[receiver(LINKED_UID_GAP, dispatch_uid = "gap")]
fn gap_b_duplicate() {
    LINKED_UID_GAP_LOG.lock().unwrap().push("gap_b");
}

#[receiver(LINKED_UID_GAP)]
fn gap_c() {
    LINKED_UID_GAP_LOG.lock().unwrap().push("gap_c");
}

#[test]
fn a_dropped_link_time_duplicate_does_not_break_the_receivers_after_it() {
    let names: Vec<&str> = LINKED_UID_GAP.receivers().iter().map(|r| r.name).collect();
    assert_eq!(names, ["signals_order::gap_a", "signals_order::gap_c"]);
    LINKED_UID_GAP
        .send(Sender::of::<Shop>(), &mut Step { n: 0 })
        .unwrap();
    assert_eq!(*LINKED_UID_GAP_LOG.lock().unwrap(), ["gap_a", "gap_c"]);
}

signal! {
    /// Link-time receivers sharing a `dispatch_uid` with different priorities.
    static LINKED_UID_PRIORITY: Signal<Step>;
}

#[receiver(LINKED_UID_PRIORITY, dispatch_uid = "p")]
fn uid_p_a_low() {}

#[receiver(LINKED_UID_PRIORITY, dispatch_uid = "p", priority = 5)]
fn uid_p_b_high() {}

/// The `#[receiver]` docs say "the first receiver in order wins", and link-time order is by
/// priority first, then path: the priority-5 receiver runs first, so it should be the one kept.
#[test]
fn link_time_dispatch_uid_keeps_the_first_in_run_order() {
    let names: Vec<&str> = LINKED_UID_PRIORITY
        .receivers()
        .iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["signals_order::uid_p_b_high"]);
}

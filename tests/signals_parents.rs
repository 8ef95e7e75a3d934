//! Senders with parents (`Sender::with_parents`): a child's sends reach the receivers of each
//! parent exactly once; a parent's sends do not reach the child's receivers.

use std::sync::{Arc, Mutex};

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Saved {
    n: u32,
}

struct Animal;
struct Pet;
struct Dog;
struct Puppy;
struct Cat;

const ANIMAL: Sender = Sender::of::<Animal>();
const PET: Sender = Sender::of::<Pet>();
const DOG: Sender = Sender::with_parents::<Dog>(&[ANIMAL]);
/// A diamond: Puppy -> Dog -> Animal, and Puppy -> Pet, and Puppy -> Animal directly.
const PUPPY: Sender = Sender::with_parents::<Puppy>(&[DOG, PET, ANIMAL]);

type Log = Arc<Mutex<Vec<&'static str>>>;

fn logger(log: &Log, label: &'static str) -> impl Fn(Sender, &mut Saved) + Send + Sync + 'static {
    let log = log.clone();
    move |_sender, _args| log.lock().unwrap().push(label)
}

fn entries(log: &Log) -> Vec<&'static str> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[test]
fn sender_parents_are_kept_nearest_first() {
    assert_eq!(DOG, Sender::of::<Dog>(), "identity is the type");
    assert_eq!(DOG.parents(), [ANIMAL]);
    assert_eq!(PUPPY.parents(), [DOG, PET, ANIMAL]);
    assert!(PUPPY.reaches(&ANIMAL));
    assert!(PUPPY.reaches(&PUPPY));
    assert!(!DOG.reaches(&PET));
    assert!(!ANIMAL.reaches(&DOG));
}

static CHILD: Signal<Saved> = Signal::new("child");

#[test]
fn a_parent_receiver_hears_child_sends_and_not_the_reverse() {
    let log: Log = Arc::default();
    CHILD.connect_with(Connect::new().sender::<Animal>(), logger(&log, "animal"));
    CHILD.connect_with(Connect::new().sender::<Dog>(), logger(&log, "dog"));
    CHILD.connect_with(Connect::new().sender::<Cat>(), logger(&log, "cat"));
    CHILD.connect(logger(&log, "any"));

    CHILD.send(DOG, &mut Saved { n: 0 }).unwrap();
    assert_eq!(entries(&log), ["animal", "dog", "any"]);
    CHILD.send(ANIMAL, &mut Saved { n: 0 }).unwrap();
    assert_eq!(
        entries(&log),
        ["animal", "any"],
        "a parent's send skips the child"
    );
    CHILD
        .send(Sender::of::<Cat>(), &mut Saved { n: 0 })
        .unwrap();
    assert_eq!(entries(&log), ["cat", "any"]);
}

static DIAMOND: Signal<Saved> = Signal::new("diamond");

#[test]
fn each_receiver_hears_a_diamond_shaped_chain_exactly_once_in_its_order() {
    let log: Log = Arc::default();
    DIAMOND.connect_with(Connect::new().sender::<Animal>(), logger(&log, "animal"));
    DIAMOND.connect_with(Connect::new().sender::<Puppy>(), logger(&log, "puppy"));
    DIAMOND.connect(logger(&log, "any"));
    DIAMOND.connect_with(Connect::new().sender::<Pet>(), logger(&log, "pet"));
    DIAMOND.connect_with(
        Connect::new().sender::<Dog>().priority(1),
        logger(&log, "dog"),
    );
    DIAMOND.connect_with(Connect::new().sender::<Cat>(), logger(&log, "cat"));

    let out = DIAMOND.send(PUPPY, &mut Saved { n: 0 }).unwrap();
    assert_eq!(out.len(), 5);
    assert_eq!(entries(&log), ["dog", "animal", "puppy", "any", "pet"]);
    DIAMOND.send(DOG, &mut Saved { n: 0 }).unwrap();
    assert_eq!(entries(&log), ["dog", "animal", "any"]);
    DIAMOND.send(PET, &mut Saved { n: 0 }).unwrap();
    assert_eq!(entries(&log), ["any", "pet"]);

    let robust = DIAMOND.send_robust(PUPPY, &mut Saved { n: 0 });
    assert_eq!(robust.len(), 5);
    assert_eq!(entries(&log), ["dog", "animal", "puppy", "any", "pet"]);
}

signal! {
    /// Heard by a link-time receiver for the parent.
    static LINKED_PARENT: Signal<Saved>;
}

static LINKED_PARENT_LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[receiver(LINKED_PARENT, sender = Animal)]
fn on_any_animal(sender: Sender, n: u32) {
    LINKED_PARENT_LOG.lock().unwrap().push(format!(
        "{}:{n}",
        sender.name().rsplit("::").next().unwrap()
    ));
}

#[test]
fn a_link_time_receiver_for_a_parent_hears_child_sends_with_the_childs_sender() {
    LINKED_PARENT.send(PUPPY, &mut Saved { n: 1 }).unwrap();
    LINKED_PARENT.send(DOG, &mut Saved { n: 2 }).unwrap();
    LINKED_PARENT.send(ANIMAL, &mut Saved { n: 3 }).unwrap();
    LINKED_PARENT.send(PET, &mut Saved { n: 4 }).unwrap();
    assert_eq!(
        *LINKED_PARENT_LOG.lock().unwrap(),
        ["Puppy:1", "Dog:2", "Animal:3"]
    );
}

static PARENT_LISTENERS: Signal<Saved> = Signal::new("parent-listeners");

#[test]
fn has_listeners_follows_parents_one_way() {
    assert!(!PARENT_LISTENERS.has_listeners(DOG));
    let id =
        PARENT_LISTENERS.connect_with(Connect::new().sender::<Animal>(), |_s, _a: &mut Saved| {});
    assert!(PARENT_LISTENERS.has_listeners(DOG));
    assert!(PARENT_LISTENERS.has_listeners(PUPPY));
    assert!(!PARENT_LISTENERS.has_listeners(PET));
    assert!(PARENT_LISTENERS.disconnect(id));
    assert!(!PARENT_LISTENERS.has_listeners(DOG));

    PARENT_LISTENERS.connect_with(Connect::new().sender::<Dog>(), |_s, _a: &mut Saved| {});
    assert!(
        !PARENT_LISTENERS.has_listeners(ANIMAL),
        "a parent does not reach a child"
    );
    assert!(PARENT_LISTENERS.has_listeners(DOG));
    assert!(PARENT_LISTENERS.has_listeners(PUPPY));
}

static LATE_PARENT: Signal<Saved> = Signal::new("late-parent");

#[test]
fn a_parent_receiver_connected_after_child_sends_is_reached() {
    let log: Log = Arc::default();
    LATE_PARENT.connect_with(Connect::new().sender::<Dog>(), logger(&log, "dog"));
    LATE_PARENT.send(DOG, &mut Saved { n: 0 }).unwrap();
    assert_eq!(entries(&log), ["dog"]);

    let animal =
        LATE_PARENT.connect_with(Connect::new().sender::<Animal>(), logger(&log, "animal"));
    LATE_PARENT.send(DOG, &mut Saved { n: 0 }).unwrap();
    assert_eq!(entries(&log), ["dog", "animal"]);

    assert!(LATE_PARENT.disconnect(animal));
    LATE_PARENT.send(DOG, &mut Saved { n: 0 }).unwrap();
    assert_eq!(entries(&log), ["dog"]);
}

static CHILD_FIRST: Signal<Saved> = Signal::new("child-first");

#[test]
fn a_child_sender_with_no_receivers_of_its_own_reaches_its_parents() {
    let log: Log = Arc::default();
    CHILD_FIRST.connect_with(Connect::new().sender::<Animal>(), logger(&log, "animal"));
    // Puppy has no receiver of its own type; the first send resolves the chain.
    CHILD_FIRST.send(PUPPY, &mut Saved { n: 0 }).unwrap();
    CHILD_FIRST.send(PUPPY, &mut Saved { n: 0 }).unwrap();
    assert_eq!(entries(&log), ["animal", "animal"]);
}

static PLAIN_CHILD: Signal<Saved> = Signal::new("plain-child");

/// `Sender::of::<Dog>()` names no parent, so its sends reach only `Dog` (and sender-less)
/// receivers, whether or not a `with_parents` sender of the same type was sent before.
#[test]
fn a_plain_sender_of_a_child_type_does_not_reach_the_parents() {
    let log: Log = Arc::default();
    PLAIN_CHILD.connect_with(Connect::new().sender::<Animal>(), logger(&log, "animal"));
    let dog = PLAIN_CHILD.connect_with(Connect::new().sender::<Dog>(), logger(&log, "dog"));
    let plain_dog = Sender::of::<Dog>();

    PLAIN_CHILD.send(plain_dog, &mut Saved { n: 0 }).unwrap();
    assert_eq!(entries(&log), ["dog"], "before any chained send");
    PLAIN_CHILD.send(DOG, &mut Saved { n: 0 }).unwrap();
    assert_eq!(entries(&log), ["animal", "dog"]);
    PLAIN_CHILD.send(plain_dog, &mut Saved { n: 0 }).unwrap();
    assert_eq!(entries(&log), ["dog"], "after a chained send");

    assert!(PLAIN_CHILD.disconnect(dog));
    assert!(
        !PLAIN_CHILD.has_listeners(plain_dog),
        "only the Animal receiver is left"
    );
    assert!(PLAIN_CHILD.has_listeners(DOG));
}

static TWO_CHAINS: Signal<Saved> = Signal::new("two-chains");

/// Two senders of the same type with different parents each reach their own parents.
#[test]
fn senders_of_one_type_with_different_parents_reach_their_own_parents() {
    const CAT_ANIMAL: Sender = Sender::with_parents::<Cat>(&[ANIMAL]);
    const CAT_PET: Sender = Sender::with_parents::<Cat>(&[PET]);
    let log: Log = Arc::default();
    TWO_CHAINS.connect_with(Connect::new().sender::<Animal>(), logger(&log, "animal"));
    TWO_CHAINS.connect_with(Connect::new().sender::<Pet>(), logger(&log, "pet"));
    TWO_CHAINS.send(CAT_ANIMAL, &mut Saved { n: 0 }).unwrap();
    assert_eq!(entries(&log), ["animal"]);
    TWO_CHAINS.send(CAT_PET, &mut Saved { n: 0 }).unwrap();
    assert_eq!(entries(&log), ["pet"]);
}

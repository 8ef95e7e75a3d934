//! One receiver for a list of signals takes the parameters common to all of them, each from
//! whichever signal is sent, even when their types differ in borrowing.

use std::sync::atomic::{AtomicU32, Ordering};

use clarion::prelude::*;

#[derive(SignalArgs)]
struct PreSave<'a> {
    name: &'a str,
    size: u32,
}

#[derive(SignalArgs)]
struct PostSave {
    created: bool,
    size: u32,
    name: String,
}

signal! {
    static PRE_SAVE: Signal<PreSave>;
    static POST_SAVE: Signal<PostSave>;
}

struct User;

static SEEN: AtomicU32 = AtomicU32::new(0);

#[receiver([PRE_SAVE, POST_SAVE], sender = User)]
fn on_save(size: u32, name: &str, sender: Sender) {
    assert_eq!(name, "ada");
    assert_eq!(sender, Sender::of::<User>());
    SEEN.fetch_add(size, Ordering::SeqCst);
}

// A trailing comma and a single-element list are fine too.
#[receiver([POST_SAVE,],)]
fn on_post_save(created: bool) {
    assert!(created);
}

fn main() {
    PRE_SAVE
        .send(
            Sender::of::<User>(),
            &mut PreSave {
                name: "ada",
                size: 1,
            },
        )
        .unwrap();
    POST_SAVE
        .send(
            Sender::of::<User>(),
            &mut PostSave {
                created: true,
                size: 10,
                name: "ada".to_owned(),
            },
        )
        .unwrap();
    assert_eq!(SEEN.load(Ordering::SeqCst), 11);
    assert_eq!(PRE_SAVE.receivers().len(), 1);
    assert_eq!(POST_SAVE.receivers().len(), 2);
}

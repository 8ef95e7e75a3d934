//! `sender = …` takes any type, including generic ones whose arguments are separated by commas.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Saved {
    size: u32,
}

signal! {
    static SAVED: Signal<Saved>;
}

static SEEN: AtomicU32 = AtomicU32::new(0);

#[receiver(SAVED, sender = HashMap<String, u32>, priority = 1)]
fn by_map(size: u32) {
    SEEN.fetch_add(size, Ordering::SeqCst);
}

#[receiver(SAVED, sender = Result<Vec<(u8, u16)>, HashMap<String, Vec<u8>>>, dispatch_uid = "nested")]
fn by_nested(size: u32) {
    SEEN.fetch_add(size * 10, Ordering::SeqCst);
}

#[receiver(SAVED, sender = fn(u32, u32) -> Option<u32>)]
fn by_fn_pointer(size: u32) {
    SEEN.fetch_add(size * 100, Ordering::SeqCst);
}

#[receiver(SAVED, sender = [u8; 4],)]
fn by_array(size: u32) {
    SEEN.fetch_add(size * 1000, Ordering::SeqCst);
}

fn main() {
    SAVED
        .send(Sender::of::<HashMap<String, u32>>(), &mut Saved { size: 1 })
        .unwrap();
    assert_eq!(SEEN.load(Ordering::SeqCst), 1);
    SAVED
        .send(
            Sender::of::<Result<Vec<(u8, u16)>, HashMap<String, Vec<u8>>>>(),
            &mut Saved { size: 1 },
        )
        .unwrap();
    assert_eq!(SEEN.load(Ordering::SeqCst), 11);
    SAVED
        .send(
            Sender::of::<fn(u32, u32) -> Option<u32>>(),
            &mut Saved { size: 1 },
        )
        .unwrap();
    assert_eq!(SEEN.load(Ordering::SeqCst), 111);
    SAVED
        .send(Sender::of::<[u8; 4]>(), &mut Saved { size: 1 })
        .unwrap();
    assert_eq!(SEEN.load(Ordering::SeqCst), 1111);
    SAVED
        .send(Sender::of::<HashMap<String, u64>>(), &mut Saved { size: 1 })
        .unwrap();
    assert_eq!(SEEN.load(Ordering::SeqCst), 1111);
    let receivers = SAVED.receivers();
    assert_eq!(receivers.len(), 4);
    assert_eq!(
        receivers[0].sender,
        Some(Sender::of::<HashMap<String, u32>>())
    );
}

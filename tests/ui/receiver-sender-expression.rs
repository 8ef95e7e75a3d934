#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Saved {
    size: u32,
}

signal! {
    static SAVED: Signal<Saved>;
}

#[receiver(SAVED, sender = User::new(), priority = 1.5 dispatch_uid = "x")]
fn on_saved(size: u32) {}

fn main() {}

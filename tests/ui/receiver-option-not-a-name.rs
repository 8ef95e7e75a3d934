#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Saved {
    size: u32,
}

signal! {
    static SAVED: Signal<Saved>;
}

#[receiver(SAVED, "priority" = 1, priority = high)]
fn on_saved(size: u32) {}

fn main() {}

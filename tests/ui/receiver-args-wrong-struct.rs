#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Saved {
    size: u32,
}

signal! {
    static SAVED: Signal<Saved>;
}

struct User;

struct Deleted {
    size: u32,
}

#[receiver(SAVED, sender = User)]
fn on_saved(args: &Deleted) {}

fn main() {}

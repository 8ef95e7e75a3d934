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

#[receiver(SAVED, sender = User priority = 1, dispatch_uid = 7)]
fn on_saved(size: u32) {}

fn main() {}

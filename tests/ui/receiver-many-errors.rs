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

#[receiver(SAVED, sendr = User, priority = "high", dispatch_uid = 7)]
unsafe fn on_saved<T>(size: u32, (a, b): (u32, u32)) {}

fn main() {}

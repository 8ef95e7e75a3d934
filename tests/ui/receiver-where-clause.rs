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

#[receiver(SAVED, sender = User)]
fn on_saved(size: u32)
where
    u32: Copy,
{
}

fn main() {}

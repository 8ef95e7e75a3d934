// An `async fn` receiver is checked as a plain one: a parameter of the wrong type is one error,
// at the type.
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
async fn on_saved(size: String) {}

fn main() {}

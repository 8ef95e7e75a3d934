#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Saved<'a> {
    name: &'a str,
}

signal! {
    static SAVED: Signal<Saved>;
}

struct User;

#[receiver(SAVED, sender = User)]
fn on_saved(name: &mut str) {}

fn main() {}

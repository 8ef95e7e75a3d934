#![allow(unused_variables)]

use clarion::prelude::*;

struct Instance;

#[derive(SignalArgs)]
struct Saved<'a> {
    instance: &'a Instance,
}

signal! {
    static SAVED: Signal<Saved>;
}

#[receiver(SAVED)]
fn on_saved(instance: Instance) {}

fn main() {}

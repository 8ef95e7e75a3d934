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

#[derive(Debug)]
struct TooBig;

#[receiver(SAVED, sender = User)]
fn on_saved(size: u32) -> Result<(), TooBig> {
    if size > 60 { Err(TooBig) } else { Ok(()) }
}

fn main() {}

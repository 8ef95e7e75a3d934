#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
#[signal_args(output = u32)]
struct Quote {
    size: u32,
}

signal! {
    static QUOTE: Signal<Quote>;
}

#[receiver(QUOTE)]
fn quote(size: u32) {}

fn main() {}

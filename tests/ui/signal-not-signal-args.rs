#![allow(unused_variables)]

use clarion::prelude::*;

struct Saved {
    size: u32,
}

signal! {
    static SAVED: Signal<Saved>;
}

fn main() {}

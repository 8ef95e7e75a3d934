#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Saved {
    sender: u32,
    size: u32,
}

fn main() {}

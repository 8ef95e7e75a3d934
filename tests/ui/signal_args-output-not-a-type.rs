#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
#[signal_args(output = 5, outpt = u32)]
struct Saved {
    size: u32,
}

fn main() {}

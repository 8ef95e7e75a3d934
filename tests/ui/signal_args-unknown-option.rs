#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
#[signal_args(outpt = u32)]
struct Saved {
    size: u32,
}

fn main() {}

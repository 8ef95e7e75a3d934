#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
#[signal_args(output = u32, output = bool)]
struct Saved {
    size: u32,
}

fn main() {}

#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
#[signal_args(output)]
struct Saved {
    size: u32,
}

fn main() {}

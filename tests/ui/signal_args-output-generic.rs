#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
#[signal_args(output = std::collections::HashMap<String, u32>, output = Vec<u8>, outptu)]
struct Saved {
    size: u32,
}

fn main() {}

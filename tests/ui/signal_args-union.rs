#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
union Saved {
    size: u32,
    weight: f32,
}

fn main() {}

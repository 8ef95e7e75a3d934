#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
enum Saved {
    Created { size: u32 },
    Updated { size: u32 },
}

fn main() {}

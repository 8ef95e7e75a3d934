#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Saved(u32, bool);

fn main() {}

#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Saved<'a, 'b> {
    name: &'a str,
    tags: &'b [&'b str],
}

fn main() {}

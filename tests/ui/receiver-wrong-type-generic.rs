#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Saved<'a> {
    label: Option<&'a str>,
    tags: Vec<String>,
}

signal! {
    static SAVED: Signal<Saved>;
}

// The receiver's own lifetimes do not get in the way of the type error.
#[receiver(SAVED)]
fn on_saved<'x>(label: Option<&'x [u8]>, tags: &'x Vec<&'x str>) {}

fn main() {}

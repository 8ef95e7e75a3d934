#![allow(unused_variables)]

use clarion::prelude::*;

#[derive(SignalArgs)]
struct PreSave {
    size: u32,
}

#[derive(SignalArgs)]
struct PostSave {
    size: u32,
    created: bool,
}

signal! {
    static PRE_SAVE: Signal<PreSave>;
    static POST_SAVE: Signal<PostSave>;
}

#[receiver([PRE_SAVE, POST_SAVE])]
fn on_save(size: u32, created: bool) {}

fn main() {}

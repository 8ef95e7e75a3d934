//! Forms a receiver fn may take: visibility, `mut` bindings, other attributes, nested in a fn
//! body or a module, stacked `#[receiver]`s, `#[cfg]`-ed out, and a generic signal argument
//! struct.

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Saved {
    size: u32,
}

#[derive(SignalArgs)]
struct Changed<T: Clone + 'static> {
    value: T,
}

signal! {
    static SAVED: Signal<Saved>;
    static DELETED: Signal<Saved>;
    static CHANGED: Signal<Changed<u64>>;
}

/// Doc comments and other attributes are kept.
#[receiver(SAVED, priority = 5)]
#[inline]
#[allow(clippy::needless_pass_by_value)]
pub(crate) fn attributed(mut size: u32) {
    size += 1;
    assert_eq!(size, 2);
}

#[receiver(SAVED)]
#[receiver(DELETED)]
fn stacked(size: u32) {
    assert_eq!(size, 1);
}

// Inner attributes stay first in the body.
#[receiver(DELETED)]
fn inner_attributes(size: u32) {
    #![allow(clippy::no_effect_underscore_binding)]
    let _unused = size;
}

// Configured out after the expansion: its registration goes with it.
#[receiver(SAVED)]
#[cfg(any())]
fn configured_out(size: u32) {
    unreachable!("{size}");
}

mod nested {
    use super::*;

    #[receiver(super::SAVED)]
    pub(super) fn in_module(size: &u32) {
        assert_eq!(*size, 1);
    }

    #[receiver(crate::CHANGED)]
    fn generic_args(value: u64) {
        assert_eq!(value, 9);
    }
}

fn main() {
    #[receiver(DELETED)]
    fn in_fn_body(size: u32) {
        assert_eq!(size, 1);
    }

    SAVED
        .send(Sender::of::<()>(), &mut Saved { size: 1 })
        .unwrap();
    DELETED
        .send(Sender::of::<()>(), &mut Saved { size: 1 })
        .unwrap();
    CHANGED
        .send(Sender::of::<()>(), &mut Changed { value: 9 })
        .unwrap();
    assert_eq!(SAVED.receivers().len(), 3);
    assert_eq!(DELETED.receivers().len(), 3);
    assert_eq!(CHANGED.receivers().len(), 1);
    let _ = nested::in_module;
}

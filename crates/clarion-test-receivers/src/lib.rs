//! Receivers declared in a library crate of the workspace, as a user would split them out.
//! `tests/linked_crate.rs` checks that they run in a binary that depends on this crate.

use std::sync::atomic::{AtomicU32, Ordering};

use clarion::prelude::*;

/// The arguments of [`LIB_EVENT`].
#[derive(SignalArgs)]
pub struct LibEvent {
    /// A value the receiver adds up.
    pub amount: u32,
}

signal! {
    /// A signal declared in this library crate.
    pub static LIB_EVENT: Signal<LibEvent>;
}

/// Sum of the `amount`s the crate's receiver was sent.
pub static TOTAL: AtomicU32 = AtomicU32::new(0);

/// A sender type owned by this crate.
pub struct LibSender;

#[receiver(LIB_EVENT, sender = LibSender)]
fn add_amount(amount: u32) {
    TOTAL.fetch_add(amount, Ordering::SeqCst);
}

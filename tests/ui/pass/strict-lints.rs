//! The expansions are clean under the strictest lints a user may set.

#![deny(
    warnings,
    unused,
    missing_docs,
    unsafe_code,
    rust_2018_idioms,
    unreachable_pub,
    clippy::all
)]

use clarion::prelude::*;

/// Arguments of [`SAVED`].
#[derive(SignalArgs)]
pub struct Saved<'a> {
    /// The name saved.
    pub name: &'a str,
    /// Its size.
    pub size: u32,
}

/// Arguments of [`QUOTE`].
#[derive(SignalArgs)]
#[signal_args(output = u32)]
pub struct Quote {
    /// What to quote.
    pub item: String,
}

/// Arguments of [`TICK`]: none.
#[derive(SignalArgs)]
pub struct Tick {}

signal! {
    /// Sent after a save.
    pub static SAVED: Signal<Saved<'static>>;
    /// Asks every receiver for a price.
    pub static QUOTE: Signal<Quote>;
    /// Sent on every tick.
    pub static TICK: Signal<Tick>;
}

/// A sender.
pub struct User;

/// Takes arguments by name.
#[receiver(SAVED, sender = User, dispatch_uid = "strict", priority = 10)]
pub fn by_name(name: &str, size: u32) {
    assert_eq!((name, size), ("ada", 1));
}

/// Takes the whole struct and the sender, and may fail.
#[receiver([SAVED], priority = -5)]
pub fn whole(sender: Sender, args: &mut Saved<'_>) -> Result<(), clarion::Error> {
    assert_eq!(sender, Sender::of::<User>());
    args.size += 1;
    Ok(())
}

/// Returns the signal's output.
#[receiver(QUOTE)]
pub fn quote(item: &str) -> u32 {
    u32::try_from(item.len()).unwrap_or(u32::MAX)
}

/// Takes nothing at all.
#[receiver(TICK)]
pub fn tick() {}

#[receiver(TICK, sender = User)]
fn private_tick() {}

fn main() {
    let mut saved = Saved {
        name: "ada",
        size: 1,
    };
    SAVED.send(Sender::of::<User>(), &mut saved).unwrap();
    assert_eq!(saved.size, 2);
    let prices = QUOTE
        .send(
            Sender::of::<User>(),
            &mut Quote {
                item: "tea".to_owned(),
            },
        )
        .unwrap();
    assert_eq!(prices, vec![3]);
    TICK.send(Sender::of::<User>(), &mut Tick {}).unwrap();
}

use clarion::prelude::*;

#[derive(SignalArgs)]
pub struct Shipped {
    pub order: u64,
}

signal! { static SHIPPED: Signal<Shipped>; }

// A custom signal is not sent inside a write's transaction.
#[receiver(SHIPPED, on = commit)]
fn notify(order: u64) {}

fn main() {}

//! Custom signals in one program: `cargo run --example custom_signals`.
//!
//! A shop sends `ORDER_PLACED` after each order. Three receivers are registered at link time with
//! `#[receiver]`, more are connected at run time. Each step prints what the receivers did.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use clarion::prelude::*;
use clarion::{Error, Outcome};

/// The arguments of [`ORDER_PLACED`] (Django: the keyword arguments of `send`).
///
/// They borrow from the caller for `'a`; receivers ask for them by name.
#[derive(SignalArgs)]
pub struct OrderPlaced<'a> {
    /// The order's number.
    pub order_id: u64,
    /// Who placed the order.
    pub customer: &'a str,
    /// What was ordered.
    pub items: &'a [&'a str],
    /// The confirmation email; receivers add lines to it.
    pub email: &'a mut Vec<String>,
}

signal! {
    /// Sent after an order is placed (Django: `order_placed = Signal()`).
    pub static ORDER_PLACED: Signal<OrderPlaced>;
}

/// A sender: orders placed on the web site.
pub struct WebShop;

/// Another sender: orders taken on the phone.
pub struct PhoneDesk;

// Priority 10 runs before the default 0. Returning an error stops `send`.
#[receiver(ORDER_PLACED, priority = 10)]
fn check_stock(order_id: u64, items: &[&str]) -> Result<(), Error> {
    if let Some(missing) = items.iter().find(|item| **item == "unicorn") {
        return Err(format!("order {order_id}: {missing} is out of stock").into());
    }
    println!("  check_stock     all {} item(s) in stock", items.len());
    Ok(())
}

// No `sender = …`: hears every sender. Takes only the arguments it needs, in any order;
// `&mut Vec<String>` borrows the `&mut` argument.
#[receiver(ORDER_PLACED)]
fn thank_customer(email: &mut Vec<String>, customer: &str) {
    email.push(format!("Thank you for your order, {customer}!"));
    println!("  thank_customer  added a thank-you line to the email");
}

// Hears only orders sent by `WebShop`. `sender` is the reserved name for the sender itself.
#[receiver(ORDER_PLACED, sender = WebShop)]
fn web_coupon(sender: Sender, order_id: u64, email: &mut Vec<String>) {
    email.push(format!("Your coupon: WEB-{order_id}"));
    println!("  web_coupon      added a coupon (sender: {sender})");
}

/// Counts orders for as long as it lives; connected weakly below.
#[derive(Default)]
struct Metrics {
    orders: AtomicU32,
}

/// Sends one order from `sender` and prints the email the receivers wrote.
fn place(sender: Sender, order_id: u64, items: &[&str]) -> Result<(), Error> {
    let mut email = Vec::new();
    let mut args = OrderPlaced {
        order_id,
        customer: "Ada",
        items,
        email: &mut email,
    };
    let result = ORDER_PLACED.send(sender, &mut args);
    println!("  email: {email:?}");
    result.map(|_| ())
}

fn main() -> Result<(), Error> {
    println!("1. A web order: every receiver runs, highest priority first");
    place(Sender::of::<WebShop>(), 1, &["tea", "scones"])?;

    println!("\n2. A phone order: web_coupon listens to WebShop only");
    place(Sender::of::<PhoneDesk>(), 2, &["tea"])?;

    println!("\n3. A receiver fails: `send` stops there and names it");
    let error = place(Sender::of::<WebShop>(), 3, &["tea", "unicorn"]).unwrap_err();
    println!("  send returned: {error}");
    if let Error::Receiver {
        signal, receiver, ..
    } = &error
    {
        println!("  signal: {signal}, receiver: {receiver}");
    }
    println!("  (thank_customer and web_coupon did not run, as with Django's `send`)");

    println!("\n4. `send_robust` runs every receiver and reports each outcome");
    let mut email = Vec::new();
    let outcomes = ORDER_PLACED.send_robust(
        Sender::of::<WebShop>(),
        &mut OrderPlaced {
            order_id: 4,
            customer: "Ada",
            items: &["unicorn"],
            email: &mut email,
        },
    );
    for Outcome {
        receiver, result, ..
    } in &outcomes
    {
        match result {
            Ok(()) => println!("  ok     {receiver}"),
            Err(error) => println!("  error  {error}"),
        }
    }

    println!("\n5. Runtime connections: connect_with, dispatch_uid, disconnect");
    let audit = ORDER_PLACED.connect_with(
        Connect::new().dispatch_uid("audit-log").priority(-10),
        |sender, args: &mut OrderPlaced| {
            println!(
                "  audit-log       order {} from {}",
                args.order_id,
                sender.name()
            );
        },
    );
    // Same `dispatch_uid` (and sender): nothing is connected, the first receiver's id comes back.
    let again = ORDER_PLACED.connect_with(
        Connect::new().dispatch_uid("audit-log"),
        |_sender, _args: &mut OrderPlaced| println!("  never printed"),
    );
    println!("  connected audit-log as {audit}; connecting it again returned {again}");
    assert_eq!(audit, again);
    place(Sender::of::<PhoneDesk>(), 5, &["tea"])?;
    let was_connected = ORDER_PLACED.disconnect(audit);
    println!("  disconnect({audit}) returned {was_connected}");
    place(Sender::of::<PhoneDesk>(), 6, &["tea"])?;

    println!("\n6. A weak connection lives as long as its Arc");
    let metrics = Arc::new(Metrics::default());
    ORDER_PLACED.connect_weak(
        &metrics,
        Connect::new().sender::<PhoneDesk>(),
        |metrics: &Metrics, _sender, _args: &mut OrderPlaced| {
            let n = metrics.orders.fetch_add(1, Ordering::Relaxed) + 1;
            println!("  metrics         {n} phone order(s) counted");
        },
    );
    place(Sender::of::<PhoneDesk>(), 7, &["tea"])?;
    println!("  receivers connected: {}", ORDER_PLACED.receivers().len());
    drop(metrics);
    println!("  dropped the Arc of Metrics");
    place(Sender::of::<PhoneDesk>(), 8, &["tea"])?;
    println!("  receivers connected: {}", ORDER_PLACED.receivers().len());

    Ok(())
}

//! Which receivers are connected, and where do they come from? `cargo run --example introspect`.
//!
//! Declares a few signals and receivers, connects more at run time, then prints one row per
//! connected receiver from [`clarion::receivers()`], and checks with [`clarion::expect_linked`]
//! that the crates whose receivers the program relies on are linked in.

use std::sync::Arc;

use clarion::ReceiverInfo;
use clarion::prelude::*;

// A crate of receivers that nothing else in this program uses. Without this line the linker
// leaves it out, and its receivers with it (see "Linking receiver crates" in docs/signals.md).
use clarion_test_receivers as _;

/// The arguments of [`USER_SIGNED_UP`].
#[derive(SignalArgs)]
pub struct UserSignedUp<'a> {
    /// The new user's id.
    pub user_id: u64,
    /// Where to write to them.
    pub email: &'a str,
}

/// The arguments of [`INVOICE_PAID`].
#[derive(SignalArgs)]
pub struct InvoicePaid {
    /// The invoice that was paid.
    pub invoice_id: u64,
    /// How much, in cents.
    pub amount_cents: u64,
}

signal! {
    /// Sent after a user signs up.
    pub static USER_SIGNED_UP: Signal<UserSignedUp>;
    /// Sent after an invoice is paid.
    pub static INVOICE_PAID: Signal<InvoicePaid>;
}

/// A sender: the payment provider's webhook.
pub struct PaymentWebhook;

#[receiver(USER_SIGNED_UP)]
fn send_welcome_email(email: &str) {
    let _ = email;
}

#[receiver([USER_SIGNED_UP, INVOICE_PAID], dispatch_uid = "audit", priority = 5)]
fn audit(sender: Sender) {
    let _ = sender;
}

#[receiver(INVOICE_PAID, sender = PaymentWebhook)]
fn mark_paid(invoice_id: u64, amount_cents: u64) {
    let _ = (invoice_id, amount_cents);
}

/// Holds a weak connection in `main`.
struct Dashboard;

fn main() {
    INVOICE_PAID.connect_with(
        Connect::new()
            .sender::<PaymentWebhook>()
            .priority(-1)
            .name("introspect::record_revenue"),
        |_sender, args: &mut InvoicePaid| {
            let _ = args.amount_cents;
        },
    );
    let dashboard = Arc::new(Dashboard);
    USER_SIGNED_UP.connect_weak(
        &dashboard,
        // Without a name, a closure shows as its type: `introspect::main::{{closure}}`.
        Connect::new().dispatch_uid("dashboard"),
        |_dashboard: &Dashboard, _sender, _args: &mut UserSignedUp| {},
    );

    println!("Every connected receiver, grouped by signal, in the order it runs:\n");
    print_table(&clarion::receivers());

    println!("\nCrates with link-time receivers in this binary:");
    for krate in clarion::linked_crates() {
        println!("  {krate}");
    }

    println!("\nexpect_linked([\"introspect\", \"clarion_test_receivers\"]):");
    match clarion::expect_linked(&["introspect", "clarion_test_receivers"]) {
        Ok(()) => println!("  Ok"),
        Err(error) => println!("  Err: {error}"),
    }
    println!("expect_linked([\"billing_receivers\"]):");
    match clarion::expect_linked(&["billing_receivers"]) {
        Ok(()) => println!("  Ok"),
        Err(error) => println!("  Err: {error}"),
    }

    drop(dashboard);
}

fn print_table(receivers: &[ReceiverInfo]) {
    let header = [
        "signal",
        "sender",
        "receiver",
        "at",
        "dispatch_uid",
        "priority",
        "connected",
    ];
    let rows: Vec<[String; 7]> = receivers
        .iter()
        .map(|r| {
            [
                r.signal.to_owned(),
                r.sender.map_or("(any)".to_owned(), |s| s.name().to_owned()),
                r.name.to_owned(),
                format!("{}:{}", r.file, r.line),
                r.dispatch_uid.as_deref().unwrap_or("-").to_owned(),
                r.priority.to_string(),
                if r.weak {
                    format!("{} (weak)", r.origin)
                } else {
                    r.origin.to_string()
                },
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let line = |cells: &[&str]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(&header);
    line(&widths.map(|w| "-".repeat(w)).each_ref().map(String::as_str));
    for row in &rows {
        line(&row.each_ref().map(String::as_str));
    }
}

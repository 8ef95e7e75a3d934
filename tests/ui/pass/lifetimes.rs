//! Borrowed arguments: explicit lifetimes on the receiver, `&mut` arguments, `&str` and `&[T]`,
//! `Option` by value, custom errors, and a signal with an output.

use std::fmt;

use clarion::prelude::*;

#[derive(Debug, Clone, PartialEq)]
struct Instance {
    id: u64,
}

#[derive(SignalArgs)]
struct Saved<'a> {
    instance: &'a mut Instance,
    name: &'a str,
    tags: &'a [&'a str],
    owned_tags: Vec<String>,
    owned_name: String,
    parent: Option<u64>,
    label: Option<&'a str>,
    count: u32,
}

signal! {
    static SAVED: Signal<Saved>;
}

#[derive(Debug)]
struct TooBig(u32);

impl fmt::Display for TooBig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is too big", self.0)
    }
}

impl From<TooBig> for clarion::Error {
    fn from(error: TooBig) -> Self {
        clarion::Error::msg(error.to_string())
    }
}

struct User;

// The lifetimes are spelled out on purpose: the expansion must cope with them.
#[receiver(SAVED, sender = User, priority = 2)]
#[allow(clippy::needless_lifetimes)]
fn explicit<'x, 'y>(
    name: &'x str,
    tags: &'y [&'y str],
    instance: &'x mut Instance,
    label: Option<&'x str>,
) {
    assert_eq!(name, "ada");
    assert_eq!(tags, ["a", "b"]);
    assert_eq!(label, Some("l"));
    instance.id += 1;
}

#[receiver(SAVED, priority = 1)]
fn borrows(
    instance: &Instance,
    owned_tags: &[String],
    owned_name: &str,
    count: &mut u32,
    parent: Option<u64>,
    label: Option<&str>,
) {
    assert_eq!(instance.id, 2);
    assert_eq!(owned_tags, ["x"]);
    assert_eq!(owned_name, "ada");
    assert_eq!(parent, Some(7));
    assert_eq!(label, Some("l"));
    *count += 1;
}

#[receiver(SAVED)]
fn by_value(instance: Instance, name: &str, owned_name: String, count: u32) {
    assert_eq!(instance, Instance { id: 2 });
    assert_eq!(name, owned_name);
    assert_eq!(count, 1);
}

#[receiver(SAVED, priority = -1)]
#[allow(clippy::needless_lifetimes)]
fn whole<'a>(args: &mut Saved<'a>) {
    args.count += 10;
}

#[receiver(SAVED, priority = -1)]
#[allow(clippy::needless_lifetimes)]
fn whole_shared<'a, 'b>(sender: Sender, args: &'b Saved<'a>) {
    assert_eq!(sender, Sender::of::<User>());
    assert_eq!(args.name, "ada");
}

#[receiver(SAVED, priority = -2)]
fn fails(count: u32) -> Result<(), TooBig> {
    if count > 5 {
        Err(TooBig(count))
    } else {
        Ok(())
    }
}

#[derive(SignalArgs)]
#[signal_args(output = u32)]
struct Quote<'a> {
    item: &'a str,
}

signal! {
    static QUOTE: Signal<Quote>;
}

#[receiver(QUOTE)]
fn price(item: &str) -> u32 {
    item.len() as u32
}

#[receiver(QUOTE, priority = -1)]
fn checked_price(item: &str) -> Result<u32, TooBig> {
    Ok(item.len() as u32 * 2)
}

fn main() {
    let mut instance = Instance { id: 1 };
    let tags = ["a", "b"];
    let mut args = Saved {
        instance: &mut instance,
        name: "ada",
        tags: &tags,
        owned_tags: vec!["x".to_owned()],
        owned_name: "ada".to_owned(),
        parent: Some(7),
        label: Some("l"),
        count: 0,
    };
    let error = SAVED.send(Sender::of::<User>(), &mut args).unwrap_err();
    assert_eq!(args.count, 11);
    assert!(error.to_string().contains("11 is too big"), "{error}");
    assert_eq!(instance.id, 2);

    let item = String::from("tea");
    let prices = QUOTE
        .send(Sender::of::<User>(), &mut Quote { item: &item })
        .unwrap();
    assert_eq!(prices, vec![3, 6]);
}

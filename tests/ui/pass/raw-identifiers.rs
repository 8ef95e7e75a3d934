//! Raw identifiers work as argument names, receiver names and signal names.

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Saved<'a> {
    r#type: &'a str,
    r#match: u32,
    r#fn: bool,
}

signal! {
    static r#STATIC: Signal<Saved>;
}

#[receiver(r#STATIC)]
fn r#loop(r#type: &str, r#match: &mut u32, r#fn: bool) {
    assert_eq!(r#type, "user");
    assert!(r#fn);
    *r#match += 1;
}

fn main() {
    let mut args = Saved {
        r#type: "user",
        r#match: 1,
        r#fn: true,
    };
    r#STATIC.send(Sender::of::<()>(), &mut args).unwrap();
    assert_eq!(args.r#match, 2);
    let receivers = r#STATIC.receivers();
    assert_eq!(receivers.len(), 1);
    assert!(
        receivers[0].name.ends_with("::loop"),
        "{}",
        receivers[0].name
    );
}

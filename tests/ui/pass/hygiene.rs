//! Generated code must mean the same whatever the user's scope holds: every path it emits is
//! absolute (`::clarion`, `::core`), so none of the shadowing items below can capture it.

#![allow(dead_code, non_camel_case_types, unused_macros)]

// Shadow the std prelude, the primitive types and the crates the expansion uses.
struct Result;
struct Option;
struct Some;
struct None;
struct Ok;
struct Err;
struct Box;
struct Vec;
struct String;
struct Clone;
struct Copy;
struct Into;
struct From;
struct Fn;
struct FnOnce;
struct Sized;
struct Send;
struct Sync;
struct i32;
struct u32;
struct str;
struct Sender;
struct Signal;
struct SignalArgs;
struct IntoReceiverResult;
struct LinkedReceiver;
struct LinkedMeta;
mod core {}
mod std {}
mod alloc {}
mod inventory {}
mod clarion {}
mod __private {}

// Shadow the built-in macros the expansion calls.
macro_rules! line {
    () => {
        "not a line"
    };
}
macro_rules! file {
    () => {
        0
    };
}
macro_rules! concat {
    ($($t:tt)*) => {
        0
    };
}
macro_rules! module_path {
    () => {
        0
    };
}
macro_rules! env {
    ($($t:tt)*) => {
        0
    };
}
macro_rules! stringify {
    ($($t:tt)*) => {
        0
    };
}

#[derive(::clarion::SignalArgs)]
struct Saved<'a> {
    name: &'a ::core::primitive::str,
    size: ::core::primitive::u32,
    tags: ::std::vec::Vec<::std::string::String>,
}

#[derive(::clarion::SignalArgs)]
#[signal_args(output = ::core::primitive::u32)]
struct Quote {
    size: ::core::primitive::u32,
}

// `Signal` is part of `signal!`'s syntax, so the shadowing `struct Signal` does not matter.
::clarion::signal! {
    static SAVED: Signal<Saved>;
    static QUOTE: Signal<Quote>;
}

struct User;

#[::clarion::receiver(SAVED, sender = User, dispatch_uid = "hygiene", priority = 3)]
fn by_name(
    name: &::core::primitive::str,
    size: ::core::primitive::u32,
    tags: &[::std::string::String],
) {
    ::std::assert_eq!((name, size, tags.len()), ("ada", 7, 1));
}

#[::clarion::receiver(SAVED)]
fn whole(
    sender: ::clarion::Sender,
    args: &mut Saved<'_>,
) -> ::core::result::Result<(), ::clarion::Error> {
    ::std::assert_eq!(sender, ::clarion::Sender::of::<User>());
    args.size += 1;
    ::core::result::Result::Ok(())
}

#[::clarion::receiver([QUOTE], priority = -1)]
fn quote(size: ::core::primitive::u32) -> ::core::primitive::u32 {
    size * 2
}

fn main() {
    let mut args = Saved {
        name: "ada",
        size: 7,
        tags: ::std::vec!["x".into()],
    };
    SAVED
        .send(::clarion::Sender::of::<User>(), &mut args)
        .unwrap();
    ::std::assert_eq!(args.size, 8);
    let quotes = QUOTE
        .send(::clarion::Sender::of::<User>(), &mut Quote { size: 4 })
        .unwrap();
    ::std::assert_eq!(quotes, ::std::vec![8]);
}

//! Procedural macros of [clarion](https://docs.rs/clarion). Use them through the `clarion`
//! crate: `clarion::receiver` and `clarion::SignalArgs`, documented there.

mod ctxt;
mod paths;
mod receiver;
mod signal_args;
mod tokens;

use proc_macro::TokenStream;

/// Registers a free `fn` as a receiver of one or more signals at link time.
///
/// Documented in the `clarion` crate, which re-exports it.
#[proc_macro_attribute]
pub fn receiver(args: TokenStream, input: TokenStream) -> TokenStream {
    receiver::expand(args.into(), input.into()).into()
}

/// Makes a struct with named fields the argument type of a signal.
///
/// Documented in the `clarion` crate, which re-exports it.
#[proc_macro_derive(SignalArgs, attributes(signal_args))]
pub fn derive_signal_args(input: TokenStream) -> TokenStream {
    signal_args::expand(input.into()).into()
}

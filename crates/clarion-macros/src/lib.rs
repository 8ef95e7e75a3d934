//! Procedural macros of [clarion](https://docs.rs/clarion). Use them through the `clarion`
//! crate: `clarion::receiver`, `clarion::SignalArgs` and `clarion::Model`, documented there.

mod ctxt;
mod model;
mod paths;
mod proxy;
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

/// Turns a unit struct into a proxy model of another model: `#[proxy(of = User)] pub struct
/// Staff;`.
///
/// Documented in the `clarion` crate, which re-exports it.
#[proc_macro_attribute]
pub fn proxy(args: TokenStream, input: TokenStream) -> TokenStream {
    proxy::expand(args.into(), input.into()).into()
}

/// Makes a struct with named fields the argument type of a signal.
///
/// Documented in the `clarion` crate, which re-exports it.
#[proc_macro_derive(SignalArgs, attributes(signal_args))]
pub fn derive_signal_args(input: TokenStream) -> TokenStream {
    signal_args::expand(input.into()).into()
}

/// Makes a struct with named fields a model: a table row that can be saved, with signals.
///
/// Documented in the `clarion` crate, which re-exports it.
#[proc_macro_derive(Model, attributes(model))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    model::expand(input.into()).into()
}

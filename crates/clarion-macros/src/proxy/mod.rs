//! `#[proxy(of = Model)]`: parse the attribute and the struct, validate, expand.
//!
//! A proxy model (Django's `class Meta: proxy = True`) reads and writes its parent's table and
//! rows with behaviour of its own: its methods, a default manager (a base filter and ordering),
//! and a dispatch identity that reaches the parent's receivers too.

mod attr;
mod expand;
mod valid;

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::ctxt::Ctxt;

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input.clone()) {
        Ok(input) => input,
        // Not a struct, enum or union: rustc reports the item itself; say what `#[proxy]` wants.
        Err(error) => {
            let mut tokens = input;
            tokens.extend(
                syn::Error::new(
                    error.span(),
                    "`#[proxy]` goes on a unit struct, like `#[proxy(of = User)] pub struct Staff;`",
                )
                .into_compile_error(),
            );
            return tokens;
        }
    };
    let cx = Ctxt::new();
    let attrs = attr::ProxyAttrs::parse(&cx, args);
    let parent = valid::check(&cx, &input, &attrs);
    let expanded = match parent {
        Some(parent) if cx.is_ok() => expand::expand(&input, &attrs, parent),
        _ => expand::fallback(&input),
    };
    cx.finish(expanded)
}

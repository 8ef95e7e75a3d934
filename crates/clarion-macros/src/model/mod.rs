//! `#[derive(Model)]`: parse the struct and its `#[model]` attributes, validate, expand.

mod ast;
mod attr;
mod expand;
mod valid;

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::ctxt::Ctxt;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    let cx = Ctxt::new();
    let model = ast::Model::from_input(&cx, &input);
    let pk = valid::check(&cx, &model);
    let expanded = match pk {
        Some(pk) if cx.is_ok() => expand::expand(&model, &pk),
        _ => expand::fallback(&model),
    };
    cx.finish(expanded)
}

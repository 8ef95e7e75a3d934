//! `#[receiver]`: parse the attribute and the fn, validate, expand.

mod ast;
mod attr;
mod expand;
mod valid;

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::ctxt::Ctxt;

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: syn::Item = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(error) => return with_errors(input, error),
    };
    let syn::Item::Fn(item) = item else {
        let error = syn::Error::new_spanned(
            item_keyword(&item),
            "`#[receiver]` goes on a free `fn`, like `fn on_save(instance: &User) { … }`",
        );
        return with_errors(item.into_token_stream(), error);
    };

    let cx = Ctxt::new();
    let attr = attr::ReceiverAttr::parse(&cx, args);
    let receiver = ast::Receiver::from_fn(&cx, &item);
    valid::check(&cx, &attr, &receiver);
    let ok = cx.is_ok();
    let expanded = if ok {
        expand::expand(&attr, &receiver)
    } else {
        expand::fallback(&item)
    };
    cx.finish(expanded)
}

fn with_errors(mut tokens: TokenStream, error: syn::Error) -> TokenStream {
    tokens.extend(error.into_compile_error());
    tokens
}

/// The token that names an item's kind (`struct`, `impl`, …), for errors about the item.
fn item_keyword(item: &syn::Item) -> TokenStream {
    use syn::Item;
    match item {
        Item::Struct(i) => i.struct_token.to_token_stream(),
        Item::Enum(i) => i.enum_token.to_token_stream(),
        Item::Impl(i) => i.impl_token.to_token_stream(),
        Item::Static(i) => i.static_token.to_token_stream(),
        Item::Const(i) => i.const_token.to_token_stream(),
        Item::Mod(i) => i.mod_token.to_token_stream(),
        Item::Trait(i) => i.trait_token.to_token_stream(),
        Item::Type(i) => i.type_token.to_token_stream(),
        Item::Use(i) => i.use_token.to_token_stream(),
        Item::Union(i) => i.union_token.to_token_stream(),
        other => other.to_token_stream(),
    }
}

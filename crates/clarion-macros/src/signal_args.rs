//! `#[derive(SignalArgs)]`: makes a struct the argument type of a signal.
//!
//! Small enough to keep its stages in one file: parse (`#[signal_args(output = T)]`), validate
//! (the struct's shape), expand (the `SignalArgs` impl).

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Data, DeriveInput, Fields, GenericParam, Ident, Lifetime, Meta, Token, Type};

use crate::ctxt::{Ctxt, unknown_option};
use crate::paths;
use crate::tokens::{at_option, skip_to_comma, starts_with_literal, take_value};

const OPTIONS: &[&str] = &["output"];

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    let cx = Ctxt::new();
    let output = parse_attrs(&cx, &input);
    let lifetime = validate(&cx, &input);
    let expanded = expand_impl(&input, lifetime, output.as_ref());
    cx.finish(expanded)
}

const OUTPUT_HELP: &str = "`output` takes a type, like `output = u32`";

/// Parses `#[signal_args(output = Type)]`. Each option's value is read up to the next comma and
/// parsed here, so that a bad value is reported and the options after it are still checked.
fn parse_attrs(cx: &Ctxt, input: &DeriveInput) -> Option<Type> {
    let mut output: Option<Type> = None;
    for attr in input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("signal_args"))
    {
        let tokens = match &attr.meta {
            Meta::List(list) => list.tokens.clone(),
            other => {
                cx.error_spanned_by(
                    other,
                    "`#[signal_args]` needs an option, like `#[signal_args(output = u32)]`",
                );
                continue;
            }
        };
        let parser = |input: ParseStream| {
            while !input.is_empty() {
                parse_option(cx, input, &mut output);
            }
            Ok(())
        };
        if let Err(error) = parser.parse2(tokens) {
            cx.syn_error(error);
        }
    }
    output
}

/// Parses one `key = value` and the comma after it, recording every problem.
fn parse_option(cx: &Ctxt, input: ParseStream, output: &mut Option<Type>) {
    let Ok(key) = input.call(Ident::parse_any) else {
        cx.syn_error(syn::Error::new(
            input.span(),
            "expected an option: `output = Type`",
        ));
        skip_to_comma(input);
        let _ = input.parse::<Option<Token![,]>>();
        return;
    };
    let has_value = input.parse::<Option<Token![=]>>().ok().flatten().is_some();
    let value = take_value(input);
    let name = key.to_string();
    if name == "output" {
        let ty = if !has_value || value.is_empty() {
            cx.error_spanned_by(&key, OUTPUT_HELP);
            None
        } else {
            match syn::parse2::<Type>(value.clone()) {
                Ok(Type::Infer(_)) | Err(_) => None,
                Ok(_) if starts_with_literal(&value) => None,
                Ok(ty) => Some(ty),
            }
            .or_else(|| {
                cx.error_spanned_by(&value, OUTPUT_HELP);
                None
            })
        };
        if output.is_some() {
            cx.error_spanned_by(
                &key,
                "`output` is specified more than once: keep one `output = …`",
            );
        } else {
            *output = ty;
        }
    } else {
        cx.error_spanned_by(
            &key,
            unknown_option(&name, "signal_args", OPTIONS, "expected `output = Type`"),
        );
    }
    if at_option(input) {
        // A missing comma: say so, and read the next option.
        cx.syn_error(syn::Error::new(
            input.span(),
            "expected `,` between options",
        ));
        return;
    }
    let _ = input.parse::<Option<Token![,]>>();
}

/// Checks the struct's shape; returns its lifetime parameter, if it has one.
fn validate<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Option<&'a Lifetime> {
    // Receivers take arguments by field name, so the fields must have names.
    match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => {
                // `sender` and `args` are parameter names with a meaning of their own.
                for field in &fields.named {
                    let Some(ident) = &field.ident else { continue };
                    let name = ident.to_string();
                    if name == "sender" || name == "args" {
                        cx.error_spanned_by(
                            ident,
                            format!(
                                "a signal argument cannot be named `{name}`: receivers use \
                                 `{name}` for {}; rename the field",
                                if name == "sender" {
                                    "the signal's sender"
                                } else {
                                    "the whole argument struct"
                                }
                            ),
                        );
                    }
                }
            }
            Fields::Unnamed(fields) => cx.error_spanned_by(
                fields,
                "`SignalArgs` needs named fields: receivers take arguments by name, like \
                 `struct PizzaDone { size: u32 }`",
            ),
            Fields::Unit => {}
        },
        Data::Enum(data) => cx.error_spanned_by(
            data.enum_token,
            "`SignalArgs` can only be derived for a struct with named fields",
        ),
        Data::Union(data) => cx.error_spanned_by(
            data.union_token,
            "`SignalArgs` can only be derived for a struct with named fields",
        ),
    }
    // The one lifetime is the borrow receivers see; a second one could not be named.
    let mut lifetimes = input.generics.lifetimes();
    let first = lifetimes.next().map(|l| &l.lifetime);
    for extra in lifetimes {
        cx.error_spanned_by(
            &extra.lifetime,
            "a signal argument struct can have at most one lifetime parameter; borrow \
             everything for the same lifetime, like `struct Saved<'a> { a: &'a A, b: &'a B }`",
        );
    }
    first
}

fn expand_impl(
    input: &DeriveInput,
    lifetime: Option<&Lifetime>,
    output: Option<&Type>,
) -> TokenStream {
    let clarion = paths::clarion();
    let name = &input.ident;
    let borrow = Lifetime::new("'__clarion_a", proc_macro2::Span::call_site());
    let static_lt = Lifetime::new("'static", proc_macro2::Span::call_site());

    // The impl's own parameters: every generic but the lifetime.
    let impl_params: Vec<TokenStream> = input
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Lifetime(_) => None,
            GenericParam::Type(t) => {
                let mut t = t.clone();
                t.eq_token = None;
                t.default = None;
                Some(t.into_token_stream())
            }
            GenericParam::Const(c) => {
                let mut c = c.clone();
                c.eq_token = None;
                c.default = None;
                Some(c.into_token_stream())
            }
        })
        .collect();
    // The struct's arguments with the lifetime replaced by `lt`.
    let args_with = |lt: &Lifetime| {
        let args = input.generics.params.iter().map(|p| match p {
            GenericParam::Lifetime(l) if Some(&l.lifetime) == lifetime => lt.to_token_stream(),
            GenericParam::Lifetime(_) => static_lt.to_token_stream(),
            GenericParam::Type(t) => t.ident.to_token_stream(),
            GenericParam::Const(c) => c.ident.to_token_stream(),
        });
        if input.generics.params.is_empty() {
            quote!()
        } else {
            quote!(<#(#args),*>)
        }
    };
    let self_args = args_with(&static_lt);
    let borrowed_args = args_with(&borrow);
    let static_bounds: Vec<TokenStream> = input
        .generics
        .type_params()
        .map(|t| {
            let ident = &t.ident;
            quote!(#ident: 'static)
        })
        .collect();
    let where_preds = input
        .generics
        .where_clause
        .as_ref()
        .map(|w| {
            w.predicates
                .iter()
                .map(ToTokens::to_token_stream)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let output = match output {
        Some(ty) => ty.to_token_stream(),
        None => quote!(()),
    };
    let private = paths::private();
    let impl_params_again = impl_params.clone();
    let static_bounds_again = static_bounds.clone();
    quote! {
        #[automatically_derived]
        impl<#(#impl_params),*> #clarion::SignalArgs for #name #self_args
        where #(#static_bounds,)* #(#where_preds,)*
        {
            type Args<#borrow> = #name #borrowed_args;
            type Output = #output;
        }

        // A signal of the user's: its receivers may name any sender.
        #[automatically_derived]
        impl<#(#impl_params_again),*> #private::FreeArgs for #name #self_args
        where #(#static_bounds_again,)* #(#where_preds,)*
        {}
    }
}

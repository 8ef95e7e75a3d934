//! Code generation for `#[receiver]`.
//!
//! Spans decide where rustc reports a problem, so each generated piece stands at the user's token
//! it comes from:
//! - the user's own tokens (types, the fn's and parameters' names) keep their spans;
//! - the trait call that takes a parameter, `Trait::<T>::method(local.0)`, and the conversion of
//!   the return value are spanned from the type's first token to its last (a path and a field
//!   access span from their first token to their last), so a type that does not fit is underlined
//!   whole;
//! - the borrows and bindings clarion adds on its own are resolved in the macro's context, so rustc
//!   does not suggest edits to them (like `&mut mut str` or `&&Sender`).

use std::collections::HashSet;

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::visit_mut::VisitMut;
use syn::{Ident, ItemFn, Lifetime, ReturnType, Stmt, Type};

use super::ast::{Borrow, Param, ParamKind, Receiver, referent};
use super::attr::ReceiverAttr;
use crate::paths;

/// The user's fn with its registrations, one per signal, as the first item of its body.
///
/// Inside the body, the registrations go wherever the fn goes (`#[cfg]`, a fn body, a module);
/// and on an associated fn, rustc's error says that the fn is associated, where a `const _` next
/// to it would first fail as an unnamed `const` in an `impl`.
pub(crate) fn expand(attr: &ReceiverAttr, receiver: &Receiver) -> TokenStream {
    let erase = EraseLifetimes::of(receiver.item);
    let registrations = attr
        .signals
        .iter()
        .map(|signal| registration(attr, receiver, signal, &erase));
    let registrations = quote! {
        const _: () = {
            #(#registrations)*
        };
    };
    let mut item = receiver.item.clone();
    item.block
        .stmts
        .insert(0, Stmt::Item(syn::Item::Verbatim(registrations)));
    item.into_token_stream()
}

fn registration(
    attr: &ReceiverAttr,
    receiver: &Receiver,
    signal: &syn::Path,
    erase: &EraseLifetimes,
) -> TokenStream {
    let item = receiver.item;
    let fn_name = &item.sig.ident;
    let fn_name_str = fn_name.unraw().to_string();
    let sender_var = Ident::new("__clarion_sender", Span::mixed_site());
    let args_var = Ident::new("__clarion_args", Span::mixed_site());
    let args = receiver
        .params
        .iter()
        .map(|p| argument(p, erase, &sender_var, &args_var, first_span(signal)));
    let signal_ref = quote_spanned!(at(first_span(signal))=> &#signal);
    let checks = checks(attr, receiver, &signal_ref, erase);
    let body = returned(item, &signal_ref, quote!(#fn_name(#(#args),*)));

    let private = paths::private();
    let name = quote!(::core::concat!(::core::module_path!(), "::", #fn_name_str));
    // `on = commit`: the registered receiver copies the arguments and hands `defer` the real
    // call, which takes its parameters from the copy once the transaction has committed.
    let body = match &attr.on_commit {
        Some(_) => {
            let defer = quote_spanned!(at(first_span(signal))=> #private::defer);
            quote! {
                #defer(#signal_ref, #name, #sender_var, #args_var, |#sender_var, #args_var| #body)
            }
        }
        None => body,
    };
    // The fn name's own span: `line!()` follows its expansion context, so a call-site context
    // would report the attribute's line instead of the fn's.
    let line = quote_spanned!(fn_name.span()=> ::core::line!());
    let sender = match &attr.sender {
        Some(ty) => {
            let span = at(first_span(ty));
            let private = paths::private_at(span);
            quote_spanned! {span=>
                ::core::option::Option::Some(#private::Sender::of::<#ty>())
            }
        }
        None => quote!(::core::option::Option::None),
    };
    let dispatch_uid = match &attr.dispatch_uid {
        Some(uid) => quote!(::core::option::Option::Some(#uid)),
        None => quote!(::core::option::Option::None),
    };
    let priority = attr.priority.unwrap_or(0);

    quote! {
        #private::inventory::submit! {
            #private::LinkedReceiver::new(
                #signal_ref,
                |#sender_var, #args_var| { #checks #body },
                #private::LinkedMeta {
                    name: #name,
                    file: ::core::file!(),
                    line: #line,
                    krate: ::core::env!("CARGO_CRATE_NAME"),
                    sender: #sender,
                    dispatch_uid: #dispatch_uid,
                    priority: #priority,
                },
            )
        }
    }
}

/// The checks that make a receiver that could never be called a compile error, each at the
/// user's token: the sender must be able to send the signal (a model for a model signal, a
/// relation for `m2m_changed`), and the `instance` taken must be one the sender sends. The
/// signal's argument type decides what applies (`clarion::__private::SenderIsModel` and its
/// siblings); each check compiles to nothing.
fn checks(
    attr: &ReceiverAttr,
    receiver: &Receiver,
    signal_ref: &TokenStream,
    erase: &EraseLifetimes,
) -> TokenStream {
    let Some(sender) = &attr.sender else {
        return TokenStream::new();
    };
    let private = paths::private();
    let args_of = quote!(&#private::args_of(#signal_ref));
    let check = |ty: &Type, trait_args: TokenStream| {
        let (first, last) = spans(ty);
        let private = paths::private_at(first);
        let lt = quote_spanned!(first=> <);
        let check = Ident::new("check", last);
        let call_args = group_at(last, args_of.clone());
        quote! { #lt #ty as #private::#trait_args>::#check #call_args; }
    };
    let sender_is_model = check(sender, quote!(SenderIsModel<_>));
    let sender_is_relation = check(sender, quote!(SenderIsRelation<_, _>));
    let instances = receiver.params.iter().filter_map(|param| match param.kind {
        ParamKind::Field(Borrow::Ref | Borrow::Mut) if param.ident == "instance" => {
            let ty = erase.ty(param.ty);
            Some(check(referent(&ty), quote!(InstanceOf<#sender, _>)))
        }
        _ => None,
    });
    quote! {
        #sender_is_model
        #sender_is_relation
        #(#instances)*
    }
}

/// The expression that passes one parameter.
///
/// A type mismatch is reported at the parameter's type (for `&T` and `&mut T`, at `T`: the trait
/// call is on `T`), an unknown argument at the parameter's name: the field access keeps the name's
/// span, so rustc's "no field" error lists the signal's arguments or suggests the closest.
fn argument(
    param: &Param,
    erase: &EraseLifetimes,
    sender_var: &Ident,
    args_var: &Ident,
    signal_span: Span,
) -> TokenStream {
    let ty = erase.ty(param.ty);
    match &param.kind {
        ParamKind::Sender => {
            let (first, last) = spans(&ty);
            let value = Ident::new("__clarion_value", Span::mixed_site());
            let deref = quote_spanned!(Span::mixed_site().located_at(first)=> *);
            let sender = located(sender_var, last);
            quote! {{ let #value: #ty = #deref #sender; #value }}
        }
        ParamKind::Whole => {
            let (first, last) = spans(&ty);
            let value = Ident::new("__clarion_value", Span::mixed_site());
            let borrow = quote_spanned!(Span::mixed_site().located_at(first)=> &mut *);
            let args = located(args_var, last);
            quote! {{ let #value: #ty = #borrow #args; #value }}
        }
        ParamKind::Field(borrow) => {
            let field = param.ident;
            // If the signal is not a `Signal`, its argument type is unknown and rustc cannot
            // read a field of it: that "type annotations needed" is reported at the signal.
            let args_deref = quote_spanned!(at(signal_span)=> (*#args_var));
            let target = match borrow {
                Borrow::Ref | Borrow::Mut => referent(&ty),
                Borrow::Value => &ty,
            };
            let (take, trait_name, method) = match borrow {
                Borrow::Ref => (quote!(&), "ArgRef", "arg_ref"),
                Borrow::Mut => (quote!(&mut), "ArgMut", "arg_mut"),
                Borrow::Value => (quote!(&), "ArgValue", "arg_value"),
            };
            // The trait call and its argument span the parameter's type (the referent of a
            // reference), so rustc reports a mismatch there; the borrow of the field is clarion's
            // own, and rustc suggests no edits to it. A path or a field access spans from its
            // first token to its last: `local.0` and `Trait::<T>::method(…)` cover the whole type.
            let (first, last) = spans(target);
            let local = Ident::new("__clarion_field", first);
            let arg = {
                let dot_zero = quote_spanned!(last=> .0);
                quote!(#local #dot_zero)
            };
            let private = paths::private_at(first);
            let trait_name = Ident::new(trait_name, first);
            let method = Ident::new(method, last);
            let call_args = group_at(last, arg);
            let call = quote_spanned!(first=> #private::#trait_name::<#target>::#method #call_args);
            // `None`: the argument does not apply to this receiver (a model's instance of another
            // type), which is then skipped for this send.
            let private = paths::private();
            let arg = Ident::new("__clarion_arg", Span::mixed_site());
            quote! {{
                let #local = (#take #args_deref.#field,);
                match #call {
                    ::core::option::Option::Some(#arg) => #arg,
                    ::core::option::Option::None => return #private::not_applicable(),
                }
            }}
        }
    }
}

/// The closure's body: the call, then its value turned into `Result<Output, Box<Error>>` by a
/// function that takes the signal, so a return type that does not fit the signal's output is
/// reported at the return type (or at the fn's name when it has none).
fn returned(item: &ItemFn, signal_ref: &TokenStream, call: TokenStream) -> TokenStream {
    let (first, last) = match &item.sig.output {
        ReturnType::Type(_, ty) => spans(ty),
        ReturnType::Default => (item.sig.ident.span(), item.sig.ident.span()),
    };
    let value = Ident::new("__clarion_returned", first);
    // An `async fn` is awaited where the signal is sent; when it cannot be, the error is the
    // receiver's.
    let call = match item.sig.asyncness {
        Some(asyncness) => {
            let private = paths::private();
            let awaited = Ident::new("__clarion_awaited", Span::mixed_site());
            let failure = Ident::new("__clarion_failure", Span::mixed_site());
            // Without the `tokio` feature, rustc's one error says so, marking `async`.
            let at_async = paths::private_at(asyncness.span);
            let await_receiver = quote_spanned!(asyncness.span=> #at_async::await_receiver);
            quote! {
                match #await_receiver(#call) {
                    ::core::result::Result::Ok(#awaited) => #awaited,
                    ::core::result::Result::Err(#failure) => {
                        return #private::receiver_failed(#failure);
                    }
                }
            }
        }
        None => call,
    };
    // `value.0` spans the whole return type.
    let dot_zero = quote_spanned!(last=> .0);
    let private = paths::private_at(first);
    let args = group_at(last, quote!(#signal_ref, #value #dot_zero));
    // So does the path to the function, for rustc's "required by a bound introduced by this call".
    let function = Ident::new("receiver_result", last);
    let convert = quote_spanned!(first=> #private::#function #args);
    quote! {{
        let #value = (#call,);
        #convert
    }}
}

/// `(tokens)`, the parentheses at `span`: a call `f(…)` with `f` at a type's first token and the
/// parentheses at its last spans the whole type.
fn group_at(span: Span, tokens: TokenStream) -> Group {
    let mut group = Group::new(Delimiter::Parenthesis, tokens);
    group.set_span(span);
    group
}

/// A span resolved where the macro was called, shown at `location`.
fn at(location: Span) -> Span {
    Span::call_site().located_at(location)
}

/// `ident`, keeping its hygiene, shown at `location`.
fn located(ident: &Ident, location: Span) -> Ident {
    let mut ident = ident.clone();
    ident.set_span(ident.span().located_at(location));
    ident
}

/// The spans of the first and last tokens of `tokens`.
fn spans(tokens: &impl ToTokens) -> (Span, Span) {
    let mut iter = tokens.to_token_stream().into_iter();
    let first = iter.next().map_or_else(Span::call_site, |tt| tt.span());
    let last = iter.last().map_or(first, |tt| tt.span());
    (first, last)
}

fn first_span(tokens: &impl ToTokens) -> Span {
    spans(tokens).0
}

/// Rewrites the receiver's own lifetime parameters to `'_` in the parameter types copied into
/// the generated closure, where `'x` of `fn f<'x>(name: &'x str)` is not in scope. The call
/// checks the fn's own lifetime bounds; the copies only select how each argument is taken.
struct EraseLifetimes {
    declared: HashSet<Ident>,
}

impl EraseLifetimes {
    fn of(item: &ItemFn) -> Self {
        EraseLifetimes {
            declared: item
                .sig
                .generics
                .lifetimes()
                .map(|l| l.lifetime.ident.clone())
                .collect(),
        }
    }

    fn ty(&self, ty: &Type) -> Type {
        let mut ty = ty.clone();
        if !self.declared.is_empty() {
            let mut erase = Eraser(&self.declared);
            erase.visit_type_mut(&mut ty);
        }
        ty
    }
}

struct Eraser<'a>(&'a HashSet<Ident>);

impl VisitMut for Eraser<'_> {
    fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
        if self.0.contains(&lifetime.ident) {
            lifetime.ident = Ident::new("_", lifetime.ident.span());
        }
    }
}

/// What is emitted when the receiver has errors: the user's fn as written, so that its body is
/// still checked and no "cannot find function" errors pile onto the real one.
pub(crate) fn fallback(item: &ItemFn) -> TokenStream {
    item.to_token_stream()
}

//! Code generation for `#[receiver]`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{ItemFn, ReturnType};

use super::ast::{Borrow, Param, ParamKind, Receiver, referent};
use super::attr::ReceiverAttr;
use crate::paths;

/// The user's fn untouched, then one link-time registration per signal.
pub(crate) fn expand(attr: &ReceiverAttr, receiver: &Receiver) -> TokenStream {
    let item = receiver.item;
    let private = paths::private();
    let registrations = attr
        .signals
        .iter()
        .map(|signal| registration(attr, receiver, signal, &private));
    quote! {
        #item
        const _: () = {
            #(#registrations)*
        };
    }
}

fn registration(
    attr: &ReceiverAttr,
    receiver: &Receiver,
    signal: &syn::Path,
    private: &TokenStream,
) -> TokenStream {
    let item = receiver.item;
    let fn_name = &item.sig.ident;
    let fn_name_str = fn_name.unraw().to_string();
    let args = receiver.params.iter().map(|p| argument(p, private));
    let call = quote!(#fn_name(#(#args),*));
    let call = returned(item, call, private);

    let line = quote_spanned!(fn_name.span()=> ::core::line!());
    let sender = match &attr.sender {
        Some(ty) => quote_spanned! {ty.span()=>
            ::core::option::Option::Some(#private::Sender::of::<#ty>())
        },
        None => quote!(::core::option::Option::None),
    };
    let dispatch_uid = match &attr.dispatch_uid {
        Some(uid) => quote!(::core::option::Option::Some(#uid)),
        None => quote!(::core::option::Option::None),
    };
    let priority = attr.priority.unwrap_or(0);
    let signal_ref = quote_spanned!(signal.span()=> &#signal);

    quote! {
        #private::inventory::submit! {
            #private::LinkedReceiver::new(
                #signal_ref,
                |__clarion_sender, __clarion_args| #call,
                #private::LinkedMeta {
                    name: ::core::concat!(::core::module_path!(), "::", #fn_name_str),
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

/// The expression that passes one parameter, spanned on the user's parameter type so that a
/// type mismatch is reported there, and on the parameter's name for an unknown argument.
fn argument(param: &Param, private: &TokenStream) -> TokenStream {
    let ty = param.ty;
    let span = ty.span();
    match &param.kind {
        ParamKind::Sender => quote_spanned! {span=>
            { let __clarion_value: #ty = __clarion_sender; __clarion_value }
        },
        ParamKind::Whole => quote_spanned! {span=>
            { let __clarion_value: #ty = &mut *__clarion_args; __clarion_value }
        },
        ParamKind::Field(borrow) => {
            let field = with_span(param.ident, param.ident.span());
            let place = quote!((*__clarion_args).#field);
            let inner = referent(ty);
            match borrow {
                Borrow::Ref => quote_spanned! {span=>
                    { let __clarion_field = &#place;
                      #private::ArgRef::<#inner>::arg_ref(__clarion_field) }
                },
                Borrow::Mut => quote_spanned! {span=>
                    { let __clarion_field = &mut #place;
                      #private::ArgMut::<#inner>::arg_mut(__clarion_field) }
                },
                Borrow::Value => quote_spanned! {span=>
                    { let __clarion_field = &#place;
                      #private::ArgValue::<#ty>::arg_value(__clarion_field) }
                },
            }
        }
    }
}

/// Wraps the call so its value becomes `Result<Output, Error>`, spanned on the return type.
fn returned(item: &ItemFn, call: TokenStream, private: &TokenStream) -> TokenStream {
    let span = match &item.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => item.sig.ident.span(),
    };
    quote_spanned! {span=>
        #private::IntoReceiverResult::into_receiver_result(#call)
    }
}

fn with_span(ident: &syn::Ident, span: Span) -> TokenStream {
    let mut ident = ident.clone();
    ident.set_span(span);
    ident.into_token_stream()
}

/// What is emitted when the receiver has errors: the user's fn as written, so that its body is
/// still checked and no "cannot find function" errors pile onto the real one.
pub(crate) fn fallback(item: &ItemFn) -> TokenStream {
    item.to_token_stream()
}

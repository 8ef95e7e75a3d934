//! The rules a receiver fn must follow. Each check states its rule.

use quote::ToTokens;
use syn::visit::Visit;
use syn::{GenericParam, ItemFn, Type};

use super::ast::{ParamKind, Receiver};
use super::attr::ReceiverAttr;
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &Ctxt, attr: &ReceiverAttr, receiver: &Receiver) {
    check_signature(cx, receiver.item);
    check_params(cx, receiver);
    if let Some(commit) = &attr.on_commit {
        check_on_commit(cx, attr, commit, receiver);
    }
}

/// `on = commit` defers the receiver until the data is committed, so it cannot veto the write (a
/// `pre_*` signal) and the transaction is gone by the time it runs (no `tx`). Other signals are
/// checked by rustc through the `OnCommit` trait.
fn check_on_commit(cx: &Ctxt, attr: &ReceiverAttr, commit: &syn::Ident, receiver: &Receiver) {
    for signal in &attr.signals {
        let Some(last) = signal.segments.last() else {
            continue;
        };
        let name = last.ident.to_string();
        if name.starts_with("pre_") {
            cx.error_spanned_by(
                commit,
                format!(
                    "`on = commit` cannot be used with `{name}`: a `pre_*` receiver runs before the \
                     write and can veto it, so it cannot wait for the commit; use the matching \
                     `post_*` signal"
                ),
            );
        }
    }
    for param in &receiver.params {
        if matches!(param.kind, ParamKind::Field(_)) && param.ident == "tx" {
            cx.error_spanned_by(
                param.ident,
                "an `on = commit` receiver runs after the transaction has committed, so it has \
                 no `tx`: remove the parameter, or drop `on = commit` to write inside the \
                 transaction",
            );
        }
    }
}

fn check_signature(cx: &Ctxt, item: &ItemFn) {
    let sig = &item.sig;
    // An `async fn` is awaited where the signal is sent (`__private::await_receiver`).
    // Generated code calls the receiver from safe code and cannot uphold unknown safety rules.
    if let Some(unsafety) = &sig.unsafety {
        cx.error_spanned_by(
            unsafety,
            "a receiver cannot be an `unsafe fn`: clarion calls it from safe code; make it safe \
             and put the `unsafe` block inside",
        );
    }
    // Each parameter's type must be known to take it from the signal: no type or const generics.
    // Lifetime parameters are fine; they are inferred at the call.
    for param in &sig.generics.params {
        match param {
            GenericParam::Type(_) | GenericParam::Const(_) => cx.error_spanned_by(
                param,
                "a receiver cannot be generic: clarion needs each parameter's concrete type; \
                 remove the type parameter and name the type, like `instance: &User`",
            ),
            GenericParam::Lifetime(_) => {}
        }
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        cx.error_spanned_by(
            where_clause,
            "a receiver cannot have a `where` clause: it must not be generic",
        );
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(variadic, "a receiver cannot be variadic");
    }
}

fn check_params(cx: &Ctxt, receiver: &Receiver) {
    for param in &receiver.params {
        match (&param.kind, strip_parens(param.ty)) {
            // The sender is a small `Copy` value, handed to each receiver by value.
            (ParamKind::Sender, reference @ Type::Reference(_)) => cx.error_spanned_by(
                reference,
                "`sender` is passed by value: write `sender: Sender`",
            ),
            // The argument struct belongs to the caller of `send`; receivers borrow it.
            (ParamKind::Whole, Type::Reference(_)) => {}
            (ParamKind::Whole, other) => {
                let name = match other {
                    Type::Path(path) => path.to_token_stream().to_string().replace(' ', ""),
                    _ => "Args".to_owned(),
                };
                cx.error_spanned_by(
                    other,
                    format!(
                        "`args` borrows the whole argument struct: write `args: &{name}`, or \
                         `args: &mut {name}` to change it"
                    ),
                );
            }
            _ => {}
        }
    }
    // `impl Trait` in argument position is a hidden type parameter.
    for param in &receiver.params {
        let mut finder = ImplTraitFinder(None);
        finder.visit_type(param.ty);
        if let Some(impl_trait) = finder.0 {
            cx.error_spanned_by(
                impl_trait,
                "a receiver parameter cannot be `impl Trait` (that makes the fn generic); name \
                 the argument's type, like `instance: &User`",
            );
        }
    }
    // `args` stands for every argument at once, so only `sender` may stand beside it.
    if receiver
        .params
        .iter()
        .any(|p| matches!(p.kind, ParamKind::Whole))
    {
        for param in &receiver.params {
            if let ParamKind::Field(_) = param.kind {
                cx.error_spanned_by(
                    param.ident,
                    format!(
                        "`{}` is already part of `args`: a receiver takes either the whole \
                         argument struct as `args` (and optionally `sender`), or arguments by name",
                        param.ident
                    ),
                );
            }
        }
    }
}

fn strip_parens(ty: &Type) -> &Type {
    match ty {
        Type::Paren(p) => strip_parens(&p.elem),
        Type::Group(g) => strip_parens(&g.elem),
        other => other,
    }
}

struct ImplTraitFinder<'a>(Option<&'a syn::TypeImplTrait>);

impl<'a> Visit<'a> for ImplTraitFinder<'a> {
    fn visit_type(&mut self, ty: &'a Type) {
        match ty {
            Type::ImplTrait(found) if self.0.is_none() => self.0 = Some(found),
            other => syn::visit::visit_type(self, other),
        }
    }
}

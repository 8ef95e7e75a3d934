//! The receiver fn as clarion sees it: each parameter classified, borrowing the user's tokens.

use syn::{FnArg, Ident, ItemFn, Pat, Type};

use crate::ctxt::Ctxt;

/// Reserved parameter name: the signal's sender.
pub(crate) const SENDER: &str = "sender";
/// Reserved parameter name: the whole argument struct.
pub(crate) const ARGS: &str = "args";

pub(crate) struct Receiver<'a> {
    pub(crate) item: &'a ItemFn,
    pub(crate) params: Vec<Param<'a>>,
}

pub(crate) struct Param<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) kind: ParamKind,
}

pub(crate) enum ParamKind {
    /// `sender: Sender`.
    Sender,
    /// `args: &Args` or `args: &mut Args`: the whole struct.
    Whole,
    /// A signal argument matched by name.
    Field(Borrow),
}

/// How a field parameter takes its argument, read off the parameter's type.
pub(crate) enum Borrow {
    Ref,
    Mut,
    Value,
}

impl<'a> Receiver<'a> {
    /// Classifies the parameters of `item`; a parameter that cannot be matched by name is
    /// reported and left out.
    pub(crate) fn from_fn(cx: &Ctxt, item: &'a ItemFn) -> Receiver<'a> {
        let params = item
            .sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                FnArg::Receiver(this) => {
                    cx.error_spanned_by(
                        this,
                        "`#[receiver]` goes on a free `fn`, not a method: `self` has no signal \
                         argument to match; move the fn out of the `impl` block",
                    );
                    None
                }
                FnArg::Typed(typed) => match &*typed.pat {
                    Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                        let ident = &pat.ident;
                        let kind = match ident.to_string().as_str() {
                            SENDER => ParamKind::Sender,
                            ARGS => ParamKind::Whole,
                            _ => ParamKind::Field(borrow_of(&typed.ty)),
                        };
                        Some(Param {
                            ident,
                            ty: &typed.ty,
                            kind,
                        })
                    }
                    other => {
                        cx.error_spanned_by(
                            other,
                            "a receiver parameter must be a plain name that matches a signal \
                             argument, like `created: bool`; patterns are not supported",
                        );
                        None
                    }
                },
            })
            .collect();
        Receiver { item, params }
    }
}

fn borrow_of(ty: &Type) -> Borrow {
    match ty {
        Type::Reference(r) if r.mutability.is_some() => Borrow::Mut,
        Type::Reference(_) => Borrow::Ref,
        Type::Paren(p) => borrow_of(&p.elem),
        Type::Group(g) => borrow_of(&g.elem),
        _ => Borrow::Value,
    }
}

/// The referent of a reference type (`T` in `&T`), or the type itself.
pub(crate) fn referent(ty: &Type) -> &Type {
    match ty {
        Type::Reference(r) => &r.elem,
        Type::Paren(p) => referent(&p.elem),
        Type::Group(g) => referent(&g.elem),
        other => other,
    }
}

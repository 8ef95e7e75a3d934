//! Checks of `#[proxy]` and its struct. Each check says which rule it enforces.

use syn::{Data, DeriveInput, Fields, Type};

use super::attr::ProxyAttrs;
use crate::ctxt::Ctxt;
use crate::tokens::starts_with_literal;

/// Checks the attribute and the struct; returns the parent model's type if `of` names one.
pub(crate) fn check(cx: &Ctxt, input: &DeriveInput, attrs: &ProxyAttrs) -> Option<Type> {
    check_struct(cx, input);
    // Rule: `of` is required and names a type (rustc then checks that it is a model, with the
    // `Model` trait's "not a model" message at the type).
    let Some(of) = &attrs.of else {
        cx.error_spanned_by(
            &input.ident,
            format!(
                "`#[proxy]` needs the model it proxies: `#[proxy(of = User)] {}`",
                unit_struct(input)
            ),
        );
        return None;
    };
    if starts_with_literal(&of.value) {
        cx.error_spanned_by(
            &of.value,
            "`of` takes the model's type, not a string: write `of = User`",
        );
        return None;
    }
    match syn::parse2::<Type>(of.value.clone()) {
        // Rule: a proxy's parent is another model. `Self` or the proxy's own name would make
        // the struct contain itself.
        Ok(ty) if names_itself(&ty, &input.ident) => {
            cx.error_spanned_by(
                &ty,
                format!(
                    "a proxy cannot be a proxy of itself: name the model `{}` reads and writes, \
                     like `#[proxy(of = User)]`",
                    input.ident
                ),
            );
            None
        }
        Ok(ty) => Some(ty),
        Err(_) => {
            cx.error_spanned_by(&of.value, "`of` takes the model's type, like `of = User`");
            None
        }
    }
}

fn check_struct(cx: &Ctxt, input: &DeriveInput) {
    // Rule: a proxy is a struct (the parent's row is what it holds).
    let fields = match &input.data {
        Data::Struct(data) => &data.fields,
        Data::Enum(data) => {
            cx.error_spanned_by(
                data.enum_token,
                "`#[proxy]` goes on a unit struct, not an enum: `pub struct Staff;`",
            );
            return;
        }
        Data::Union(data) => {
            cx.error_spanned_by(
                data.union_token,
                "`#[proxy]` goes on a unit struct, not a union: `pub struct Staff;`",
            );
            return;
        }
    };
    // Rule: no fields of its own. A proxy has exactly its parent's fields (Django: "proxy
    // models cannot have fields"); data of its own would have no column to live in.
    let own: Vec<_> = match fields {
        Fields::Unit => Vec::new(),
        Fields::Named(named) => named.named.iter().collect(),
        Fields::Unnamed(unnamed) => unnamed.unnamed.iter().collect(),
    };
    for field in own {
        let what = match &field.ident {
            Some(ident) => format!("`{ident}`"),
            None => "this field".to_owned(),
        };
        cx.error_spanned_by(
            field,
            format!(
                "a proxy model cannot declare fields: it has its parent's fields; add {what} to \
                 the parent model, or write `{}`",
                unit_struct(input)
            ),
        );
    }
    // Rule: no generics; a model is one table, its proxy one type.
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        cx.error_spanned_by(
            &input.generics,
            "a proxy model cannot be generic: it names one model's table",
        );
    }
}

/// `pub struct Staff;`: the declaration a proxy takes, for messages.
fn unit_struct(input: &DeriveInput) -> String {
    let vis = quote::ToTokens::to_token_stream(&input.vis)
        .to_string()
        .replace(" (", "(");
    if vis.is_empty() {
        format!("struct {};", input.ident)
    } else {
        format!("{vis} struct {};", input.ident)
    }
}

/// Whether `ty` is `Self` or a path ending in the proxy's own name.
fn names_itself(ty: &Type, ident: &syn::Ident) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last().is_some_and(|last| {
            last.arguments.is_empty() && (last.ident == *ident || last.ident == "Self")
        }),
        Type::Group(group) => names_itself(&group.elem, ident),
        Type::Paren(paren) => names_itself(&paren.elem, ident),
        _ => false,
    }
}

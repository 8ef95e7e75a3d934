//! The model as clarion sees it: the struct's fields with their options, borrowing the user's
//! tokens so that validation and expansion can point at them.

use heck::ToShoutySnakeCase;
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, Ident, Type, Visibility};

use super::attr::{FieldAttrs, StructAttrs};
use crate::ctxt::Ctxt;

pub(crate) struct Model<'a> {
    pub(crate) input: &'a DeriveInput,
    pub(crate) attrs: StructAttrs,
    /// The fields in declaration order.
    pub(crate) fields: Vec<Field<'a>>,
    /// Whether the input is a struct with named fields; the error was reported if not.
    pub(crate) named: bool,
}

pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) vis: &'a Visibility,
    pub(crate) attrs: FieldAttrs,
}

const NAMED_FIELDS: &str = "`Model` can only be derived for a struct with named fields, one per \
     column, like `struct Article { id: Option<i64>, title: String }`";

impl<'a> Model<'a> {
    /// Reads the struct and its `#[model]` attributes, recording every problem in `cx`.
    pub(crate) fn from_input(cx: &Ctxt, input: &'a DeriveInput) -> Model<'a> {
        let attrs = StructAttrs::parse(cx, &input.attrs);
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(fields) => fields
                    .named
                    .iter()
                    .filter_map(|field| {
                        Some(Field {
                            ident: field.ident.as_ref()?,
                            ty: &field.ty,
                            vis: &field.vis,
                            attrs: FieldAttrs::parse(cx, &field.attrs),
                        })
                    })
                    .collect(),
                Fields::Unnamed(fields) => {
                    cx.error_spanned_by(fields, NAMED_FIELDS);
                    Vec::new()
                }
                Fields::Unit => {
                    cx.error_spanned_by(&input.ident, NAMED_FIELDS);
                    Vec::new()
                }
            },
            Data::Enum(data) => {
                cx.error_spanned_by(data.enum_token, NAMED_FIELDS);
                Vec::new()
            }
            Data::Union(data) => {
                cx.error_spanned_by(data.union_token, NAMED_FIELDS);
                Vec::new()
            }
        };
        let named = matches!(
            &input.data,
            Data::Struct(data) if matches!(data.fields, Fields::Named(_))
        );
        Model {
            input,
            attrs,
            fields,
            named,
        }
    }

    /// The struct's name as written, without `r#`.
    pub(crate) fn name(&self) -> String {
        self.input.ident.unraw().to_string()
    }

    /// The table: `#[model(table = "…")]`, or the struct's name in snake_case.
    pub(crate) fn table(&self) -> String {
        match &self.attrs.table {
            Some(table) => table.value.value(),
            None => heck::ToSnakeCase::to_snake_case(self.name().as_str()),
        }
    }
}

impl Field<'_> {
    /// The field's name without `r#`: what `update_fields`, fixtures and `Instance::get` use.
    pub(crate) fn name(&self) -> String {
        self.ident.unraw().to_string()
    }

    /// The column: `#[model(db_column = "…")]`, or the field's name (with `_id` appended for a
    /// foreign key, as Django names it).
    pub(crate) fn column(&self) -> String {
        match &self.attrs.db_column {
            Some(column) => column.value.value(),
            None if self.foreign_key().is_some() => format!("{}_id", self.name()),
            None => self.name(),
        }
    }

    /// For a field written `ForeignKey<T>` or `Option<ForeignKey<T>>`: `T`, and whether the
    /// key is nullable.
    pub(crate) fn foreign_key(&self) -> Option<(&Type, bool)> {
        if let Some(target) = generic_arg(self.ty, "ForeignKey") {
            return Some((target, false));
        }
        let inner = generic_arg(self.ty, "Option")?;
        generic_arg(inner, "ForeignKey").map(|target| (target, true))
    }

    /// The name of the field's column handle, `TITLE` for `title`; `None` if it is not an
    /// identifier (a field name that is only underscores and digits after conversion).
    pub(crate) fn handle(&self) -> Option<Ident> {
        let name = self.name().to_shouty_snake_case();
        syn::parse_str::<Ident>(&name).ok().map(|mut ident| {
            ident.set_span(self.ident.span());
            ident
        })
    }
}

/// Whether `ty` is written `Name<Arg>` (any path to them) with `Name` and `Arg` the last path
/// segments given: `Option<i64>`, `::core::option::Option<::core::primitive::i64>`.
pub(crate) fn is_generic(ty: &Type, name: &str, arg: impl Fn(&Type) -> bool) -> bool {
    let Some(segment) = last_segment(ty) else {
        return false;
    };
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return false;
    };
    segment.ident == name
        && args.args.len() == 1
        && matches!(args.args.first(), Some(syn::GenericArgument::Type(inner)) if arg(inner))
}

/// `Arg` of a type written `Name<Arg>` (any path to `Name`).
pub(crate) fn generic_arg<'t>(ty: &'t Type, name: &str) -> Option<&'t Type> {
    let segment = last_segment(ty)?;
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    if segment.ident != name || args.args.len() != 1 {
        return None;
    }
    match args.args.first() {
        Some(syn::GenericArgument::Type(inner)) => Some(inner),
        _ => None,
    }
}

/// Whether `ty` is a path whose last segment is `name` without arguments: `String`,
/// `std::string::String`.
pub(crate) fn is_plain(ty: &Type, name: &str) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == name && s.arguments.is_none())
}

/// The last identifier of a type's path: `Tag` for `crate::blog::Tag`.
pub(crate) fn last_ident(ty: &Type) -> Option<&Ident> {
    last_segment(ty).map(|segment| &segment.ident)
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        Type::Group(group) => last_segment(&group.elem),
        Type::Paren(paren) => last_segment(&paren.elem),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use syn::Type;

    use super::{is_generic, is_plain};

    fn ty(text: &str) -> Type {
        syn::parse_str(text).unwrap()
    }

    #[test]
    fn types_are_recognised_by_their_last_segments() {
        let auto = |text: &str| is_generic(&ty(text), "Option", |inner| is_plain(inner, "i64"));
        assert!(auto("Option<i64>"));
        assert!(auto("::core::option::Option<::core::primitive::i64>"));
        assert!(!auto("Option<i32>"));
        assert!(!auto("i64"));
        assert!(!auto("Option<Option<i64>>"));
        assert!(!auto("<T as Trait>::Option<i64>"));

        assert!(is_plain(&ty("std::string::String"), "String"));
        assert!(!is_plain(&ty("String<u8>"), "String"));
        assert!(!is_plain(&ty("&String"), "String"));
    }
}

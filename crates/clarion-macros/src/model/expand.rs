//! Code generation for `#[derive(Model)]`: what `tests/support/manual_model.rs` writes by hand,
//! plus a typed column handle per field.
//!
//! Spans decide where rustc reports a problem:
//! - each field's type is used as `<Type as FieldType>`, with the user's tokens, so that a type
//!   that is no field type is reported at the field's type, once (`__get`, `__set` and
//!   `__from_row` repeat `META`'s error word for word, which rustc prints once);
//! - a `default` is bound to a local of the field's type, so a value of another type is reported
//!   at the expression, with "expected due to this" at the field's type;
//! - the `impl Model` (which needs `Send + 'static`) names the struct with its own span.

use std::collections::HashSet;

use proc_macro2::{Delimiter, Literal, Spacing, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::ast::{Field, Model};
use super::valid::PrimaryKey;
use crate::paths;

/// The model's `META`, `impl Model`, registration and column handles.
pub(crate) fn expand(model: &Model, pk: &PrimaryKey) -> TokenStream {
    let private = paths::private();
    let ident = &model.input.ident;
    let meta = meta(model, pk);
    let usize = quote!(::core::primitive::usize);
    let result = quote!(::core::result::Result);

    let indices = (0..model.fields.len()).map(Literal::usize_unsuffixed);
    let get_arms = model
        .fields
        .iter()
        .zip(indices.clone())
        .map(|(field, index)| {
            let (member, ty) = (field.ident, field.ty);
            quote!(#index => <#ty as #private::FieldType>::to_value(&self.#member),)
        });
    // Each field is shown with what is known of it as constants, so that a visitor's checks
    // (the key to skip, a `max_length` to enforce) fold away where they do not apply.
    let each_value =
        model
            .fields
            .iter()
            .enumerate()
            .zip(indices.clone())
            .map(|((position, field), index)| {
                let (member, ty) = (field.ident, field.ty);
                let primary_key = position == pk.index;
                let max_length = max_length(field);
                quote! {
                    #private::FieldVisitor::visit(
                        __clarion_visitor,
                        #private::VisitedField {
                            index: #index,
                            primary_key: #primary_key,
                            max_length: #max_length,
                        },
                        <#ty as #private::FieldType>::to_value(&self.#member),
                    )?;
                }
            });
    let set_arms = model.fields.iter().zip(indices.clone()).map(|(field, index)| {
        let (member, ty) = (field.ident, field.ty);
        quote!(#index => self.#member = <#ty as #private::FieldType>::from_value(__clarion_value)?,)
    });
    let from_row = model.fields.iter().zip(indices).map(|(field, index)| {
        let (member, ty) = (field.ident, field.ty);
        quote!(#member: #private::field_from_row_by::<Self, #ty>(
            __clarion_row,
            #index,
            <#ty as #private::FieldType>::from_value,
        )?,)
    });
    let handles = handles(model);
    let key_type = {
        let key = &model.fields[pk.index];
        if pk.auto {
            quote!(::core::primitive::i64)
        } else {
            key.ty.to_token_stream()
        }
    };
    let relations = relation_impls(model);
    let relation_items = relation_items(model);
    // The write path sets an auto key on every insert: a plain assignment, not `__set`'s match.
    let set_auto_key = pk.auto.then(|| {
        let key = &model.fields[pk.index];
        let (member, ty) = (key.ident, key.ty);
        quote! {
            #[inline]
            fn __set_auto_key(
                &mut self,
                __clarion_id: ::core::primitive::i64,
            ) -> #result<(), #private::FieldError> {
                self.#member = <#ty as #private::FieldType>::from_value(
                    #private::ValueRef::Int(__clarion_id),
                )?;
                #result::Ok(())
            }
        }
    });

    let stamp = stamp(model);
    // The default ordering, checked where the user wrote it: a column of another model does not
    // compile.
    let ordering = model.attrs.ordering.as_ref().map(|ordering| {
        let value = &ordering.value;
        let keys = quote_spanned!(value.span()=> #private::ordering::<Self>(#value));
        quote! {
            fn __ordering() -> ::std::vec::Vec<#private::OrderBy<Self>> {
                #keys
            }
        }
    });

    quote! {
        const _: () = {
            #meta

            #[automatically_derived]
            impl ::clarion::Model for #ident {
                const META: &'static #private::ModelMeta = &__CLARION_META;
                type Concrete = Self;
                type Key = #key_type;

                fn __get(&self, __clarion_field: #usize) -> #private::ValueRef<'_> {
                    match __clarion_field {
                        #(#get_arms)*
                        _ => #private::ValueRef::Null,
                    }
                }

                #[inline]
                fn __each_value<__ClarionV: #private::FieldVisitor>(
                    &self,
                    __clarion_visitor: &mut __ClarionV,
                ) -> #result<(), <__ClarionV as #private::FieldVisitor>::Error> {
                    #(#each_value)*
                    #result::Ok(())
                }

                #set_auto_key

                #stamp

                #ordering

                fn __set(
                    &mut self,
                    __clarion_field: #usize,
                    __clarion_value: #private::ValueRef<'_>,
                ) -> #result<(), #private::FieldError> {
                    match __clarion_field {
                        #(#set_arms)*
                        _ => {}
                    }
                    #result::Ok(())
                }

                fn __from_row(__clarion_row: &dyn #private::Row) -> #result<Self, #private::Error> {
                    #result::Ok(Self {
                        #(#from_row)*
                    })
                }
            }

            #private::inventory::submit! { #private::ModelRegistration::__new::<#ident>() }

            #relations
        };
        #handles
        #relation_items
    }
}

/// `__STAMPS`, `__AUTO_NOW` and `__stamp` for a model with `auto_now`/`auto_now_add` fields;
/// nothing otherwise (the trait's defaults do nothing). Each field's `AutoNow` bound is spanned
/// on its type, so that a field of another type is reported there.
fn stamp(model: &Model) -> Option<TokenStream> {
    let private = paths::private();
    let mut auto_now = Vec::new();
    let mut assignments = Vec::new();
    for (index, field) in model.fields.iter().enumerate() {
        let (member, ty) = (field.ident, field.ty);
        let value = quote_spanned!(ty.span()=>
            <#ty as #private::AutoNow>::auto_now(__clarion_now)
        );
        if field.attrs.auto_now.is_some() {
            auto_now.push(Literal::usize_unsuffixed(index));
            assignments.push(quote!(self.#member = #value;));
        } else if field.attrs.auto_now_add.is_some() {
            assignments.push(quote! {
                if __clarion_adding {
                    self.#member = #value;
                }
            });
        }
    }
    if assignments.is_empty() {
        return None;
    }
    Some(quote! {
        const __STAMPS: ::core::primitive::bool = true;
        const __AUTO_NOW: &'static [::core::primitive::usize] = &[#(#auto_now),*];

        fn __stamp(
            &mut self,
            __clarion_now: #private::SystemTime,
            __clarion_adding: ::core::primitive::bool,
        ) {
            #(#assignments)*
        }
    })
}

/// What is emitted when the model has errors: an `impl Model` that is never run (the crate does
/// not compile) and the column handles, so that code using the model reports no errors of its
/// own; and the field type checks, so that their errors come in the same build.
///
/// A generic input gets neither: an impl would need its parameters, whose problem was reported.
pub(crate) fn fallback(model: &Model) -> TokenStream {
    if !model.input.generics.params.is_empty() || model.input.generics.where_clause.is_some() {
        return TokenStream::new();
    }
    let private = paths::private();
    let ident = &model.input.ident;
    let (name, app_label, label, table) = names(model);
    let assertions = assertions(model);
    let handles = handles(model);
    let relation_types = relation_types(model);
    let usize = quote!(::core::primitive::usize);
    let result = quote!(::core::result::Result);
    quote! {
        #relation_types
        const _: () = {
            static __CLARION_META: #private::ModelMeta =
                #private::ModelMeta::__new(#name, #app_label, #label, #table, &[], 0);
            #assertions

            #[automatically_derived]
            impl ::clarion::Model for #ident {
                const META: &'static #private::ModelMeta = &__CLARION_META;
                type Concrete = Self;
                type Key = ::core::primitive::i64;

                fn __get(&self, _: #usize) -> #private::ValueRef<'_> {
                    ::core::unreachable!()
                }

                fn __set(
                    &mut self,
                    _: #usize,
                    _: #private::ValueRef<'_>,
                ) -> #result<(), #private::FieldError> {
                    ::core::unreachable!()
                }

                fn __from_row(_: &dyn #private::Row) -> #result<Self, #private::Error> {
                    ::core::unreachable!()
                }
            }
        };
        #handles
    }
}

/// `static __CLARION_META` and the fns of the fields' defaults.
fn meta(model: &Model, pk: &PrimaryKey) -> TokenStream {
    let private = paths::private();
    let (name, app_label, label, table) = names(model);
    let pk_index = Literal::usize_unsuffixed(pk.index);
    let mut defaults = Vec::new();
    let fields = model.fields.iter().enumerate().map(|(index, field)| {
        let is_pk = index == pk.index;
        let default = match &field.attrs.default {
            Some(default) => {
                let function = format_ident!("__clarion_default_{index}");
                defaults.push(default_fn(&function, field, &default.value));
                quote!(::core::option::Option::Some(#function))
            }
            None => quote!(::core::option::Option::None),
        };
        let meta = field_meta(field, is_pk, is_pk && pk.auto, default);
        match (field.foreign_key(), &field.attrs.on_delete) {
            (Some((target, _)), Some(rule)) => {
                let function = format_ident!("__clarion_target_{index}");
                defaults.push(quote! {
                    fn #function() -> &'static #private::ModelMeta {
                        <#target as ::clarion::Model>::META
                    }
                });
                let variant = syn::Ident::new(rule.value.1, rule.value.0.span());
                quote! {
                    #meta.__related(#private::Related::__new(
                        #function,
                        #private::OnDelete::#variant,
                    ))
                }
            }
            _ => meta,
        }
    });
    let fields: Vec<TokenStream> = fields.collect();
    let relations: Vec<TokenStream> = (0..model.attrs.many_to_many.len())
        .map(|index| {
            let name = format_ident!("__CLARION_M2M_{index}");
            quote!(&#name)
        })
        .collect();
    let with_relations =
        (!relations.is_empty()).then(|| quote!(.__with_many_to_many(&[#(#relations),*])));
    quote! {
        static __CLARION_META: #private::ModelMeta = #private::ModelMeta::__new(
            #name,
            #app_label,
            #label,
            #table,
            &[#(#fields),*],
            #pk_index,
        )#with_relations;
        #(#defaults)*
    }
}

/// The name of the type of relation `name` of `model`: `PostTags` for `tags` of `Post`.
fn relation_type(model: &Model, name: &syn::Ident) -> syn::Ident {
    use heck::ToUpperCamelCase;
    let field = syn::ext::IdentExt::unraw(name).to_string();
    syn::Ident::new(
        &format!("{}{}", model.name(), field.to_upper_camel_case()),
        name.span(),
    )
}

/// The relation types, declared: `pub struct PostTags;`.
fn relation_types(model: &Model) -> TokenStream {
    let vis = &model.input.vis;
    // A name given twice was reported; its type is declared once.
    let mut seen = HashSet::new();
    let types = model.attrs.many_to_many.iter().filter_map(|relation| {
        let ty = relation_type(model, &relation.name);
        if !seen.insert(ty.to_string()) {
            return None;
        }
        let target = type_name(&relation.target.to_token_stream());
        let field = syn::ext::IdentExt::unraw(&relation.name).to_string();
        let doc = format!(
            "The many-to-many relation `{}.{field}` to `{target}` (Django's `{}.{field}.through`): \
             its join table, and the sender of its `m2m_changed`.",
            model.name(),
            model.name(),
        );
        Some(quote! {
            #[doc = #doc]
            #[derive(Clone, Copy, Debug)]
            #vis struct #ty;
        })
    });
    quote!(#(#types)*)
}

/// The relation types and the model's methods for them: `post.tags()`.
fn relation_items(model: &Model) -> TokenStream {
    if model.attrs.many_to_many.is_empty() {
        return TokenStream::new();
    }
    let private = paths::private();
    let ident = &model.input.ident;
    let vis = &model.input.vis;
    let types = relation_types(model);
    let methods = model.attrs.many_to_many.iter().map(|relation| {
        let ty = relation_type(model, &relation.name);
        let (name, target) = (&relation.name, &relation.target);
        let doc = format!(
            "The `{}` related through `{}` (Django's `{}.{}`): add, remove, clear, set, \
             create and query them.",
            type_name(&target.to_token_stream()),
            syn::ext::IdentExt::unraw(name),
            model.name().to_lowercase(),
            syn::ext::IdentExt::unraw(name),
        );
        quote! {
            #[doc = #doc]
            #vis fn #name(&mut self) -> #private::ManyRelated<'_, Self, #target> {
                <#ty as #private::ManyToManyRelation>::forward(self)
            }
        }
    });
    quote! {
        #types
        #[allow(dead_code)]
        impl #ident {
            #(#methods)*
        }
    }
}

/// Inside the model's `const _`: each relation's `static` description and its
/// `ManyToManyRelation` impl.
fn relation_impls(model: &Model) -> TokenStream {
    let private = paths::private();
    let ident = &model.input.ident;
    let (_, app_label, _, table) = names(model);
    let model_name = model.name().to_lowercase();
    let impls = model
        .attrs
        .many_to_many
        .iter()
        .enumerate()
        .map(|(index, relation)| {
            let ty = relation_type(model, &relation.name);
            let target = &relation.target;
            let field = syn::ext::IdentExt::unraw(&relation.name).to_string();
            let join = format!("{table}_{field}");
            let label_tail = format!(".{model_name}_{field}");
            let target_name = super::ast::last_ident(target)
                .map(|ident| syn::ext::IdentExt::unraw(ident).to_string().to_lowercase())
                .unwrap_or_else(|| "target".to_owned());
            let (source_column, target_column) = if target_name == model_name {
                (
                    format!("from_{model_name}_id"),
                    format!("to_{target_name}_id"),
                )
            } else {
                (format!("{model_name}_id"), format!("{target_name}_id"))
            };
            let static_name = format_ident!("__CLARION_M2M_{index}");
            // Django's default for a relation of a model to itself with an auto-created join
            // table: each row added is also added the other way round.
            let to_itself = super::ast::last_ident(target).is_some_and(|t| *t == *ident);
            let symmetrical = (to_itself
                && relation.through.is_none()
                && relation
                    .symmetrical
                    .as_ref()
                    .is_none_or(|(_, value)| value.value))
            .then(|| quote!(.__symmetrical()));
            // With a `through` model: its two keys, by their column handles, type-checked to
            // point at this model and at the related one; and its sender as the relation's parent.
            let (through, sender) = match &relation.through {
                Some(through) => through_tokens(model, relation, through),
                None => (quote!(;), TokenStream::new()),
            };
            // A custom `through` model also sends the relation's `m2m_changed`, so
            // `#[receiver(m2m_changed, sender = Through)]` is accepted.
            let through_sends = relation.through.as_ref().map(|through| {
                quote! {
                    #[automatically_derived]
                    impl #private::M2mSender<#ty> for #through {}
                }
            });
            quote! {
                static #static_name: #private::ManyToManyMeta = #private::ManyToManyMeta::__new(
                    #field,
                    ::core::concat!(#app_label, #label_tail),
                    #join,
                    #source_column,
                    #target_column,
                    || <#ident as ::clarion::Model>::META,
                    || <#target as ::clarion::Model>::META,
                    <#ty as #private::ManyToManyRelation>::sender,
                )#symmetrical #through

                #[automatically_derived]
                impl #private::ManyToManyRelation for #ty {
                    type Source = #ident;
                    type Target = #target;
                    const META: &'static #private::ManyToManyMeta = &#static_name;
                    #sender
                }
                #through_sends
            }
        });
    quote!(#(#impls)*)
}

/// For a relation `through` a model of the user's: the builder call and type checks that end
/// the relation's `static`, and the relation's `sender`.
fn through_tokens(
    model: &Model,
    relation: &super::attr::ManyToMany,
    through: &syn::Type,
) -> (TokenStream, TokenStream) {
    use heck::{ToShoutySnakeCase, ToSnakeCase};
    let private = paths::private();
    let ident = &model.input.ident;
    let target = &relation.target;
    let handle = |name: String, span: Span| {
        syn::Ident::new(&name.to_snake_case().to_shouty_snake_case(), span)
    };
    // The keys by `through_fields`, or named after the two models in snake_case.
    let (source_key, target_key) = match &relation.through_fields {
        Some((_, source, target)) => (
            handle(syn::ext::IdentExt::unraw(source).to_string(), source.span()),
            handle(syn::ext::IdentExt::unraw(target).to_string(), target.span()),
        ),
        None => (
            handle(model.name(), relation.name.span()),
            handle(
                super::ast::last_ident(target)
                    .map(|i| syn::ext::IdentExt::unraw(i).to_string())
                    .unwrap_or_default(),
                relation.name.span(),
            ),
        ),
    };
    // Each check stands at the key's name (or the relation's, for a key named by default), so
    // that a key missing or of the wrong type is reported there.
    let check = |key: &syn::Ident, model: &dyn quote::ToTokens| {
        let column = quote_spanned!(key.span()=> #private::Column);
        let foreign_key = quote_spanned!(key.span()=> #private::ForeignKey);
        quote_spanned! {key.span()=>
            let _: #column<#through, #foreign_key<#model>> = <#through>::#key;
        }
    };
    let (source_check, target_check) = (check(&source_key, ident), check(&target_key, target));
    let with = quote! {
        .__through(
            || <#through as ::clarion::Model>::META,
            <#through>::#source_key.index(),
            <#through>::#target_key.index(),
        );
        const _: () = {
            #source_check
            #target_check
        };
    };
    let sender = quote! {
        fn sender() -> #private::Sender {
            const PARENTS: &[#private::Sender] = &[#private::Sender::of::<#through>()];
            #private::Sender::with_parents::<Self>(PARENTS)
        }
    };
    (with, sender)
}

/// The struct's name, its app label, its label and its table, as expressions of `&'static str`.
fn names(model: &Model) -> (String, TokenStream, TokenStream, String) {
    let name = model.name();
    let model_name = name.to_lowercase();
    let (app_label, label) = match &model.attrs.app_label {
        Some(app_label) => {
            let value = app_label.value.value();
            let label = format!("{}.{model_name}", value.to_lowercase());
            (quote!(#value), quote!(#label))
        }
        // Built by `concat!`, as the crate's name is only known to the compiler.
        None => (
            quote!(::core::env!("CARGO_CRATE_NAME")),
            quote!(::core::concat!(::core::env!("CARGO_CRATE_NAME"), ".", #model_name)),
        ),
    };
    (name, app_label, label, model.table())
}

fn field_meta(field: &Field, primary_key: bool, auto: bool, default: TokenStream) -> TokenStream {
    let private = paths::private();
    let ty = field.ty;
    let name = field.name();
    let column = field.column();
    let rust_type = type_name(&ty.to_token_stream());
    let unique = field.attrs.unique.is_some();
    let index = field.attrs.index.is_some();
    let max_length = max_length(field);
    quote! {
        #private::FieldMeta::__new(
            #name,
            #column,
            <#ty as #private::FieldType>::COLUMN,
            #rust_type,
            <#ty as #private::FieldType>::NULLABLE,
            #primary_key,
            #auto,
            #unique,
            #index,
            #max_length,
            #default,
        )
    }
}

/// The field's `max_length`, as an `Option<usize>` expression.
fn max_length(field: &Field) -> TokenStream {
    match &field.attrs.max_length {
        Some(max_length) => {
            let value = Literal::usize_unsuffixed(max_length.value.1);
            quote!(::core::option::Option::Some(#value))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// `fn __clarion_default_N() -> Value`: the expression, bound to the field's type so that a
/// value of another type is reported at the expression.
fn default_fn(function: &syn::Ident, field: &Field, expr: &syn::Expr) -> TokenStream {
    let private = paths::private();
    let ty = field.ty;
    // Out of reach of the user's expression.
    let value = syn::Ident::new("__clarion_value", Span::mixed_site());
    quote! {
        fn #function() -> #private::Value {
            let #value: #ty = #expr;
            #private::FieldType::to_value(&#value).to_owned()
        }
    }
}

/// A check per field that its type is a `FieldType`, for the fallback, which has no `META` to
/// check it: rustc reports `<Type as FieldType>` at the type, underlined whole, with no note
/// pointing into the expansion.
///
/// The full expansion needs no such check: `<Type as FieldType>::COLUMN` in `META` is the
/// same, and rustc reports the identical errors of `__get` and `__set` once.
fn assertions(model: &Model) -> TokenStream {
    let private = paths::private();
    // A type validation reported with its own hint is not checked again.
    let checks = model
        .fields
        .iter()
        .filter(|field| super::valid::unsupported_type(field.ty).is_none())
        .map(|field| {
            let ty = field.ty;
            quote!(const _: ::core::primitive::bool = <#ty as #private::FieldType>::NULLABLE;)
        });
    quote!(#(#checks)*)
}

/// `impl Article { pub const TITLE: Column<Article, String> = …; }`, one const per field with
/// the field's visibility. A field whose handle is not a fresh identifier (reported by
/// validation) gets none.
fn handles(model: &Model) -> TokenStream {
    let private = paths::private();
    let ident = &model.input.ident;
    let model_name = model.name();
    let table = model.table();
    let mut seen = HashSet::new();
    let consts = model
        .fields
        .iter()
        .enumerate()
        .filter_map(|(index, field)| {
            let handle = field.handle()?;
            if handle == "META" || !seen.insert(handle.to_string()) {
                return None;
            }
            let vis = field.vis;
            let ty = field.ty;
            let index = Literal::usize_unsuffixed(index);
            let doc = format!(
                "The column of the field `{}` of `{model_name}` (`{table}.{}`), for filters and \
                 ordering.",
                field.name(),
                field.column(),
            );
            Some(quote! {
                #[doc = #doc]
                #vis const #handle: #private::Column<Self, #ty> = #private::Column::__new(#index);
            })
        })
        .collect::<Vec<_>>();
    if consts.is_empty() {
        return TokenStream::new();
    }
    quote! {
        // Unused handles of private fields are not dead code the user wrote.
        #[allow(dead_code)]
        impl #ident {
            #(#consts)*
        }
    }
}

/// A type as written, spaced as rustfmt would: `Option<i64>`, `&'static str`, `[u8; 4]`.
pub(crate) fn type_name(tokens: &TokenStream) -> String {
    let mut out = String::new();
    write_tokens(&mut out, tokens.clone());
    out
}

fn write_tokens(out: &mut String, tokens: TokenStream) {
    // Whether the last token was a word (an identifier or literal): two words need a space.
    let mut after_word = false;
    // Joint punctuation (`::`, `->`) is written once complete.
    let mut operator = String::new();
    for tt in tokens {
        if !matches!(tt, TokenTree::Punct(_)) {
            flush(out, &mut operator);
        }
        match tt {
            TokenTree::Punct(punct) if punct.as_char() == '\'' => {
                flush(out, &mut operator);
                out.push('\'');
                after_word = false;
            }
            TokenTree::Punct(punct) => {
                operator.push(punct.as_char());
                if punct.spacing() == Spacing::Alone {
                    flush(out, &mut operator);
                }
                after_word = false;
            }
            TokenTree::Ident(_) | TokenTree::Literal(_) => {
                if after_word {
                    out.push(' ');
                }
                out.push_str(&tt.to_string());
                after_word = true;
            }
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::None => ("", ""),
                };
                out.push_str(open);
                write_tokens(out, group.stream());
                let trimmed = out.trim_end().len();
                out.truncate(trimmed);
                out.push_str(close);
                after_word = group.delimiter() == Delimiter::None;
            }
        }
    }
    flush(out, &mut operator);
}

fn flush(out: &mut String, operator: &mut String) {
    match operator.as_str() {
        "" => {}
        "," | ";" => {
            out.push_str(operator);
            out.push(' ');
        }
        "->" | "=" | "+" | "=>" => {
            let trimmed = out.trim_end().len();
            out.truncate(trimmed);
            out.push(' ');
            out.push_str(operator);
            out.push(' ');
        }
        _ => out.push_str(operator),
    }
    operator.clear();
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::type_name;

    #[test]
    fn types_print_as_written() {
        let cases = [
            (quote!(Option<i64>), "Option<i64>"),
            (quote!(::std::vec::Vec<u8>), "::std::vec::Vec<u8>"),
            (quote!(Option<Vec<Vec<u8>>>), "Option<Vec<Vec<u8>>>"),
            (quote!(&'static mut str), "&'static mut str"),
            (quote!([u8; 4]), "[u8; 4]"),
            (quote!((i32, i64)), "(i32, i64)"),
            (
                quote!(Box<dyn Fn(u8) -> u8 + Send>),
                "Box<dyn Fn(u8) -> u8 + Send>",
            ),
            (quote!(Iter<Item = u8>), "Iter<Item = u8>"),
        ];
        for (tokens, expected) in cases {
            assert_eq!(type_name(&tokens), expected);
        }
    }
}

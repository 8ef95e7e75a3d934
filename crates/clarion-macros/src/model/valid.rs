//! The rules a model must follow. Each check states its rule. Field types are left to rustc,
//! through the `FieldType` bound the expansion puts on each field's type.

use std::collections::HashMap;

use quote::ToTokens;

use super::ast::{Field, Model, generic_arg, is_generic, is_plain};
use crate::ctxt::Ctxt;

/// The primary key, as the rules decide it.
pub(crate) struct PrimaryKey {
    /// Its index among the fields.
    pub(crate) index: usize,
    /// Whether the database assigns it: an `Option<i64>` key, `None` until the first save.
    pub(crate) auto: bool,
}

/// Checks `model`; returns its primary key if it has exactly one.
pub(crate) fn check(cx: &Ctxt, model: &Model) -> Option<PrimaryKey> {
    check_generics(cx, model);
    check_names(cx, model);
    for field in &model.fields {
        check_max_length(cx, field);
        check_auto_now(cx, field);
        if let Some(hint) = unsupported_type(field.ty) {
            cx.error_spanned_by(field.ty, hint);
        }
    }
    check_columns(cx, model);
    check_handles(cx, model);
    for field in &model.fields {
        check_relation(cx, field);
    }
    check_many_to_many(cx, model);
    if model.named {
        primary_key(cx, model)
    } else {
        None
    }
}

fn check_generics(cx: &Ctxt, model: &Model) {
    // A model is one table with fixed column types, registered once at link time: there is no
    // `Article<T>` to register, and the `Model` trait needs `'static`.
    let generics = &model.input.generics;
    for param in &generics.params {
        cx.error_spanned_by(
            param,
            "a model cannot have generic or lifetime parameters: it is one table with fixed \
             column types; remove the parameter and name the field types, owning their data",
        );
    }
    if let Some(where_clause) = &generics.where_clause {
        cx.error_spanned_by(
            where_clause,
            "a model cannot have a `where` clause: it must not be generic",
        );
    }
}

fn check_names(cx: &Ctxt, model: &Model) {
    // A table needs a name to be created and queried.
    if let Some(table) = &model.attrs.table
        && table.value.value().trim().is_empty()
    {
        cx.error_spanned_by(
            &table.value,
            "`table` cannot be empty: name the table, like `table = \"blog_posts\"`, or remove \
             the option to use the struct's name in snake_case",
        );
    }
    // The label is `app_label.modelname`, and fixtures split it at the dot.
    if let Some(app_label) = &model.attrs.app_label {
        let value = app_label.value.value();
        if value.trim().is_empty() || value.contains('.') {
            cx.error_spanned_by(
                &app_label.value,
                "`app_label` must be a non-empty name without `.`, like `app_label = \"blog\"`: \
                 the model's label is `app_label.modelname`",
            );
        }
    }
    // Same for each column.
    for field in &model.fields {
        if let Some(column) = &field.attrs.db_column
            && column.value.value().trim().is_empty()
        {
            cx.error_spanned_by(
                &column.value,
                "`db_column` cannot be empty: name the column, or remove the option to use the \
                 field's name",
            );
        }
    }
}

fn check_max_length(cx: &Ctxt, field: &Field) {
    let Some(max_length) = &field.attrs.max_length else {
        return;
    };
    // Only text has a length in characters. Checked on the type as written, like Django's
    // `CharField`: a type alias of `String` is not recognised.
    let text = is_plain(field.ty, "String")
        || is_generic(field.ty, "Option", |inner| is_plain(inner, "String"));
    if !text {
        cx.error_spanned_by(
            &max_length.key,
            format!(
                "`max_length` applies only to `String` and `Option<String>` fields; `{}` is `{}`: \
                 remove the option",
                field.name(),
                type_text(field.ty)
            ),
        );
    }
    // A column that holds no character could only ever be empty.
    let (literal, value) = &max_length.value;
    if *value == 0 {
        cx.error_spanned_by(
            literal,
            "`max_length` must be at least 1: it is the most characters the field may hold",
        );
    }
}

fn check_auto_now(cx: &Ctxt, field: &Field) {
    let attrs = &field.attrs;
    // Every save sets an `auto_now` field; only the first sets an `auto_now_add` one: a field
    // cannot be both (Django: the options are mutually exclusive).
    if let (Some(_), Some(add)) = (&attrs.auto_now, &attrs.auto_now_add) {
        cx.error_spanned_by(
            &add.key,
            "`auto_now` and `auto_now_add` cannot be combined: `auto_now` sets the field on every \
             save, `auto_now_add` only when the row is created; keep one",
        );
    }
    let Some(stamp) = attrs.auto_now.as_ref().or(attrs.auto_now_add.as_ref()) else {
        return;
    };
    // The save writes the field's value itself, so a default would never be used (Django
    // refuses the pair too).
    if let Some(default) = &attrs.default {
        cx.error_spanned_by(
            &default.key,
            format!(
                "`default` cannot be combined with `{}`: the save sets `{}` itself; remove \
                 `default`",
                stamp.key,
                field.name()
            ),
        );
    }
    // A save never changes a row's key.
    if let Some(primary_key) = &attrs.primary_key {
        cx.error_spanned_by(
            &primary_key.key,
            format!(
                "a primary key cannot be `{}`: a save never changes a row's key; add a field \
                 of its own for the time",
                stamp.key
            ),
        );
    }
}

fn check_relation(cx: &Ctxt, field: &Field) {
    let rule = field.attrs.on_delete.as_ref();
    match (field.foreign_key(), rule) {
        // Django requires `on_delete` on every `ForeignKey`: what a delete does to the rows that
        // point at a row is a decision, not a default.
        (Some(_), None) if field.attrs.on_delete_written => {}
        (Some((target, _)), None) => cx.error_spanned_by(
            field.ty,
            format!(
                "a `ForeignKey` field needs an `on_delete` rule, as in Django: add \
                 `#[model(on_delete = cascade)]` above `{}` to delete its rows with the `{}` \
                 they point at, or choose protect, set_null, set_default or do_nothing",
                field.name(),
                type_text(target),
            ),
        ),
        (None, Some(rule)) => cx.error_spanned_by(
            &rule.key,
            format!(
                "`on_delete` applies only to `ForeignKey` fields; `{}` is `{}`: remove the option",
                field.name(),
                type_text(field.ty)
            ),
        ),
        (Some((_, nullable)), Some(rule)) => {
            let (ident, variant) = &rule.value;
            // `set_null` writes NULL, which only an `Option` column holds.
            if *variant == "SetNull" && !nullable {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "`on_delete = set_null` needs a nullable key: make the field \
                         `{}: Option<{}>`",
                        field.name(),
                        type_text(field.ty)
                    ),
                );
            }
            // `set_default` writes the field's default, which it must have.
            if *variant == "SetDefault" && field.attrs.default.is_none() {
                cx.error_spanned_by(
                    ident,
                    "`on_delete = set_default` needs a default key: add \
                     `#[model(default = ForeignKey::new(1))]` (or the key of the row to point at)",
                );
            }
        }
        (None, None) => {}
    }
}

fn check_many_to_many(cx: &Ctxt, model: &Model) {
    // A relation's name is a method of the model (`post.tags()`) and a fixture field: it may
    // be neither a field's name nor another relation's.
    let mut names: HashMap<String, ()> = HashMap::new();
    for relation in &model.attrs.many_to_many {
        let name = syn::ext::IdentExt::unraw(&relation.name).to_string();
        if model.fields.iter().any(|field| field.name() == name) {
            cx.error_spanned_by(
                &relation.name,
                format!(
                    "`{name}` is already a field of `{}`: give the many-to-many relation \
                     another name",
                    model.name()
                ),
            );
        } else if let (None, Some((key, _, _))) = (&relation.through, &relation.through_fields) {
            // The fields belong to a `through` model.
            cx.error_spanned_by(
                key,
                "`through_fields` names the keys of a `through` model: add `through = Model`, or \
                 remove it to use an auto-created join table",
            );
        } else if relation.through.is_some()
            && relation.through_fields.is_none()
            && super::ast::last_ident(&relation.target)
                .is_some_and(|target| *target == model.input.ident)
        {
            // Both keys of the through model point at this model: which is which must be said.
            cx.error_spanned_by(
                &relation.name,
                "a relation of a model to itself through a model of yours must say which of its \
                 two keys is which: add `through_fields = (from_field, to_field)`",
            );
        } else if let Some(mistake) = symmetrical_mistake(model, relation) {
            cx.syn_error(mistake);
        } else if names.insert(name.clone(), ()).is_some() {
            cx.error_spanned_by(
                &relation.name,
                format!("`{name}` names two many-to-many relations: rename one"),
            );
        }
    }
}

/// What is wrong with a relation's `symmetrical`, if anything: it only means something for a
/// relation of a model to itself, and only with an auto-created join table.
fn symmetrical_mistake(model: &Model, relation: &super::attr::ManyToMany) -> Option<syn::Error> {
    let (key, value) = relation.symmetrical.as_ref()?;
    let to_itself =
        super::ast::last_ident(&relation.target).is_some_and(|target| *target == model.input.ident);
    if !to_itself {
        Some(syn::Error::new(
            key.span(),
            "`symmetrical` applies to a relation of a model to itself only: a relation to \
             another model is read from both sides already",
        ))
    } else if value.value && relation.through.is_some() {
        Some(syn::Error::new(
            value.span(),
            "a symmetrical relation through a model of yours is not supported: write \
             `symmetrical = false` and save both directions' rows, or drop `through` for an \
             auto-created join table",
        ))
    } else {
        None
    }
}

fn check_columns(cx: &Ctxt, model: &Model) {
    // Each field is its own column; SQL compares column names without regard to case.
    let mut columns: HashMap<String, &Field> = HashMap::new();
    for field in &model.fields {
        let column = field.column();
        if let Some(first) = columns.get(&column.to_lowercase()) {
            let message = format!(
                "column `{column}` is already the column of field `{}`: give one of them its own \
                 `#[model(db_column = \"…\")]`",
                first.name()
            );
            match &field.attrs.db_column {
                Some(db_column) => cx.error_spanned_by(&db_column.value, message),
                None => cx.error_spanned_by(field.ident, message),
            }
        } else {
            columns.insert(column.to_lowercase(), field);
        }
    }
}

fn check_handles(cx: &Ctxt, model: &Model) {
    // Each field gets an associated const named after it in SCREAMING_SNAKE_CASE: two fields may
    // not share one, and `META` would hide the model's `Model::META` behind `Article::META`.
    let mut handles: HashMap<String, &Field> = HashMap::new();
    for field in &model.fields {
        let Some(handle) = field.handle() else {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "field `{}` has no name in SCREAMING_SNAKE_CASE for its column handle: \
                     rename it, and keep its column with `#[model(db_column = \"{}\")]`",
                    field.name(),
                    field.column()
                ),
            );
            continue;
        };
        let handle = handle.to_string();
        if handle == "META" {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "a field named `{}` would get the column handle `{}::META`, which hides the \
                     model's `META`: rename the field, and keep its column with \
                     `#[model(db_column = \"{}\")]`",
                    field.name(),
                    model.name(),
                    field.column()
                ),
            );
        } else if let Some(first) = handles.get(&handle) {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "fields `{}` and `{}` would both get the column handle `{}::{handle}`: \
                     rename one, and keep its column with `#[model(db_column = \"…\")]`",
                    first.name(),
                    field.name(),
                    model.name(),
                ),
            );
        } else {
            handles.insert(handle, field);
        }
    }
}

fn primary_key(cx: &Ctxt, model: &Model) -> Option<PrimaryKey> {
    let marked: Vec<(usize, &Field)> = model
        .fields
        .iter()
        .enumerate()
        .filter(|(_, field)| field.attrs.primary_key.is_some())
        .collect();
    match marked.as_slice() {
        // The key the user chose: the database assigns an `Option<i64>` one; any other key is
        // the user's to set before the first save, so it cannot be `None`.
        [(index, field)] => {
            if let Some(inner) = generic_arg(field.ty, "Option")
                && !is_auto(field)
            {
                let name = field.name();
                let inner = type_text(inner);
                cx.error_spanned_by(
                    field.ty,
                    format!(
                        "a primary key other than the automatic `Option<i64>` is set by you before \
                         the first save, so it cannot be an `Option`: write `{name}: {inner}`, or \
                         `{name}: Option<i64>` for a key the database assigns"
                    ),
                );
                return None;
            }
            Some(PrimaryKey {
                index: *index,
                auto: is_auto(field),
            })
        }
        // Django's implicit key: `id: Option<i64>`, assigned by the database.
        [] => {
            let Some((index, id)) = model
                .fields
                .iter()
                .enumerate()
                .find(|(_, field)| field.name() == "id")
            else {
                cx.error_spanned_by(
                    &model.input.ident,
                    format!(
                        "`{}` has no primary key: add a field `id: Option<i64>` (assigned by the \
                         database on the first save), or mark a field `#[model(primary_key)]`",
                        model.name()
                    ),
                );
                return None;
            };
            if is_auto(id) {
                Some(PrimaryKey { index, auto: true })
            } else {
                cx.error_spanned_by(
                    id.ty,
                    format!(
                        "`id` is the automatic primary key only as `id: Option<i64>`, not `{}`: \
                         change its type, or mark it (or another field) `#[model(primary_key)]`",
                        type_text(id.ty)
                    ),
                );
                None
            }
        }
        // One table row, one key: composite keys are not supported.
        many => {
            let names: Vec<String> = many
                .iter()
                .map(|(_, field)| format!("`{}`", field.name()))
                .collect();
            for (_, field) in many {
                if let Some(marker) = &field.attrs.primary_key {
                    cx.error_spanned_by(
                        &marker.key,
                        format!(
                            "a model has exactly one primary key, but {} are {} marked \
                             `#[model(primary_key)]`: keep one, and mark the others \
                             `#[model(unique)]` if they must be unique",
                            names.join(" and "),
                            if names.len() == 2 { "both" } else { "all" },
                        ),
                    );
                }
            }
            None
        }
    }
}

/// Whether the field is an auto-increment key's type, `Option<i64>`.
fn is_auto(field: &Field) -> bool {
    is_generic(field.ty, "Option", |inner| is_plain(inner, "i64"))
}

/// A type as written, for messages: `Option<i64>`.
pub(crate) fn type_text(ty: &syn::Type) -> String {
    super::expand::type_name(&ty.to_token_stream())
}

/// For a field type that is certainly not a field type, the error that says what to write
/// instead; rustc's own (`FieldType` is not implemented) cannot know what was meant. Other
/// types are left to rustc.
pub(crate) fn unsupported_type(ty: &syn::Type) -> Option<String> {
    let ty = generic_arg(ty, "Option").unwrap_or(ty);
    let text = type_text(ty);
    let name = super::ast::last_ident(ty)?.to_string();
    let hint = match name.as_str() {
        "u64" | "u128" | "i128" | "usize" | "isize" => format!(
            "`{text}` cannot be a model field: databases store signed 64-bit integers; use `i64` \
             (or `u32`, which fits in one)"
        ),
        "SystemTime" | "Instant" => format!(
            "`{text}` cannot be a model field: enable clarion's `chrono` feature and use \
             `chrono::DateTime<chrono::Utc>` (or `NaiveDateTime`)"
        ),
        "Vec" if generic_arg(ty, "Vec").is_some_and(|inner| !is_plain(inner, "u8")) => format!(
            "`{text}` cannot be a model field: a list of related models is a many-to-many \
             relation, declared on the struct as `#[model(many_to_many(tags = Tag))]`; a list of \
             values is stored as `serde_json::Value`"
        ),
        "HashMap" | "BTreeMap" | "HashSet" | "BTreeSet" => format!(
            "`{text}` cannot be a model field: store it as `serde_json::Value`, or as rows of a \
             model of its own with a `ForeignKey` to this one"
        ),
        _ => return None,
    };
    Some(hint)
}

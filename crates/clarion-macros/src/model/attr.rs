//! Parsing `#[model(…)]`: `table`, `app_label` and `many_to_many(…)` on the struct;
//! `primary_key`, `unique`, `index`, `max_length`, `default`, `db_column`, `on_delete`,
//! `auto_now` and `auto_now_add` on fields.
//!
//! Each option keeps its key's token (and its value's), so that validation can point at them.
//! Every problem is recorded and parsing goes on with the next option.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::discouraged::Speculative;
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, Expr, Ident, LitInt, LitStr, Meta, Token};

use crate::ctxt::{Ctxt, unknown_option};
use crate::tokens::{at_option, skip_to_comma, take_value};

/// The options `#[model]` accepts on the struct, for messages and suggestions.
const STRUCT_OPTIONS: &[&str] = &["table", "app_label", "ordering", "many_to_many"];
/// The options `#[model]` accepts on a field.
const FIELD_OPTIONS: &[&str] = &[
    "primary_key",
    "unique",
    "index",
    "max_length",
    "default",
    "db_column",
    "on_delete",
    "auto_now",
    "auto_now_add",
];

/// The rules `on_delete` takes, as written, and as Django spells them.
pub(crate) const ON_DELETE: &[(&str, &str, &str)] = &[
    ("cascade", "Cascade", "CASCADE"),
    ("protect", "Protect", "PROTECT"),
    ("set_null", "SetNull", "SET_NULL"),
    ("set_default", "SetDefault", "SET_DEFAULT"),
    ("do_nothing", "DoNothing", "DO_NOTHING"),
];

/// One option as written: its key's token, its value, and its source text for messages.
pub(crate) struct Opt<T> {
    pub(crate) key: Ident,
    pub(crate) value: T,
    /// `table = "posts"` or `unique`: how a duplicate's message quotes the first one.
    text: String,
}

/// `#[model(…)]` on the struct.
#[derive(Default)]
pub(crate) struct StructAttrs {
    pub(crate) table: Option<Opt<LitStr>>,
    pub(crate) app_label: Option<Opt<LitStr>>,
    /// `ordering = Post::TITLE`: the default ordering, anything `QuerySet::order_by` takes.
    pub(crate) ordering: Option<Opt<Expr>>,
    /// Each `many_to_many(name = Target)`, in order.
    pub(crate) many_to_many: Vec<ManyToMany>,
}

/// `many_to_many(tags = Tag)`: a relation named `tags` to the model `Tag`, perhaps
/// `through = Tagging` with `through_fields = (post, tag)`.
pub(crate) struct ManyToMany {
    pub(crate) name: Ident,
    pub(crate) target: syn::Type,
    pub(crate) through: Option<syn::Type>,
    /// The `through_fields` key, and the two fields it names.
    pub(crate) through_fields: Option<(Ident, Ident, Ident)>,
    /// The `symmetrical` key and its value (Django's `symmetrical`; for a relation of a model
    /// to itself, `true` unless said otherwise).
    pub(crate) symmetrical: Option<(Ident, syn::LitBool)>,
}

/// `#[model(…)]` on a field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) primary_key: Option<Opt<()>>,
    pub(crate) unique: Option<Opt<()>>,
    pub(crate) index: Option<Opt<()>>,
    /// The literal and the number it holds.
    pub(crate) max_length: Option<Opt<(LitInt, usize)>>,
    pub(crate) default: Option<Opt<Expr>>,
    pub(crate) db_column: Option<Opt<LitStr>>,
    /// The rule's identifier, and its variant of `OnDelete`.
    pub(crate) on_delete: Option<Opt<(Ident, &'static str)>>,
    /// Whether `on_delete` was written at all (a rule that did not parse was reported).
    pub(crate) on_delete_written: bool,
    pub(crate) auto_now: Option<Opt<()>>,
    pub(crate) auto_now_add: Option<Opt<()>>,
}

/// Where an attribute stands, which decides the options it takes.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    Struct,
    Field,
}

impl StructAttrs {
    /// Parses every `#[model(…)]` among the struct's attributes.
    pub(crate) fn parse(cx: &Ctxt, attrs: &[Attribute]) -> StructAttrs {
        let mut parsed = StructAttrs::default();
        for tokens in model_attrs(cx, attrs, Target::Struct) {
            parse_options(cx, tokens, Target::Struct, |cx, key, input| {
                parse_struct_option(cx, key, input, &mut parsed)
            });
        }
        parsed
    }
}

impl FieldAttrs {
    /// Parses every `#[model(…)]` among a field's attributes.
    pub(crate) fn parse(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttrs {
        let mut parsed = FieldAttrs::default();
        for tokens in model_attrs(cx, attrs, Target::Field) {
            parse_options(cx, tokens, Target::Field, |cx, key, input| {
                parse_field_option(cx, key, input, &mut parsed)
            });
        }
        parsed
    }
}

/// The tokens inside each `#[model(…)]`; `#[model]` and `#[model = …]` are reported.
fn model_attrs(cx: &Ctxt, attrs: &[Attribute], target: Target) -> Vec<TokenStream> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("model"))
        .filter_map(|attr| match &attr.meta {
            Meta::List(list) => Some(list.tokens.clone()),
            other => {
                let example = match target {
                    Target::Struct => "`#[model(table = \"blog_posts\")]`",
                    Target::Field => "`#[model(unique)]` or `#[model(max_length = 200)]`",
                };
                cx.error_spanned_by(
                    other,
                    format!("`#[model]` needs options in parentheses, like {example}"),
                );
                None
            }
        })
        .collect()
}

/// Reads `key = value, key, …`: the key here, the rest of each option by `option`, which must
/// consume the option's value (if any) but not the comma after it.
fn parse_options(
    cx: &Ctxt,
    tokens: TokenStream,
    target: Target,
    mut option: impl FnMut(&Ctxt, Ident, ParseStream),
) {
    let parser = |input: ParseStream| {
        while !input.is_empty() {
            match input.call(Ident::parse_any) {
                Ok(key) => option(cx, key, input),
                Err(_) => {
                    cx.syn_error(syn::Error::new(
                        input.span(),
                        format!("expected an option; {}", expected(target)),
                    ));
                    skip_to_comma(input);
                }
            }
            if at_option(input) || (input.peek(Ident::peek_any) && !input.peek2(Token![=])) {
                // A missing comma: say so, and read the next option.
                cx.syn_error(syn::Error::new(
                    input.span(),
                    "expected `,` between options, like `#[model(unique, max_length = 50)]`",
                ));
                continue;
            }
            // What is left belongs to a value already reported, like `5` in `unique 5`.
            skip_to_comma(input);
            let _ = input.parse::<Option<Token![,]>>();
        }
        Ok(())
    };
    if let Err(error) = parser.parse2(tokens) {
        cx.syn_error(error);
    }
}

fn parse_struct_option(cx: &Ctxt, key: Ident, input: ParseStream, attrs: &mut StructAttrs) {
    match key.to_string().as_str() {
        "table" => {
            let value = string_value(cx, &key, input, "`table = \"blog_posts\"`");
            set(cx, &mut attrs.table, key, value);
        }
        "app_label" => {
            let value = string_value(cx, &key, input, "`app_label = \"blog\"`");
            set(cx, &mut attrs.app_label, key, value);
        }
        "ordering" => {
            const HELP: &str = "`ordering` takes what `QuerySet::order_by` takes, like \
                                `#[model(ordering = Post::TITLE)]` or \
                                `#[model(ordering = (Post::PUBLISHED.desc(), Post::ID))]`";
            let value = expression(cx, &key, input, HELP);
            set(cx, &mut attrs.ordering, key, value);
        }
        "many_to_many" => {
            if let Some(relation) = many_to_many(cx, &key, input) {
                attrs.many_to_many.push(relation);
            }
        }
        name => {
            skip_value(input);
            let message = if FIELD_OPTIONS.contains(&name) {
                let option = match name {
                    "primary_key" | "unique" | "index" | "auto_now" | "auto_now_add" => {
                        name.to_owned()
                    }
                    _ => format!("{name} = …"),
                };
                format!(
                    "`{name}` goes on a field, not on the struct: move it to `#[model({option})]` \
                     above the field"
                )
            } else {
                unknown(name, Target::Struct)
            };
            cx.error_spanned_by(&key, message);
        }
    }
}

fn parse_field_option(cx: &Ctxt, key: Ident, input: ParseStream, attrs: &mut FieldAttrs) {
    match key.to_string().as_str() {
        "primary_key" => {
            let value = flag(cx, &key, input);
            set(cx, &mut attrs.primary_key, key, value);
        }
        "unique" => {
            let value = flag(cx, &key, input);
            set(cx, &mut attrs.unique, key, value);
        }
        "index" => {
            let value = flag(cx, &key, input);
            set(cx, &mut attrs.index, key, value);
        }
        "max_length" => {
            let value = max_length(cx, &key, input);
            set(cx, &mut attrs.max_length, key, value);
        }
        "default" => {
            const HELP: &str = "`default` takes an expression of the field's type, like \
                                `#[model(default = 0)]` or \
                                `#[model(default = String::from(\"draft\"))]`";
            let value = expression(cx, &key, input, HELP);
            set(cx, &mut attrs.default, key, value);
        }
        "db_column" => {
            let value = string_value(cx, &key, input, "`db_column = \"title\"`");
            set(cx, &mut attrs.db_column, key, value);
        }
        "on_delete" => {
            attrs.on_delete_written = true;
            let value = on_delete(cx, &key, input);
            set(cx, &mut attrs.on_delete, key, value);
        }
        "auto_now" => {
            let value = flag(cx, &key, input);
            set(cx, &mut attrs.auto_now, key, value);
        }
        "auto_now_add" => {
            let value = flag(cx, &key, input);
            set(cx, &mut attrs.auto_now_add, key, value);
        }
        name => {
            skip_value(input);
            let message = if name == "many_to_many" {
                "`many_to_many` goes on the struct, not on a field: a many-to-many relation has \
                 no column; write `#[model(many_to_many(tags = Tag))]` above `struct`"
                    .to_owned()
            } else if STRUCT_OPTIONS.contains(&name) {
                format!(
                    "`{name}` goes on the struct, not on a field: move it to \
                     `#[model({name} = \"…\")]` above `struct`"
                )
            } else {
                unknown(name, Target::Field)
            };
            cx.error_spanned_by(&key, message);
        }
    }
}

/// Stores a parsed option, or reports it as a duplicate of the one already stored. A value
/// that failed to parse (`None`) was reported already and is not stored: a second one is then
/// not called a duplicate of it.
fn set<T>(cx: &Ctxt, slot: &mut Option<Opt<T>>, key: Ident, value: Option<(T, TokenStream)>) {
    if let Some(first) = slot {
        cx.error_spanned_by(
            &key,
            format!(
                "`{key}` is specified more than once; the first is `{}`: keep one",
                first.text
            ),
        );
        return;
    }
    if let Some((value, written)) = value {
        let text = if written.is_empty() {
            key.to_string()
        } else {
            format!("{key} = {}", spaced(&written))
        };
        *slot = Some(Opt { key, value, text });
    }
}

/// A flag such as `unique`, which takes no value. A flag written with a value is reported and
/// still counts as given, so that validation does not add "no primary key" to the error.
fn flag(cx: &Ctxt, key: &Ident, input: ParseStream) -> Option<((), TokenStream)> {
    // A following key is a missing comma, reported by the caller.
    if !(input.is_empty() || input.peek(Token![,]) || input.peek(Ident::peek_any)) {
        let value = take_value(input);
        cx.error_spanned_by(
            value,
            format!("`{key}` takes no value: write `#[model({key})]`"),
        );
    }
    Some(((), TokenStream::new()))
}

/// A string literal after `key =`.
fn string_value(
    cx: &Ctxt,
    key: &Ident,
    input: ParseStream,
    example: &str,
) -> Option<(LitStr, TokenStream)> {
    let message = format!("`{key}` takes a string literal, like {example}");
    let Some(value) = value_after_eq(input).filter(|v| !v.is_empty()) else {
        cx.error_spanned_by(key, message);
        return None;
    };
    match syn::parse2::<LitStr>(value.clone()) {
        Ok(lit) => Some((lit, value)),
        Err(_) => {
            cx.error_spanned_by(&value, message);
            None
        }
    }
}

fn max_length(
    cx: &Ctxt,
    key: &Ident,
    input: ParseStream,
) -> Option<((LitInt, usize), TokenStream)> {
    const HELP: &str =
        "`max_length` takes a number of characters, like `#[model(max_length = 200)]`";
    let value = value_after_eq(input);
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        cx.error_spanned_by(key, HELP);
        return None;
    };
    let Ok(lit) = syn::parse2::<LitInt>(value.clone()) else {
        cx.error_spanned_by(&value, HELP);
        return None;
    };
    match lit.base10_parse::<usize>() {
        Ok(n) => Some(((lit, n), value)),
        Err(_) => {
            cx.error_spanned_by(
                &lit,
                format!(
                    "`max_length` must be a whole number of characters up to {}",
                    usize::MAX
                ),
            );
            None
        }
    }
}

/// A rule after `on_delete =`: `cascade`, `protect`, `set_null`, `set_default` or
/// `do_nothing` (Django's `models.CASCADE` and friends are recognised and corrected).
fn on_delete(
    cx: &Ctxt,
    key: &Ident,
    input: ParseStream,
) -> Option<((Ident, &'static str), TokenStream)> {
    let rules: Vec<&str> = ON_DELETE.iter().map(|(rule, _, _)| *rule).collect();
    let help = format!(
        "`on_delete` takes one of {}, like `#[model(on_delete = cascade)]`",
        rules.join(", ")
    );
    let Some(value) = value_after_eq(input).filter(|v| !v.is_empty()) else {
        cx.error_spanned_by(key, help);
        return None;
    };
    let Ok(path) = syn::parse2::<syn::Path>(value.clone()) else {
        cx.error_spanned_by(&value, help);
        return None;
    };
    let last = path.segments.last()?.ident.clone();
    let written = last.to_string();
    if path.segments.len() == 1
        && let Some((_, variant, _)) = ON_DELETE.iter().find(|(rule, _, _)| *rule == written)
    {
        return Some(((last, variant), value));
    }
    let message = match ON_DELETE.iter().find(|(rule, variant, django)| {
        written == *django || written == *variant || written == *rule
    }) {
        Some((rule, _, _)) => format!("write `on_delete = {rule}`: {help}"),
        None => format!("unknown `on_delete` rule `{}`: {help}", spaced(&value)),
    };
    cx.error_spanned_by(&value, message);
    None
}

/// `(name = Target)` after `many_to_many`.
fn many_to_many(cx: &Ctxt, key: &Ident, input: ParseStream) -> Option<ManyToMany> {
    const HELP: &str = "`many_to_many` takes a field name and the related model, like \
                        `#[model(many_to_many(tags = Tag))]`";
    if !input.peek(syn::token::Paren) {
        skip_value(input);
        cx.error_spanned_by(key, HELP);
        return None;
    }
    let parsed = (|| -> syn::Result<ManyToMany> {
        let content;
        syn::parenthesized!(content in input);
        let parsed = many_to_many_inside(&content);
        // What follows an error was not read: skip it, so that it is not reported again.
        if parsed.is_err() {
            let _ = content.step(|cursor| {
                let mut rest = *cursor;
                while let Some((_, next)) = rest.token_tree() {
                    rest = next;
                }
                Ok(((), rest))
            });
        }
        parsed
    })();
    match parsed {
        Ok(relation) => Some(relation),
        Err(error) => {
            cx.syn_error(syn::Error::new(error.span(), format!("{HELP}: {error}")));
            None
        }
    }
}

/// The inside of `many_to_many(…)`.
fn many_to_many_inside(content: ParseStream) -> syn::Result<ManyToMany> {
    let name = content.call(Ident::parse_any)?;
    content.parse::<Token![=]>()?;
    let target = content.parse::<syn::Type>()?;
    let mut relation = ManyToMany {
        name,
        target,
        through: None,
        through_fields: None,
        symmetrical: None,
    };
    while !content.is_empty() {
        content.parse::<Token![,]>()?;
        if content.is_empty() {
            break;
        }
        let key = content.call(Ident::parse_any)?;
        content.parse::<Token![=]>()?;
        match key.to_string().as_str() {
            "through" if relation.through.is_none() => {
                relation.through = Some(content.parse::<syn::Type>()?);
            }
            "through_fields" if relation.through_fields.is_none() => {
                let fields;
                syn::parenthesized!(fields in content);
                let source = fields.call(Ident::parse_any)?;
                fields.parse::<Token![,]>()?;
                let target = fields.call(Ident::parse_any)?;
                let _ = fields.parse::<Option<Token![,]>>()?;
                if !fields.is_empty() {
                    return Err(fields.error(
                        "`through_fields` names two fields: the key to this model, then the \
                         key to the related one",
                    ));
                }
                relation.through_fields = Some((key, source, target));
            }
            "symmetrical" if relation.symmetrical.is_none() => {
                let value = content.parse::<syn::LitBool>().map_err(|error| {
                    syn::Error::new(error.span(), "`symmetrical` is `true` or `false`")
                })?;
                relation.symmetrical = Some((key, value));
            }
            "through" | "through_fields" | "symmetrical" => {
                return Err(syn::Error::new(
                    key.span(),
                    format!("`{key}` is given more than once"),
                ));
            }
            other => {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown option `{other}` of a many-to-many relation; expected \
                         `through = Model`, `through_fields = (a, b)` or `symmetrical = false`"
                    ),
                ));
            }
        }
    }
    Ok(relation)
}

/// An expression after `default =` or `ordering =`, read straight from the stream so that its
/// commas inside `<…>`, a tuple or a closure's parameters belong to it; `HELP` says what it takes.
fn expression(
    cx: &Ctxt,
    key: &Ident,
    input: ParseStream,
    help: &str,
) -> Option<(Expr, TokenStream)> {
    if input.parse::<Option<Token![=]>>().ok().flatten().is_none()
        || input.is_empty()
        || input.peek(Token![,])
    {
        cx.error_spanned_by(key, help);
        return None;
    }
    let fork = input.fork();
    if let Ok(expr) = fork.parse::<Expr>()
        && (fork.is_empty() || fork.peek(Token![,]) || at_option(&fork))
    {
        input.advance_to(&fork);
        let written = expr.to_token_stream();
        // syn reads `let x = 1` as an expression; rustc only takes it in `if` and `while`.
        if let Expr::Let(_) = expr {
            cx.error_spanned_by(&written, help);
            return None;
        }
        return Some((expr, written));
    }
    let value = take_value(input);
    cx.error_spanned_by(&value, help);
    None
}

/// The tokens after `=`, up to the end of the option; `None` without `=`.
fn value_after_eq(input: ParseStream) -> Option<TokenStream> {
    input.parse::<Option<Token![=]>>().ok().flatten()?;
    Some(take_value(input))
}

fn skip_value(input: ParseStream) {
    if input.parse::<Option<Token![=]>>().ok().flatten().is_some() {
        let _ = take_value(input);
    }
}

fn expected(target: Target) -> String {
    let options = match target {
        Target::Struct => STRUCT_OPTIONS,
        Target::Field => FIELD_OPTIONS,
    };
    format!("expected one of: {}", options.join(", "))
}

fn unknown(name: &str, target: Target) -> String {
    let options = match target {
        Target::Struct => STRUCT_OPTIONS,
        Target::Field => FIELD_OPTIONS,
    };
    // Django's names for the same thing, which a user coming from Django will write first.
    let django = match name {
        "db_table" => Some("Django's `db_table` is `table` here"),
        "db_index" => Some("Django's `db_index` is `index` here"),
        "pk" => Some("write `primary_key`"),
        "null" => Some("a nullable column is an `Option<T>` field"),
        _ => None,
    };
    match django {
        Some(hint) => format!(
            "unknown option `{name}` for `#[model]`: {hint}; {}",
            expected(target)
        ),
        None => unknown_option(name, "model", options, &expected(target)),
    }
}

/// Tokens printed as written: `"posts"`, `String::new()`, `5`.
fn spaced(tokens: &TokenStream) -> String {
    let text = tokens.to_string();
    // `TokenStream`'s printing puts spaces between all tokens; these are the common ones that
    // read better without.
    [
        (" :: ", "::"),
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        (" .", "."),
        (". ", "."),
        (" ,", ","),
    ]
    .iter()
    .fold(text, |text, (from, to)| text.replace(from, to))
}

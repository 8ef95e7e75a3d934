//! Parsing `#[proxy(of = User, filter = …, ordering = …, app_label = "…")]`.
//!
//! Each option keeps its key's token and its value's tokens, so that validation and rustc's type
//! errors can point at them. Every problem is recorded and parsing goes on with the next option.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitStr, Token};

use crate::ctxt::{Ctxt, unknown_option};
use crate::tokens::{at_option, skip_to_comma, take_value};

/// The options `#[proxy]` accepts, for messages and suggestions.
const OPTIONS: &[&str] = &["of", "filter", "ordering", "app_label"];

/// What `#[proxy]` accepts, for the end of messages.
const EXPECTED: &str = "expected `of = Model` and optionally `filter = …`, `ordering = …`, \
                        `app_label = \"…\"`";

/// One option's value, as tokens (spans kept for rustc's type errors).
pub(crate) struct Opt {
    pub(crate) value: TokenStream,
}

/// `#[proxy(…)]` as written.
#[derive(Default)]
pub(crate) struct ProxyAttrs {
    /// The model proxied: a type.
    pub(crate) of: Option<Opt>,
    /// The default manager's base filter: an expression giving a `Filter` of the concrete model.
    pub(crate) filter: Option<Opt>,
    /// The default manager's ordering: anything `QuerySet::order_by` takes.
    pub(crate) ordering: Option<Opt>,
    /// The app label, as `#[model(app_label)]`.
    pub(crate) app_label: Option<(Ident, LitStr)>,
}

impl ProxyAttrs {
    pub(crate) fn parse(cx: &Ctxt, args: TokenStream) -> ProxyAttrs {
        let mut attrs = ProxyAttrs::default();
        let parser = |input: ParseStream| {
            while !input.is_empty() {
                let Ok(key) = input.call(Ident::parse_any) else {
                    cx.syn_error(syn::Error::new(
                        input.span(),
                        format!("expected an option; {EXPECTED}"),
                    ));
                    skip_to_comma(input);
                    let _ = input.parse::<Option<Token![,]>>();
                    continue;
                };
                option(cx, key, input, &mut attrs);
                if at_option(input) {
                    cx.syn_error(syn::Error::new(
                        input.span(),
                        "expected `,` between options, like `#[proxy(of = User, ordering = User::NAME)]`",
                    ));
                    continue;
                }
                skip_to_comma(input);
                let _ = input.parse::<Option<Token![,]>>();
            }
            Ok(())
        };
        if let Err(error) = parser.parse2(args) {
            cx.syn_error(error);
        }
        attrs
    }
}

fn option(cx: &Ctxt, key: Ident, input: ParseStream, attrs: &mut ProxyAttrs) {
    let name = key.to_string();
    if !OPTIONS.contains(&name.as_str()) {
        cx.error_spanned_by(&key, unknown_option(&name, "proxy", OPTIONS, EXPECTED));
        let _ = input.parse::<Option<Token![=]>>();
        skip_to_comma(input);
        return;
    }
    if input.parse::<Token![=]>().is_err() {
        cx.error_spanned_by(
            &key,
            format!("`{name}` needs a value, like `{}`", example(&name)),
        );
        skip_to_comma(input);
        return;
    }
    let value = take_value(input);
    if value.is_empty() {
        cx.error_spanned_by(
            &key,
            format!("`{name}` needs a value, like `{}`", example(&name)),
        );
        return;
    }
    let taken = match name.as_str() {
        "of" => attrs.of.is_some(),
        "filter" => attrs.filter.is_some(),
        "ordering" => attrs.ordering.is_some(),
        _ => attrs.app_label.is_some(),
    };
    if taken {
        cx.error_spanned_by(
            &key,
            format!("`{name}` is given more than once; keep one `{name} = …`"),
        );
        return;
    }
    match name.as_str() {
        "of" => attrs.of = Some(Opt { value }),
        "filter" => attrs.filter = Some(Opt { value }),
        "ordering" => attrs.ordering = Some(Opt { value }),
        _ => match syn::parse2::<LitStr>(value.clone()) {
            Ok(label) => attrs.app_label = Some((key, label)),
            Err(_) => cx.error_spanned_by(
                value,
                "`app_label` takes a string, like `app_label = \"accounts\"`",
            ),
        },
    }
}

fn example(name: &str) -> &'static str {
    match name {
        "of" => "of = User",
        "filter" => "filter = User::IS_STAFF.eq(true)",
        "ordering" => "ordering = User::NAME",
        _ => "app_label = \"accounts\"",
    }
}

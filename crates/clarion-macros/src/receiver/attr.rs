//! Parsing `#[receiver(SIGNAL, sender = Type, dispatch_uid = "…", priority = N, on = commit)]`.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::discouraged::Speculative;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitStr, Path, Token, Type};

use crate::ctxt::{Ctxt, unknown_option};
use crate::tokens::{at_option, skip_to_comma, take_value};

/// The options `#[receiver]` accepts, for messages and suggestions.
const OPTIONS: &[&str] = &["sender", "dispatch_uid", "priority", "on"];

/// The parsed attribute, keeping each key's token for error spans.
pub(crate) struct ReceiverAttr {
    pub(crate) signals: Vec<Path>,
    pub(crate) sender: Option<Type>,
    pub(crate) dispatch_uid: Option<LitStr>,
    pub(crate) priority: Option<i32>,
    /// `on = commit`: the `commit` token.
    pub(crate) on_commit: Option<Ident>,
}

impl ReceiverAttr {
    /// Parses `args`, recording every problem in `cx` and keeping what did parse.
    pub(crate) fn parse(cx: &Ctxt, args: TokenStream) -> ReceiverAttr {
        let mut attr = ReceiverAttr {
            signals: Vec::new(),
            sender: None,
            dispatch_uid: None,
            priority: None,
            on_commit: None,
        };
        let parser = |input: ParseStream| {
            parse_signals(cx, input, &mut attr);
            while !input.is_empty() {
                parse_option(cx, input, &mut attr);
            }
            Ok(())
        };
        if let Err(error) = parser.parse2(args) {
            cx.syn_error(error);
        }
        attr
    }
}

const MISSING_SIGNAL: &str = "missing signal: name the signal first, like \
     `#[receiver(post_save, sender = User)]` or `#[receiver([pre_save, post_save])]`";

fn parse_signals(cx: &Ctxt, input: ParseStream, attr: &mut ReceiverAttr) {
    if input.is_empty() || (input.peek(Ident) && input.peek2(Token![=])) {
        cx.syn_error(syn::Error::new(input.span(), MISSING_SIGNAL));
        return;
    }
    let parsed = if input.peek(syn::token::Bracket) {
        (|| {
            let content;
            let brackets = syn::bracketed!(content in input);
            let paths = content.parse_terminated(Path::parse_mod_style, Token![,])?;
            if paths.is_empty() {
                return Err(syn::Error::new(
                    brackets.span.join(),
                    "empty signal list: name at least one signal, like `[pre_save, post_save]`",
                ));
            }
            Ok(paths.into_iter().collect())
        })()
    } else {
        input
            .call(Path::parse_mod_style)
            .map(|path| vec![path])
            .map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected a signal, like `post_save` or `crate::signals::ORDER_PLACED`",
                )
            })
    };
    match parsed {
        Ok(signals) => attr.signals = signals,
        Err(error) => {
            cx.syn_error(error);
            skip_to_comma(input);
        }
    }
    if !input.is_empty() && !input.peek(Token![,]) {
        cx.syn_error(syn::Error::new(
            input.span(),
            "expected `,` after the signal, then options like `sender = User`",
        ));
        if !at_option(input) {
            skip_to_comma(input);
        }
    }
    let _ = input.parse::<Option<Token![,]>>();
}

/// Parses one `key = value` and the comma after it. Every problem is recorded and the rest of the
/// option skipped, so the next option is still checked.
fn parse_option(cx: &Ctxt, input: ParseStream, attr: &mut ReceiverAttr) {
    let Ok(key) = input.call(Ident::parse_any) else {
        cx.syn_error(syn::Error::new(
            input.span(),
            format!(
                "expected an option, like `sender = User`; expected one of: {}",
                OPTIONS.join(", ")
            ),
        ));
        skip_to_comma(input);
        let _ = input.parse::<Option<Token![,]>>();
        return;
    };
    let name = key.to_string();
    let has_value = input.parse::<Option<Token![=]>>().ok().flatten().is_some();
    match name.as_str() {
        "sender" => {
            let sender = parse_sender(cx, &key, has_value, input);
            if attr.sender.is_some() {
                duplicate(cx, &key);
            } else {
                attr.sender = sender;
            }
        }
        "dispatch_uid" => {
            let value = take_value(input);
            let uid = match syn::parse2::<LitStr>(value.clone()) {
                Ok(uid) if has_value => Some(uid),
                _ => {
                    cx.error_spanned_by(
                        spanned_or(&value, &key),
                        "`dispatch_uid` takes a string literal, like `dispatch_uid = \"audit-log\"`",
                    );
                    None
                }
            };
            if attr.dispatch_uid.is_some() {
                duplicate(cx, &key);
            } else {
                attr.dispatch_uid = uid;
            }
        }
        "priority" => {
            let value = take_value(input);
            let priority = parse_priority(cx, &key, has_value, value);
            if attr.priority.is_some() {
                duplicate(cx, &key);
            } else {
                attr.priority = priority;
            }
        }
        "on" => {
            let value = take_value(input);
            let phase = match syn::parse2::<Ident>(value.clone()) {
                Ok(phase) if has_value && phase == "commit" => Some(phase),
                _ => {
                    cx.error_spanned_by(
                        spanned_or(&value, &key),
                        "`on` takes `commit`, like `on = commit`: the receiver then runs after the \
                         outermost transaction commits, and never after a rollback",
                    );
                    None
                }
            };
            if attr.on_commit.is_some() {
                duplicate(cx, &key);
            } else {
                attr.on_commit = phase;
            }
        }
        _ => {
            let _ = take_value(input);
            let expected = format!("expected one of: {}", OPTIONS.join(", "));
            cx.error_spanned_by(&key, unknown_option(&name, "receiver", OPTIONS, &expected));
        }
    }
    if at_option(input) {
        // A missing comma: say so, and read the next option.
        cx.syn_error(syn::Error::new(
            input.span(),
            "expected `,` between options, like `sender = User, priority = 10`",
        ));
        return;
    }
    // What is left belongs to a value already reported, like `User` in `sender User`.
    skip_to_comma(input);
    let _ = input.parse::<Option<Token![,]>>();
}

/// Parses the type after `sender =` straight from the stream, so that the commas of
/// `HashMap<String, u32>` belong to the type.
fn parse_sender(cx: &Ctxt, key: &Ident, has_value: bool, input: ParseStream) -> Option<Type> {
    const HELP: &str = "`sender` takes a type, like `sender = User`";
    if !has_value || input.is_empty() || input.peek(Token![,]) {
        cx.error_spanned_by(key, HELP);
        return None;
    }
    if !input.peek(syn::Lit) {
        let fork = input.fork();
        if let Ok(ty) = fork.parse::<Type>()
            && !matches!(ty, Type::Infer(_))
            && (fork.is_empty() || fork.peek(Token![,]) || at_option(&fork))
        {
            input.advance_to(&fork);
            return Some(ty);
        }
    }
    let value = take_value(input);
    cx.error_spanned_by(&value, HELP);
    None
}

fn parse_priority(cx: &Ctxt, key: &Ident, has_value: bool, value: TokenStream) -> Option<i32> {
    const HELP: &str =
        "`priority` takes an integer literal, like `priority = 10` (higher runs earlier)";
    let parsed = syn::parse2::<syn::Expr>(value.clone())
        .ok()
        .filter(|_| has_value)
        .and_then(|expr| {
            let (negative, literal) = match &expr {
                syn::Expr::Unary(syn::ExprUnary {
                    op: syn::UnOp::Neg(_),
                    expr,
                    ..
                }) => (true, &**expr),
                other => (false, other),
            };
            let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(int),
                ..
            }) = literal
            else {
                return None;
            };
            let digits = if negative {
                format!("-{}", int.base10_digits())
            } else {
                int.base10_digits().to_owned()
            };
            Some(digits.parse::<i32>().map_err(|_| int.span()))
        });
    match parsed {
        Some(Ok(priority)) => Some(priority),
        Some(Err(span)) => {
            cx.syn_error(syn::Error::new(
                span,
                "`priority` must fit in an `i32` (-2147483648 to 2147483647)",
            ));
            None
        }
        None => {
            cx.error_spanned_by(spanned_or(&value, key), HELP);
            None
        }
    }
}

fn duplicate(cx: &Ctxt, key: &Ident) {
    cx.error_spanned_by(
        key,
        format!("`{key}` is specified more than once: keep one `{key} = …`"),
    );
}

/// `value` if it has tokens, else `fallback`: an error needs something to point at.
fn spanned_or<'a>(value: &'a TokenStream, fallback: &'a Ident) -> &'a dyn ToTokens {
    if value.is_empty() { fallback } else { value }
}

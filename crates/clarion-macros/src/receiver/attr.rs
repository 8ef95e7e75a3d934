//! Parsing `#[receiver(SIGNAL, sender = Type, dispatch_uid = "…", priority = N)]`.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitStr, Path, Token, Type};

use crate::ctxt::{Ctxt, did_you_mean};

/// The options `#[receiver]` accepts, for messages and suggestions.
const OPTIONS: &[&str] = &["sender", "dispatch_uid", "priority"];

/// The parsed attribute, keeping each key's token for error spans.
pub(crate) struct ReceiverAttr {
    pub(crate) signals: Vec<Path>,
    pub(crate) sender: Option<Type>,
    pub(crate) dispatch_uid: Option<LitStr>,
    pub(crate) priority: Option<i32>,
}

impl ReceiverAttr {
    /// Parses `args`, recording every problem in `cx` and keeping what did parse.
    pub(crate) fn parse(cx: &Ctxt, args: TokenStream) -> ReceiverAttr {
        let mut attr = ReceiverAttr {
            signals: Vec::new(),
            sender: None,
            dispatch_uid: None,
            priority: None,
        };
        let parser = |input: ParseStream| {
            parse_signals(cx, input, &mut attr);
            while !input.is_empty() {
                parse_option(cx, input, &mut attr)?;
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
    if !input.is_empty()
        && let Err(error) = input.parse::<Token![,]>()
    {
        cx.syn_error(error);
        skip_to_comma(input);
        let _ = input.parse::<Option<Token![,]>>();
    }
}

/// Parses one `key = value` (and the comma after it). Errors on the value are recorded and the
/// value skipped, so the next option is still checked.
fn parse_option(cx: &Ctxt, input: ParseStream, attr: &mut ReceiverAttr) -> syn::Result<()> {
    let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
    let name = key.to_string();
    if !input.peek(Token![=]) {
        cx.error_spanned_by(&key, format!("expected `{name} = …`"));
        skip_to_comma(input);
        return eat_comma(input);
    }
    input.parse::<Token![=]>()?;
    let value = take_until_comma(input);
    match name.as_str() {
        "sender" => {
            if attr.sender.is_some() {
                duplicate(cx, &key);
            } else {
                attr.sender = parse_sender(cx, &key, value);
            }
        }
        "dispatch_uid" => {
            if attr.dispatch_uid.is_some() {
                duplicate(cx, &key);
            } else {
                match syn::parse2::<LitStr>(value.clone()) {
                    Ok(uid) => attr.dispatch_uid = Some(uid),
                    Err(_) => cx.error_spanned_by(
                        spanned_or(&value, &key),
                        "`dispatch_uid` takes a string literal, like `dispatch_uid = \"audit-log\"`",
                    ),
                }
            }
        }
        "priority" => {
            if attr.priority.is_some() {
                duplicate(cx, &key);
            } else {
                attr.priority = parse_priority(cx, &key, value);
            }
        }
        _ => {
            let mut message = format!("unknown option `{name}` for `#[receiver]`");
            if let Some(close) = did_you_mean(&name, OPTIONS) {
                message.push_str(&format!("; did you mean `{close}`?"));
            }
            message.push_str(&format!("; expected one of: {}", OPTIONS.join(", ")));
            cx.error_spanned_by(&key, message);
        }
    }
    eat_comma(input)
}

fn parse_sender(cx: &Ctxt, key: &Ident, value: TokenStream) -> Option<Type> {
    const HELP: &str = "`sender` takes a type, like `sender = User`";
    if value.is_empty() {
        cx.error_spanned_by(key, HELP);
        return None;
    }
    let first_is_literal = matches!(
        value.clone().into_iter().next(),
        Some(TokenTree::Literal(_))
    );
    match syn::parse2::<Type>(value.clone()) {
        Ok(Type::Infer(_)) | Err(_) => {
            cx.error_spanned_by(&value, HELP);
            None
        }
        Ok(_) if first_is_literal => {
            cx.error_spanned_by(&value, HELP);
            None
        }
        Ok(ty) => Some(ty),
    }
}

fn parse_priority(cx: &Ctxt, key: &Ident, value: TokenStream) -> Option<i32> {
    const HELP: &str =
        "`priority` takes an integer literal, like `priority = 10` (higher runs earlier)";
    let parsed = syn::parse2::<syn::Expr>(value.clone())
        .ok()
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
    cx.error_spanned_by(key, format!("`{key}` is specified more than once"));
}

/// `value` if it has tokens, else `fallback`: an error needs something to point at.
fn spanned_or<'a>(value: &'a TokenStream, fallback: &'a Ident) -> &'a dyn ToTokens {
    if value.is_empty() { fallback } else { value }
}

fn take_until_comma(input: ParseStream) -> TokenStream {
    let mut tokens = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        match input.parse::<TokenTree>() {
            Ok(tt) => tokens.extend([tt]),
            Err(_) => break,
        }
    }
    tokens
}

fn skip_to_comma(input: ParseStream) {
    let _ = take_until_comma(input);
}

fn eat_comma(input: ParseStream) -> syn::Result<()> {
    if !input.is_empty() {
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

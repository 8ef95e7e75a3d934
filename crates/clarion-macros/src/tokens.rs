//! Reading attribute options token by token, so that one bad value does not hide the next option.

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::{Ident, Token};

/// The tokens up to the next comma that is not inside `<…>` (brackets, braces and parentheses are
/// single token trees already), without the comma. `HashMap<String, u32>` stays in one piece.
pub(crate) fn take_until_comma(input: ParseStream) -> TokenStream {
    take(input, false)
}

/// An option's value: the tokens up to the next comma, as [`take_until_comma`], or up to the
/// next `key =` when the comma before it is missing, so that the next option is still read.
pub(crate) fn take_value(input: ParseStream) -> TokenStream {
    take(input, true)
}

/// Whether `input` starts a `key = value` option.
pub(crate) fn at_option(input: ParseStream) -> bool {
    input.peek(Ident::peek_any) && input.peek2(Token![=]) && !input.peek2(Token![==])
}

fn take(input: ParseStream, stop_at_option: bool) -> TokenStream {
    let mut tokens = TokenStream::new();
    let mut depth = 0usize;
    // Whether the previous token was a `-` joined to the next one: `->` closes no `<`.
    let mut after_minus = false;
    while !input.is_empty() {
        let at_top = depth == 0;
        if at_top && input.peek(Token![,]) {
            break;
        }
        if at_top && stop_at_option && !tokens.is_empty() && at_option(input) {
            break;
        }
        let Ok(tt) = input.parse::<TokenTree>() else {
            break;
        };
        let mut minus = false;
        if let TokenTree::Punct(punct) = &tt {
            match punct.as_char() {
                '<' => depth += 1,
                '>' if !after_minus => depth = depth.saturating_sub(1),
                '-' => minus = punct.spacing() == Spacing::Joint,
                _ => {}
            }
        }
        after_minus = minus;
        tokens.extend([tt]);
    }
    tokens
}

/// Skips the rest of a bad option, up to the comma that ends it.
pub(crate) fn skip_to_comma(input: ParseStream) {
    let _ = take_until_comma(input);
}

/// Whether the first token is a literal: `5` or `"User"` where a type was expected.
pub(crate) fn starts_with_literal(tokens: &TokenStream) -> bool {
    matches!(
        tokens.clone().into_iter().next(),
        Some(TokenTree::Literal(_))
    )
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;
    use syn::parse::{ParseStream, Parser};

    use super::{take_until_comma, take_value};

    /// The pieces `take` splits `tokens` into, each printed.
    fn pieces(tokens: TokenStream, take: fn(ParseStream) -> TokenStream) -> Vec<String> {
        let parser = |input: ParseStream| {
            let mut pieces = Vec::new();
            while !input.is_empty() {
                pieces.push(take(input).to_string());
                let _ = input.parse::<Option<syn::Token![,]>>()?;
            }
            Ok(pieces)
        };
        parser.parse2(tokens).unwrap()
    }

    #[test]
    fn commas_inside_angle_brackets_belong_to_the_value() {
        let split = pieces(
            quote!(HashMap<String, u32>, Vec<Result<u8, u16>>, fn(u8, u16) -> Option<u8>, x),
            take_until_comma,
        );
        assert_eq!(
            split,
            [
                "HashMap < String , u32 >",
                "Vec < Result < u8 , u16 >>",
                "fn (u8 , u16) -> Option < u8 >",
                "x"
            ]
        );
    }

    #[test]
    fn a_value_ends_before_the_next_option_when_the_comma_is_missing() {
        let split = pieces(quote!(User priority = 1, Iter<Item = u8>), take_value);
        assert_eq!(split, ["User", "priority = 1", "Iter < Item = u8 >"]);
    }
}

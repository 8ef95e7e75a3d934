//! Collects every error a macro finds, so the user sees them all at once.

use std::cell::RefCell;
use std::fmt::Display;
use std::thread;

use quote::ToTokens;

/// An error collector. Must be consumed with [`Ctxt::check`]; dropping it unchecked is a bug in
/// the macro, caught by a panic in debug builds of the macro's own tests.
pub(crate) struct Ctxt {
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// Records an error spanning `tokens`.
    pub(crate) fn error_spanned_by<T: ToTokens, M: Display>(&self, tokens: T, message: M) {
        self.syn_error(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// Records a ready-made error.
    pub(crate) fn syn_error(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("Ctxt used after check")
            .push(error);
    }

    /// Whether no error was recorded so far.
    pub(crate) fn is_ok(&self) -> bool {
        self.errors.borrow().as_ref().is_none_or(Vec::is_empty)
    }

    /// Consumes the collector: `expanded`, followed by every recorded error as a
    /// `compile_error!` (the expansion stays, so that one mistake does not cascade).
    pub(crate) fn finish(self, expanded: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
        match self.check() {
            Ok(()) => expanded,
            Err(errors) => {
                let mut tokens = expanded;
                tokens.extend(errors.into_compile_error());
                tokens
            }
        }
    }

    /// Consumes the collector: every recorded error combined into one, if any, in source order
    /// (the stages find them in their own order: the signature is checked after the parameters
    /// are read, but comes first in the file).
    pub(crate) fn check(self) -> syn::Result<()> {
        let mut errors = self.errors.borrow_mut().take().expect("Ctxt checked twice");
        errors.sort_by_key(position);
        let mut errors = errors.into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for rest in errors {
            combined.combine(rest);
        }
        Err(combined)
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !thread::panicking() && self.errors.borrow().is_some() {
            panic!("forgot to check for errors");
        }
    }
}

/// Where an error starts, as `(line, column)`; `None` outside a running macro (unit tests), where
/// errors keep the order they were found in.
fn position(error: &syn::Error) -> Option<(usize, usize)> {
    if !proc_macro::is_available() {
        return None;
    }
    let span = error.span().unwrap();
    Some((span.line(), span.column()))
}

/// The message for an unknown option `name` of `#[attr]`: the likely typo fixed if there is one,
/// then what is accepted.
pub(crate) fn unknown_option(name: &str, attr: &str, options: &[&str], expected: &str) -> String {
    let mut message = format!("unknown option `{name}` for `#[{attr}]`: ");
    if let Some(close) = did_you_mean(name, options) {
        message.push_str(&format!("did you mean `{close}`? "));
    }
    message.push_str(expected);
    message
}

/// The closest of `candidates` to `word`, if close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (levenshtein(word, c), *c))
        .filter(|(distance, c)| *distance <= (c.len().max(word.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names_only() {
        let names = ["sender", "dispatch_uid", "priority"];
        assert_eq!(did_you_mean("sendr", &names), Some("sender"));
        assert_eq!(did_you_mean("dispatchuid", &names), Some("dispatch_uid"));
        assert_eq!(did_you_mean("weak", &names), None);
    }
}

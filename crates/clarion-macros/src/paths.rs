//! The only way generated code names clarion's runtime: through absolute paths, so that a user's
//! own `Result`, `Option` or `inventory` cannot change what the expansion means.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

/// `::clarion::__private`, the runtime items generated code uses.
pub(crate) fn private() -> TokenStream {
    quote!(::clarion::__private)
}

/// `::clarion::__private` with every token at `span`, for a call that an error should point at.
pub(crate) fn private_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::clarion::__private)
}

/// `::clarion`, the facade.
pub(crate) fn clarion() -> TokenStream {
    quote!(::clarion)
}

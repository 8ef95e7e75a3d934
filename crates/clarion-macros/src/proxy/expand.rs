//! Code generation for `#[proxy]`: the newtype over the parent, its `impl Model` delegating to
//! the parent, its registration, and the conversions.
//!
//! The struct becomes `#[repr(transparent)] struct Staff(pub User)`, which makes converting a
//! `&User` into a `&Staff` sound: the two have the same layout by that `repr`, and a second
//! `repr` on the struct is a compile error.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Type};

use super::attr::ProxyAttrs;
use crate::paths;

pub(crate) fn expand(input: &DeriveInput, attrs: &ProxyAttrs, parent: Type) -> TokenStream {
    let private = paths::private();
    let clarion = paths::clarion();
    let ident = &input.ident;
    let vis = &input.vis;
    let struct_attrs = &input.attrs;
    let name = ident.to_string();
    let model_name = name.to_lowercase();
    let (app_label, label) = match &attrs.app_label {
        Some((_, app_label)) => {
            let value = app_label.value();
            let label = format!("{}.{model_name}", value.to_lowercase());
            (quote!(#value), quote!(#label))
        }
        None => (
            quote!(::core::env!("CARGO_CRATE_NAME")),
            quote!(::core::concat!(::core::env!("CARGO_CRATE_NAME"), ".", #model_name)),
        ),
    };
    // The parent's `Model` bound is checked at its own tokens: "`X` is not a model" points at
    // `X` in `of = X`.
    let model_at_parent = quote_spanned!(parent.span()=> #clarion::Model);
    let result = quote!(::core::result::Result);
    let usize = quote!(::core::primitive::usize);
    let type_id = quote!(::core::any::TypeId);
    let any = quote!(::core::any::Any);
    let option = quote!(::core::option::Option);

    let filter = attrs.filter.as_ref().map(|filter| {
        let value = &filter.value;
        quote_spanned!(value.span()=> .filter(#value))
    });
    let ordering = attrs.ordering.as_ref().map(|ordering| {
        let value = &ordering.value;
        quote_spanned!(value.span()=> .order_by(#value))
    });
    let doc_from_ref = format!(
        "Views a `&{}` as a `&{name}`, without copying.",
        type_text(&parent)
    );
    let doc_from_mut = format!(
        "Views a `&mut {}` as a `&mut {name}`, without copying.",
        type_text(&parent)
    );

    quote! {
        #(#struct_attrs)*
        #[repr(transparent)]
        #vis struct #ident(pub #parent);

        const _: () = {
            static __CLARION_META: #private::ModelMeta = #private::ModelMeta::__proxy(
                #name,
                #app_label,
                #label,
                <#parent as #model_at_parent>::META,
            );
            static __CLARION_PARENTS: #private::ProxyParents = #private::ProxyParents::new();

            #[automatically_derived]
            impl #clarion::Model for #ident {
                const META: &'static #private::ModelMeta = &__CLARION_META;
                type Concrete = <#parent as #model_at_parent>::Concrete;
                type Key = <#parent as #model_at_parent>::Key;

                fn sender() -> #private::Sender {
                    __CLARION_PARENTS.sender::<Self>(<#parent as #model_at_parent>::sender)
                }

                fn __get(&self, __clarion_field: #usize) -> #private::ValueRef<'_> {
                    #model_at_parent::__get(&self.0, __clarion_field)
                }

                #[inline]
                fn __each_value<__ClarionV: #private::FieldVisitor>(
                    &self,
                    __clarion_visitor: &mut __ClarionV,
                ) -> #result<(), <__ClarionV as #private::FieldVisitor>::Error> {
                    #model_at_parent::__each_value(&self.0, __clarion_visitor)
                }

                fn __set(
                    &mut self,
                    __clarion_field: #usize,
                    __clarion_value: #private::ValueRef<'_>,
                ) -> #result<(), #private::FieldError> {
                    #model_at_parent::__set(&mut self.0, __clarion_field, __clarion_value)
                }

                const __STAMPS: ::core::primitive::bool =
                    <#parent as #model_at_parent>::__STAMPS;
                const __AUTO_NOW: &'static [#usize] = <#parent as #model_at_parent>::__AUTO_NOW;

                #[inline]
                fn __stamp(
                    &mut self,
                    __clarion_now: #private::SystemTime,
                    __clarion_adding: ::core::primitive::bool,
                ) {
                    #model_at_parent::__stamp(&mut self.0, __clarion_now, __clarion_adding)
                }

                #[inline]
                fn __set_auto_key(
                    &mut self,
                    __clarion_id: ::core::primitive::i64,
                ) -> #result<(), #private::FieldError> {
                    #model_at_parent::__set_auto_key(&mut self.0, __clarion_id)
                }

                fn __from_row(
                    __clarion_row: &dyn #private::Row,
                ) -> #result<Self, #private::Error> {
                    #result::Ok(#ident(<#parent as #model_at_parent>::__from_row(__clarion_row)?))
                }

                fn __as_type(&self, __clarion_ty: #type_id) -> #option<&dyn #any> {
                    if __clarion_ty == #type_id::of::<Self>() {
                        #option::Some(self)
                    } else {
                        #model_at_parent::__as_type(&self.0, __clarion_ty)
                    }
                }

                fn __as_type_mut(&mut self, __clarion_ty: #type_id) -> #option<&mut dyn #any> {
                    if __clarion_ty == #type_id::of::<Self>() {
                        #option::Some(self)
                    } else {
                        #model_at_parent::__as_type_mut(&mut self.0, __clarion_ty)
                    }
                }

                fn __ordering() -> ::std::vec::Vec<#private::OrderBy<Self::Concrete>> {
                    <#parent as #model_at_parent>::__ordering()
                }

                fn objects() -> #private::QuerySet<Self> {
                    #private::QuerySet::<Self>::new() #filter #ordering
                }
            }

            #private::inventory::submit! { #private::ModelRegistration::__new::<#ident>() }

            #[automatically_derived]
            impl ::core::convert::From<#parent> for #ident {
                fn from(parent: #parent) -> Self {
                    #ident(parent)
                }
            }

            #[automatically_derived]
            impl ::core::convert::From<#ident> for #parent {
                fn from(proxy: #ident) -> Self {
                    proxy.0
                }
            }

            #[automatically_derived]
            impl ::core::ops::Deref for #ident {
                type Target = #parent;
                fn deref(&self) -> &#parent {
                    &self.0
                }
            }

            #[automatically_derived]
            impl ::core::ops::DerefMut for #ident {
                fn deref_mut(&mut self) -> &mut #parent {
                    &mut self.0
                }
            }

            #[automatically_derived]
            impl ::core::convert::AsRef<#parent> for #ident {
                fn as_ref(&self) -> &#parent {
                    &self.0
                }
            }

            #[automatically_derived]
            impl ::core::convert::AsMut<#parent> for #ident {
                fn as_mut(&mut self) -> &mut #parent {
                    &mut self.0
                }
            }

            #[automatically_derived]
            impl #ident {
                #[doc = #doc_from_ref]
                #[allow(dead_code)]
                #vis fn from_ref(parent: &#parent) -> &Self {
                    // SAFETY: `Self` is `#[repr(transparent)]` over its one field, a `#parent`.
                    // (Generated code: the `unsafe_code` lint leaves it to the macro, as it does
                    // for any proc-macro expansion, even in a crate that forbids unsafe code.)
                    unsafe {
                        &*(parent as *const #parent as *const Self)
                    }
                }

                #[doc = #doc_from_mut]
                #[allow(dead_code)]
                #vis fn from_mut(parent: &mut #parent) -> &mut Self {
                    // SAFETY: as in `from_ref`.
                    unsafe {
                        &mut *(parent as *mut #parent as *mut Self)
                    }
                }
            }
        };
    }
}

/// What is emitted when the proxy has errors: the struct as a unit struct, so that code using
/// it reports no errors of its own.
pub(crate) fn fallback(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let vis = &input.vis;
    let struct_attrs = &input.attrs;
    quote! {
        #(#struct_attrs)*
        #vis struct #ident;
    }
}

fn type_text(ty: &Type) -> String {
    quote::ToTokens::to_token_stream(ty)
        .to_string()
        .replace(" :: ", "::")
}

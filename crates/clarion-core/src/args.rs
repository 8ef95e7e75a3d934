//! How a receiver's parameters are taken from a signal's argument struct. Not public API: the
//! code `#[receiver]` generates calls these, and their `on_unimplemented` texts are the compile
//! errors a user sees for a parameter of the wrong type.
//!
//! Each returns `None` when the argument exists but does not apply to this receiver: a model
//! signal's instance taken as `&User` while a `Post` is being saved. The receiver is then not
//! called for this send; for every other argument the answer is always `Some`, and the check
//! compiles away.

/// Lends a signal argument as a receiver's `&T` parameter.
#[diagnostic::on_unimplemented(
    message = "receiver parameter `&{T}` does not match this signal argument of type `{Self}`",
    label = "this parameter's type does not match the signal argument",
    note = "take the argument by reference with its own type (`&T` for an argument `T`, `&T` or `&mut T` for `&mut T`), or by value if it is `Clone`; a model signal's `instance` is taken as `&User` (a model) or `&dyn Instance`"
)]
pub trait ArgRef<T: ?Sized> {
    /// Borrows the argument.
    fn arg_ref(&self) -> Option<&T>;
}

impl<T: ?Sized> ArgRef<T> for T {
    #[inline]
    fn arg_ref(&self) -> Option<&T> {
        Some(self)
    }
}

#[diagnostic::do_not_recommend]
impl<T: ?Sized> ArgRef<T> for &T {
    #[inline]
    fn arg_ref(&self) -> Option<&T> {
        Some(self)
    }
}

#[diagnostic::do_not_recommend]
impl<T: ?Sized> ArgRef<T> for &mut T {
    #[inline]
    fn arg_ref(&self) -> Option<&T> {
        Some(self)
    }
}

#[diagnostic::do_not_recommend]
impl ArgRef<str> for String {
    #[inline]
    fn arg_ref(&self) -> Option<&str> {
        Some(self)
    }
}

#[diagnostic::do_not_recommend]
impl<T> ArgRef<[T]> for Vec<T> {
    #[inline]
    fn arg_ref(&self) -> Option<&[T]> {
        Some(self)
    }
}

/// Lends a signal argument as a receiver's `&mut T` parameter.
#[diagnostic::on_unimplemented(
    message = "receiver parameter `&mut {T}` does not match this signal argument of type `{Self}`",
    label = "this parameter's type does not match the signal argument",
    note = "`&mut T` can only borrow an argument of type `T` or `&mut T`; a model signal's `instance` is taken as `&mut User` (a model) or `&mut dyn Instance`"
)]
pub trait ArgMut<T: ?Sized> {
    /// Borrows the argument mutably.
    fn arg_mut(&mut self) -> Option<&mut T>;
}

impl<T: ?Sized> ArgMut<T> for T {
    #[inline]
    fn arg_mut(&mut self) -> Option<&mut T> {
        Some(self)
    }
}

#[diagnostic::do_not_recommend]
impl<T: ?Sized> ArgMut<T> for &mut T {
    #[inline]
    fn arg_mut(&mut self) -> Option<&mut T> {
        Some(self)
    }
}

/// Copies or clones a signal argument into a receiver's by-value parameter.
#[diagnostic::on_unimplemented(
    message = "receiver parameter of type `{T}` does not match this signal argument of type `{Self}`",
    label = "this parameter's type does not match the signal argument",
    note = "a by-value parameter must have the argument's own type, and that type must be `Clone`; otherwise take it by reference"
)]
pub trait ArgValue<T> {
    /// Copies or clones the argument.
    fn arg_value(&self) -> Option<T>;
}

impl<T: Clone> ArgValue<T> for T {
    #[inline]
    fn arg_value(&self) -> Option<T> {
        Some(self.clone())
    }
}

impl<T: Clone> ArgValue<T> for &T {
    #[inline]
    fn arg_value(&self) -> Option<T> {
        Some((*self).clone())
    }
}

impl<T: Clone> ArgValue<T> for &mut T {
    #[inline]
    fn arg_value(&self) -> Option<T> {
        Some((**self).clone())
    }
}

/// Converts a receiver's return value to the signal's result type.
///
/// Taking the signal fixes the output type to the signal's own before the value is looked at, so
/// a wrong return type is reported as "must return `O` or `Result<O, E>`" on the user's return
/// type rather than as a mismatch somewhere in the expansion.
#[inline]
pub fn receiver_result<S, R>(
    _signal: &S,
    returned: R,
) -> Result<<S::Args as crate::SignalArgs>::Output, Box<crate::Error>>
where
    S: crate::signal::IsSignal,
    R: crate::IntoReceiverResult<<S::Args as crate::SignalArgs>::Output>,
{
    returned.into_receiver_result()
}

/// What a receiver's wrapper returns when an argument does not apply to it (see the module
/// docs): the dispatcher skips the receiver, as if it had not been connected for this send.
#[cold]
pub fn not_applicable<O>() -> Result<O, Box<crate::Error>> {
    Err(Box::new(crate::Error::NotApplicable))
}

/// What a receiver's wrapper returns when its `async fn` could not be awaited.
#[cold]
pub fn receiver_failed<O>(error: crate::Error) -> Result<O, Box<crate::Error>> {
    Err(Box::new(error))
}

/// Without the `tokio` feature nothing can await an `async fn` receiver: its wrapper's call to
/// [`await_receiver`] asks for this trait, which nothing implements, and rustc says why.
#[cfg(not(feature = "tokio"))]
#[diagnostic::on_unimplemented(
    message = "an `async fn` receiver needs clarion's `tokio` feature",
    label = "this receiver is an `async fn`",
    note = "enable it in Cargo.toml: `clarion = {{ version = \"…\", features = [\"tokio\"] }}`, \
            or make the receiver a plain `fn`"
)]
pub trait AsyncReceiverNeedsTokio {}

/// Without the `tokio` feature: refused at compile time (see [`AsyncReceiverNeedsTokio`]).
#[cfg(not(feature = "tokio"))]
pub fn await_receiver<F>(future: F) -> crate::Result<F::Output>
where
    F: std::future::Future + AsyncReceiverNeedsTokio,
{
    drop(future);
    unreachable!("no future implements `AsyncReceiverNeedsTokio`")
}

//! Not public API: the compile-time checks `#[receiver]` emits, so that a receiver that could
//! never be called does not compile.
//!
//! Each check is a call `<T as Check<_>>::check(&args_of(&SIGNAL))`, spanned at the user's token
//! `T`: rustc infers the signal's argument type from the call's argument and reports an unmet
//! check once, at `T`, with the trait's `on_unimplemented` text. The argument type decides what
//! is checked: a model signal's sender must be a model, `m2m_changed`'s a relation (or its
//! custom `through` model), and a signal of the user's (`#[derive(SignalArgs)]`, marked
//! [`FreeArgs`]) takes any sender. Every check compiles to nothing.

use std::marker::PhantomData;

use super::m2m::ManyToManyRelation;
use super::signals::{Delete, M2mChanged, PostInit, PostSave, PreSave};
use super::{Instance, Model};
use crate::signal::IsSignal;

/// Stands for a signal's argument type `A`, taken from the signal by [`args_of`].
pub struct ArgsOf<A>(PhantomData<fn() -> A>);

/// The argument type of `signal`, as a value the checks can infer it from.
#[inline(always)]
pub fn args_of<S: IsSignal>(_signal: &S) -> ArgsOf<S::Args> {
    ArgsOf(PhantomData)
}

/// The argument type of a signal whose receivers may name any sender and take any instance: a
/// signal of the user's. `#[derive(SignalArgs)]` implements it; clarion implements it for its
/// own signals that are not about a model (`class_prepared`, `pre_migrate`, the request
/// signals, …).
pub trait FreeArgs {}

/// `Self` sends the `m2m_changed` of relation `R`: the relation's own type, and its custom
/// `through` model (`#[derive(Model)]` implements it for the latter).
pub trait M2mSender<R: ?Sized> {}

impl<R: ManyToManyRelation> M2mSender<R> for R {}

/// A model signal's sender must be a model.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a model, so it never sends this model signal",
    label = "not a model",
    note = "`pre_save`, `post_save`, `pre_delete`, `post_delete` and `post_init` are sent by the model saved, deleted or loaded: name a `#[derive(Model)]` struct or a `#[proxy]`, like `sender = User`; a many-to-many relation's changes are sent as `m2m_changed`"
)]
pub trait SenderIsModel<A> {
    /// Compiles to nothing.
    #[inline(always)]
    fn check(_args: &ArgsOf<A>) {}
}

/// `m2m_changed`'s sender must be a relation type, or its custom `through` model.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a many-to-many relation, so it never sends `m2m_changed`",
    label = "not a relation",
    note = "`m2m_changed` is sent by the relation's type, which `#[model(many_to_many(tags = Tag))]` on `Post` names `PostTags` (Django's `Post.tags.through`), or by the relation's custom `through` model; a model's own saves are sent as `pre_save`/`post_save`"
)]
pub trait SenderIsRelation<A, Via: ?Sized> {
    /// Compiles to nothing.
    #[inline(always)]
    fn check(_args: &ArgsOf<A>) {}
}

/// The instance a receiver takes must be one the sender can send: the sender itself, a model of
/// the same table (a proxy of it, or the model it is a proxy of), or `dyn Instance`.
#[diagnostic::on_unimplemented(
    message = "the receiver takes `{Self}`, but a signal sent by `{S}` never carries one",
    label = "never the instance of `{S}`'s signals",
    note = "a receiver with `sender = {S}` gets `{S}`'s instances: take `instance: &{S}` (or `&mut {S}` in `pre_save`), a `#[proxy]` of it, or `&dyn Instance`"
)]
pub trait InstanceOf<S: ?Sized, A> {
    /// Compiles to nothing.
    #[inline(always)]
    fn check(_args: &ArgsOf<A>) {}
}

/// What a model signal's instance can be taken as: a model (or a proxy), or `dyn Instance`.
#[diagnostic::on_unimplemented(
    message = "a model signal's instance is a model, not `{Self}`",
    label = "not a model",
    note = "take the instance as `&User` for a model `User` (or `&mut User` in `pre_save`), a `#[proxy]` of it, or `&dyn Instance` for any model"
)]
pub trait InstanceType {
    /// `instance` as a `&Self`, if it is one (or a proxy of one).
    fn cast_ref(instance: &dyn Instance) -> Option<&Self>;
    /// `instance` as a `&mut Self`, if it is one (or a proxy of one).
    fn cast_mut(instance: &mut dyn Instance) -> Option<&mut Self>;
}

#[diagnostic::do_not_recommend]
impl<M: Model> InstanceType for M {
    #[inline]
    fn cast_ref(instance: &dyn Instance) -> Option<&Self> {
        instance.downcast_ref()
    }
    #[inline]
    fn cast_mut(instance: &mut dyn Instance) -> Option<&mut Self> {
        instance.downcast_mut()
    }
}

#[diagnostic::do_not_recommend]
impl InstanceType for dyn Instance {
    #[inline]
    fn cast_ref(instance: &dyn Instance) -> Option<&Self> {
        Some(instance)
    }
    #[inline]
    fn cast_mut(instance: &mut dyn Instance) -> Option<&mut Self> {
        Some(instance)
    }
}

/// `Self` can be the instance of a signal sent by `S`: a model of the same table (the sender, a
/// proxy of it, or the model it is a proxy of), or `dyn Instance`.
pub trait FromSender<S: ?Sized> {}

#[diagnostic::do_not_recommend]
impl<M: Model, S: Model> FromSender<S> for M where M::Concrete: SameModel<S::Concrete> {}
#[diagnostic::do_not_recommend]
impl<S: ?Sized> FromSender<S> for dyn Instance {}

/// Two models of the same table: `Self` and `M` have the same concrete model.
pub trait SameModel<M: ?Sized> {}

impl<M: ?Sized> SameModel<M> for M {}

macro_rules! model_signal_args {
    ($($args:ty),*) => {$(
        #[diagnostic::do_not_recommend]
        impl<M: Model> SenderIsModel<$args> for M {}
        impl<T: ?Sized> SenderIsRelation<$args, ()> for T {}
        impl<I: ?Sized + InstanceType + FromSender<S>, S: ?Sized> InstanceOf<S, $args> for I {}
    )*};
}
model_signal_args!(
    PreSave<'static>,
    PostSave<'static>,
    Delete<'static>,
    PostInit<'static>
);

impl<T: ?Sized> SenderIsModel<M2mChanged<'static>> for T {}
#[diagnostic::do_not_recommend]
impl<T: ?Sized + M2mSender<R>, R: ?Sized> SenderIsRelation<M2mChanged<'static>, R> for T {}
// The instance is either side of the relation.
impl<I: ?Sized, S: ?Sized> InstanceOf<S, M2mChanged<'static>> for I {}

impl<T: ?Sized, A: FreeArgs> SenderIsModel<A> for T {}
impl<T: ?Sized, A: FreeArgs> SenderIsRelation<A, ()> for T {}
impl<I: ?Sized, S: ?Sized, A: FreeArgs> InstanceOf<S, A> for I {}

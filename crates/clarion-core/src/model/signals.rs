//! The model signals, as Django sends them (`django.db.models.signals`), with their arguments.
//!
//! Every signal of a save or delete carries the [`Transaction`] the write runs in (`tx`) and the
//! database alias (`using`): a receiver that writes through `tx`, or saves another model, writes
//! in the same transaction, and an error anywhere rolls all of it back.
//!
//! | signal | arguments | sent |
//! |---|---|---|
//! | [`pre_save`] | `instance`, `raw`, `using`, `update_fields`, `also_update`, `tx` | before the `INSERT`/`UPDATE` |
//! | [`post_save`] | `instance`, `created`, `raw`, `using`, `update_fields`, `tx` | after it |
//! | [`pre_delete`] | `instance`, `using`, `origin`, `tx` | before the `DELETE` |
//! | [`post_delete`] | `instance`, `using`, `origin`, `tx` | after it; the instance still has its key |
//! | [`post_init`] | `instance`, `using` | for each instance loaded from the database |
//! | [`class_prepared`] | `model` | once per model, when the registry of models is built |
//! | [`pre_migrate`] / [`post_migrate`] | `using`, `models`, `tx` | around `migrate()` |
//! | [`m2m_changed`] | `instance`, `action`, `reverse`, `model`, `pk_set`, `relation`, `using`, `raw`, `tx` | around each change of a many-to-many relation |
//!
//! The statics are lowercase so that `#[receiver(post_save, sender = User)]` reads as Django's
//! `@receiver(post_save, sender=User)`.
#![allow(non_upper_case_globals)]

use crate::db::Transaction;
use crate::error::{Error, Result};
use crate::sender::Sender;
use crate::signal::SignalArgs;

use super::m2m::{ManyToManyMeta, PkSet};
use super::meta::ModelMeta;
use super::origin::DeleteOrigin;
use super::update_fields::AlsoUpdate;
use super::{InstanceBox, InstanceMut};

/// Arguments of [`pre_save`].
#[derive(Debug)]
#[non_exhaustive]
pub struct PreSave<'a> {
    /// The instance about to be written; a receiver may change it (set a slug, a timestamp).
    pub instance: InstanceMut<'a>,
    /// `true` when the instance is saved exactly as given, as by fixture loading: receivers
    /// should not query or change other rows.
    pub raw: bool,
    /// The alias of the database written to.
    pub using: &'a str,
    /// The fields to write, if the save was given `update_fields`; `None` writes all.
    pub update_fields: Option<&'a [&'static str]>,
    /// Fields a receiver that changes the instance adds to the save (`also_update:
    /// &mut AlsoUpdate`), so that they are written even when the caller's `update_fields`
    /// leaves them out: see [`AlsoUpdate`]. Later receivers still see the caller's
    /// `update_fields`; `post_save` receivers see every field written.
    pub also_update: AlsoUpdate,
    /// The transaction the save runs in.
    pub tx: &'a Transaction,
}

/// Arguments of [`post_save`].
#[derive(Debug)]
#[non_exhaustive]
pub struct PostSave<'a> {
    /// The instance just written, with its primary key.
    pub instance: InstanceMut<'a>,
    /// Whether a row was inserted (rather than updated).
    pub created: bool,
    /// As in [`PreSave::raw`].
    pub raw: bool,
    /// The alias of the database written to.
    pub using: &'a str,
    /// The fields written, if the save was given `update_fields`.
    pub update_fields: Option<&'a [&'static str]>,
    /// The transaction the save runs in.
    pub tx: &'a Transaction,
}

/// Arguments of [`pre_delete`] and [`post_delete`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Delete<'a> {
    /// The instance being deleted; it keeps its primary key in both signals.
    pub instance: InstanceMut<'a>,
    /// The alias of the database written to.
    pub using: &'a str,
    /// What the delete was called on: the instance, or a query set.
    pub origin: &'a DeleteOrigin,
    /// The transaction the delete runs in.
    pub tx: &'a Transaction,
}

/// Arguments of [`post_init`].
#[derive(Debug)]
#[non_exhaustive]
pub struct PostInit<'a> {
    /// The instance just loaded.
    pub instance: InstanceMut<'a>,
    /// The alias of the database it was loaded from.
    pub using: &'a str,
}

/// Arguments of [`class_prepared`].
#[derive(Debug)]
#[non_exhaustive]
pub struct ClassPrepared {
    /// The model that was registered.
    pub model: &'static ModelMeta,
}

/// Arguments of [`pre_migrate`] and [`post_migrate`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Migrate<'a> {
    /// The alias of the database migrated.
    pub using: &'a str,
    /// Every model `migrate()` covers, by label.
    pub models: &'a [&'static ModelMeta],
    /// The tables created; empty in `pre_migrate` (and when all existed).
    pub created: &'a [&'static str],
    /// The columns added to existing tables, as `(table, column)`; empty in `pre_migrate`.
    pub added_columns: &'a [(&'static str, &'static str)],
    /// The statements about to run (`pre_migrate`) or run (`post_migrate`), in order.
    pub steps: &'a [crate::migrate::MigrationStep],
    /// The transaction the migration runs in.
    pub tx: &'a Transaction,
}

/// Which change of a many-to-many relation [`m2m_changed`] reports (Django's `action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum M2mAction {
    /// Before rows are related; `pk_set` holds the keys about to be added, which a receiver
    /// may change.
    PreAdd,
    /// After rows were related; `pk_set` holds the keys added.
    PostAdd,
    /// Before rows are unrelated; `pk_set` holds the keys given, which a receiver may change.
    PreRemove,
    /// After rows were unrelated.
    PostRemove,
    /// Before every row is unrelated; `pk_set` is `None`.
    PreClear,
    /// After every row was unrelated; `pk_set` is `None`.
    PostClear,
}

impl M2mAction {
    /// Django's name of the action: `"pre_add"`, `"post_clear"`, ….
    pub fn name(self) -> &'static str {
        match self {
            M2mAction::PreAdd => "pre_add",
            M2mAction::PostAdd => "post_add",
            M2mAction::PreRemove => "pre_remove",
            M2mAction::PostRemove => "post_remove",
            M2mAction::PreClear => "pre_clear",
            M2mAction::PostClear => "post_clear",
        }
    }

    /// Whether it is sent before the change (`pre_*`).
    pub fn is_pre(self) -> bool {
        matches!(
            self,
            M2mAction::PreAdd | M2mAction::PreRemove | M2mAction::PreClear
        )
    }
}

/// Arguments of [`m2m_changed`].
#[derive(Debug)]
#[non_exhaustive]
pub struct M2mChanged<'a> {
    /// The instance whose relation changes: the declaring model's for `post.tags()`, the other
    /// model's from the reverse side.
    pub instance: InstanceMut<'a>,
    /// Which change.
    pub action: M2mAction,
    /// Whether the change was made from the reverse side (the model that does not declare the
    /// relation).
    pub reverse: bool,
    /// The model of the rows added or removed (Django's `model`): the other side's.
    pub model: &'static ModelMeta,
    /// The keys added or removed (Django's `pk_set`); `None` for a clear. A `pre_add` or
    /// `pre_remove` receiver may change it, and so what is written.
    pub pk_set: Option<PkSet>,
    /// The relation (Django's `sender`, the through model).
    pub relation: &'static ManyToManyMeta,
    /// The alias of the database written to.
    pub using: &'a str,
    /// `true` when fixture loading makes the change.
    pub raw: bool,
    /// The transaction the change runs in.
    pub tx: &'a Transaction,
}

/// What an `on = commit` receiver of [`post_save`] gets, after the outermost commit: owned
/// copies of the arguments (the transaction is over, so there is no `tx`).
#[derive(Debug)]
#[non_exhaustive]
pub struct PostSaveCommitted {
    /// A copy of the instance as it was saved.
    pub instance: InstanceBox,
    /// Whether a row was inserted.
    pub created: bool,
    /// As in [`PreSave::raw`].
    pub raw: bool,
    /// The alias of the database written to.
    pub using: String,
    /// The fields written, if the save was given `update_fields`.
    pub update_fields: Option<Vec<&'static str>>,
}

/// What an `on = commit` receiver of [`post_delete`] gets, after the outermost commit.
#[derive(Debug)]
#[non_exhaustive]
pub struct DeleteCommitted {
    /// A copy of the deleted instance, with its primary key.
    pub instance: InstanceBox,
    /// The alias of the database written to.
    pub using: String,
    /// What the delete was called on.
    pub origin: DeleteOrigin,
}

// Shared with the request signals of `crate::http`, which are declared the same way. Their
// receivers may name any sender (`FreeArgs`); the model signals' are checked by
// `model_args!`'s impls in `super::checks`.
macro_rules! args {
    ($($name:ident<$lt:lifetime>),*; $($owned:ident),*) => {
        $crate::model::signals::model_args!($($name<$lt>),*; $($owned),*);
        $(impl $crate::__private::FreeArgs for $name<'static> {})*
        $(impl $crate::__private::FreeArgs for $owned {})*
    };
}

/// `SignalArgs` alone: for the model signals, whose senders and instances are checked.
macro_rules! model_args {
    ($($name:ident<$lt:lifetime>),*; $($owned:ident),*) => {
        $(
            #[diagnostic::do_not_recommend]
            impl $crate::SignalArgs for $name<'static> {
                type Args<$lt> = $name<$lt>;
                type Output = ();
            }
        )*
        $(
            #[diagnostic::do_not_recommend]
            impl $crate::SignalArgs for $owned {
                type Args<'a> = $owned;
                type Output = ();
            }
        )*
    };
}
#[cfg_attr(not(feature = "tower"), allow(unused_imports))] // used by `crate::http`
pub(crate) use args;
pub(crate) use model_args;

model_args!(PreSave<'a>, PostSave<'a>, Delete<'a>, PostInit<'a>, M2mChanged<'a>;);
args!(Migrate<'a>; ClassPrepared, PostSaveCommitted, DeleteCommitted);

macro_rules! signals {
    ($($(#[$attr:meta])* $name:ident: $args:ty;)*) => {$(
        $(#[$attr])*
        pub static $name: $crate::Signal<$args> = $crate::Signal::new(stringify!($name));
        inventory::submit! { $crate::__private::SignalRegistration::new(&$name) }
    )*};
}
#[cfg_attr(not(feature = "tower"), allow(unused_imports))] // used by `crate::http`
pub(crate) use signals;

signals! {
    /// Sent before a model instance is written (Django's `pre_save`). Receivers may change the
    /// instance; an error aborts the save and nothing is written.
    pre_save: PreSave<'static>;
    /// Sent after a model instance is written (Django's `post_save`), inside the same
    /// transaction. `created` tells an insert from an update.
    post_save: PostSave<'static>;
    /// Sent before a row is deleted (Django's `pre_delete`).
    pre_delete: Delete<'static>;
    /// Sent after a row is deleted (Django's `post_delete`), inside the same transaction.
    post_delete: Delete<'static>;
    /// Sent for each instance loaded from the database (Django's `post_init`, which Django
    /// also sends for instances built in code; in Rust a struct literal runs no code).
    post_init: PostInit<'static>;
    /// Sent once per model when the registry of models is first built (Django's
    /// `class_prepared`).
    class_prepared: ClassPrepared;
    /// Sent before `migrate()` creates tables (Django's `pre_migrate`).
    pre_migrate: Migrate<'static>;
    /// Sent after `migrate()` created tables (Django's `post_migrate`).
    post_migrate: Migrate<'static>;
    /// Sent around each change of a many-to-many relation (Django's `m2m_changed`), by the
    /// relation's type (`sender = PostTags`), inside the change's transaction.
    m2m_changed: M2mChanged<'static>;
}

/// A signal whose receivers can ask to run after the outermost commit (`on = commit`): the
/// arguments are copied when the signal is sent, and the receiver is called with the copy once
/// the data is committed (never after a rollback).
#[diagnostic::on_unimplemented(
    message = "`on = commit` is not available for this signal",
    label = "this signal is not sent inside a write's transaction, or runs before the write",
    note = "`on = commit` is for `post_save` and `post_delete`: a `pre_*` receiver runs before the write it could veto, so it cannot wait for the commit"
)]
pub trait OnCommit: SignalArgs<Output = ()> {
    /// The owned copy of the arguments the deferred receiver gets.
    type Committed: SignalArgs<Output = ()>;
    /// Copies the arguments.
    fn committed(args: &Self::Args<'_>) -> Result<<Self::Committed as SignalArgs>::Args<'static>>;
    /// The transaction whose commit the receiver waits for.
    fn transaction<'t>(args: &'t Self::Args<'_>) -> &'t Transaction;
}

#[diagnostic::do_not_recommend]
impl OnCommit for PostSave<'static> {
    type Committed = PostSaveCommitted;
    fn committed(args: &PostSave<'_>) -> Result<PostSaveCommitted> {
        Ok(PostSaveCommitted {
            instance: InstanceBox::new(args.instance.__snapshot()?),
            created: args.created,
            raw: args.raw,
            using: args.using.to_owned(),
            update_fields: args.update_fields.map(<[_]>::to_vec),
        })
    }
    fn transaction<'t>(args: &'t PostSave<'_>) -> &'t Transaction {
        args.tx
    }
}

#[diagnostic::do_not_recommend]
impl OnCommit for Delete<'static> {
    type Committed = DeleteCommitted;
    fn committed(args: &Delete<'_>) -> Result<DeleteCommitted> {
        Ok(DeleteCommitted {
            instance: InstanceBox::new(args.instance.__snapshot()?),
            using: args.using.to_owned(),
            origin: args.origin.clone(),
        })
    }
    fn transaction<'t>(args: &'t Delete<'_>) -> &'t Transaction {
        args.tx
    }
}

/// The receiver an `on = commit` receiver is compiled to. Not public API.
pub type CommitFn<A> = for<'s, 'b> fn(
    &'s Sender,
    &'b mut <<A as OnCommit>::Committed as SignalArgs>::Args<'static>,
) -> std::result::Result<(), Box<Error>>;

/// Not public API: what `#[receiver(…, on = commit)]` registers. Copies the arguments now and
/// calls `receiver` with the copy after the outermost commit; its error is reported by
/// [`Error::AfterCommit`] from the call that committed.
#[doc(hidden)]
pub fn defer<S>(
    _signal: &S,
    name: &'static str,
    sender: &Sender,
    args: &mut <S::Args as SignalArgs>::Args<'_>,
    receiver: CommitFn<S::Args>,
) -> std::result::Result<(), Box<Error>>
where
    S: crate::signal::IsSignal,
    S::Args: OnCommit,
    <<S::Args as OnCommit>::Committed as SignalArgs>::Args<'static>: Send,
{
    let mut committed = <S::Args as OnCommit>::committed(args)?;
    let sender = *sender;
    let signal = _signal.signal_name();
    <S::Args as OnCommit>::transaction(args).on_commit_fallible(move || {
        // A panic is reported like an error, as `send` reports a receiver's panic: the data is
        // committed, and the other after-commit work still runs.
        let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            receiver(&sender, &mut committed)
        }))
        .unwrap_or_else(|payload| Err(Box::new(Error::from_panic(payload))));
        match called {
            Err(error) if matches!(*error, Error::NotApplicable) => Ok(()),
            Err(error) => Err(Error::Receiver {
                signal,
                receiver: name,
                source: error,
            }),
            Ok(()) => Ok(()),
        }
    });
    Ok(())
}

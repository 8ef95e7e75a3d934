//! The runtime of [clarion](https://docs.rs/clarion): signals, dispatch, and the link-time
//! receiver registry. Use it through the `clarion` crate, which re-exports everything here.

mod args;
#[cfg(feature = "tokio")]
pub mod asynchronous;
mod cache;
pub mod db;
mod error;
pub mod fixtures;
#[cfg(feature = "tower")]
pub mod http;
mod migrate;
pub mod model;
pub mod query;
mod receiver;
mod registry;
mod sender;
mod signal;
pub mod testing;
mod value;

#[cfg(feature = "tokio")]
pub use asynchronous::{amigrate, amigrate_using};
pub use error::{ConstraintKind, Error, Result};
pub use migrate::{
    DifferenceKind, HISTORY_TABLE, Migrated, MigrationPlan, MigrationStep, SchemaDifference,
    StepKind, migrate, migrate_plan, migrate_plan_using, migrate_using,
};
pub use receiver::{IntoReceiverResult, Origin, ReceiverId, ReceiverInfo};
pub use registry::{expect_linked, linked_crates, receivers, signals};
pub use sender::Sender;
pub use signal::{AnySignal, BoxFuture, Connect, Outcome, ReceiverFn, Signal, SignalArgs};
pub use value::{ColumnType, FieldError, FieldType, Value, ValueRef};

/// Declares signals as `static`s and registers them for [`signals`] and [`receivers`].
///
/// ```
/// use clarion::prelude::*;
///
/// #[derive(SignalArgs)]
/// pub struct OrderPlaced { pub order_id: u64 }
///
/// signal! {
///     /// Sent after an order is placed.
///     pub static ORDER_PLACED: Signal<OrderPlaced>;
/// }
///
/// assert!(clarion::signals().iter().any(|s| s.name().ends_with("ORDER_PLACED")));
/// ```
#[macro_export]
macro_rules! signal {
    ($( $(#[$attr:meta])* $vis:vis static $name:ident : Signal<$args:ty>; )+) => {$(
        $(#[$attr])*
        $vis static $name: $crate::Signal<$args> = $crate::Signal::new(
            ::core::concat!(::core::module_path!(), "::", ::core::stringify!($name))
        );
        $crate::__private::inventory::submit! {
            $crate::__private::SignalRegistration::new(&$name)
        }
    )+};
}

/// Not public API: what `clarion`'s macros expand to.
#[doc(hidden)]
pub mod __private {
    pub use crate::args::{
        ArgMut, ArgRef, ArgValue, not_applicable, receiver_failed, receiver_result,
    };
    #[cfg(not(feature = "tokio"))]
    pub use crate::args::{AsyncReceiverNeedsTokio, await_receiver};
    #[cfg(feature = "tokio")]
    pub use crate::asynchronous::await_receiver;
    pub use crate::model::checks::{
        ArgsOf, FreeArgs, FromSender, InstanceOf, InstanceType, M2mSender, SameModel,
        SenderIsModel, SenderIsRelation, args_of,
    };
    pub use crate::model::signals::{CommitFn, OnCommit, defer};
    pub use crate::model::{
        AutoNow, FieldMeta, FieldVisitor, ForeignKey, ManyRelated, ManyToManyMeta,
        ManyToManyRelation, ModelMeta, ModelRegistration, OnDelete, ProxyParents, Related, Row,
        VisitedField, field_from_row, field_from_row_by,
    };
    pub use crate::query::{Column, OrderBy, QuerySet, ordering};
    pub use crate::registry::{LinkedMeta, LinkedReceiver, SignalRegistration};
    pub use crate::sender::Sender;
    pub use crate::value::{FieldError, FieldType, Value, ValueRef};
    pub use inventory;
    pub use std::time::SystemTime;
}

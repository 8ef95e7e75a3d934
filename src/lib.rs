//! Django's model signals for Rust, checked by the compiler instead of discovered at run time.
//!
//! Decoupled code reacts to events through **signals**: a sender sends, every connected
//! **receiver** runs. Receivers are plain functions registered at link time by
//! [`#[receiver]`](receiver), so there is no start-up call to forget, and their parameters are
//! matched to the signal's arguments by name and type when the program compiles.
//!
//! ```
//! use clarion::prelude::*;
//!
//! /// The arguments of our custom signal (Django: the kwargs of `send`).
//! #[derive(SignalArgs)]
//! pub struct PizzaDone<'a> {
//!     pub toppings: &'a [&'a str],
//!     pub size: u32,
//! }
//!
//! signal! {
//!     /// Sent when a pizza leaves the oven (Django: `pizza_done = Signal()`).
//!     pub static PIZZA_DONE: Signal<PizzaDone>;
//! }
//!
//! pub struct Pizzeria;
//!
//! // Any subset of the arguments, by name, in any order.
//! #[receiver(PIZZA_DONE, sender = Pizzeria)]
//! fn announce(size: u32, toppings: &[&str]) {
//!     println!("{size} cm pizza with {}", toppings.join(", "));
//! }
//!
//! // A receiver may fail; `send` stops there and says which receiver failed.
//! #[receiver(PIZZA_DONE)]
//! fn check_size(size: u32) -> Result<(), clarion::Error> {
//!     if size > 60 { Err("too big for the box".into()) } else { Ok(()) }
//! }
//!
//! fn main() -> Result<(), clarion::Error> {
//!     PIZZA_DONE.send(Sender::of::<Pizzeria>(), &mut PizzaDone { toppings: &["basil"], size: 30 })?;
//!     let error = PIZZA_DONE
//!         .send(Sender::of::<Pizzeria>(), &mut PizzaDone { toppings: &[], size: 80 })
//!         .unwrap_err();
//!     assert!(error.to_string().contains("check_size"));
//!     Ok(())
//! }
//! ```
//!
//! The guide in `docs/` explains signals, ordering, introspection and test aids, and has a
//! "Coming from Django" table. The main pieces:
//!
//! - [`Signal`]: `send`, `send_robust`, `connect`, `connect_with`, `connect_weak`, `disconnect`,
//!   `has_listeners`, `receivers`.
//! - [`#[receiver]`](receiver) and [`#[derive(SignalArgs)]`](derive@SignalArgs), [`signal!`].
//! - [`receivers()`] and [`signals()`]: which receivers are connected, process-wide.
//! - [`testing`]: capture and mute signals within a scope, per thread.
//! - [`db`]: databases by alias, [`db::atomic`] transactions with savepoints and `on_commit`
//!   (`docs/transactions.md`); models will be saved through it.
//! - `clarion::http`, with the `tower` feature: Django's request signals, sent by a tower layer
//!   around every request of an axum, tonic or hyper service (`docs/http.md`).

// Lets the macros' `::clarion::…` paths resolve inside this crate's own tests and doctests.
extern crate self as clarion;

pub use clarion_core::{
    AnySignal, BoxFuture, ColumnType, Connect, ConstraintKind, DifferenceKind, Error, FieldError,
    FieldType, HISTORY_TABLE, IntoReceiverResult, Migrated, MigrationPlan, MigrationStep, Origin,
    Outcome, ReceiverFn, ReceiverId, ReceiverInfo, Result, SchemaDifference, Sender, Signal,
    SignalArgs, StepKind, Value, ValueRef, db, expect_linked, fixtures, linked_crates, migrate,
    migrate_plan, migrate_plan_using, migrate_using, query, receivers, signal, signals, testing,
};

/// clarion from async code: the awaitable API (`asave`, `aget`, `aatomic`, …) and how it runs.
/// Needs the `tokio` feature; see `docs/async.md`.
#[cfg(feature = "tokio")]
pub use clarion_core::asynchronous;
#[cfg(feature = "tokio")]
pub use clarion_core::{amigrate, amigrate_using};

/// Request signals for tower services (axum, tonic, hyper): `request_started`,
/// `request_finished`, `got_request_exception` and the [`SignalLayer`](http::SignalLayer) that
/// sends them (Django's `django.core.signals`). Needs the `tower` feature.
#[cfg(feature = "tower")]
pub use clarion_core::http;

/// Models: the [`Model`] trait, the dynamic [`Instance`](models::Instance) view, save options,
/// the model signals and the registry of models (Django's `django.db.models`).
pub use clarion_core::model as models;

/// The trait every model implements; derive it with `#[derive(Model)]`.
pub use clarion_core::model::Model;

/// Makes a struct with named fields a model: a row of a table, saved with [`Model::save`] and
/// heard by the model signals (Django's `class Article(models.Model)`).
///
/// ```
/// use clarion::db::{self, Database};
/// use clarion::prelude::*;
///
/// #[derive(Model, Debug)]
/// #[model(table = "blog_posts", app_label = "blog")]
/// pub struct BlogPost {
///     /// The automatic primary key: `None` until the first save.
///     pub id: Option<i64>,
///     #[model(max_length = 200)]
///     pub title: String,
///     #[model(unique, db_column = "url_slug")]
///     pub slug: String,
///     #[model(default = 0)]
///     pub views: i64,
///     /// A nullable column (Django's `null=True`).
///     pub summary: Option<String>,
/// }
///
/// fn main() -> clarion::Result<()> {
///     db::register(Database::open("sqlite::memory:")?);
///     db::atomic(|tx| {
///         tx.execute_batch(
///             "CREATE TABLE blog_posts (
///                  id integer PRIMARY KEY AUTOINCREMENT, title varchar(200) NOT NULL,
///                  url_slug text NOT NULL UNIQUE, views integer NOT NULL DEFAULT 0,
///                  summary text NULL
///              )",
///         )
///     })?;
///
///     let mut post = BlogPost {
///         id: None,
///         title: "Hello".to_owned(),
///         slug: "hello".to_owned(),
///         views: 0,
///         summary: None,
///     };
///     post.save()?; // INSERT: the database assigns the key
///     assert_eq!(post.id, Some(1));
///     post.views += 1;
///     post.save()?; // UPDATE
///
///     assert_eq!(BlogPost::META.label, "blog.blogpost");
///     assert_eq!(BlogPost::SLUG.meta().column, "url_slug");
///     Ok(())
/// }
/// ```
///
/// **What it generates:** the struct itself is left as written. Beside it come
/// - `impl Model`, whose [`META`](Model::META) describes the model: its name, app label, label
///   (`app_label.modelname`, lowercase, as Django's), table, and each field's column, column type
///   (from the field's [`FieldType`]), nullability (`Option<T>`), primary key and options;
/// - a link-time registration, so the model is listed by [`models::models`] (for `migrate()`,
///   fixtures and introspection) without a start-up call;
/// - a typed column handle per field, an associated const named after the field in
///   SCREAMING_SNAKE_CASE with the field's visibility: `BlogPost::TITLE` is a
///   [`query::Column<BlogPost, String>`](query::Column), for filters and ordering.
///
/// **Attributes**, all in `#[model(…)]`, several per attribute or in several attributes:
///
/// | on | key | meaning | default |
/// |---|---|---|---|
/// | struct | `table = "…"` | the table's name (Django's `db_table`) | the struct's name in snake_case: `BlogPost` → `blog_post` |
/// | struct | `app_label = "…"` | the app label; the model's label is `app_label.modelname` | the crate's name |
/// | field | `primary_key` | this field is the primary key | `id: Option<i64>` |
/// | field | `unique` | a `UNIQUE` column | off |
/// | field | `index` | an index on the column (Django's `db_index`) | off |
/// | field | `max_length = N` | at most `N` characters, checked before every write; `String` and `Option<String>` fields only | no limit |
/// | field | `default = expr` | the column's `DEFAULT`, and the value of a fixture record that omits the field; `expr` has the field's type | none |
/// | field | `db_column = "…"` | the column's name | the field's name, without `r#` |
/// | field | `auto_now` | set to the time of every save, and written by a save with `update_fields` too; a date or time field ([`models::AutoNow`]); not with `default` or `primary_key` | off |
/// | field | `auto_now_add` | set to the time of the save that adds the row (an instance without a key yet, or `force_insert`); same types | off |
///
/// **The primary key** is the field marked `primary_key`; without one, a field `id: Option<i64>`
/// is an automatic key (Django's `AutoField`): `None` until the first save, which takes the
/// database's new row id. An `Option<i64>` key marked `primary_key` is automatic too; a key of
/// another type must be set before saving. A model has exactly one primary key.
///
/// **Fields** may have any type that implements [`FieldType`]: integers up to 64 bits (`u64`
/// excepted), `f32`, `f64`, `bool`, `String`, `Vec<u8>`, `serde_json::Value`, dates, times and
/// UUIDs with the `chrono` and `uuid` features, and `Option` of any of these for a nullable
/// column. The types are recognised as written: `Option<i64>` and `String` (for `max_length`)
/// by their last path segment, so a type alias of them is not.
///
/// Mistakes are compile errors that point at the offending token: a struct with generics, a
/// tuple struct or enum, an unknown or repeated option, no primary key or two, `max_length` on a
/// field that is not text, a `default` of the wrong type, a field type that is not a
/// [`FieldType`], a model that is not `Send`, `auto_now` on a field that is not a date
/// or time or together with `auto_now_add`, `default` or `primary_key`.
///
/// ```compile_fail
/// #[derive(clarion::Model)]
/// pub struct Article {
///     pub title: String,
/// } // error: `Article` has no primary key: add a field `id: Option<i64>` […]
/// ```
///
/// ```compile_fail
/// #[derive(clarion::Model)]
/// pub struct Article {
///     pub id: Option<i64>,
///     #[model(uniqe)] // error: unknown option `uniqe` for `#[model]`: did you mean `unique`? […]
///     pub slug: String,
/// }
/// ```
pub use clarion_macros::Model;

/// Registers a free `fn` as a receiver of one or more signals, at link time.
///
/// ```text
/// #[receiver(SIGNAL)]
/// #[receiver([SIGNAL_A, SIGNAL_B], sender = Type, dispatch_uid = "…", priority = N)]
/// #[receiver(post_save, sender = Model, on = commit)]
/// ```
///
/// | key | meaning | default |
/// |---|---|---|
/// | first argument | the signal, or a `[list]` of signals: a path to a [`Signal`] static | required |
/// | `sender = Type` | hear only sends from `Type` (or from a sender naming it as a parent) | every sender |
/// | `dispatch_uid = "…"` | connect once per sender under this id: the first receiver in order wins | none |
/// | `priority = N` | an `i32`; higher runs earlier | `0` |
/// | `on = commit` | for `post_save`/`post_delete`: run after the outermost transaction commits, never after a rollback, with owned copies of the arguments (no `tx`) | run inside the transaction |
///
/// **Parameters are matched by name** to the fields of the signal's argument struct, like
/// Django's kwargs: take any subset, in any order, by reference (`&T`, `&mut T` when the
/// argument is `&mut T` or owned) or by value (for `Clone` arguments). Two names are reserved:
/// `sender: Sender` is the sender, and `args: &Args` (or `&mut Args`) is the whole argument
/// struct. The fn returns the signal's output (`()` unless the signal says otherwise) or a
/// `Result` of it whose error converts into [`Error`].
///
/// **What it generates:** the fn, with a link-time registration (an `inventory` submission) per
/// signal inserted as the first item of its body, each holding a small wrapper that takes the
/// parameters from the arguments. The fn's own code is unchanged, and it can still be called
/// directly.
/// Link-time receivers of a signal run in a fixed order: by `priority`, then by path
/// (`crate::module::fn`), then by file and line; all before runtime-connected receivers of the
/// same priority.
///
/// Mistakes are compile errors that point at the offending token:
///
/// ```compile_fail
/// use clarion::prelude::*;
/// #[derive(SignalArgs)]
/// pub struct Ping { pub n: u32 }
/// signal! { pub static PING: Signal<Ping>; }
///
/// #[receiver(PING)]
/// fn typo(m: u32) {} // error: no field `m` on type `Ping`; available fields are: `n`
/// ```
///
/// ```compile_fail
/// use clarion::prelude::*;
/// #[derive(SignalArgs)]
/// pub struct Ping { pub n: u32 }
/// signal! { pub static PING: Signal<Ping>; }
///
/// #[receiver(PING)]
/// fn wrong_type(n: String) {} // error: receiver parameter of type `String` does not match …
/// ```
///
/// ```compile_fail
/// use clarion::prelude::*;
/// #[derive(SignalArgs)]
/// pub struct Ping { pub n: u32 }
/// signal! { pub static PING: Signal<Ping>; }
///
/// #[receiver(PING)]
/// unsafe fn unsafe_receiver(n: u32) {} // error: a receiver cannot be an `unsafe fn`
/// ```
///
/// With the `tokio` feature a receiver may be an `async fn`, awaited where the signal is sent
/// (see `docs/async.md`).
pub use clarion_macros::receiver;

/// Makes a unit struct a proxy model of another model (Django's `class Meta: proxy = True`): the
/// same table and rows, behaviour of its own.
///
/// ```
/// use clarion::prelude::*;
///
/// #[derive(Model, Debug, Clone)]
/// pub struct User {
///     pub id: Option<i64>,
///     pub name: String,
///     pub is_staff: bool,
/// }
///
/// /// Staff members: the users with `is_staff`, by name.
/// #[proxy(of = User, filter = User::IS_STAFF.eq(true), ordering = User::NAME)]
/// #[derive(Debug, Clone)]
/// pub struct Staff;
///
/// impl Staff {
///     /// Django's "new behaviour on a proxy": a method of its own.
///     pub fn promote(&mut self) {
///         self.name.push_str(" (lead)");
///     }
/// }
///
/// let user = User { id: None, name: "Ada".into(), is_staff: true };
/// let mut staff = Staff::from(user); // by value; `Staff::from_ref(&user)` by reference
/// staff.promote(); // `Staff` dereferences to `User`
/// assert_eq!(staff.name, "Ada (lead)");
/// assert_eq!(Staff::META.table, User::META.table);
/// assert!(Staff::META.is_proxy());
/// ```
///
/// It generates:
/// - the struct as `#[repr(transparent)] struct Staff(pub User)`, with `From<User>`,
///   `From<Staff> for User`, `Deref`/`DerefMut` and `AsRef`/`AsMut` to `User`, and
///   `Staff::from_ref(&User) -> &Staff` / `Staff::from_mut`;
/// - `impl Model for Staff`: the same table, fields and key as `User` (its
///   [`META`](Model::META) is a proxy's: [`is_proxy`](models::ModelMeta::is_proxy),
///   [`concrete_model`](models::ModelMeta::concrete_model)); [`objects`](Model::objects) with the
///   base filter and ordering given; and a [`sender`](Model::sender) whose parents are `User`
///   (and `User`'s parents), so that receivers for `User` also hear saves and deletes made
///   through `Staff`;
/// - its registration, so introspection lists it; `migrate()` creates no table for it and
///   fixtures name its rows by the concrete model.
///
/// | option | meaning |
/// |---|---|
/// | `of = Model` | the model proxied (a model or another proxy); required |
/// | `filter = …` | the default manager's base filter, a [`Filter`](query::Filter) of the concrete model |
/// | `ordering = …` | the default manager's ordering: anything [`QuerySet::order_by`](query::QuerySet::order_by) takes |
/// | `app_label = "…"` | as `#[model(app_label)]` |
///
/// A proxy cannot declare fields, be generic, or be an enum; each is a compile error:
///
/// ```compile_fail
/// # use clarion::prelude::*;
/// # #[derive(Model)] pub struct User { pub id: Option<i64>, pub name: String }
/// #[proxy(of = User)]
/// pub struct Staff {
///     badge: u32, // error: a proxy model cannot declare fields
/// }
/// ```
pub use clarion_macros::proxy;

/// Makes a struct with named fields the argument type of a signal.
///
/// The struct may have one lifetime parameter, for arguments that borrow; `Signal<S>` names the
/// signal with the lifetime left out (or `'static`). `#[signal_args(output = T)]` sets what each
/// receiver returns (default `()`); [`Signal::send`] returns every receiver's value.
///
/// ```
/// use clarion::prelude::*;
///
/// #[derive(SignalArgs)]
/// #[signal_args(output = u32)]
/// pub struct Quote<'a> {
///     pub item: &'a str,
/// }
///
/// static QUOTE: Signal<Quote> = Signal::new("quote");
/// struct Shop;
///
/// QUOTE.connect(|_sender, args: &mut Quote| args.item.len() as u32);
/// QUOTE.connect(|_sender, _args: &mut Quote| 7);
/// let prices = QUOTE.send(Sender::of::<Shop>(), &mut Quote { item: "tea" })?;
/// assert_eq!(prices, vec![3, 7]);
/// # Ok::<(), clarion::Error>(())
/// ```
///
/// Fields cannot be named `sender` or `args` (receivers use those names), and the struct needs
/// named fields:
///
/// ```compile_fail
/// #[derive(clarion::SignalArgs)]
/// pub struct Bad { pub sender: u32 }
/// ```
pub use clarion_macros::SignalArgs;

/// One import for everything a user of signals needs: `use clarion::prelude::*;`.
pub mod prelude {
    #[cfg(feature = "tokio")]
    pub use crate::asynchronous::AsyncModel;
    #[cfg(feature = "tower")]
    pub use crate::http::{got_request_exception, request_finished, request_started};
    pub use crate::models::signals::{
        M2mAction, class_prepared, m2m_changed, post_delete, post_init, post_migrate, post_save,
        pre_delete, pre_migrate, pre_save,
    };
    pub use crate::models::{ForeignKey, Instance, ManyToManyRelation, PkSet, SaveOptions};
    pub use crate::query::{Filter, QuerySet};
    pub use crate::{Connect, Model, Sender, Signal, SignalArgs, proxy, receiver, signal};
}

// Compiles and runs the README's example with the doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

// And the examples of the transactions guide.
#[cfg(doctest)]
#[doc = include_str!("../docs/transactions.md")]
struct TransactionsGuideDoctests;

// And those of the models guide.
#[cfg(doctest)]
#[doc = include_str!("../docs/models.md")]
struct ModelsGuideDoctests;

// And those of the queries guide.
#[cfg(doctest)]
#[doc = include_str!("../docs/queries.md")]
struct QueriesGuideDoctests;

// And those of the proxy models guide.
#[cfg(doctest)]
#[doc = include_str!("../docs/proxy.md")]
struct ProxyGuideDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/relations.md")]
struct RelationsGuideDoctests;

// And those of the databases guide (compiled; they need servers to run).
#[cfg(doctest)]
#[doc = include_str!("../docs/databases.md")]
struct DatabasesGuideDoctests;

// And those of the migrations guide.
#[cfg(doctest)]
#[doc = include_str!("../docs/migrations.md")]
struct MigrationsGuideDoctests;

// And those of the request signals' guide, which need the `tower` feature (on for the tests:
// the crate's dev-dependency on itself enables it).
#[cfg(all(doctest, feature = "tower"))]
#[doc = include_str!("../docs/http.md")]
struct HttpGuideDoctests;

// And those of the observability guide, which need the `tracing` feature (on for the tests).
#[cfg(all(doctest, feature = "tracing"))]
#[doc = include_str!("../docs/observability.md")]
struct ObservabilityGuideDoctests;

// And those of the async guide, which need the `tokio` feature (on for the tests).
#[cfg(all(doctest, feature = "tokio"))]
#[doc = include_str!("../docs/async.md")]
struct AsyncGuideDoctests;

/// Not public API: what the macros expand to. Names here may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use clarion_core::__private::*;
    pub use clarion_core::{Error, IntoReceiverResult, Sender};
}

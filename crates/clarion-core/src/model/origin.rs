//! What a delete was called on, as `pre_delete`/`post_delete` receivers see it.

use std::fmt;

use super::{Instance, Model};
use crate::query::QuerySet;
use crate::value::Value;

/// What a delete was called on, as `pre_delete`/`post_delete` receivers see it (Django's
/// `origin`), for the cascaded rows too.
///
/// Django compares it by identity (`origin is p1`, `origin is qs`); a Rust receiver holds no
/// reference to the caller's value, so it compares by what identifies one:
/// [`is_instance`](DeleteOrigin::is_instance) by model and key,
/// [`is_query_set`](DeleteOrigin::is_query_set) by model and query (its SQL, parameters and
/// database).
///
/// ```
/// use clarion::prelude::*;
/// use clarion::models::DeleteOrigin;
/// # use clarion::db::{self, Database};
///
/// #[derive(Model)]
/// pub struct Article { pub id: Option<i64>, pub title: String }
/// # db::register(Database::open_as("origin_doc", "sqlite::memory:")?);
/// # clarion::migrate_using("origin_doc")?;
///
/// let drafts = Article::objects().using("origin_doc").filter(Article::TITLE.eq("draft"));
/// let mut first = Article { id: None, title: "draft".into() };
/// first.save_with(SaveOptions::new().using("origin_doc"))?;
/// let origins = clarion::testing::capture(&pre_delete, |_, args: &clarion::models::signals::Delete<'_>| {
///     args.origin.clone()
/// });
/// drafts.delete()?;
/// let origin = origins.take().remove(0);
/// assert!(origin.is_query_set(&drafts));
/// assert!(!origin.is_query_set(&Article::objects().using("origin_doc")));
/// assert!(!origin.is_instance(&first));
/// assert_eq!(origin.model(), Article::META.label);
/// # Ok::<(), clarion::Error>(())
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum DeleteOrigin {
    /// `instance.delete()` on an instance of `model` (its label) whose key is `pk`.
    Instance {
        /// The label of the model whose `delete` was called.
        model: &'static str,
        /// The instance's primary key.
        pk: Value,
    },
    /// A query set's `delete()` (or the rows of a many-to-many relation's own through model
    /// that `remove`, `clear` or `set` deletes).
    QuerySet {
        /// The label of the query set's model.
        model: &'static str,
        /// What identifies the query: the query set's `Debug` form (model, database, SQL and
        /// parameters), or a description of the relation's rows.
        query: String,
    },
}

impl DeleteOrigin {
    /// The origin of `instance.delete()`.
    pub(crate) fn instance<M: Model>(instance: &M) -> DeleteOrigin {
        DeleteOrigin::Instance {
            model: M::META.label,
            pk: instance.pk(),
        }
    }

    /// The origin of `query_set.delete()`.
    pub(crate) fn query_set<M: Model>(query_set: &QuerySet<M>) -> DeleteOrigin {
        DeleteOrigin::QuerySet {
            model: M::META.label,
            query: format!("{query_set:?}"),
        }
    }

    /// The label of the model whose `delete` was called.
    pub fn model(&self) -> &'static str {
        match self {
            DeleteOrigin::Instance { model, .. } | DeleteOrigin::QuerySet { model, .. } => model,
        }
    }

    /// Whether the delete was called on `instance`: an instance of the same model with the
    /// same key (Django's `origin is instance`). A proxy and its concrete model are different
    /// models here, as they are different classes in Django.
    pub fn is_instance<M: Model>(&self, instance: &M) -> bool {
        match self {
            DeleteOrigin::Instance { model, pk } => {
                *model == M::META.label && !pk.is_null() && *pk == instance.pk()
            }
            DeleteOrigin::QuerySet { .. } => false,
        }
    }

    /// Whether the delete was called on a query set equal to `query_set`: same model, same
    /// database, same filters, ordering and slice (Django's `origin is qs`).
    pub fn is_query_set<M: Model>(&self, query_set: &QuerySet<M>) -> bool {
        match self {
            DeleteOrigin::QuerySet { model, query } => {
                *model == M::META.label && *query == format!("{query_set:?}")
            }
            DeleteOrigin::Instance { .. } => false,
        }
    }
}

impl fmt::Debug for DeleteOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeleteOrigin::Instance { model, pk } => write!(f, "Instance({model}, pk = {pk})"),
            DeleteOrigin::QuerySet { model, query } => write!(f, "QuerySet({model}: {query})"),
        }
    }
}

//! Awaitable saves, deletes, reloads and query sets.

use std::future::Future;

use super::run::run;
use crate::Result;
use crate::model::{Deleted, Model, SaveOptions};
use crate::query::{Aggregates, Assignment, Columns, GroupBy, Page, Paginator, QuerySet};

/// The awaitable forms of [`Model`]'s writes, named as Django names them (`asave`,
/// `adelete`, `arefresh_from_db`), for every model that is `Clone` (in the prelude with the
/// `tokio` feature).
///
/// Each runs the synchronous method on a blocking thread (or on the thread of the task's open
/// [`aatomic`](crate::db::aatomic) block, inside its transaction), with the same signals and the
/// same errors, and copies the instance back: what receivers changed on it, and the key a save
/// gave it. The instance is cloned to be sent there, hence the `Clone` bound.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> clarion::Result<()> {
/// use clarion::prelude::*;
///
/// #[derive(Model, Clone, Debug)]
/// #[model(table = "async_doc_post")]
/// pub struct Post {
///     pub id: Option<i64>,
///     pub title: String,
/// }
///
/// clarion::db::register(clarion::db::Database::open_as("async_doc", "sqlite::memory:")?);
/// clarion::amigrate_using("async_doc").await?;
///
/// let mut post = Post { id: None, title: "Hello".into() };
/// post.asave_with(SaveOptions::new().using("async_doc")).await?;
/// assert!(post.id.is_some());
/// let found = Post::objects().using("async_doc").filter(Post::TITLE.eq("Hello")).aget().await?;
/// assert_eq!(found.id, post.id);
/// post.adelete_using("async_doc").await?;
/// assert_eq!(Post::objects().using("async_doc").acount().await?, 0);
/// # Ok(())
/// # }
/// ```
pub trait AsyncModel: Model + Clone {
    /// As [`Model::save`], awaitable.
    fn asave(&mut self) -> impl Future<Output = Result<()>> + Send {
        self.asave_with(SaveOptions::new())
    }

    /// As [`Model::save_with`], awaitable.
    fn asave_with(&mut self, options: SaveOptions<'_>) -> impl Future<Output = Result<()>> + Send {
        let copy = self.clone();
        let options = options.to_owned_options();
        async move {
            let (copy, saved) = run(move || {
                let mut copy = copy;
                let saved = options.with(|options| copy.save_with(options));
                Ok((copy, saved))
            })
            .await?;
            *self = copy;
            saved
        }
    }

    /// As [`Model::delete`], awaitable.
    fn adelete(&mut self) -> impl Future<Output = Result<Deleted>> + Send {
        self.adelete_using(crate::db::DEFAULT_ALIAS)
    }

    /// As [`Model::delete_using`], awaitable.
    fn adelete_using(&mut self, using: &str) -> impl Future<Output = Result<Deleted>> + Send {
        let copy = self.clone();
        let using = using.to_owned();
        async move {
            let (copy, deleted) = run(move || {
                let mut copy = copy;
                let deleted = copy.delete_using(&using);
                Ok((copy, deleted))
            })
            .await?;
            *self = copy;
            deleted
        }
    }

    /// As [`Model::refresh_from_db`], awaitable.
    fn arefresh_from_db(&mut self) -> impl Future<Output = Result<()>> + Send {
        self.arefresh_from_db_using(crate::db::DEFAULT_ALIAS)
    }

    /// As [`Model::refresh_from_db_using`], awaitable.
    fn arefresh_from_db_using(&mut self, using: &str) -> impl Future<Output = Result<()>> + Send {
        let copy = self.clone();
        let using = using.to_owned();
        async move {
            let copy = run(move || {
                let mut copy = copy;
                copy.refresh_from_db_using(&using)?;
                Ok(copy)
            })
            .await?;
            *self = copy;
            Ok(())
        }
    }
}

impl<M: Model + Clone> AsyncModel for M {}

/// The awaitable runners of a query set (Django's `aget`, `afirst`, `acount`, …): each runs its
/// synchronous counterpart off the runtime's workers, as [`AsyncModel`]'s methods do.
impl<M: Model> QuerySet<M> {
    /// As [`QuerySet::all`], awaitable.
    pub async fn aall(&self) -> Result<Vec<M>> {
        let set = self.clone();
        run(move || set.all()).await
    }

    /// As [`QuerySet::fetch`], awaitable.
    pub async fn afetch(&self) -> Result<Vec<M>> {
        let set = self.clone();
        run(move || set.fetch()).await
    }

    /// As [`QuerySet::get`], awaitable.
    pub async fn aget(&self) -> Result<M> {
        let set = self.clone();
        run(move || set.get()).await
    }

    /// As [`QuerySet::first`], awaitable.
    pub async fn afirst(&self) -> Result<Option<M>> {
        let set = self.clone();
        run(move || set.first()).await
    }

    /// As [`QuerySet::last`], awaitable.
    pub async fn alast(&self) -> Result<Option<M>> {
        let set = self.clone();
        run(move || set.last()).await
    }

    /// As [`QuerySet::count`], awaitable.
    pub async fn acount(&self) -> Result<usize> {
        let set = self.clone();
        run(move || set.count()).await
    }

    /// As [`QuerySet::exists`], awaitable.
    pub async fn aexists(&self) -> Result<bool> {
        let set = self.clone();
        run(move || set.exists()).await
    }

    /// As [`QuerySet::update`], awaitable.
    pub async fn aupdate(&self, assignments: &[Assignment<M::Concrete>]) -> Result<usize> {
        let set = self.clone();
        let assignments = assignments.to_vec();
        run(move || set.update(&assignments)).await
    }

    /// As [`QuerySet::delete`], awaitable.
    pub async fn adelete(&self) -> Result<Deleted> {
        let set = self.clone();
        run(move || set.delete()).await
    }

    /// As [`QuerySet::get_or_create`], awaitable: `create` runs on the thread that saves, and
    /// only if no row matches.
    pub async fn aget_or_create<F>(&self, create: F) -> Result<(M, bool)>
    where
        F: FnOnce() -> M + Send + 'static,
    {
        let set = self.clone();
        run(move || set.get_or_create(create)).await
    }

    /// As [`QuerySet::update_or_create`], awaitable: `create` runs on the thread that saves,
    /// and only if no row matches.
    pub async fn aupdate_or_create<F>(
        &self,
        defaults: &[Assignment<M::Concrete>],
        create: F,
    ) -> Result<(M, bool)>
    where
        F: FnOnce() -> M + Send + 'static,
    {
        let set = self.clone();
        let defaults = defaults.to_vec();
        run(move || set.update_or_create(&defaults, create)).await
    }

    /// As [`QuerySet::aggregate`], awaitable.
    pub async fn aaggregate<A>(&self, aggregates: A) -> Result<A::Output>
    where
        A: Aggregates<M::Concrete> + Send + 'static,
        A::Output: Send + 'static,
    {
        let set = self.clone();
        run(move || set.aggregate(aggregates)).await
    }

    /// As [`QuerySet::values`], awaitable.
    pub async fn avalues<C>(&self, columns: C) -> Result<Vec<C::Output>>
    where
        C: Columns<M::Concrete> + Send + 'static,
        C::Output: Send + 'static,
    {
        let set = self.clone();
        run(move || set.values(columns)).await
    }
}

/// The awaitable runners of a grouping.
impl<M: Model, K> GroupBy<M, K>
where
    K: Columns<M::Concrete> + Clone + Send + 'static,
    K::Output: Send + 'static,
{
    /// As [`GroupBy::count`], awaitable.
    pub async fn acount(&self) -> Result<Vec<(K::Output, usize)>> {
        let grouped = self.clone();
        run(move || grouped.count()).await
    }

    /// As [`GroupBy::aggregate`], awaitable.
    pub async fn aaggregate<A>(&self, aggregates: A) -> Result<Vec<(K::Output, A::Output)>>
    where
        A: Aggregates<M::Concrete> + Send + 'static,
        A::Output: Send + 'static,
    {
        let grouped = self.clone();
        run(move || grouped.aggregate(aggregates)).await
    }
}

/// The awaitable runners of a paginator.
impl<M: Model> Paginator<M> {
    /// As [`Paginator::page`], awaitable.
    pub async fn apage(&self, number: usize) -> Result<Page<M>> {
        let pages = self.clone();
        run(move || pages.page(number)).await
    }

    /// As [`Paginator::count`], awaitable.
    pub async fn acount(&self) -> Result<usize> {
        let pages = self.clone();
        run(move || pages.count()).await
    }

    /// As [`Paginator::num_pages`], awaitable.
    pub async fn anum_pages(&self) -> Result<usize> {
        let pages = self.clone();
        run(move || pages.num_pages()).await
    }
}

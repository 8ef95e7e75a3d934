//! Query sets: lazy, chainable queries of one model (Django's `QuerySet`).
//!
//! [`Model::objects`] starts one; [`Column`]s, the typed handles `#[derive(Model)]` generates
//! per field (`Article::VIEWS`), build its [`Filter`]s, [`OrderBy`]s and [`Assignment`]s.
//! Nothing runs until a runner is called: [`all`](QuerySet::all), [`iter`](QuerySet::iter),
//! [`get`](QuerySet::get), [`first`](QuerySet::first), [`last`](QuerySet::last),
//! [`count`](QuerySet::count), [`exists`](QuerySet::exists), [`delete`](QuerySet::delete),
//! [`update`](QuerySet::update), [`aggregate`](QuerySet::aggregate),
//! [`values`](QuerySet::values), a [`GroupBy`]'s or a [`Paginator`]'s.
//!
//! The text lookups match their needle literally and fold ASCII letters only, alike on SQLite
//! and PostgreSQL: docs/queries.md states the rules.
//!
//! | Django | clarion |
//! |---|---|
//! | `Article.objects.filter(views__gt=10)` | `Article::objects().filter(Article::VIEWS.gt(10))` |
//! | `.exclude(title="draft")` | `.exclude(Article::TITLE.eq("draft"))` |
//! | `Q(a) \| Q(b)`, `Q(a) & Q(b)`, `~Q(a)` | `a \| b`, `a & b`, `!a` |
//! | `views__in=[1, 2]`, `views__isnull=True` | `Article::VIEWS.is_in([1, 2])`, `Article::VIEWS.is_null(true)` |
//! | `title__contains="rust"`, `title__icontains="rust"` | `Article::TITLE.contains("rust")`, `Article::TITLE.icontains("rust")` |
//! | `iexact`, `startswith`, `istartswith`, `endswith`, `iendswith`, `range` | the same names ([`Column::iexact`], …, [`Column::range`]) |
//! | `.aggregate(Sum("views"), Max("views"))` | `.aggregate((Article::VIEWS.sum(), Article::VIEWS.max()))` ([`Aggregate`]) |
//! | `.values("title").annotate(Count("pk"))` | `.group_by(Article::TITLE).count()` ([`GroupBy`]) |
//! | `.values_list("title", flat=True)`, `.distinct()` | `.values(Article::TITLE)`, `.distinct()` |
//! | `Paginator(qs, 10).page(2)` | `.paginate(10).page(2)` ([`Paginator`]) |
//! | `.order_by("-views", "title")` | `.order_by((Article::VIEWS.desc(), Article::TITLE))` |
//! | `qs[10:20]` | `.offset(10).limit(10)` |
//! | `.using("replica")` | `.using("replica")` |
//! | `list(qs)`, `for a in qs:` | `.all()?`, `for a in qs.iter()? {}` |
//! | `.get()`, `.first()`, `.last()`, `.count()`, `.exists()` | the same names, each returning a `Result` |
//! | `.delete()` | `.delete()`: per-object signals, one transaction |
//! | `.update(views=0)` | `.update(&[Article::VIEWS.set(0)])`: **no signals** |
//!
//! Every value is bound as a statement parameter, never written into the SQL.

mod aggregate;
mod column;
mod filter;
mod get_or_create;
mod lookup;
mod paginate;
mod statement;
mod values;

use std::borrow::Cow;
use std::fmt;

use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};

pub use self::aggregate::{Aggregate, Aggregates, GroupBy, Ordered, Summable};
#[doc(hidden)]
pub use self::column::ordering;
pub use self::column::{Assignment, Column, IntoOrderBy, OrderBy};
pub use self::filter::Filter;
use self::filter::Node;
pub use self::paginate::{Page, Paginator};
use self::statement::{Compiled, Params};
pub use self::values::Columns;
use crate::db::{self, Backend, DEFAULT_ALIAS, Transaction};
use crate::error::{Error, Result};
use crate::model::{self, DeleteOrigin, Deleted, Model};
use crate::value::ValueRef;

/// How many rows [`QuerySet::get`] reads at most to tell "one" from "several" (Django's
/// `MAX_GET_RESULTS` is 21 too).
const MAX_GET_RESULTS: usize = 21;

/// A lazy query of `M`'s rows (Django's `QuerySet`), from [`Model::objects`].
///
/// Building one runs nothing: [`filter`](QuerySet::filter), [`exclude`](QuerySet::exclude),
/// [`order_by`](QuerySet::order_by), [`limit`](QuerySet::limit), [`offset`](QuerySet::offset)
/// and [`using`](QuerySet::using) each return a new query set. The order of those calls does not
/// matter: the filters select the rows, the ordering sorts them, then `offset` skips and `limit`
/// keeps. A query set is `Clone` and can be run any number of times; each run reads the
/// database anew (Django caches results; clarion does not).
///
/// The runners read in a transaction (joining the one this thread has open on the database, if
/// any) and send [`post_init`](crate::model::signals::post_init) for each instance they load.
///
/// ```
/// use clarion::prelude::*;
/// use clarion::db::{self, Database};
///
/// #[derive(Model, Debug)]
/// pub struct Article {
///     pub id: Option<i64>,
///     #[model(max_length = 20)]
///     pub title: String,
///     pub views: Option<i64>,
/// }
///
/// db::register(Database::open_as("qs_doc", "sqlite::memory:")?);
/// db::atomic_using("qs_doc", |tx| tx.execute_batch(
///     "CREATE TABLE article (id integer PRIMARY KEY AUTOINCREMENT, title text NOT NULL, views integer NULL);
///      INSERT INTO article (title, views) VALUES ('Signals', 10), ('Queries', 3), ('Drafts', NULL);"
/// ))?;
///
/// let read = Article::objects()
///     .using("qs_doc")
///     .filter(Article::VIEWS.gte(3) & !Article::TITLE.contains("Draft"))
///     .order_by(Article::VIEWS.desc());
/// let titles: Vec<String> = read.iter()?.map(|a| a.title).collect();
/// assert_eq!(titles, ["Signals", "Queries"]);
/// assert_eq!(read.count()?, 2);
///
/// let unread = Article::objects().using("qs_doc").filter(Article::VIEWS.is_null(true));
/// assert_eq!(unread.get()?.title, "Drafts");
/// assert_eq!(unread.update(&[Article::VIEWS.set(0)])?, 1); // no signals: see `update`
/// assert!(!unread.exists()?);
/// # Ok::<(), clarion::Error>(())
/// ```
#[must_use = "a query set runs nothing until one of its runners (all, get, count, …) is called"]
pub struct QuerySet<M: Model> {
    filter: Node,
    ordering: Vec<OrderBy<M::Concrete>>,
    limit: Option<usize>,
    offset: usize,
    distinct: bool,
    using: Cow<'static, str>,
}

impl<M: Model> QuerySet<M> {
    /// All rows of `M`, on the [default](DEFAULT_ALIAS) database, in no particular order.
    pub fn new() -> Self {
        QuerySet {
            filter: Node::All,
            ordering: M::__ordering(),
            limit: None,
            offset: 0,
            distinct: false,
            using: Cow::Borrowed(DEFAULT_ALIAS),
        }
    }

    /// Keeps the rows that match `filter` as well as the filters given before (Django's
    /// `filter`).
    pub fn filter(mut self, filter: Filter<M::Concrete>) -> Self {
        self.filter = Node::and(self.filter, filter.node);
        self
    }

    /// Drops the rows that match `filter` (Django's `exclude`): the same as `filter(!filter)`.
    ///
    /// A row whose column is `NULL` does not match a comparison on that column, so excluding
    /// the comparison keeps it: `exclude(Article::VIEWS.eq(3))` keeps the articles without
    /// views, as in Django.
    pub fn exclude(mut self, filter: Filter<M::Concrete>) -> Self {
        self.filter = Node::and(self.filter, Node::not(filter.node));
        self
    }

    /// A query set that matches no row and never touches the database (Django's `none()`).
    pub fn none(mut self) -> Self {
        self.filter = Node::None;
        self
    }

    /// Sorts the rows, replacing any ordering given before (Django's `order_by`): a column
    /// (ascending), an [`OrderBy`] from [`Column::asc`]/[`Column::desc`], or several in a tuple,
    /// array or `Vec`; `()` removes the ordering.
    ///
    /// Without an ordering, rows come in the order the database finds them. `NULL` sorts where
    /// the database puts it, as in Django: before every value in ascending order on SQLite,
    /// after every value on PostgreSQL.
    pub fn order_by(mut self, ordering: impl IntoOrderBy<M::Concrete>) -> Self {
        self.ordering.clear();
        ordering.append_to(&mut self.ordering);
        self
    }

    /// Returns at most `n` rows (the end of Django's slice, `qs[:n]`).
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skips the first `n` rows (the start of Django's slice, `qs[n:]`); give an ordering too,
    /// or which rows are skipped is up to SQLite.
    pub fn offset(mut self, n: usize) -> Self {
        self.offset = n;
        self
    }

    /// Runs on the database registered as `alias` (Django's `using`); the default is
    /// `"default"`.
    pub fn using(mut self, alias: impl Into<Cow<'static, str>>) -> Self {
        self.using = alias.into();
        self
    }

    /// The alias of the database this query set runs on.
    pub fn db(&self) -> &str {
        &self.using
    }

    /// Runs the query and returns every matching instance, in order (Django's `list(qs)`).
    pub fn all(&self) -> Result<Vec<M>> {
        if self.matches_nothing() {
            return Ok(Vec::new());
        }
        self.read(&self.ordering, self.limit)
    }

    /// The same as [`all`](QuerySet::all).
    pub fn fetch(&self) -> Result<Vec<M>> {
        self.all()
    }

    /// Runs the query and iterates over the instances: `for article in qs.iter()? { … }`.
    ///
    /// The query runs once, here, and reads every row before the loop starts; the `?` is where
    /// a database error surfaces, so the loop itself handles instances, not `Result`s. (That is
    /// also why `QuerySet` is not `IntoIterator`: `for a in qs` would have to yield a `Result`
    /// for every row, although only the query as a whole can fail.)
    pub fn iter(&self) -> Result<std::vec::IntoIter<M>> {
        self.all().map(Vec::into_iter)
    }

    /// The one matching instance (Django's `get`): [`Error::DoesNotExist`] if none matches,
    /// [`Error::MultipleObjectsReturned`] if several do.
    ///
    /// It reads at most 21 rows, so a `count` of 21 means "more than 20"; only the instance it
    /// returns is built and sent `post_init`.
    pub fn get(&self) -> Result<M> {
        let model = M::META.label;
        if self.matches_nothing() {
            return Err(Error::DoesNotExist { model });
        }
        let limit = Some(
            self.limit
                .map_or(MAX_GET_RESULTS, |n| n.min(MAX_GET_RESULTS)),
        );
        db::read_using(&self.using, |tx| {
            let select = self.select(tx.backend(), &self.ordering, limit);
            let mut first = None;
            // Every row after the first is only counted.
            let count = tx
                .query_bound(
                    &select.sql,
                    |bind| select.bind(bind),
                    |row| {
                        if first.is_none() {
                            first = Some(M::__from_row(row)?);
                        }
                        Ok(())
                    },
                )?
                .len();
            match (first, count) {
                (Some(instance), 1) => Ok(instance),
                (_, 0) => Err(Error::DoesNotExist { model }),
                (_, count) => Err(Error::MultipleObjectsReturned { model, count }),
            }
        })
        .and_then(|mut instance| {
            model::loaded(&mut instance, &self.using)?;
            Ok(instance)
        })
    }

    /// The first instance in the query set's order, or by primary key if it has none (Django's
    /// `first`); `None` if no row matches.
    pub fn first(&self) -> Result<Option<M>> {
        if self.matches_nothing() {
            return Ok(None);
        }
        let by_pk = [OrderBy::new(M::META.pk, false)];
        let ordering = self.ordering_or(&by_pk);
        let limit = Some(self.limit.map_or(1, |n| n.min(1)));
        let mut found = self.read(ordering, limit)?;
        Ok(found.pop())
    }

    /// The last instance in the query set's order, or by primary key if it has none (Django's
    /// `last`); `None` if no row matches. On a query set with `limit`/`offset`, the last
    /// instance of that slice.
    pub fn last(&self) -> Result<Option<M>> {
        if self.matches_nothing() {
            return Ok(None);
        }
        let by_pk = [OrderBy::new(M::META.pk, false)];
        let ordering = self.ordering_or(&by_pk);
        let mut found = if self.limit.is_some() || self.offset > 0 {
            // Reversing the order would change which rows the slice keeps: read the slice.
            self.read(ordering, self.limit)?
        } else {
            let reversed: Vec<OrderBy<M::Concrete>> =
                ordering.iter().map(OrderBy::reversed).collect();
            self.read(&reversed, Some(1))?
        };
        Ok(found.pop())
    }

    /// How many rows match, with `offset` and `limit` applied (Django's `count`), counted by
    /// the database without loading them.
    pub fn count(&self) -> Result<usize> {
        if self.matches_nothing() {
            return Ok(0);
        }
        db::read_using(&self.using, |tx| self.count_in(tx))
    }

    /// [`count`](QuerySet::count), in `tx`, of a query set that may match rows.
    fn count_in(&self, tx: &Transaction) -> Result<usize> {
        let mut params = Params::new(tx.backend());
        let mut select = Query::select();
        select.expr(Expr::cust("COUNT(*)")).from(M::META.table);
        self.add_where(&mut select, &mut params);
        let statement = Compiled::new(tx.backend().build(&select), params);
        let rows = tx.query_bound(
            &statement.sql,
            |bind| statement.bind(bind),
            |row| match row.value(0)? {
                ValueRef::Int(n) => Ok(usize::try_from(n).unwrap_or(0)),
                other => Err(Error::msg(format!(
                    "COUNT(*) returned {} {other}",
                    other.kind()
                ))),
            },
        )?;
        let total = rows.first().copied().unwrap_or(0);
        let after_offset = total.saturating_sub(self.offset);
        Ok(self.limit.map_or(after_offset, |n| after_offset.min(n)))
    }

    /// Whether any row matches (Django's `exists`), without loading it.
    pub fn exists(&self) -> Result<bool> {
        if self.matches_nothing() || self.limit == Some(0) {
            return Ok(false);
        }
        db::read_using(&self.using, |tx| {
            let mut params = Params::new(tx.backend());
            let mut select = Query::select();
            select.expr(Expr::cust("1")).from(M::META.table);
            self.add_where(&mut select, &mut params);
            select.limit(1);
            if self.offset > 0 {
                select.offset(self.offset as u64);
            }
            let statement = Compiled::new(tx.backend().build(&select), params);
            let rows = tx.query_bound(&statement.sql, |bind| statement.bind(bind), |_| Ok(()))?;
            Ok(!rows.is_empty())
        })
    }

    /// Deletes every matching row (Django's `QuerySet.delete`), in one transaction.
    ///
    /// The instances are loaded first (each sent `post_init`), then deleted as
    /// [`Model::delete`] does: `pre_delete` for each, the `DELETE`s, `post_delete` for each, with
    /// `origin` [`DeleteOrigin::QuerySet`]. A failing receiver rolls every delete back. When no
    /// receiver listens to any of those signals for `M` and no foreign key or many-to-many
    /// relation reaches its rows, they are deleted by one `DELETE` without loading them, as
    /// Django does. Otherwise the rows that point at them are dealt with by their `on_delete`
    /// rules, as [`Model::delete`] does.
    ///
    /// Unlike Django, a query set with `limit`/`offset` can be deleted: exactly the rows
    /// [`all`](QuerySet::all) would return are.
    pub fn delete(&self) -> Result<Deleted> {
        if self.matches_nothing() {
            return Ok(Deleted::default());
        }
        let sender = M::sender();
        db::atomic_using(&self.using, |tx| {
            if model::unobserved(&sender) && model::deletes_alone(M::META) {
                let mut params = Params::new(tx.backend());
                let mut delete = Query::delete();
                delete.from_table(M::META.table);
                if let Some(condition) = self.row_condition(&mut params) {
                    delete.and_where(condition);
                }
                let statement = Compiled::new(tx.backend().build(&delete), params);
                let rows = tx.execute_bound(&statement.sql, |bind| statement.bind(bind))?;
                let mut deleted = Deleted::default();
                if rows > 0 {
                    deleted.total = rows;
                    deleted.per_model.insert(M::META.label, rows);
                }
                return Ok(deleted);
            }
            // In the delete's transaction, which holds the write lock: receivers of `post_init`
            // may write here.
            let mut instances = self.rows(tx, &self.ordering, self.limit)?;
            for instance in &mut instances {
                model::loaded(instance, &self.using)?;
            }
            model::delete_many(&mut instances, &self.using, &DeleteOrigin::query_set(self))
        })
    }

    /// Sets columns of every matching row with one `UPDATE` (Django's `QuerySet.update`) and
    /// returns how many rows it changed.
    ///
    /// **No signal is sent**: not `pre_save`, not `post_save`, not `post_init`, exactly as in
    /// Django. Receivers that keep something in step with saves (a slug, a search index, a
    /// cache) do not run; when they must, load the instances and [`save`](Model::save) each.
    ///
    /// Text longer than its field's `max_length` is an [`Error::Validation`] before anything is
    /// written. An empty list of assignments writes nothing and returns 0.
    ///
    /// ```
    /// use clarion::prelude::*;
    /// # #[derive(Model)]
    /// # pub struct Article { pub id: Option<i64>, #[model(max_length = 20)] pub title: String, pub views: Option<i64> }
    /// # clarion::db::register(clarion::db::Database::open_as("update_doc", "sqlite::memory:")?);
    /// # clarion::db::atomic_using("update_doc", |tx| tx.execute_batch(
    /// #     "CREATE TABLE article (id integer PRIMARY KEY, title text NOT NULL, views integer NULL);
    /// #      INSERT INTO article (title) VALUES ('a'), ('b');"))?;
    ///
    /// let drafts = Article::objects().using("update_doc").filter(Article::VIEWS.is_null(true));
    /// assert_eq!(drafts.update(&[Article::VIEWS.set(0), Article::TITLE.set("Published")])?, 2);
    ///
    /// let too_long = Article::TITLE.set("A title of more than twenty characters");
    /// let error = Article::objects().using("update_doc").update(&[too_long]).unwrap_err();
    /// assert!(matches!(error, clarion::Error::Validation { .. }));
    /// # Ok::<(), clarion::Error>(())
    /// ```
    pub fn update(&self, assignments: &[Assignment<M::Concrete>]) -> Result<usize> {
        if assignments.is_empty() || self.matches_nothing() {
            return Ok(0);
        }
        for assignment in assignments {
            // What `save` checks and the database would not: `max_length` (a proxy has its
            // concrete model's fields).
            model::check_max_length::<M>(assignment.field, assignment.value.as_ref())?;
        }
        let meta = M::META;
        db::atomic_using(&self.using, |tx| {
            let mut params = Params::new(tx.backend());
            let mut values = Vec::with_capacity(assignments.len());
            for assignment in assignments {
                values.push((
                    meta.fields[assignment.field].column,
                    params.push(assignment.value.as_ref()),
                ));
            }
            let mut update = Query::update();
            update.table(meta.table).values(values);
            if let Some(condition) = self.row_condition(&mut params) {
                update.and_where(condition);
            }
            let statement = Compiled::new(tx.backend().build(&update), params);
            tx.execute_bound(&statement.sql, |bind| statement.bind(bind))
        })
    }

    /// The query set's ordering, or `default` if it has none.
    fn ordering_or<'a>(
        &'a self,
        default: &'a [OrderBy<M::Concrete>],
    ) -> &'a [OrderBy<M::Concrete>] {
        if self.ordering.is_empty() {
            default
        } else {
            &self.ordering
        }
    }

    fn matches_nothing(&self) -> bool {
        matches!(self.filter, Node::None)
    }

    /// Reads the rows of the `SELECT` with this ordering and limit, then sends `post_init` for
    /// each, once the read's own transaction is over. On SQLite a read outside any transaction
    /// is a deferred one, holding only a shared lock, and a receiver that writes inside it would
    /// need to upgrade that lock while another connection writes, which SQLite refuses at once
    /// (it cannot wait without risking a deadlock). Django sends `post_init` outside any
    /// transaction too, as each instance is built. Inside the caller's `atomic` block, which
    /// holds the write lock from its start, the receivers run in that block.
    fn read(&self, ordering: &[OrderBy<M::Concrete>], limit: Option<usize>) -> Result<Vec<M>> {
        let mut instances = db::read_using(&self.using, |tx| self.rows(tx, ordering, limit))?;
        for instance in &mut instances {
            model::loaded(instance, &self.using)?;
        }
        Ok(instances)
    }

    /// The instances the `SELECT` with this ordering and limit reads in `tx`, without
    /// `post_init`.
    fn rows(
        &self,
        tx: &Transaction,
        ordering: &[OrderBy<M::Concrete>],
        limit: Option<usize>,
    ) -> Result<Vec<M>> {
        let select = self.select(tx.backend(), ordering, limit);
        tx.query_bound(&select.sql, |bind| select.bind(bind), M::__from_row)
    }

    /// `SELECT` of every field, in field order (what [`Model::__from_row`] reads).
    fn select(
        &self,
        backend: Backend,
        ordering: &[OrderBy<M::Concrete>],
        limit: Option<usize>,
    ) -> Compiled<'_> {
        let mut params = Params::new(backend);
        let select = self.select_columns(
            M::META.fields.iter().map(|f| f.column),
            ordering,
            limit,
            &mut params,
        );
        Compiled::new(backend.build(&select), params)
    }

    /// Table and column names go to sea-query as `&'static str`: quoted, and escaped when they
    /// need it, exactly as through `Alias::new`, but without allocating a `String` for each.
    fn select_columns<'q>(
        &'q self,
        columns: impl IntoIterator<Item = &'static str>,
        ordering: &[OrderBy<M::Concrete>],
        limit: Option<usize>,
        params: &mut Params<'q>,
    ) -> SelectStatement {
        let mut select = Query::select();
        select.columns(columns).from(M::META.table);
        self.add_where(&mut select, params);
        for order in ordering {
            let direction = if order.descending {
                Order::Desc
            } else {
                Order::Asc
            };
            select.order_by(M::META.fields[order.field].column, direction);
        }
        match (limit, self.offset) {
            (None, 0) => {}
            (limit, offset) => {
                // SQLite accepts OFFSET only after a LIMIT; the largest one stands for "none".
                select.limit(limit.map_or(i64::MAX as u64, |n| n as u64));
                if offset > 0 {
                    select.offset(offset as u64);
                }
            }
        }
        select
    }

    fn add_where<'q>(&'q self, select: &mut SelectStatement, params: &mut Params<'q>) {
        if let Some(condition) = self.filter.to_expr(M::META, false, params) {
            select.and_where(condition);
        }
    }

    /// The `WHERE` of an `UPDATE` or `DELETE` of the rows this query set selects: its filter,
    /// or, once ordering and a slice pick the rows, `pk IN (SELECT pk … LIMIT … OFFSET …)`.
    fn row_condition<'q>(&'q self, params: &mut Params<'q>) -> Option<Expr> {
        if self.limit.is_none() && self.offset == 0 {
            return self.filter.to_expr(M::META, false, params);
        }
        let pk = M::META.pk_field().column;
        let rows = self.select_columns([pk], &self.ordering, self.limit, params);
        Some(Expr::col(pk).in_subquery(rows))
    }
}

impl<M: Model> Default for QuerySet<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model> Clone for QuerySet<M> {
    fn clone(&self) -> Self {
        QuerySet {
            filter: self.filter.clone(),
            ordering: self.ordering.clone(),
            limit: self.limit,
            offset: self.offset,
            distinct: self.distinct,
            using: self.using.clone(),
        }
    }
}

/// Shows the `SELECT` the query set runs and its parameters.
impl<M: Model> fmt::Debug for QuerySet<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The SQLite dialect: the database is not looked up to show a query set.
        let select = self.select(Backend::Sqlite, &self.ordering, self.limit);
        let params: Vec<String> = select
            .values()
            .map(|v| v.map_or_else(|e| e.to_string(), |v| v.to_string()))
            .collect();
        f.debug_struct("QuerySet")
            .field("model", &M::META.label)
            .field("using", &self.using)
            .field("sql", &select.sql)
            .field("params", &params)
            .finish()
    }
}

//! Aggregates (Django's `aggregate`) and grouping (Django's `values(…).annotate(…)`).
//!
//! A [`Column`] makes an [`Aggregate`] (`Post::VIEWS.sum()`); [`QuerySet::aggregate`] computes
//! one, or a tuple of them, in one statement; [`QuerySet::group_by`] computes them per value of
//! one or more columns. Each aggregate reads back as its own Rust type: a count as `usize`, a sum
//! of integers as `Option<i64>`, the largest `String` as `Option<String>`, `None` for an empty
//! set of rows (SQL's `NULL`, Django's `None`).

use std::fmt;
use std::marker::PhantomData;

use sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement};

use super::QuerySet;
use super::column::Column;
use super::statement::{Compiled, Params};
use super::values::Columns;
use crate::db::{self, Backend};
use crate::error::{Error, Result};
use crate::model::{Model, ModelMeta, Row};
use crate::value::{FieldError, FieldType, Value, ValueRef};

/// An aggregate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Function {
    CountRows,
    Count,
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
}

/// One aggregate over `M`'s rows, read back as a `T`: made by [`Aggregate::count`] and by the
/// [`Column`] methods [`count`](Column::count), [`count_distinct`](Column::count_distinct),
/// [`sum`](Column::sum), [`avg`](Column::avg), [`min`](Column::min) and [`max`](Column::max).
///
/// Give it, or a tuple of up to four, to [`QuerySet::aggregate`] or [`GroupBy::aggregate`].
///
/// ```
/// use clarion::prelude::*;
/// use clarion::query::Aggregate;
/// # #[derive(Model)]
/// # #[model(table = "aggregate_doc_post")]
/// # pub struct Post { pub id: Option<i64>, pub title: String, pub views: Option<i64>, pub rating: f64 }
/// # clarion::db::register(clarion::db::Database::open_as("aggregate_doc", "sqlite::memory:")?);
/// # clarion::migrate_using("aggregate_doc")?;
/// # for (title, views, rating) in [("a", Some(10), 4.0), ("b", Some(5), 3.0), ("c", None, 5.0)] {
/// #     Post { id: None, title: title.into(), views, rating }
/// #         .save_with(SaveOptions::new().using("aggregate_doc"))?;
/// # }
/// let posts = Post::objects().using("aggregate_doc");
/// let (rows, views, best) = posts.aggregate((
///     Aggregate::count(),
///     Post::VIEWS.sum(),
///     Post::RATING.max(),
/// ))?;
/// assert_eq!((rows, views, best), (3, Some(15), Some(5.0)));
///
/// // No row: a count is 0, every other aggregate `None`.
/// let none = posts.filter(Post::TITLE.eq("z"));
/// assert_eq!(none.aggregate((Aggregate::count(), Post::VIEWS.avg()))?, (0, None));
/// # Ok::<(), clarion::Error>(())
/// ```
#[must_use = "an aggregate computes nothing until given to `QuerySet::aggregate`"]
pub struct Aggregate<M, T> {
    function: Function,
    field: usize,
    read: fn(ValueRef<'_>) -> std::result::Result<T, FieldError>,
    _model: PhantomData<fn() -> M>,
}

impl<M> Aggregate<M, usize> {
    /// How many rows there are (SQL's `COUNT(*)`).
    pub fn count() -> Self {
        Aggregate::new(Function::CountRows, 0, read_count)
    }
}

impl<M, T> Aggregate<M, T> {
    fn new(
        function: Function,
        field: usize,
        read: fn(ValueRef<'_>) -> std::result::Result<T, FieldError>,
    ) -> Self {
        Aggregate {
            function,
            field,
            read,
            _model: PhantomData,
        }
    }

    /// The select expression.
    fn expr(&self, meta: &'static ModelMeta, backend: Backend) -> Expr {
        let column = || Expr::col(meta.fields[self.field].column);
        match self.function {
            Function::CountRows => Expr::cust("COUNT(*)"),
            Function::Count => Func::count(column()).into(),
            Function::CountDistinct => Func::count_distinct(column()).into(),
            // PostgreSQL sums integers as `numeric` and averages as `numeric`: brought back to
            // the types SQLite gives, an overflow of `bigint` is an error on both engines.
            Function::Sum if backend == Backend::Postgres && self.sums_integers(meta) => {
                Func::cast_as(Func::sum(column()), "bigint").into()
            }
            Function::Sum => Func::sum(column()).into(),
            Function::Avg if backend == Backend::Postgres => {
                Func::cast_as(Func::avg(column()), "double precision").into()
            }
            Function::Avg => Func::avg(column()).into(),
            Function::Min => Func::min(column()).into(),
            Function::Max => Func::max(column()).into(),
        }
    }

    fn sums_integers(&self, meta: &ModelMeta) -> bool {
        meta.fields[self.field].ty == crate::value::ColumnType::Integer
    }

    /// What the aggregate of no row is: 0 rows, and `NULL` for the rest.
    fn of_nothing(&self) -> Value {
        match self.function {
            Function::CountRows | Function::Count | Function::CountDistinct => Value::Int(0),
            _ => Value::Null,
        }
    }

    fn read_from(&self, meta: &'static ModelMeta, row: &dyn Row, index: usize) -> Result<T> {
        (self.read)(row.value(index)?).map_err(|error| Error::Validation {
            model: meta.label,
            field: format!("{}({})", self.name(), meta.fields[self.field].name),
            reason: error.0,
        })
    }

    fn name(&self) -> &'static str {
        match self.function {
            Function::CountRows | Function::Count => "count",
            Function::CountDistinct => "count_distinct",
            Function::Sum => "sum",
            Function::Avg => "avg",
            Function::Min => "min",
            Function::Max => "max",
        }
    }
}

fn read_count(value: ValueRef<'_>) -> std::result::Result<usize, FieldError> {
    match value {
        ValueRef::Int(n) => usize::try_from(n).map_err(|_| FieldError(format!("count {n}"))),
        other => Err(FieldError::mismatch("a count", &other)),
    }
}

impl<M, T> Clone for Aggregate<M, T> {
    fn clone(&self) -> Self {
        Aggregate {
            function: self.function,
            field: self.field,
            read: self.read,
            _model: PhantomData,
        }
    }
}

impl<M: Model, T> fmt::Debug for Aggregate<M, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.function {
            Function::CountRows => f.write_str("count(*)"),
            _ => write!(f, "{}({})", self.name(), M::META.fields[self.field].name),
        }
    }
}

/// The field types whose values add up: integers sum as `i64`, floats as `f64` (in
/// [`Column::sum`] and [`Column::avg`]).
pub trait Summable: FieldType {
    /// The type of the sum.
    type Sum: FieldType;
}

/// The field types that [`Column::min`] and [`Column::max`] compare: integers, floats, text,
/// and dates and times; `Value` is the type without its `Option`.
pub trait Ordered: FieldType {
    /// The type of the smallest and largest value.
    type Value: FieldType;
}

macro_rules! aggregated {
    (sum $sum:ty: $($t:ty),*) => {$(
        impl Summable for $t { type Sum = $sum; }
        impl Summable for Option<$t> { type Sum = $sum; }
    )*};
    (ordered $($t:ty),*) => {$(
        impl Ordered for $t { type Value = $t; }
        impl Ordered for Option<$t> { type Value = $t; }
    )*};
}
aggregated!(sum i64: i8, i16, i32, i64, u8, u16, u32);
aggregated!(sum f64: f32, f64);
aggregated!(ordered i8, i16, i32, i64, u8, u16, u32, f32, f64, String);
#[cfg(feature = "chrono")]
aggregated!(ordered chrono::NaiveDate, chrono::NaiveDateTime, chrono::DateTime<chrono::Utc>);

/// The aggregates a column makes (Django's `Count`, `Sum`, `Avg`, `Min`, `Max`). None counts or
/// adds `NULL`s.
impl<M: Model, T: FieldType> Column<M, T> {
    /// How many rows have a value here, `NULL` aside (Django's `Count("field")`).
    pub fn count(self) -> Aggregate<M, usize> {
        Aggregate::new(Function::Count, self.field, read_count)
    }

    /// How many different values there are, `NULL` aside (Django's
    /// `Count("field", distinct=True)`).
    pub fn count_distinct(self) -> Aggregate<M, usize> {
        Aggregate::new(Function::CountDistinct, self.field, read_count)
    }
}

impl<M: Model, T: Summable> Column<M, T> {
    /// The sum of the values (Django's `Sum`): `None` if there is none. A sum of integers
    /// beyond `i64` is an error, on both engines.
    pub fn sum(self) -> Aggregate<M, Option<T::Sum>> {
        Aggregate::new(Function::Sum, self.field, Option::<T::Sum>::from_value)
    }

    /// The mean of the values (Django's `Avg`), as a float: `None` if there is none.
    pub fn avg(self) -> Aggregate<M, Option<f64>> {
        Aggregate::new(Function::Avg, self.field, Option::<f64>::from_value)
    }
}

impl<M: Model, T: Ordered> Column<M, T> {
    /// The smallest value (Django's `Min`): `None` if there is none. Text compares byte by
    /// byte on SQLite, and in the column's collation on PostgreSQL (the same under `C` and
    /// `C.UTF-8`).
    pub fn min(self) -> Aggregate<M, Option<T::Value>> {
        Aggregate::new(Function::Min, self.field, Option::<T::Value>::from_value)
    }

    /// The largest value (Django's `Max`): `None` if there is none.
    pub fn max(self) -> Aggregate<M, Option<T::Value>> {
        Aggregate::new(Function::Max, self.field, Option::<T::Value>::from_value)
    }
}

/// What [`QuerySet::aggregate`] and [`GroupBy::aggregate`] take: one [`Aggregate`], or a tuple of
/// up to four, computed in one statement. `Output` is the aggregate's type, or the tuple of
/// them.
pub trait Aggregates<M> {
    /// What the aggregates read back as.
    type Output;

    /// Not public API: appends the select expressions.
    #[doc(hidden)]
    fn __exprs(&self, meta: &'static ModelMeta, backend: Backend, exprs: &mut Vec<Expr>);

    /// Not public API: appends the values of no row.
    #[doc(hidden)]
    fn __of_nothing(&self, values: &mut Vec<Value>);

    /// Not public API: reads the values from column `*next` on, moving `next` past them.
    #[doc(hidden)]
    fn __read(
        &self,
        meta: &'static ModelMeta,
        row: &dyn Row,
        next: &mut usize,
    ) -> Result<Self::Output>;
}

impl<M, T> Aggregates<M> for Aggregate<M, T> {
    type Output = T;

    fn __exprs(&self, meta: &'static ModelMeta, backend: Backend, exprs: &mut Vec<Expr>) {
        exprs.push(self.expr(meta, backend));
    }

    fn __of_nothing(&self, values: &mut Vec<Value>) {
        values.push(self.of_nothing());
    }

    fn __read(&self, meta: &'static ModelMeta, row: &dyn Row, next: &mut usize) -> Result<T> {
        let value = self.read_from(meta, row, *next)?;
        *next += 1;
        Ok(value)
    }
}

macro_rules! aggregate_tuples {
    ($(($($name:ident),*))*) => {$(
        impl<M, $($name: Aggregates<M>),*> Aggregates<M> for ($($name,)*) {
            type Output = ($($name::Output,)*);

            #[allow(non_snake_case)]
            fn __exprs(&self, meta: &'static ModelMeta, backend: Backend, exprs: &mut Vec<Expr>) {
                let ($($name,)*) = self;
                $($name.__exprs(meta, backend, exprs);)*
            }

            #[allow(non_snake_case)]
            fn __of_nothing(&self, values: &mut Vec<Value>) {
                let ($($name,)*) = self;
                $($name.__of_nothing(values);)*
            }

            #[allow(non_snake_case)]
            fn __read(
                &self,
                meta: &'static ModelMeta,
                row: &dyn Row,
                next: &mut usize,
            ) -> Result<Self::Output> {
                let ($($name,)*) = self;
                Ok(($($name.__read(meta, row, next)?,)*))
            }
        }
    )*};
}
aggregate_tuples! { (A, B) (A, B, C) (A, B, C, D) }

impl<M: Model> QuerySet<M> {
    /// Computes aggregates over the matching rows in one statement (Django's `aggregate`): one
    /// [`Aggregate`] or a tuple of them, read back each as its own type.
    ///
    /// On a query set with `limit`/`offset`, over the rows of that slice. No instance is loaded
    /// and no signal sent.
    ///
    /// ```
    /// use clarion::prelude::*;
    /// # #[derive(Model)]
    /// # #[model(table = "aggregate_qs_doc_post")]
    /// # pub struct Post { pub id: Option<i64>, pub views: i64 }
    /// # clarion::db::register(clarion::db::Database::open_as("aggregate_qs_doc", "sqlite::memory:")?);
    /// # clarion::migrate_using("aggregate_qs_doc")?;
    /// # for views in [3, 4, 8] {
    /// #     Post { id: None, views }.save_with(SaveOptions::new().using("aggregate_qs_doc"))?;
    /// # }
    /// let posts = Post::objects().using("aggregate_qs_doc");
    /// assert_eq!(posts.aggregate(Post::VIEWS.sum())?, Some(15));
    /// assert_eq!(posts.aggregate((Post::VIEWS.min(), Post::VIEWS.avg()))?, (Some(3), Some(5.0)));
    /// # Ok::<(), clarion::Error>(())
    /// ```
    pub fn aggregate<A: Aggregates<M::Concrete>>(&self, aggregates: A) -> Result<A::Output> {
        if self.matches_nothing() {
            let mut nothing = Vec::new();
            aggregates.__of_nothing(&mut nothing);
            return aggregates.__read(M::META, &nothing, &mut 0);
        }
        db::read_using(&self.using, |tx| {
            let backend = tx.backend();
            let mut params = Params::new(backend);
            let mut exprs = Vec::new();
            aggregates.__exprs(M::META, backend, &mut exprs);
            let mut select = Query::select();
            select.exprs(exprs);
            self.aggregated_rows(&mut select, &mut params);
            let statement = Compiled::new(backend.build(&select), params);
            let mut rows = tx.query_bound(
                &statement.sql,
                |bind| statement.bind(bind),
                |row| aggregates.__read(M::META, row, &mut 0),
            )?;
            rows.pop()
                .ok_or_else(|| Error::msg("clarion bug: an aggregate returned no row"))
        })
    }

    /// Groups the matching rows by the values of `key`, a column or a tuple of up to four
    /// (Django's `values(…).annotate(…)`), for [`GroupBy::count`] and [`GroupBy::aggregate`].
    #[doc(alias = "annotate")]
    pub fn group_by<K: Columns<M::Concrete>>(&self, key: K) -> GroupBy<M, K> {
        GroupBy {
            rows: self.clone(),
            key,
        }
    }

    /// Where the aggregates read from: the table, filtered, or, once `limit`/`offset` pick the
    /// rows, that slice as a subquery named after the table (so that columns keep their
    /// names).
    fn aggregated_rows<'q>(&'q self, select: &mut SelectStatement, params: &mut Params<'q>) {
        if self.limit.is_none() && self.offset == 0 {
            select.from(M::META.table);
            self.add_where(select, params);
        } else {
            let rows = self.select_columns(
                M::META.fields.iter().map(|f| f.column),
                &self.ordering,
                self.limit,
                params,
            );
            select.from_subquery(rows, M::META.table);
        }
    }
}

/// The matching rows of a query set grouped by the values of a key, from
/// [`QuerySet::group_by`]: one result per key value, `NULL` included, sorted by key (smallest
/// first, `NULL` last, alike on both engines).
///
/// ```
/// use clarion::prelude::*;
/// # #[derive(Model)]
/// # #[model(table = "group_doc_post")]
/// # pub struct Post { pub id: Option<i64>, pub author: String, pub views: i64 }
/// # clarion::db::register(clarion::db::Database::open_as("group_doc", "sqlite::memory:")?);
/// # clarion::migrate_using("group_doc")?;
/// # for (author, views) in [("ada", 3), ("bob", 4), ("ada", 8)] {
/// #     Post { id: None, author: author.into(), views }
/// #         .save_with(SaveOptions::new().using("group_doc"))?;
/// # }
/// let by_author = Post::objects().using("group_doc").group_by(Post::AUTHOR);
/// assert_eq!(by_author.count()?, [("ada".to_owned(), 2), ("bob".to_owned(), 1)]);
/// assert_eq!(
///     by_author.aggregate(Post::VIEWS.max())?,
///     [("ada".to_owned(), Some(8)), ("bob".to_owned(), Some(4))]
/// );
/// # Ok::<(), clarion::Error>(())
/// ```
#[must_use = "a grouping runs nothing until `count` or `aggregate` is called"]
pub struct GroupBy<M: Model, K> {
    rows: QuerySet<M>,
    key: K,
}

impl<M: Model, K: Columns<M::Concrete>> GroupBy<M, K> {
    /// How many rows have each key value (Django's `values(key).annotate(Count("pk"))`).
    pub fn count(&self) -> Result<Vec<(K::Output, usize)>> {
        self.aggregate(Aggregate::count())
    }

    /// The aggregates per key value, in one statement.
    pub fn aggregate<A: Aggregates<M::Concrete>>(
        &self,
        aggregates: A,
    ) -> Result<Vec<(K::Output, A::Output)>> {
        let rows = &self.rows;
        if rows.matches_nothing() {
            return Ok(Vec::new());
        }
        let mut fields = Vec::new();
        self.key.__fields(&mut fields);
        db::read_using(&rows.using, |tx| {
            let backend = tx.backend();
            let mut params = Params::new(backend);
            let mut select = Query::select();
            let columns = fields.iter().map(|&f| M::META.fields[f].column);
            select.columns(columns.clone());
            let mut exprs = Vec::new();
            aggregates.__exprs(M::META, backend, &mut exprs);
            select.exprs(exprs);
            rows.aggregated_rows(&mut select, &mut params);
            for column in columns {
                select.group_by_col(column);
                // `false` sorts before `true`: NULL last on both engines.
                select.order_by_expr(Expr::col(column).is_null(), Order::Asc);
                select.order_by(column, Order::Asc);
            }
            let statement = Compiled::new(backend.build(&select), params);
            tx.query_bound(
                &statement.sql,
                |bind| statement.bind(bind),
                |row| {
                    let mut next = 0;
                    let key = self.key.__read(M::META, row, &mut next)?;
                    Ok((key, aggregates.__read(M::META, row, &mut next)?))
                },
            )
        })
    }
}

impl<M: Model, K: Clone> Clone for GroupBy<M, K> {
    fn clone(&self) -> Self {
        GroupBy {
            rows: self.rows.clone(),
            key: self.key.clone(),
        }
    }
}

impl<M: Model, K: fmt::Debug> fmt::Debug for GroupBy<M, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupBy")
            .field("rows", &self.rows)
            .field("key", &self.key)
            .finish()
    }
}

//! Columns, the typed handles of a model's fields, and what they make besides filters: sort keys
//! and assignments.

use std::fmt;
use std::marker::PhantomData;

use super::filter::{Filter, Node, Op};
use crate::model::Model;
use crate::value::{FieldType, Value};

/// One sort key of [`QuerySet::order_by`](crate::query::QuerySet::order_by): a column, ascending or descending (Django's
/// `"field"` / `"-field"`). Made by [`Column::asc`] and [`Column::desc`].
pub struct OrderBy<M> {
    pub(super) field: usize,
    pub(super) descending: bool,
    _model: PhantomData<fn() -> M>,
}

impl<M> OrderBy<M> {
    pub(super) fn new(field: usize, descending: bool) -> Self {
        OrderBy {
            field,
            descending,
            _model: PhantomData,
        }
    }

    /// Whether rows sort from the largest value down.
    pub fn is_descending(&self) -> bool {
        self.descending
    }

    pub(super) fn reversed(&self) -> Self {
        OrderBy::new(self.field, !self.descending)
    }
}

impl<M> Clone for OrderBy<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for OrderBy<M> {}

impl<M: Model> fmt::Debug for OrderBy<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.descending { "-" } else { "" };
        write!(f, "{sign}{}", M::META.fields[self.field].name)
    }
}

/// What [`QuerySet::order_by`](crate::query::QuerySet::order_by) takes: an [`OrderBy`], a [`Column`] (ascending), or a tuple,
/// array, slice or `Vec` of them; `()` for no ordering.
pub trait IntoOrderBy<M> {
    /// Appends the sort keys, most significant first.
    fn append_to(self, keys: &mut Vec<OrderBy<M>>);
}

/// Not public API: the sort keys of `#[model(ordering = …)]`.
#[doc(hidden)]
pub fn ordering<M>(ordering: impl IntoOrderBy<M>) -> Vec<OrderBy<M>> {
    let mut keys = Vec::new();
    ordering.append_to(&mut keys);
    keys
}

impl<M> IntoOrderBy<M> for OrderBy<M> {
    fn append_to(self, keys: &mut Vec<OrderBy<M>>) {
        keys.push(self);
    }
}

impl<M: Model, T> IntoOrderBy<M> for Column<M, T> {
    fn append_to(self, keys: &mut Vec<OrderBy<M>>) {
        keys.push(self.asc());
    }
}

impl<M, O: IntoOrderBy<M>, const N: usize> IntoOrderBy<M> for [O; N] {
    fn append_to(self, keys: &mut Vec<OrderBy<M>>) {
        self.into_iter().for_each(|o| o.append_to(keys));
    }
}

impl<M, O: IntoOrderBy<M>> IntoOrderBy<M> for Vec<O> {
    fn append_to(self, keys: &mut Vec<OrderBy<M>>) {
        self.into_iter().for_each(|o| o.append_to(keys));
    }
}

impl<M, O: IntoOrderBy<M> + Copy> IntoOrderBy<M> for &[O] {
    fn append_to(self, keys: &mut Vec<OrderBy<M>>) {
        self.iter().for_each(|o| o.append_to(keys));
    }
}

macro_rules! order_by_tuples {
    ($(($($name:ident),*))*) => {$(
        impl<M, $($name: IntoOrderBy<M>),*> IntoOrderBy<M> for ($($name,)*) {
            #[allow(non_snake_case, unused_variables)]
            fn append_to(self, keys: &mut Vec<OrderBy<M>>) {
                let ($($name,)*) = self;
                $($name.append_to(keys);)*
            }
        }
    )*};
}
order_by_tuples! { () (A) (A, B) (A, B, C) (A, B, C, D) (A, B, C, D, E) }

/// One `column = value` of [`QuerySet::update`](crate::query::QuerySet::update), made by [`Column::set`].
pub struct Assignment<M> {
    pub(super) field: usize,
    pub(super) value: Value,
    _model: PhantomData<fn() -> M>,
}

impl<M> Assignment<M> {
    /// The field assigned, by index in [`ModelMeta::fields`](crate::model::ModelMeta::fields).
    pub fn field(&self) -> usize {
        self.field
    }

    /// The value assigned.
    pub fn value(&self) -> &Value {
        &self.value
    }
}

impl<M> Clone for Assignment<M> {
    fn clone(&self) -> Self {
        Assignment {
            field: self.field,
            value: self.value.clone(),
            _model: PhantomData,
        }
    }
}

impl<M: Model> fmt::Debug for Assignment<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", M::META.fields[self.field].name, self.value)
    }
}

/// A typed handle on one column of `M`, holding values of type `T`, for filters, ordering and
/// updates: `#[derive(Model)]` generates one per field as an associated const in
/// SCREAMING_SNAKE_CASE (`User::EMAIL`).
///
/// Values are taken as `impl Into<T>`: `Article::VIEWS.eq(3)` for an `Option<i64>` column,
/// `Article::TITLE.eq("Hello")` for a `String` one. (For an `Option<String>` column, pass a
/// `String`: `&str` does not convert to `Option<String>`.)
///
/// ```
/// use clarion::prelude::*;
///
/// #[derive(Model)]
/// pub struct Article {
///     pub id: Option<i64>,
///     pub title: String,
///     pub views: Option<i64>,
/// }
///
/// // `#[derive(Model)]` generates `Article::ID`, `Article::TITLE` and `Article::VIEWS`.
/// let query = Article::objects()
///     .filter(Article::VIEWS.is_in([1, 2, 3]) | Article::VIEWS.is_null(true))
///     .exclude(Article::TITLE.contains("draft"))
///     .order_by((Article::VIEWS.desc(), Article::TITLE));
/// # let _ = query;
/// ```
pub struct Column<M, T> {
    pub(super) field: usize,
    _types: PhantomData<fn() -> (M, T)>,
}

impl<M: Model, T> Column<M, T> {
    /// Not public API: what `#[derive(Model)]` generates.
    #[doc(hidden)]
    pub const fn __new(field: usize) -> Self {
        Column {
            field,
            _types: PhantomData,
        }
    }

    /// The index of the field in [`ModelMeta::fields`](crate::model::ModelMeta::fields).
    pub const fn index(&self) -> usize {
        self.field
    }

    /// The field this column holds.
    pub fn meta(&self) -> &'static crate::model::FieldMeta {
        &M::META.fields[self.field]
    }

    /// Sorts by this column, smallest first (Django's `"field"`).
    pub fn asc(self) -> OrderBy<M> {
        OrderBy::new(self.field, false)
    }

    /// Sorts by this column, largest first (Django's `"-field"`).
    pub fn desc(self) -> OrderBy<M> {
        OrderBy::new(self.field, true)
    }

    /// The column is `NULL` (`true`) or is not (`false`) (Django's `isnull`).
    #[doc(alias = "isnull")]
    pub fn is_null(self, is_null: bool) -> Filter<M> {
        Filter::new(Node::Null {
            field: self.field,
            is_null,
        })
    }
}

// Named after Django's lookups. They build filters rather than compare, which is why `Column`
// implements neither `PartialEq` nor `PartialOrd`: `a.eq(b)` has one meaning here.
impl<M: Model, T: FieldType> Column<M, T> {
    fn compare(self, op: Op, value: T) -> Filter<M> {
        let value = value.to_value().to_owned();
        if value.is_null() {
            // Django: `exact=None` is `IS NULL`; an ordering comparison with NULL holds for no row.
            return match op {
                Op::Eq => self.is_null(true),
                _ => Filter::none(),
            };
        }
        Filter::new(Node::Compare {
            field: self.field,
            op,
            value,
        })
    }

    /// The column equals `value` (Django's `exact`); `eq(None)` is `is_null(true)`.
    pub fn eq(self, value: impl Into<T>) -> Filter<M> {
        self.compare(Op::Eq, value.into())
    }

    /// The column differs from `value`, or is `NULL` (`!eq(value)`; Django's `~Q(exact)`):
    /// `ne(None)` is `is_null(false)`.
    pub fn ne(self, value: impl Into<T>) -> Filter<M> {
        !self.eq(value)
    }

    /// The column is less than `value` (Django's `lt`); never true of `NULL`, nor for
    /// `value` `None`.
    pub fn lt(self, value: impl Into<T>) -> Filter<M> {
        self.compare(Op::Lt, value.into())
    }

    /// The column is at most `value` (Django's `lte`).
    pub fn lte(self, value: impl Into<T>) -> Filter<M> {
        self.compare(Op::Lte, value.into())
    }

    /// The column is greater than `value` (Django's `gt`).
    pub fn gt(self, value: impl Into<T>) -> Filter<M> {
        self.compare(Op::Gt, value.into())
    }

    /// The column is at least `value` (Django's `gte`).
    pub fn gte(self, value: impl Into<T>) -> Filter<M> {
        self.compare(Op::Gte, value.into())
    }

    /// The column equals one of `values` (Django's `in`). `None`s in the list match nothing (as
    /// in Django), and an empty list matches no row without running a query.
    ///
    /// SQLite binds at most 32766 parameters per statement; split longer lists.
    pub fn is_in<V: Into<T>>(self, values: impl IntoIterator<Item = V>) -> Filter<M> {
        let values: Vec<Value> = values
            .into_iter()
            .map(|v| v.into().to_value().to_owned())
            .filter(|v| !v.is_null())
            .collect();
        if values.is_empty() {
            return Filter::none();
        }
        Filter::new(Node::In {
            field: self.field,
            values,
        })
    }

    /// `column = value` for [`QuerySet::update`](crate::query::QuerySet::update).
    pub fn set(self, value: impl Into<T>) -> Assignment<M> {
        Assignment {
            field: self.field,
            value: value.into().to_value().to_owned(),
            _model: PhantomData,
        }
    }
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for Column<M, T> {}

impl<M: Model, T> fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", M::META.label, self.meta().name)
    }
}

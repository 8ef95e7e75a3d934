//! Query sets: lazy, chainable queries of one model (Django's `QuerySet`).

use std::marker::PhantomData;

use crate::model::Model;

/// A lazy query of `M`'s rows (Django's `QuerySet`), from [`Model::objects`].
pub struct QuerySet<M: Model> {
    _model: PhantomData<fn() -> M>,
}

impl<M: Model> QuerySet<M> {
    /// All rows of `M`.
    pub fn new() -> Self {
        QuerySet {
            _model: PhantomData,
        }
    }
}

impl<M: Model> Default for QuerySet<M> {
    fn default() -> Self {
        Self::new()
    }
}

/// A typed handle on one column of `M`, holding values of type `T`, for filters and ordering:
/// `#[derive(Model)]` generates one per field as an associated const in SCREAMING_SNAKE_CASE
/// (`User::EMAIL`).
pub struct Column<M, T> {
    field: usize,
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
    pub fn index(&self) -> usize {
        self.field
    }

    /// The field this column holds.
    pub fn meta(&self) -> &'static crate::model::FieldMeta {
        &M::META.fields[self.field]
    }
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for Column<M, T> {}

impl<M: Model, T> std::fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", M::META.label, self.meta().name)
    }
}

//! Statements ready to run, with their parameters borrowed from the query set.

use sea_query::Expr;

use crate::db::{Backend, Binder};
use crate::error::{Error, Result};
use crate::value::ValueRef;

/// The values a statement binds, borrowed from the query set. sea-query renders each value as
/// a `?` and returns the values in the order of the `?`s; a clarion value travels through it as
/// `Unsigned(index into this list)`, so that it is bound from here without being copied.
pub(super) struct Params<'q>(pub(super) Vec<ValueRef<'q>>, pub(super) Backend);

impl<'q> Params<'q> {
    pub(super) fn new(backend: Backend) -> Self {
        Params(Vec::new(), backend)
    }

    pub(super) fn push(&mut self, value: ValueRef<'q>) -> Expr {
        let index = u32::try_from(self.0.len()).expect("fewer than 2^32 parameters");
        self.0.push(value);
        Expr::val(sea_query::Value::Unsigned(Some(index)))
    }
}

/// A statement ready to run: its SQL with `?` placeholders, and what to bind to them.
pub(super) struct Compiled<'q> {
    pub(super) sql: String,
    values: sea_query::Values,
    params: Params<'q>,
}

impl<'q> Compiled<'q> {
    pub(super) fn new((sql, values): (String, sea_query::Values), params: Params<'q>) -> Self {
        Compiled {
            sql,
            values,
            params,
        }
    }

    /// The value of each `?`, in order.
    pub(super) fn values(&self) -> impl Iterator<Item = Result<ValueRef<'_>>> + '_ {
        self.values.iter().map(|value| match *value {
            sea_query::Value::Unsigned(Some(index)) => Ok(self.params.0[index as usize]),
            // LIMIT and OFFSET.
            sea_query::Value::BigUnsigned(Some(n)) => {
                Ok(ValueRef::Int(i64::try_from(n).unwrap_or(i64::MAX)))
            }
            ref other => Err(Error::msg(format!(
                "clarion bug: sea-query produced an unexpected parameter {other:?}"
            ))),
        })
    }

    pub(super) fn bind(&self, binder: &mut Binder<'_, '_>) -> Result<()> {
        self.values().try_for_each(|value| binder.bind(value?))
    }
}

//! Field values to and from SQLite: [`ValueRef`] binds as a parameter without copying, and a
//! `rusqlite` row reads as a model [`Row`].

use rusqlite::types::{ToSql, ToSqlOutput, Value as SqlValue, ValueRef as SqlRef};

use crate::model::Row;
use crate::value::{NAN_TEXT, ValueRef};
use crate::{Error, Result};

impl ToSql for ValueRef<'_> {
    #[inline]
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            ValueRef::Null => ToSqlOutput::Borrowed(SqlRef::Null),
            ValueRef::Bool(b) => ToSqlOutput::Borrowed(SqlRef::Integer(i64::from(b))),
            ValueRef::Int(i) => ToSqlOutput::Borrowed(SqlRef::Integer(i)),
            // SQLite has no NaN: it binds one as NULL, which a NOT NULL column refuses with a
            // misleading message and a nullable one reads back as `None`. Text that does not
            // look like a number stays text in a REAL column, equals itself and sorts above
            // every number, as NaN does on PostgreSQL; `f64::from_value` reads it back.
            ValueRef::Float(f) if f.is_nan() => {
                ToSqlOutput::Borrowed(SqlRef::Text(NAN_TEXT.as_bytes()))
            }
            ValueRef::Float(f) => ToSqlOutput::Borrowed(SqlRef::Real(f)),
            ValueRef::Text(s) => ToSqlOutput::Borrowed(SqlRef::Text(s.as_bytes())),
            ValueRef::Bytes(b) => ToSqlOutput::Borrowed(SqlRef::Blob(b)),
            ValueRef::Json(j) => ToSqlOutput::Owned(SqlValue::Text(j.to_string())),
            #[allow(unreachable_patterns)]
            other => ToSqlOutput::Owned(SqlValue::Text(
                other
                    .text_form()
                    .expect("every other value has a text form"),
            )),
        })
    }
}

/// A `rusqlite` row, read as a model row.
pub(crate) struct SqliteRow<'a, 'r>(pub(crate) &'a rusqlite::Row<'r>);

impl Row for SqliteRow<'_, '_> {
    fn value(&self, index: usize) -> Result<ValueRef<'_>> {
        Ok(match self.0.get_ref(index)? {
            SqlRef::Null => ValueRef::Null,
            SqlRef::Integer(i) => ValueRef::Int(i),
            SqlRef::Real(f) => ValueRef::Float(f),
            SqlRef::Text(bytes) => ValueRef::Text(std::str::from_utf8(bytes).map_err(|e| {
                Error::msg(format!("column {index} holds text that is not UTF-8: {e}"))
            })?),
            SqlRef::Blob(bytes) => ValueRef::Bytes(bytes),
        })
    }
}

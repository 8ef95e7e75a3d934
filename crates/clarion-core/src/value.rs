//! Values of model fields: the Rust types a field may have ([`FieldType`]), and the
//! database-neutral values they travel as ([`Value`], [`ValueRef`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// How a column is declared and how its values are stored.
///
/// SQLite stores dates and times as ISO-8601 text, UUIDs as 32 hex digits and JSON as text,
/// as Django does, so a database written by Django reads back unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnType {
    /// A signed integer of up to 64 bits.
    Integer,
    /// A 64-bit float.
    Float,
    /// A boolean (`0`/`1` in SQLite).
    Bool,
    /// Text; `max_length` is checked before writing.
    Text,
    /// Bytes.
    Bytes,
    /// A JSON document.
    Json,
    /// A calendar date.
    Date,
    /// A date and time without time zone.
    DateTime,
    /// A date and time in UTC.
    DateTimeUtc,
    /// A UUID.
    Uuid,
}

impl ColumnType {
    /// The type's name in PostgreSQL's `CREATE TABLE` (what Django's PostgreSQL backend
    /// uses, except that every integer is a `bigint`: a Rust `i64` fits whatever it holds).
    pub fn postgres(self) -> &'static str {
        match self {
            ColumnType::Integer => "bigint",
            ColumnType::Float => "double precision",
            ColumnType::Bool => "boolean",
            ColumnType::Text => "text",
            ColumnType::Bytes => "bytea",
            ColumnType::Json => "jsonb",
            ColumnType::Date => "date",
            ColumnType::DateTime => "timestamp",
            ColumnType::DateTimeUtc => "timestamp with time zone",
            ColumnType::Uuid => "uuid",
        }
    }

    /// The type's name in `backend`'s `CREATE TABLE`.
    pub fn name_for(self, backend: crate::db::Backend) -> &'static str {
        match backend {
            crate::db::Backend::Sqlite => self.sqlite(),
            crate::db::Backend::Postgres => self.postgres(),
        }
    }

    /// The type's name in SQLite's `CREATE TABLE` (what Django's SQLite backend uses).
    pub fn sqlite(self) -> &'static str {
        match self {
            ColumnType::Integer => "integer",
            ColumnType::Float => "real",
            ColumnType::Bool => "bool",
            ColumnType::Text => "text",
            ColumnType::Bytes => "BLOB",
            ColumnType::Json => "text",
            ColumnType::Date => "date",
            ColumnType::DateTime | ColumnType::DateTimeUtc => "datetime",
            ColumnType::Uuid => "char(32)",
        }
    }
}

/// A field value, owned: what [`Instance::get`](crate::model::Instance::get) returns, what
/// [`Instance::set`](crate::model::Instance::set) takes, and what fixtures are made of.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Value {
    /// SQL `NULL`, Rust `None`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text (also dates, times and UUIDs read back from SQLite).
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A JSON document.
    Json(serde_json::Value),
}

impl Value {
    /// Borrows the value as a [`ValueRef`].
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Int(i) => ValueRef::Int(*i),
            Value::Float(f) => ValueRef::Float(*f),
            Value::Text(s) => ValueRef::Text(s),
            Value::Bytes(b) => ValueRef::Bytes(b),
            Value::Json(j) => ValueRef::Json(j),
        }
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// A [`Value`] that can key a hash set or map: the sets of primary keys that deletes collect
/// and that many-to-many changes report are checked by hashing, not by comparing each key with
/// every other.
///
/// Two keys are equal exactly when their values are, except that a float is keyed by its bits
/// with `-0.0` as `0.0` and every NaN as one NaN, so that equality is an equivalence (as a hash
/// set needs; databases compare NaN keys as equal too).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ValueKey {
    Null,
    Bool(bool),
    Int(i64),
    Float(u64),
    Text(String),
    Bytes(Vec<u8>),
    Json(serde_json::Value),
}

impl ValueKey {
    pub(crate) fn of(value: &Value) -> ValueKey {
        match value {
            Value::Null => ValueKey::Null,
            Value::Bool(b) => ValueKey::Bool(*b),
            Value::Int(i) => ValueKey::Int(*i),
            Value::Float(f) => ValueKey::Float(float_bits(*f)),
            Value::Text(s) => ValueKey::Text(s.clone()),
            Value::Bytes(b) => ValueKey::Bytes(b.clone()),
            Value::Json(j) => ValueKey::Json(j.clone()),
        }
    }

    /// Whether this is the key of `value`, without building that key (no copy of its text).
    pub(crate) fn is_key_of(&self, value: &Value) -> bool {
        match (self, value) {
            (ValueKey::Null, Value::Null) => true,
            (ValueKey::Bool(a), Value::Bool(b)) => a == b,
            (ValueKey::Int(a), Value::Int(b)) => a == b,
            (ValueKey::Float(a), Value::Float(b)) => *a == float_bits(*b),
            (ValueKey::Text(a), Value::Text(b)) => a == b,
            (ValueKey::Bytes(a), Value::Bytes(b)) => a == b,
            (ValueKey::Json(a), Value::Json(b)) => a == b,
            _ => false,
        }
    }
}

/// The bits a float is keyed by: `-0.0 == 0.0` must hash alike, and NaN must equal itself.
fn float_bits(f: f64) -> u64 {
    if f == 0.0 {
        0.0f64.to_bits()
    } else if f.is_nan() {
        f64::NAN.to_bits()
    } else {
        f.to_bits()
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident($conv:expr)),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(value: $t) -> Self {
                Value::$variant($conv(value))
            }
        }
    )*};
}
value_from!(
    i64 => Int(std::convert::identity),
    i32 => Int(i64::from),
    bool => Bool(std::convert::identity),
    f64 => Float(std::convert::identity),
    String => Text(std::convert::identity),
    &str => Text(str::to_owned),
    Vec<u8> => Bytes(std::convert::identity),
);

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_ref().fmt(f)
    }
}

/// A field value, borrowed from the instance (or a row) it belongs to; binding it to a statement
/// copies nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum ValueRef<'a> {
    /// SQL `NULL`, Rust `None`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Bytes(&'a [u8]),
    /// A JSON document.
    Json(&'a serde_json::Value),
    /// A calendar date.
    #[cfg(feature = "chrono")]
    Date(chrono::NaiveDate),
    /// A date and time without time zone.
    #[cfg(feature = "chrono")]
    DateTime(chrono::NaiveDateTime),
    /// A date and time in UTC.
    #[cfg(feature = "chrono")]
    DateTimeUtc(chrono::DateTime<chrono::Utc>),
    /// A UUID.
    #[cfg(feature = "uuid")]
    Uuid(uuid::Uuid),
}

impl ValueRef<'_> {
    /// Copies the value into an owned [`Value`], in the form a database stores it (dates and
    /// UUIDs become text).
    pub fn to_owned(&self) -> Value {
        match *self {
            ValueRef::Null => Value::Null,
            ValueRef::Bool(b) => Value::Bool(b),
            ValueRef::Int(i) => Value::Int(i),
            ValueRef::Float(f) => Value::Float(f),
            ValueRef::Text(s) => Value::Text(s.to_owned()),
            ValueRef::Bytes(b) => Value::Bytes(b.to_vec()),
            ValueRef::Json(j) => Value::Json(j.clone()),
            #[cfg(feature = "chrono")]
            _ => Value::Text(self.text_form().expect("dates and times have a text form")),
            #[cfg(all(feature = "uuid", not(feature = "chrono")))]
            _ => Value::Text(self.text_form().expect("UUIDs have a text form")),
        }
    }

    /// The text a date, time or UUID is stored as in SQLite (Django's formats); `None` for other
    /// values.
    pub fn text_form(&self) -> Option<String> {
        match *self {
            #[cfg(feature = "chrono")]
            ValueRef::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
            #[cfg(feature = "chrono")]
            ValueRef::DateTime(dt) => Some(dt.format("%Y-%m-%d %H:%M:%S%.f").to_string()),
            #[cfg(feature = "chrono")]
            ValueRef::DateTimeUtc(dt) => {
                Some(dt.naive_utc().format("%Y-%m-%d %H:%M:%S%.f").to_string())
            }
            #[cfg(feature = "uuid")]
            ValueRef::Uuid(u) => Some(u.simple().to_string()),
            _ => None,
        }
    }

    /// Whether this is [`ValueRef::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, ValueRef::Null)
    }

    /// What kind of value this is, for error messages: `integer`, `text`, ….
    pub fn kind(&self) -> &'static str {
        match self {
            ValueRef::Null => "null",
            ValueRef::Bool(_) => "bool",
            ValueRef::Int(_) => "integer",
            ValueRef::Float(_) => "float",
            ValueRef::Text(_) => "text",
            ValueRef::Bytes(_) => "bytes",
            ValueRef::Json(_) => "JSON",
            #[cfg(feature = "chrono")]
            ValueRef::Date(_) => "date",
            #[cfg(feature = "chrono")]
            ValueRef::DateTime(_) | ValueRef::DateTimeUtc(_) => "datetime",
            #[cfg(feature = "uuid")]
            ValueRef::Uuid(_) => "uuid",
        }
    }
}

impl fmt::Display for ValueRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueRef::Null => f.write_str("NULL"),
            ValueRef::Bool(b) => write!(f, "{b}"),
            ValueRef::Int(i) => write!(f, "{i}"),
            ValueRef::Float(x) => write!(f, "{x}"),
            ValueRef::Text(s) => write!(f, "{s:?}"),
            ValueRef::Bytes(b) => write!(f, "<{} bytes>", b.len()),
            ValueRef::Json(j) => write!(f, "{j}"),
            #[allow(unreachable_patterns)]
            other => f.write_str(&other.text_form().unwrap_or_default()),
        }
    }
}

/// Why a value could not become a field's Rust type. [`Error::Validation`](crate::Error) adds
/// the model and field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError(pub String);

impl FieldError {
    /// "expected `expected`, got a `kind` value".
    pub fn mismatch(expected: &str, got: &ValueRef<'_>) -> Self {
        FieldError(format!("expected {expected}, got {} {got}", got.kind()))
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Rust type that can be a model field.
///
/// Implemented for `bool`, the integers up to 64 bits (`u64` excepted: SQL integers are
/// signed), `f32`, `f64`, `String`, `Vec<u8>`, `serde_json::Value`, with the `chrono` feature
/// `NaiveDate`, `NaiveDateTime` and `DateTime<Utc>`, with the `uuid` feature `Uuid`, and
/// `Option<T>` of any of these for a nullable column.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a model field",
    label = "unsupported field type",
    note = "fields may be integers, `f32`/`f64`, `bool`, `String`, `Vec<u8>`, `serde_json::Value`, chrono dates and times (feature `chrono`), `uuid::Uuid` (feature `uuid`), or `Option` of one of these; a reference to another model is `ForeignKey<Model>` with `#[model(on_delete = …)]`"
)]
pub trait FieldType: Sized {
    /// How the column is declared.
    const COLUMN: ColumnType;
    /// Whether the column accepts `NULL` (only `Option<T>` does).
    const NULLABLE: bool = false;
    /// Borrows the value for binding.
    fn to_value(&self) -> ValueRef<'_>;
    /// Reads a value back (from a row, a fixture or a dynamic `set`).
    fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError>;
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl FieldType for $t {
            const COLUMN: ColumnType = ColumnType::Integer;
            #[inline]
            fn to_value(&self) -> ValueRef<'_> {
                ValueRef::Int(i64::from(*self))
            }
            #[inline]
            fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError> {
                match value {
                    ValueRef::Int(i) => <$t>::try_from(i).map_err(|_| {
                        FieldError(format!("{i} does not fit in `{}`", stringify!($t)))
                    }),
                    ValueRef::Bool(b) => Ok(<$t>::from(b)),
                    other => Err(FieldError::mismatch("an integer", &other)),
                }
            }
        }
    )*};
}
integers!(i8, i16, i32, i64, u8, u16, u32);

impl FieldType for bool {
    const COLUMN: ColumnType = ColumnType::Bool;
    #[inline]
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Bool(*self)
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError> {
        match value {
            ValueRef::Bool(b) => Ok(b),
            ValueRef::Int(0) => Ok(false),
            ValueRef::Int(1) => Ok(true),
            other => Err(FieldError::mismatch("a bool", &other)),
        }
    }
}

/// How SQLite stores a NaN float, which it cannot hold as a REAL (see `db::sqlite_value`): the
/// only text a float field reads back as a number.
pub(crate) const NAN_TEXT: &str = "NaN";

impl FieldType for f64 {
    const COLUMN: ColumnType = ColumnType::Float;
    #[inline]
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Float(*self)
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError> {
        match value {
            ValueRef::Float(f) => Ok(f),
            // SQLite keeps a REAL that holds a whole number as an integer.
            ValueRef::Int(i) => Ok(i as f64),
            ValueRef::Text(NAN_TEXT) => Ok(f64::NAN),
            other => Err(FieldError::mismatch("a number", &other)),
        }
    }
}

impl FieldType for f32 {
    const COLUMN: ColumnType = ColumnType::Float;
    #[inline]
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Float(f64::from(*self))
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError> {
        f64::from_value(value).map(|f| f as f32)
    }
}

impl FieldType for String {
    const COLUMN: ColumnType = ColumnType::Text;
    #[inline]
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Text(self)
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError> {
        match value {
            ValueRef::Text(s) => Ok(s.to_owned()),
            other => Err(FieldError::mismatch("text", &other)),
        }
    }
}

impl FieldType for Vec<u8> {
    const COLUMN: ColumnType = ColumnType::Bytes;
    #[inline]
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Bytes(self)
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError> {
        match value {
            ValueRef::Bytes(b) => Ok(b.to_vec()),
            other => Err(FieldError::mismatch("bytes", &other)),
        }
    }
}

impl FieldType for serde_json::Value {
    const COLUMN: ColumnType = ColumnType::Json;
    // JSON `null` is a value of a JSON field, not SQL `NULL` (use `Option` for that).
    #[inline]
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Json(self)
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError> {
        match value {
            ValueRef::Json(j) => Ok(j.clone()),
            ValueRef::Text(s) => {
                serde_json::from_str(s).map_err(|e| FieldError(format!("invalid JSON {s:?}: {e}")))
            }
            other => Err(FieldError::mismatch("JSON", &other)),
        }
    }
}

impl<T: FieldType> FieldType for Option<T> {
    const COLUMN: ColumnType = T::COLUMN;
    const NULLABLE: bool = true;
    #[inline]
    fn to_value(&self) -> ValueRef<'_> {
        match self {
            Some(v) => v.to_value(),
            None => ValueRef::Null,
        }
    }
    #[inline]
    fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError> {
        match value {
            ValueRef::Null => Ok(None),
            value => T::from_value(value).map(Some),
        }
    }
}

#[cfg(feature = "chrono")]
mod chrono_fields {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

    use super::{ColumnType, FieldError, FieldType, ValueRef};

    /// Accepts Django's SQLite form (`2024-05-01 12:30:00.123`) and ISO 8601 with `T`
    /// (`dumpdata`'s form, with an optional offset or `Z`).
    fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
        let s = s.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Some(dt.naive_utc());
        }
        let s = s.strip_suffix('Z').unwrap_or(s);
        [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    }

    impl FieldType for NaiveDate {
        const COLUMN: ColumnType = ColumnType::Date;
        fn to_value(&self) -> ValueRef<'_> {
            ValueRef::Date(*self)
        }
        fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError> {
            match value {
                ValueRef::Date(d) => Ok(d),
                ValueRef::Text(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map_err(|e| FieldError(format!("invalid date {s:?}: {e}"))),
                other => Err(FieldError::mismatch("a date (YYYY-MM-DD)", &other)),
            }
        }
    }

    impl FieldType for NaiveDateTime {
        const COLUMN: ColumnType = ColumnType::DateTime;
        fn to_value(&self) -> ValueRef<'_> {
            ValueRef::DateTime(*self)
        }
        fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError> {
            match value {
                ValueRef::DateTime(d) => Ok(d),
                ValueRef::DateTimeUtc(d) => Ok(d.naive_utc()),
                ValueRef::Text(s) => {
                    parse_datetime(s).ok_or_else(|| FieldError(format!("invalid datetime {s:?}")))
                }
                other => Err(FieldError::mismatch("a datetime", &other)),
            }
        }
    }

    impl FieldType for DateTime<Utc> {
        const COLUMN: ColumnType = ColumnType::DateTimeUtc;
        fn to_value(&self) -> ValueRef<'_> {
            ValueRef::DateTimeUtc(*self)
        }
        fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError> {
            NaiveDateTime::from_value(value).map(|naive| naive.and_utc())
        }
    }
}

#[cfg(feature = "uuid")]
impl FieldType for uuid::Uuid {
    const COLUMN: ColumnType = ColumnType::Uuid;
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Uuid(*self)
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError> {
        match value {
            ValueRef::Uuid(u) => Ok(u),
            // Django's SQLite form (32 hex digits) and the hyphenated form both parse.
            ValueRef::Text(s) => uuid::Uuid::parse_str(s.trim())
                .map_err(|e| FieldError(format!("invalid UUID {s:?}: {e}"))),
            ValueRef::Bytes(b) => uuid::Uuid::from_slice(b)
                .map_err(|e| FieldError(format!("invalid UUID bytes: {e}"))),
            other => Err(FieldError::mismatch("a UUID", &other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn value_keys_are_equal_when_the_values_are() {
        let key = |v: Value| ValueKey::of(&v);
        assert!(key(Value::Int(1)) != key(Value::Text("1".into())));
        assert!(key(Value::Int(1)) != key(Value::Bool(true)));
        assert!(key(Value::Int(1)) != key(Value::Float(1.0)));
        assert_eq!(key(Value::Float(0.0)), key(Value::Float(-0.0)));
        assert_eq!(key(Value::Float(f64::NAN)), key(Value::Float(-f64::NAN)));
        assert_eq!(
            key(Value::Json(serde_json::json!({"a": 1, "b": [true]}))),
            key(Value::Json(serde_json::json!({"b": [true], "a": 1})))
        );
        let values = [
            Value::Null,
            Value::Bool(false),
            Value::Int(-3),
            Value::Float(2.5),
            Value::Text("a".into()),
            Value::Bytes(vec![0, 1]),
            Value::Json(serde_json::json!([1])),
        ];
        let set: HashSet<ValueKey> = values.iter().map(ValueKey::of).collect();
        assert_eq!(set.len(), values.len());
        for (i, a) in values.iter().enumerate() {
            for (j, b) in values.iter().enumerate() {
                assert_eq!(ValueKey::of(a).is_key_of(b), i == j, "{a:?} {b:?}");
            }
        }
    }
}

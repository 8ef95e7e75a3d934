//! Fixtures in Django's JSON format: `[{"model": "app.user", "pk": 1, "fields": {…}}]` — what
//! `manage.py dumpdata` writes and `manage.py loaddata` reads.
//!
//! ```standalone_crate
//! use clarion::db::{self, Database};
//! use clarion::fixtures;
//! use clarion::prelude::*;
//!
//! #[derive(Model)]
//! #[model(app_label = "blog")]
//! pub struct Entry {
//!     id: Option<i64>,
//!     title: String,
//!     #[model(default = true)]
//!     published: bool,
//! }
//!
//! db::register(Database::open("sqlite::memory:")?);
//! clarion::migrate()?;
//!
//! // Django: `manage.py loaddata`. `published` is left out, so it gets its default.
//! let loaded = fixtures::load(r#"[{"model": "blog.entry", "pk": 1, "fields": {"title": "Hi"}}]"#)?;
//! assert_eq!(loaded.count, 1);
//!
//! // Django: `manage.py dumpdata blog.entry --indent 2`.
//! let dumped = fixtures::dump(&["blog.entry"])?;
//! assert_eq!(dumped, r#"[
//! {
//!   "model": "blog.entry",
//!   "pk": 1,
//!   "fields": {
//!     "title": "Hi",
//!     "published": true
//!   }
//! }
//! ]
//! "#);
//!
//! // A bad record is refused with its place in the fixture, and nothing of the fixture is saved.
//! let error = fixtures::load(r#"[{"model": "blog.entry", "fields": {"title": 5}}]"#).unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "fixture record 0 (`blog.entry`, field `title`): expected text, got integer 5"
//! );
//! # Ok::<(), clarion::Error>(())
//! ```
//!
//! **Loading** ([`load`], [`load_file`]) is all or nothing: every record is saved in one
//! transaction, and the first bad record rolls all of it back and is reported as
//! [`Error::Fixture`] with its index, model and field. Each record is saved as Django's
//! `loaddata` saves it: `pre_save` and `post_save` are sent with `raw = true`, and a record whose
//! key exists updates that row. Values are read by the column type of their field:
//!
//! | field | JSON |
//! |---|---|
//! | integers, floats | a number; `"NaN"`, `"Infinity"`, `"-Infinity"` for the floats JSON has no number for |
//! | `bool` | `true`/`false` (or `0`/`1`) |
//! | integers, floats, `bool`, given as a string | read as Django's deserializer reads it: `"42"`, `" 1.5 "`, `"1e3"`; `"true"`, `"True"`, `"t"`, `"1"` and `"false"`, `"False"`, `"f"`, `"0"` |
//! | `String`, dates, times, UUIDs | a string: `"2024-05-01"`, `"2024-05-01T12:30:00.123Z"`, hyphenated or 32-hex UUIDs |
//! | `Vec<u8>` | a base64 string (Django's `BinaryField`) |
//! | `serde_json::Value` | any JSON, nested |
//! | `Option<_>` | `null` for `None` |
//!
//! The key comes from `"pk"`; an auto-increment key may be left out (or `null`) to get a new
//! one. A field left out of `"fields"` gets its `default`, or `None` if it is an `Option`;
//! otherwise the record is refused.
//!
//! **Dumping** ([`dump`]) writes what `dumpdata --indent 2` writes: records ordered by model
//! label, then primary key, with the values in the forms above (datetimes with a `T`, and a `Z`
//! for `DateTime<Utc>`; UUIDs hyphenated). Loading a dump into an empty database and dumping
//! again gives the same text.
//!
//! Not supported: Django's natural keys, many-to-many lists, and the YAML and XML formats.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

#[cfg(feature = "tokio")]
pub use crate::asynchronous::fixtures::{
    adump, adump_using, aload, aload_file, aload_file_using, aload_using,
};

use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserializer as _, Serialize, Serializer};
use serde_json::Value as Json;

use crate::db;
use crate::error::{Error, Result};
use crate::model::{
    FieldMeta, ManyToManyMeta, ModelMeta, ModelRegistration, Relation, model_by_label, models,
};
use crate::value::{ColumnType, NAN_TEXT, Value};

/// What [`load`] saved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Loaded {
    /// The records saved (Django: "Installed N object(s)").
    pub count: usize,
    /// The records saved per model label.
    pub per_model: BTreeMap<&'static str, usize>,
}

/// Loads a fixture (the text of a JSON fixture) into the default database; see [`load_using`].
pub fn load(json: &str) -> Result<Loaded> {
    load_using(json, db::DEFAULT_ALIAS)
}

/// Loads a fixture into the database registered as `using` (Django's
/// `loaddata --database using`), all or nothing.
///
/// Errors:
/// - [`Error::Fixture`] for text that is not a JSON list of records (the index is the record at
///   which the JSON broke off, and the reason has serde's line and column), for a record that
///   names an unknown model or field, misses a required field or has a value of the wrong type,
///   and for a record that a constraint refuses (a duplicate `unique` value): the reason is then
///   the database's message and the field the column it names. Nothing is saved.
/// - [`Error::Fixture`] too for a foreign key or a many-to-many key that names no row (found
///   before the commit, whose own check could not name the record), and for a record the
///   database refuses otherwise.
/// - Any other error of the save, as it is: a receiver's [`Error::Receiver`], a
///   [`Error::MissingTable`] when the tables were never created, [`Error::UnknownDatabase`].
///   Nothing is saved either.
pub fn load_using(json: &str, using: &str) -> Result<Loaded> {
    let records = parse(json)?;
    // Resolve and convert every record before the first write: a bad record late in a large
    // fixture fails without a transaction's worth of work to roll back.
    let prepared = records
        .iter()
        .enumerate()
        .map(|(index, record)| prepare(index, record))
        .collect::<Result<Vec<_>>>()?;
    db::atomic_using(using, |tx| {
        let mut loaded = Loaded::default();
        let mut related = Vec::new();
        let mut saved = Vec::with_capacity(prepared.len());
        for (index, (model, values, many)) in prepared.into_iter().enumerate() {
            let instance = model
                .save_values(values, using, true)
                .map_err(|error| at_record(index, model.meta(), error))?;
            loaded.count += 1;
            *loaded.per_model.entry(model.meta().label).or_default() += 1;
            saved.push((index, model.meta().concrete_model(), instance.pk()));
            if !many.is_empty() {
                related.push((index, instance, many));
            }
        }
        // Once every record is saved, so that a relation may name a record that comes later;
        // as Django's `loaddata`, each is `set` (with `raw = true` in `m2m_changed`).
        for (index, mut instance, many) in related {
            for (relation, keys) in many {
                let label = instance.meta().label;
                Relation {
                    meta: relation,
                    instance: &mut *instance,
                    reverse: false,
                    using,
                    raw: true,
                }
                .set(keys)
                .map_err(|error| match error {
                    Error::Integrity { .. } | Error::Validation { .. } => Error::Fixture {
                        index,
                        model: Some(label.to_owned()),
                        field: Some(relation.name.to_owned()),
                        reason: error.to_string(),
                    },
                    other => other,
                })?;
            }
        }
        // Foreign keys are checked at the commit, which could not say which record is at
        // fault: ask the database now, and name it.
        if let Some(error) = dangling_key(tx, &saved)? {
            return Err(error);
        }
        Ok(loaded)
    })
}

/// A key of a loaded record that points at no row, as an [`Error::Fixture`] naming the record
/// and the field; `None` if every key points at a row (or the one that does not cannot be
/// traced to a record, which the commit then refuses).
///
/// Only the tables the fixture wrote are checked (as Django's `loaddata` does), so that a load
/// into a large database does not read all of it, and a row that was dangling before the load
/// is not blamed on it.
fn dangling_key(
    tx: &db::Transaction,
    saved: &[(usize, &'static ModelMeta, Value)],
) -> Result<Option<Error>> {
    let mut tables: Vec<(
        &'static str,
        &'static ModelMeta,
        Option<&'static ManyToManyMeta>,
    )> = Vec::new();
    for (_, meta, _) in saved {
        if !tables.iter().any(|(table, _, _)| *table == meta.table) {
            tables.push((meta.table, meta, None));
            for relation in dumped_relations(meta) {
                tables.push((relation.table(), meta, Some(relation)));
            }
        }
    }
    let quote = crate::model::sql::quote;
    // Each key column of each table written, as (owner column, key column, target model,
    // field named in the error). A join row is blamed on the record whose relation wrote it.
    for (table, meta, relation) in tables {
        let checks: Vec<(&str, &str, &'static ModelMeta, &str)> = match relation {
            None => meta
                .fields
                .iter()
                .filter_map(|field| {
                    let related = field.related?;
                    Some((
                        meta.pk_field().column,
                        field.column,
                        related.target().concrete_model(),
                        field.name,
                    ))
                })
                .collect(),
            Some(relation) => vec![
                (
                    relation.source_column(),
                    relation.source_column(),
                    relation.source().concrete_model(),
                    relation.name,
                ),
                (
                    relation.source_column(),
                    relation.target_column(),
                    relation.target().concrete_model(),
                    relation.name,
                ),
            ],
        };
        for (owner_column, column, target, field) in checks {
            // The same question on both backends (SQLite's `PRAGMA foreign_key_check` has no
            // PostgreSQL counterpart): which rows point at no row of the target.
            let sql = format!(
                "SELECT t.{owner}, t.{column} FROM {table} t WHERE t.{column} IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM {target} p WHERE p.{target_pk} = t.{column}) \
                 ORDER BY 1",
                owner = quote(owner_column),
                column = quote(column),
                table = quote(table),
                target = quote(target.table),
                target_pk = quote(target.pk_field().column),
            );
            let violations = tx.query_bound(
                &sql,
                |_| Ok(()),
                |row| Ok((row.value(0)?.to_owned(), row.value(1)?.to_owned())),
            )?;
            for (owner, key) in violations {
                let Some(index) = saved
                    .iter()
                    .find(|(_, m, saved_key)| std::ptr::eq(*m, meta) && *saved_key == owner)
                    .map(|(index, _, _)| *index)
                else {
                    continue;
                };
                return Ok(Some(Error::Fixture {
                    index,
                    model: Some(meta.label.to_owned()),
                    field: Some(field.to_owned()),
                    reason: format!(
                        "points at a row of `{}` whose key {key} does not exist",
                        target.table
                    ),
                }));
            }
        }
    }
    Ok(None)
}

/// Loads the fixture file at `path` into the default database; see [`load_using`].
pub fn load_file(path: impl AsRef<Path>) -> Result<Loaded> {
    load_file_using(path, db::DEFAULT_ALIAS)
}

/// Loads the fixture file at `path` into the database registered as `using`; see
/// [`load_using`]. A file that cannot be read is an [`Error::Other`] wrapping the
/// [`std::io::Error`], with the path in its message.
pub fn load_file_using(path: impl AsRef<Path>, using: &str) -> Result<Loaded> {
    let path = path.as_ref();
    let json = std::fs::read_to_string(path).map_err(|error| {
        Error::other(std::io::Error::new(
            error.kind(),
            format!("cannot read fixture `{}`: {error}", path.display()),
        ))
    })?;
    load_using(&json, using)
}

/// Dumps the rows of the models named by `labels` from the default database; see
/// [`dump_using`].
pub fn dump(labels: &[&str]) -> Result<String> {
    dump_using(labels, db::DEFAULT_ALIAS)
}

/// Dumps the rows of the models named by `labels` from the database registered as `using`, as
/// `dumpdata --indent 2` does, in one read transaction.
///
/// A label is a model's (`app.model`) or an app's (`app`: all its models), in any case; no
/// labels dumps every linked model. Records are ordered by model label, then primary key. A
/// proxy model's rows are dumped once, under its concrete model (as Django does).
///
/// An unknown label is an [`Error::Message`] listing the models there are.
pub fn dump_using(labels: &[&str], using: &str) -> Result<String> {
    let selected = select(labels)?;
    let mut out = String::from("[");
    db::read_using(using, |tx| {
        let mut first = true;
        for model in &selected {
            let meta = model.meta();
            let related = related_keys(tx, meta)?;
            for row in model.all_rows(using)? {
                let mut record = record(meta, row)?;
                for (relation, keys) in dumped_relations(meta).zip(&related) {
                    let pk = serde_json::to_string(&record.pk).map_err(Error::other)?;
                    let keys = keys.get(&pk).cloned().unwrap_or_default();
                    record.fields.0.push((relation.name, Json::Array(keys)));
                }
                // Django's JSON serializer: the list's items are not indented, each object is.
                if !first {
                    out.push(',');
                }
                first = false;
                out.push('\n');
                out.push_str(&serde_json::to_string_pretty(&record).map_err(Error::other)?);
            }
        }
        Ok(())
    })?;
    out.push_str("\n]\n");
    Ok(out)
}

/// The many-to-many relations a record lists: those with an auto-created join table (a `through`
/// model's rows are records of their own, as in Django).
fn dumped_relations(meta: &'static ModelMeta) -> impl Iterator<Item = &'static ManyToManyMeta> {
    meta.many_to_many()
        .iter()
        .copied()
        .filter(|relation| relation.through().is_none())
}

/// For each many-to-many relation of `meta`, the related keys (as JSON) of each row, by the
/// row's key (as JSON text), in ascending order.
fn related_keys(
    tx: &db::Transaction,
    meta: &'static ModelMeta,
) -> Result<Vec<BTreeMap<String, Vec<Json>>>> {
    dumped_relations(meta)
        .map(|relation| {
            let sql = format!(
                "SELECT {source}, {target} FROM {table} ORDER BY {source}, {target}",
                source = crate::model::sql::quote(relation.source_column()),
                target = crate::model::sql::quote(relation.target_column()),
                table = crate::model::sql::quote(relation.table()),
            );
            let rows = tx.query_bound(
                &sql,
                |_| Ok(()),
                |row| Ok((row.value(0)?.to_owned(), row.value(1)?.to_owned())),
            )?;
            let mut keys: BTreeMap<String, Vec<Json>> = BTreeMap::new();
            for (source, target) in rows {
                let source = to_json(meta.pk_field(), source)
                    .and_then(|json| serde_json::to_string(&json).map_err(|e| e.to_string()))
                    .map_err(Error::msg)?;
                let target = to_json(relation.target().pk_field(), target).map_err(Error::msg)?;
                keys.entry(source).or_default().push(target);
            }
            Ok(keys)
        })
        .collect()
}

/// Parses the fixture's list of records, counting them so that a syntax error can say which
/// record it is in.
fn parse(json: &str) -> Result<Vec<Json>> {
    struct Records<'v>(&'v mut Vec<Json>);

    impl<'de> Visitor<'de> for Records<'_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of records")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(record) = seq.next_element()? {
                self.0.push(record);
            }
            Ok(())
        }
    }

    let mut records = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_str(json);
    deserializer
        .deserialize_seq(Records(&mut records))
        .and_then(|()| deserializer.end())
        .map_err(|error| Error::Fixture {
            index: records.len(),
            model: None,
            field: None,
            reason: format!("invalid JSON: {error}"),
        })?;
    Ok(records)
}

/// Finds a record's model and builds its values, one per field in field order.
/// A record ready to save: its model, its values in field order, and the keys of each of its
/// many-to-many relations.
type Prepared = (
    &'static ModelRegistration,
    Vec<Value>,
    Vec<(&'static ManyToManyMeta, Vec<Value>)>,
);

fn prepare(index: usize, record: &Json) -> Result<Prepared> {
    let fail = |model: Option<&str>, field: Option<&str>, reason: String| Error::Fixture {
        index,
        model: model.map(str::to_owned),
        field: field.map(str::to_owned),
        reason,
    };
    let Json::Object(record) = record else {
        return Err(fail(
            None,
            None,
            format!(
                "expected an object with \"model\", \"pk\" and \"fields\", got {}",
                kind(record)
            ),
        ));
    };
    let label = match record.get("model") {
        Some(Json::String(label)) => label.as_str(),
        Some(other) => {
            return Err(fail(
                None,
                None,
                format!(
                    "\"model\" must be a label such as \"app.model\", got {}",
                    kind(other)
                ),
            ));
        }
        None => return Err(fail(None, None, "missing \"model\"".to_owned())),
    };
    if let Some(key) = record
        .keys()
        .find(|key| !matches!(key.as_str(), "model" | "pk" | "fields"))
    {
        return Err(fail(
            Some(label),
            None,
            format!("unknown key \"{key}\"; a record has \"model\", \"pk\" and \"fields\""),
        ));
    }
    let model = model_by_label(label).ok_or_else(|| {
        let known: Vec<&str> = models().iter().map(|m| m.meta().label).collect();
        fail(
            Some(label),
            None,
            format!(
                "unknown model; the models are: {}",
                if known.is_empty() {
                    "(none linked into this binary)".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        )
    })?;
    let meta = model.meta();
    let label = Some(meta.label);
    let empty = serde_json::Map::new();
    let fields = match record.get("fields") {
        Some(Json::Object(fields)) => fields,
        None => &empty,
        Some(other) => {
            return Err(fail(
                label,
                None,
                format!("\"fields\" must be an object, got {}", kind(other)),
            ));
        }
    };
    let many_to_many = |name: &str| meta.many_to_many().iter().find(|m| m.name == name);
    if let Some(name) = fields
        .keys()
        .find(|name| meta.field(name).is_none() && many_to_many(name).is_none())
    {
        return Err(fail(
            label,
            Some(name),
            format!(
                "unknown field; the fields of `{}` are: {}",
                meta.label,
                meta.field_names()
                    .chain(meta.many_to_many().iter().map(|m| m.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let mut many = Vec::new();
    for relation in meta.many_to_many() {
        let Some(given) = fields.get(relation.name) else {
            continue;
        };
        if let Some(through) = relation.through() {
            return Err(fail(
                label,
                Some(relation.name),
                format!(
                    "the relation goes through `{}`: load that model's records instead",
                    through.label
                ),
            ));
        }
        let Json::Array(items) = given else {
            return Err(fail(
                label,
                Some(relation.name),
                format!(
                    "a many-to-many field takes a list of primary keys, got {}",
                    kind(given)
                ),
            ));
        };
        let key_field = relation.target().pk_field();
        let keys = items
            .iter()
            .map(|item| match item {
                Json::Null => Err("a many-to-many field's keys cannot be null".to_owned()),
                item => from_json(key_field, item),
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|reason| fail(label, Some(relation.name), reason))?;
        many.push((*relation, keys));
    }
    let pk_field = meta.pk_field();
    let pk = match (record.get("pk"), fields.get(pk_field.name)) {
        (Some(pk), Some(field)) if !pk.is_null() && pk != field => {
            return Err(fail(
                label,
                Some(pk_field.name),
                format!(
                    "\"pk\" is {pk} but the field \"{}\" is {field}",
                    pk_field.name
                ),
            ));
        }
        (Some(pk), _) if !pk.is_null() => Some(pk),
        (_, field) => field.filter(|field| !field.is_null()),
    };
    let values = meta
        .fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let given = if i == meta.pk {
                pk
            } else {
                fields.get(field.name)
            };
            match given {
                Some(json) => from_json(field, json),
                None => missing(field, i == meta.pk),
            }
            .map_err(|reason| fail(label, Some(field.name), reason))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((model, values, many))
}

/// The value of a field the record leaves out.
fn missing(field: &FieldMeta, is_pk: bool) -> std::result::Result<Value, String> {
    if let Some(default) = field.default {
        Ok(default())
    } else if field.auto || (field.nullable && !is_pk) {
        Ok(Value::Null)
    } else if is_pk {
        Err("missing \"pk\"".to_owned())
    } else {
        Err("missing field (it has no default and is not an `Option`)".to_owned())
    }
}

/// A fixture's JSON value as the field's value, by the field's column type; the field's own
/// `FieldType` checks the rest (ranges, date formats, UUIDs) when the instance is built.
fn from_json(field: &FieldMeta, json: &Json) -> std::result::Result<Value, String> {
    if field.ty == ColumnType::Json {
        // JSON `null` is SQL NULL for an `Option` field (as in Django), a JSON value otherwise.
        return Ok(match json {
            Json::Null if field.nullable => Value::Null,
            json => Value::Json(json.clone()),
        });
    }
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::Int(i),
            (None, _) if n.is_u64() => return Err(format!("{n} is out of range for an integer")),
            (None, Some(f)) => Value::Float(f),
            (None, None) => return Err(format!("{n} is not a number SQLite can store")),
        },
        Json::String(s) if field.ty == ColumnType::Integer => coerce(s, "an integer", |t| {
            t.trim().parse::<i64>().ok().map(Value::Int)
        })?,
        Json::String(s) if field.ty == ColumnType::Float => coerce(s, "a number", |t| {
            non_finite(t)
                .or_else(|| t.trim().parse::<f64>().ok())
                .map(Value::Float)
        })?,
        Json::String(s) if field.ty == ColumnType::Bool => coerce(s, "a bool", |t| match t {
            "true" | "True" | "t" | "1" => Some(Value::Bool(true)),
            "false" | "False" | "f" | "0" => Some(Value::Bool(false)),
            _ => None,
        })?,
        Json::String(s) if field.ty == ColumnType::Bytes => {
            Value::Bytes(base64::decode(s).map_err(|e| format!("invalid base64: {e}"))?)
        }
        Json::String(s) => Value::Text(s.clone()),
        other => {
            return Err(format!(
                "expected a value for a `{}` field, got {}",
                field.rust_type,
                kind(other)
            ));
        }
    })
}

/// A number or boolean written as JSON text (`"42"`, `"1.5"`, `"true"`), as Django's XML fixtures
/// and much hand-written JSON carry them, read by `read` as Django's `to_python` reads it; text
/// that does not read as the field's type is an error that quotes it.
fn coerce(
    text: &str,
    expected: &str,
    read: impl FnOnce(&str) -> Option<Value>,
) -> std::result::Result<Value, String> {
    read(text).ok_or_else(|| {
        format!("expected {expected}, got the string {text:?}, which does not read as one")
    })
}

/// Puts a record's index on an error from saving it.
fn at_record(index: usize, meta: &'static ModelMeta, error: Error) -> Error {
    let fixture = |field: Option<String>, reason: String| Error::Fixture {
        index,
        model: Some(meta.label.to_owned()),
        field,
        reason,
    };
    match error {
        Error::Validation { field, reason, .. } => fixture(Some(field), reason),
        Error::UnknownField { field, .. } => fixture(Some(field), "unknown field".to_owned()),
        Error::Integrity {
            detail, constraint, ..
        } => {
            // SQLite names a failed UNIQUE or NOT NULL column as `table.column`.
            let field = constraint
                .as_deref()
                .and_then(|c| c.split_once('.'))
                .filter(|(table, _)| table.eq_ignore_ascii_case(meta.table))
                .and_then(|(_, column)| meta.fields.iter().find(|f| f.column == column))
                .map(|f| f.name.to_owned());
            fixture(field, format!("integrity error: {detail}"))
        }
        // SQLite's own refusal of this record (say, no auto-increment key left after a record
        // with the largest one), which only the record explains.
        Error::Database { source } => fixture(None, format!("database error: {source}")),
        other => other,
    }
}

/// The models `labels` select, each table once, ordered by label.
fn select(labels: &[&str]) -> Result<Vec<&'static ModelRegistration>> {
    let all = models();
    let mut selected: Vec<&'static ModelRegistration> = if labels.is_empty() {
        all.to_vec()
    } else {
        let mut selected = Vec::new();
        for label in labels {
            let before = selected.len();
            selected.extend(all.iter().copied().filter(|m| {
                m.meta().label.eq_ignore_ascii_case(label)
                    || m.meta().app_label.eq_ignore_ascii_case(label)
            }));
            if selected.len() == before {
                let known: Vec<&str> = all.iter().map(|m| m.meta().label).collect();
                return Err(Error::msg(format!(
                    "no model or app is labelled `{label}`; the models are: {}",
                    known.join(", ")
                )));
            }
        }
        selected
    };
    // A proxy's rows are its concrete model's, and a fixture names them so (as Django's do).
    for model in &mut selected {
        let meta = model.meta();
        if meta.is_proxy() {
            *model = model_by_label(meta.concrete_model().label)
                .expect("a proxy's concrete model is linked with it");
        }
    }
    selected.sort_by_key(|m| m.meta().label);
    selected.dedup_by_key(|m| m.meta().label);
    Ok(selected)
}

/// One record of a dump, serialized with its keys in Django's order.
#[derive(Serialize)]
struct Record {
    model: &'static str,
    pk: Json,
    fields: Fields,
}

/// The fields of a record, in declaration order (a JSON object whose keys are not sorted).
struct Fields(Vec<(&'static str, Json)>);

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

fn record(meta: &'static ModelMeta, row: Vec<Value>) -> Result<Record> {
    let mut pk = Json::Null;
    let mut fields = Vec::with_capacity(meta.fields.len().saturating_sub(1));
    for (index, (field, value)) in meta.fields.iter().zip(row).enumerate() {
        let json = to_json(field, value).map_err(|reason| Error::Validation {
            model: meta.label,
            field: field.name.to_owned(),
            reason,
        })?;
        if index == meta.pk {
            pk = json;
        } else {
            fields.push((field.name, json));
        }
    }
    Ok(Record {
        model: meta.label,
        pk,
        fields: Fields(fields),
    })
}

/// A stored value in the JSON form Django's `dumpdata` gives its field.
fn to_json(field: &FieldMeta, value: Value) -> std::result::Result<Json, String> {
    Ok(match (field.ty, value) {
        (_, Value::Null) => Json::Null,
        (ColumnType::Bool, Value::Int(i)) => Json::Bool(i != 0),
        (ColumnType::Json, Value::Text(text)) => serde_json::from_str(&text)
            .map_err(|e| format!("the stored text is not JSON ({e}): {text:?}"))?,
        (ColumnType::Uuid, Value::Text(text)) => Json::String(hyphenate(text)),
        (ColumnType::DateTime, Value::Text(text)) => Json::String(iso_datetime(text, false)),
        (ColumnType::DateTimeUtc, Value::Text(text)) => Json::String(iso_datetime(text, true)),
        (_, Value::Bool(b)) => Json::Bool(b),
        (_, Value::Int(i)) => Json::from(i),
        // SQLite stores NaN as this text (see `db::sqlite_value`).
        (ColumnType::Float, Value::Text(text)) if text == NAN_TEXT => {
            Json::String(NON_FINITE[0].0.to_owned())
        }
        (_, Value::Float(f)) => match serde_json::Number::from_f64(f) {
            Some(number) => Json::Number(number),
            None => Json::String(
                NON_FINITE
                    .iter()
                    .find(|(_, value)| *value == f || (f.is_nan() && value.is_nan()))
                    .expect("a float without a JSON number is NaN or infinite")
                    .0
                    .to_owned(),
            ),
        },
        (_, Value::Text(text)) => Json::String(text),
        (_, Value::Bytes(bytes)) => Json::String(base64::encode(&bytes)),
        (_, Value::Json(json)) => json,
    })
}

/// The floats JSON has no number for, as a fixture writes them: strings, since JSON has no
/// `NaN` or `Infinity` (Python's `json`, hence Django's `dumpdata`, writes them bare, which no
/// strict parser reads; Django's `FloatField` reads these strings back).
const NON_FINITE: [(&str, f64); 3] = [
    ("NaN", f64::NAN),
    ("Infinity", f64::INFINITY),
    ("-Infinity", f64::NEG_INFINITY),
];

/// The float a fixture writes as the string `text`, if it is one of [`NON_FINITE`].
fn non_finite(text: &str) -> Option<f64> {
    NON_FINITE
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, value)| *value)
}

/// `YYYY-MM-DD HH:MM:SS[.f]`, as stored, to `dumpdata`'s ISO 8601 with `T` (and `Z` in UTC).
/// Django trims microseconds to milliseconds when it dumps; the stored precision is kept here, so
/// a dump loses nothing (and Django reads either).
fn iso_datetime(mut text: String, utc: bool) -> String {
    if text.len() > 10 && text.as_bytes()[10] == b' ' {
        text.replace_range(10..11, "T");
    }
    if utc && !text.ends_with('Z') && !has_offset(&text) {
        text.push('Z');
    }
    text
}

fn has_offset(text: &str) -> bool {
    // `…+02:00` or `…-05:00` after the time (the date's own `-`s come before the `T`).
    text.split_once('T')
        .is_some_and(|(_, time)| time.contains(['+', '-']))
}

/// A UUID stored as 32 hex digits, hyphenated as Django writes it; any other text unchanged.
fn hyphenate(text: String) -> String {
    if text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!(
            "{}-{}-{}-{}-{}",
            &text[..8],
            &text[8..12],
            &text[12..16],
            &text[16..20],
            &text[20..]
        )
    } else {
        text
    }
}

/// What a JSON value is, for messages.
fn kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// Base64 with the standard alphabet and padding, as Python's `b64encode`/`b64decode` (what
/// Django's `BinaryField` uses in fixtures). Sixty lines here rather than a dependency.
mod base64 {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub(super) fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub(super) fn decode(text: &str) -> Result<Vec<u8>, String> {
        let text = text.as_bytes();
        if !text.len().is_multiple_of(4) {
            return Err(format!(
                "length {} is not a multiple of 4 (is the padding missing?)",
                text.len()
            ));
        }
        let mut out = Vec::with_capacity(text.len() / 4 * 3);
        let quads = text.len() / 4;
        for (q, quad) in text.chunks(4).enumerate() {
            let padding = quad.iter().rev().take_while(|&&c| c == b'=').count();
            if padding > 2 || (padding > 0 && q + 1 != quads) {
                return Err("misplaced `=` padding".to_owned());
            }
            let mut n = 0u32;
            for (i, &c) in quad[..4 - padding].iter().enumerate() {
                let sextet = match c {
                    b'A'..=b'Z' => c - b'A',
                    b'a'..=b'z' => c - b'a' + 26,
                    b'0'..=b'9' => c - b'0' + 52,
                    b'+' => 62,
                    b'/' => 63,
                    _ => {
                        return Err(format!(
                            "unexpected character {:?} at {}",
                            char::from(c),
                            q * 4 + i
                        ));
                    }
                };
                n |= u32::from(sextet) << (18 - 6 * i);
            }
            let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&decoded[..3 - padding]);
        }
        Ok(out)
    }

    #[cfg(test)]
    mod tests {
        use super::{decode, encode};

        #[test]
        fn round_trips_the_rfc_4648_vectors() {
            let vectors = [
                ("", ""),
                ("f", "Zg=="),
                ("fo", "Zm8="),
                ("foo", "Zm9v"),
                ("foob", "Zm9vYg=="),
                ("fooba", "Zm9vYmE="),
                ("foobar", "Zm9vYmFy"),
            ];
            for (plain, encoded) in vectors {
                assert_eq!(encode(plain.as_bytes()), encoded);
                assert_eq!(decode(encoded).unwrap(), plain.as_bytes());
            }
            let all: Vec<u8> = (0..=255).collect();
            assert_eq!(decode(&encode(&all)).unwrap(), all);
        }

        #[test]
        fn refuses_what_python_refuses() {
            assert!(decode("Zg").is_err());
            assert!(decode("Zg=a").is_err());
            assert!(decode("Z===").is_err());
            assert!(decode("Zg==Zg==").is_err());
            assert!(decode("Zm9*").is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_get_dumpdata_form() {
        assert_eq!(
            iso_datetime("2024-05-01 12:30:00".into(), false),
            "2024-05-01T12:30:00"
        );
        assert_eq!(
            iso_datetime("2024-05-01 12:30:00.123".into(), true),
            "2024-05-01T12:30:00.123Z"
        );
        assert_eq!(
            iso_datetime("2024-05-01T12:30:00+02:00".into(), true),
            "2024-05-01T12:30:00+02:00"
        );
    }

    #[test]
    fn uuids_are_hyphenated() {
        assert_eq!(
            hyphenate("a8098c1af86e11dabd1a00112444be1e".into()),
            "a8098c1a-f86e-11da-bd1a-00112444be1e"
        );
        assert_eq!(hyphenate("not a uuid".into()), "not a uuid");
    }

    #[test]
    fn a_syntax_error_names_the_record_it_is_in() {
        let error = parse(r#"[{"model": "a.b"}, {"model": ]"#).unwrap_err();
        let Error::Fixture { index, reason, .. } = error else {
            panic!("{error:?}")
        };
        assert_eq!(index, 1);
        assert!(reason.contains("line 1 column"), "{reason}");
        assert!(matches!(parse("{}"), Err(Error::Fixture { index: 0, .. })));
        assert!(matches!(
            parse("[] x"),
            Err(Error::Fixture { index: 0, .. })
        ));
    }
}

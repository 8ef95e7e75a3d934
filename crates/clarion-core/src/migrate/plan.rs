//! What `migrate()` would do: the database's tables, columns and indexes compared with the
//! linked models, as the statements that bring it up to them and the differences it leaves to a
//! person.

use std::fmt;

use crate::db::{Backend, Transaction};
use crate::error::Result;
use crate::model::sql::quote;
use crate::model::{FieldMeta, ModelMeta};
use crate::value::Value;

use super::{
    add_column, create_indexes, create_join_table, create_table, foreign_key, join_indexes,
    table_exists,
};

/// What a [`MigrationStep`] of a migration does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StepKind {
    /// `CREATE TABLE`: a model's table, or a many-to-many relation's join table.
    CreateTable,
    /// `ALTER TABLE … ADD COLUMN`: a field the model has and its table lacks.
    AddColumn,
    /// `CREATE [UNIQUE] INDEX`: an `index` or `unique` field's, a foreign key's, or a join
    /// table's.
    CreateIndex,
    /// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY` (PostgreSQL, once every table exists).
    AddForeignKey,
}

impl StepKind {
    /// The kind's name, as the history table records it: `create_table`, `add_column`,
    /// `create_index`, `add_foreign_key`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::CreateTable => "create_table",
            StepKind::AddColumn => "add_column",
            StepKind::CreateIndex => "create_index",
            StepKind::AddForeignKey => "add_foreign_key",
        }
    }
}

/// One statement of a migration: what it does, to which table (and column), and its SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationStep {
    /// What the statement does.
    pub kind: StepKind,
    /// The table it changes (or indexes).
    pub table: &'static str,
    /// The column added, for [`StepKind::AddColumn`]; the column a foreign key or an index is
    /// on, where it is on one field's column.
    pub column: Option<&'static str>,
    /// The statement.
    pub sql: String,
}

/// Why a [`SchemaDifference`] is left to a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DifferenceKind {
    /// The column's type is not of the family the field's type maps to (on SQLite, another
    /// affinity): changing it rewrites every row, and may fail or lose precision on some.
    Type,
    /// The column allows `NULL` where the field is not an `Option` (or the other way round):
    /// making it `NOT NULL` fails on the rows that hold `NULL`, and SQLite can change neither
    /// without rebuilding the table.
    Nullability,
    /// A new field that is neither an `Option` nor has a `default`: the rows already in the
    /// table would have no value for it. Give the field a `default`, make it an `Option`, or
    /// add the column yourself with a value for the existing rows.
    NotNullWithoutDefault,
    /// A new field that is the primary key: the table's key would change.
    PrimaryKey,
}

impl DifferenceKind {
    fn describe(self) -> &'static str {
        match self {
            DifferenceKind::Type => "the type differs",
            DifferenceKind::Nullability => "nullability differs",
            DifferenceKind::NotNullWithoutDefault => {
                "a new NOT NULL column without a default (give the field a `default`, or make \
                 it an `Option`, or add the column yourself with a value for the existing rows)"
            }
            DifferenceKind::PrimaryKey => "a new primary key column",
        }
    }
}

/// A difference between a model and its table that `migrate()` does not resolve on its own:
/// where it is, what each side says, and SQL a person could run to resolve it (to read and
/// adapt first: it may rewrite the table, or hold a placeholder such as `<value>`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SchemaDifference {
    /// Why it is left to a person.
    pub kind: DifferenceKind,
    /// The table.
    pub table: &'static str,
    /// The column.
    pub column: &'static str,
    /// What the model says, e.g. `bigint NOT NULL`.
    pub model: String,
    /// What the database has, e.g. `text NULL`, or `no column`.
    pub database: String,
    /// Statements that would resolve it.
    pub sql: String,
}

impl fmt::Display for SchemaDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}`.`{}`: {}: the model says `{}`, the database has `{}`; SQL to resolve it: {}",
            self.table,
            self.column,
            self.kind.describe(),
            self.model,
            self.database,
            self.sql
        )
    }
}

/// What [`migrate_plan`](crate::migrate_plan) found: the statements
/// [`migrate`](crate::migrate) would run, in order, and the differences it would refuse.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationPlan {
    /// The statements, in the order they would run. When `differences` is not empty,
    /// `migrate()` runs none of them.
    pub steps: Vec<MigrationStep>,
    /// The differences `migrate()` refuses to resolve (it returns
    /// [`Error::SchemaDiffers`](crate::Error::SchemaDiffers) with them).
    pub differences: Vec<SchemaDifference>,
}

impl MigrationPlan {
    /// The SQL of each step, in order.
    pub fn statements(&self) -> Vec<&str> {
        self.steps.iter().map(|step| step.sql.as_str()).collect()
    }

    /// Whether the database is up to date with the models: nothing to run, nothing refused.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.differences.is_empty()
    }
}

/// A column as the database describes it.
struct DbColumn {
    ty: String,
    not_null: bool,
}

/// Compares the database `tx` reaches with `metas` (every linked model).
pub(super) fn plan(tx: &Transaction, metas: &[&'static ModelMeta]) -> Result<MigrationPlan> {
    let backend = tx.backend();
    let mut plan = MigrationPlan::default();
    let mut foreign_keys = Vec::new();
    let mut indexes = Vec::new();
    // A proxy has no table of its own: its concrete model's is created for it.
    for &meta in metas.iter().filter(|meta| !meta.is_proxy()) {
        if !table_exists(tx, meta.table)? {
            plan.steps.push(MigrationStep {
                kind: StepKind::CreateTable,
                table: meta.table,
                column: None,
                sql: create_table(meta, meta.table, backend)?,
            });
            if backend == Backend::Postgres {
                foreign_keys.extend(
                    meta.fields
                        .iter()
                        .filter_map(|field| foreign_key(meta, field)),
                );
            }
        } else {
            let columns = columns(tx, meta.table)?;
            for field in meta.fields {
                let found = columns
                    .iter()
                    .find(|(name, _)| same_name(backend, name, field.column));
                match found {
                    None => match missing(meta, field, backend)? {
                        Ok(steps) => {
                            plan.steps.extend(steps);
                            if backend == Backend::Postgres {
                                foreign_keys.extend(foreign_key(meta, field));
                            }
                        }
                        Err(difference) => plan.differences.push(difference),
                    },
                    Some((_, column)) => {
                        plan.differences
                            .extend(compare(meta, field, column, &columns, backend)?);
                    }
                }
            }
        }
        indexes.extend(create_indexes(meta));
    }
    for (table, column, name, sql) in indexes {
        if !index_exists(tx, &name)? {
            plan.steps.push(MigrationStep {
                kind: StepKind::CreateIndex,
                table,
                column,
                sql,
            });
        }
    }
    // PostgreSQL checks that a `REFERENCES` names an existing table, which SQLite does not:
    // the keys are added once every table exists (Django's deferred SQL).
    plan.steps.extend(foreign_keys);
    // Join tables after every model's: a join table names both sides.
    for &meta in metas.iter().filter(|meta| !meta.is_proxy()) {
        // A `through` model is a model: its table is created with the others.
        for relation in meta.many_to_many().iter().filter(|r| r.through().is_none()) {
            if !table_exists(tx, relation.table())? {
                plan.steps.push(MigrationStep {
                    kind: StepKind::CreateTable,
                    table: relation.table(),
                    column: None,
                    sql: create_join_table(relation, backend),
                });
            }
            for (table, column, name, sql) in join_indexes(relation) {
                if !index_exists(tx, &name)? {
                    plan.steps.push(MigrationStep {
                        kind: StepKind::CreateIndex,
                        table,
                        column,
                        sql,
                    });
                }
            }
        }
    }
    Ok(plan)
}

/// SQLite matches names without regard to ASCII case; PostgreSQL matches quoted names exactly.
fn same_name(backend: Backend, a: &str, b: &str) -> bool {
    match backend {
        Backend::Sqlite => a.eq_ignore_ascii_case(b),
        Backend::Postgres => a == b,
    }
}

/// The steps that add `field`'s missing column, or why it cannot be added.
fn missing(
    meta: &'static ModelMeta,
    field: &'static FieldMeta,
    backend: Backend,
) -> Result<std::result::Result<Vec<MigrationStep>, SchemaDifference>> {
    let (ty, _) = declared(field, backend);
    let kind = if field.primary_key {
        DifferenceKind::PrimaryKey
    } else if !field.nullable && !has_default(field) {
        DifferenceKind::NotNullWithoutDefault
    } else {
        return add_column(meta, field, backend).map(Ok);
    };
    let sql = match kind {
        DifferenceKind::PrimaryKey => rebuild(meta, &[], backend)?,
        _ => format!(
            "ALTER TABLE {} ADD COLUMN {} {ty} NOT NULL DEFAULT <value>",
            quote(meta.table),
            quote(field.column)
        ),
    };
    Ok(Err(SchemaDifference {
        kind,
        table: meta.table,
        column: field.column,
        model: match kind {
            DifferenceKind::NotNullWithoutDefault => {
                format!("{}, no default", model_says(field, backend))
            }
            _ => model_says(field, backend),
        },
        database: "no column".to_owned(),
        sql,
    }))
}

fn has_default(field: &FieldMeta) -> bool {
    field
        .default
        .is_some_and(|default| default() != Value::Null)
}

/// The column's type as `migrate()` declares it, and as the database's catalog would name it.
fn declared(field: &FieldMeta, backend: Backend) -> (String, String) {
    match backend {
        Backend::Sqlite => {
            let ty = field.ty.sqlite().to_owned();
            (ty.clone(), ty.to_ascii_lowercase())
        }
        Backend::Postgres => match field.max_length {
            Some(max) if field.ty == crate::value::ColumnType::Text => (
                format!("varchar({max})"),
                format!("character varying({max})"),
            ),
            _ => {
                let ty = field.ty.postgres();
                let catalog = match ty {
                    "timestamp" => "timestamp without time zone",
                    other => other,
                };
                (ty.to_owned(), catalog.to_owned())
            }
        },
    }
}

fn not_null(field: &FieldMeta) -> bool {
    field.primary_key || !field.nullable
}

fn model_says(field: &FieldMeta, backend: Backend) -> String {
    let (ty, _) = declared(field, backend);
    let null = if not_null(field) { "NOT NULL" } else { "NULL" };
    format!("{ty} {null}")
}

/// The differences between `field` and its existing `column`.
fn compare(
    meta: &'static ModelMeta,
    field: &'static FieldMeta,
    column: &DbColumn,
    columns: &[(String, DbColumn)],
    backend: Backend,
) -> Result<Vec<SchemaDifference>> {
    let (ty, catalog) = declared(field, backend);
    let database = format!(
        "{} {}",
        column.ty,
        if column.not_null { "NOT NULL" } else { "NULL" }
    );
    let mut differences = Vec::new();
    let table = quote(meta.table);
    let name = quote(field.column);
    if family(backend, &column.ty) != family(backend, &catalog) {
        let sql = match backend {
            Backend::Postgres => {
                format!("ALTER TABLE {table} ALTER COLUMN {name} TYPE {ty} USING {name}::{ty}")
            }
            Backend::Sqlite => rebuild(meta, columns, backend)?,
        };
        differences.push(SchemaDifference {
            kind: DifferenceKind::Type,
            table: meta.table,
            column: field.column,
            model: model_says(field, backend),
            database: database.clone(),
            sql,
        });
    }
    // SQLite's `INTEGER PRIMARY KEY` holds no NULL whatever its declaration says.
    if column.not_null != not_null(field) && !field.primary_key {
        let sql = match backend {
            Backend::Postgres if not_null(field) => {
                format!("ALTER TABLE {table} ALTER COLUMN {name} SET NOT NULL")
            }
            Backend::Postgres => format!("ALTER TABLE {table} ALTER COLUMN {name} DROP NOT NULL"),
            Backend::Sqlite => rebuild(meta, columns, backend)?,
        };
        differences.push(SchemaDifference {
            kind: DifferenceKind::Nullability,
            table: meta.table,
            column: field.column,
            model: model_says(field, backend),
            database,
            sql,
        });
    }
    Ok(differences)
}

/// The family a column type belongs to, as far as the values clarion reads and writes go: two
/// types of one family hold the same values, and `migrate()` leaves a column of the field's
/// family as it is. On SQLite, the type's affinity (<https://sqlite.org/datatype3.html>, 3.1):
/// `varchar(50)` and `text` hold the same text. On PostgreSQL, the integers (a narrower one
/// than `bigint` fails on the values that do not fit it, with the server's error), the
/// floats, and the texts (`varchar(n)` or not: clarion checks `max_length` itself); every other
/// type is its own.
fn family(backend: Backend, ty: &str) -> String {
    let ty = ty.trim().to_ascii_lowercase();
    match backend {
        Backend::Sqlite => {
            let affinity = if ty.contains("int") {
                "integer"
            } else if ["char", "clob", "text"].iter().any(|t| ty.contains(t)) {
                "text"
            } else if ty.is_empty() || ty.contains("blob") {
                "blob"
            } else if ["real", "floa", "doub"].iter().any(|t| ty.contains(t)) {
                "real"
            } else {
                "numeric"
            };
            affinity.to_owned()
        }
        Backend::Postgres => match ty.as_str() {
            "smallint" | "integer" | "bigint" => "integer".to_owned(),
            "real" | "double precision" => "float".to_owned(),
            "text" => "text".to_owned(),
            _ if ty.starts_with("character") => "text".to_owned(),
            _ => ty,
        },
    }
}

/// SQLite's way to change what `ALTER TABLE` cannot: a new table as the model declares it, the
/// rows copied over (the columns both have), the old table dropped and the new one renamed,
/// then the indexes (<https://sqlite.org/lang_altertable.html#otheralter>). On PostgreSQL, the
/// table as the model declares it, to compare with.
fn rebuild(
    meta: &'static ModelMeta,
    columns: &[(String, DbColumn)],
    backend: Backend,
) -> Result<String> {
    let new = format!("{}__new", meta.table);
    let kept: Vec<String> = meta
        .fields
        .iter()
        .filter(|field| {
            columns
                .iter()
                .any(|(name, _)| same_name(backend, name, field.column))
        })
        .map(|field| quote(field.column))
        .collect();
    if backend == Backend::Postgres || kept.is_empty() {
        return create_table(meta, meta.table, backend);
    }
    let kept = kept.join(", ");
    let mut sql = vec![
        "PRAGMA foreign_keys = OFF".to_owned(),
        "BEGIN".to_owned(),
        create_table(meta, &new, backend)?,
        format!(
            "INSERT INTO {} ({kept}) SELECT {kept} FROM {}",
            quote(&new),
            quote(meta.table)
        ),
        format!("DROP TABLE {}", quote(meta.table)),
        format!(
            "ALTER TABLE {} RENAME TO {}",
            quote(&new),
            quote(meta.table)
        ),
    ];
    sql.extend(create_indexes(meta).into_iter().map(|(_, _, _, sql)| sql));
    sql.push("PRAGMA foreign_key_check".to_owned());
    sql.push("COMMIT".to_owned());
    sql.push("PRAGMA foreign_keys = ON".to_owned());
    Ok(sql.join("; "))
}

/// The columns of `table`, in order, with their declared types (lowercase on SQLite, as
/// PostgreSQL's `format_type` writes them there) and whether they are `NOT NULL`.
fn columns(tx: &Transaction, table: &str) -> Result<Vec<(String, DbColumn)>> {
    let sql = match tx.backend() {
        Backend::Sqlite => "SELECT name, lower(type), \"notnull\" FROM pragma_table_info($1)",
        Backend::Postgres => {
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace \
             AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        }
    };
    let rows = tx.query_values(sql, &[Value::Text(table.to_owned())])?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let mut row = row.into_iter();
            let (Some(Value::Text(name)), Some(ty), Some(not_null)) =
                (row.next(), row.next(), row.next())
            else {
                return None;
            };
            let ty = match ty {
                Value::Text(ty) => ty,
                _ => String::new(),
            };
            let not_null = matches!(not_null, Value::Bool(true) | Value::Int(1..));
            Some((name, DbColumn { ty, not_null }))
        })
        .collect())
}

/// Whether an index named `name` exists (index names share one namespace per schema).
fn index_exists(tx: &Transaction, name: &str) -> Result<bool> {
    let sql = match tx.backend() {
        Backend::Sqlite => {
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = $1 COLLATE NOCASE"
        }
        Backend::Postgres => {
            "SELECT count(*) FROM pg_indexes \
             WHERE schemaname = current_schema() AND indexname = $1"
        }
    };
    let rows = tx.query_values(sql, &[Value::Text(name.to_owned())])?;
    Ok(matches!(rows.first().and_then(|row| row.first()), Some(Value::Int(n)) if *n > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_of_one_family_hold_the_same_values() {
        let same = |backend, a, b| family(backend, a) == family(backend, b);
        assert!(same(Backend::Sqlite, "varchar(50)", "text"));
        assert!(same(Backend::Sqlite, "INT", "integer"));
        assert!(same(Backend::Sqlite, "BLOB", ""));
        assert!(!same(Backend::Sqlite, "text", "integer"));
        assert!(!same(Backend::Sqlite, "real", "integer"));
        assert!(same(Backend::Postgres, "integer", "bigint"));
        assert!(same(Backend::Postgres, "character varying(100)", "text"));
        assert!(!same(Backend::Postgres, "text", "bigint"));
        assert!(!same(
            Backend::Postgres,
            "timestamp without time zone",
            "timestamp with time zone"
        ));
    }
}

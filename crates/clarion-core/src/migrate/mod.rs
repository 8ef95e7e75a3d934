//! `migrate()`: brings a database up to every linked model (Django's `migrate`, without
//! migration files): missing tables, columns, indexes and join tables are created; what could
//! lose data is refused with [`Error::SchemaDiffers`]; `migrate_plan()` shows it all without
//! running it. The guide: docs/migrations.md.
//!
//! ```standalone_crate
//! use clarion::db::{self, Database};
//! use clarion::prelude::*;
//!
//! #[derive(Model)]
//! #[model(app_label = "blog")]
//! pub struct Entry {
//!     id: Option<i64>,
//!     #[model(unique, max_length = 100)]
//!     slug: String,
//!     #[model(index, default = 0)]
//!     rank: i32,
//! }
//!
//! // Django: `@receiver(post_migrate)`, e.g. to create default rows once the tables exist.
//! post_migrate.connect(|_sender, args: &mut clarion::models::signals::Migrate| {
//!     println!("{} model(s), created: {:?}", args.models.len(), args.created);
//! });
//!
//! db::register(Database::open("sqlite::memory:")?);
//! assert_eq!(clarion::migrate()?.created, ["entry"]);
//! // The table exists now, so a second run creates nothing.
//! assert!(clarion::migrate()?.created.is_empty());
//! # Ok::<(), clarion::Error>(())
//! ```
//!
//! What each model's table gets, as Django's SQLite backend writes it:
//!
//! | field | column |
//! |---|---|
//! | every field, in declaration order | its column, of the type [`ColumnType::sqlite`] names |
//! | not an `Option` | `NOT NULL` (`NULL` otherwise) |
//! | the auto-increment key | `integer NOT NULL PRIMARY KEY AUTOINCREMENT` |
//! | another primary key | `NOT NULL PRIMARY KEY` |
//! | `unique` | `UNIQUE` |
//! | `default = …` | `DEFAULT <literal>` |
//! | `index` (and not unique) | `CREATE INDEX "<table>_<column>_<hash>"` |
//! | a `ForeignKey` | `REFERENCES "<target>" ("<key>") DEFERRABLE INITIALLY DEFERRED`, and an index |
//! | `many_to_many(name = Target)` | a join table `<table>_<name>` (`id`, one column per side, unique together) |
//!
//! A field an existing table lacks is added with `ALTER TABLE … ADD COLUMN` (a `unique` one
//! then gets a unique index), and missing indexes and join tables are created; nothing is ever
//! dropped, renamed or changed in type (`plan.rs` compares; `history.rs` records and locks).

use sea_query::{Alias, ColumnDef, Expr, Table};

use crate::db::{self, Backend, Transaction};
use crate::error::{Error, Result};
use crate::model::signals::{Migrate, post_migrate, pre_migrate};
use crate::model::{FieldMeta, ManyToManyMeta, ModelMeta, models};
use crate::sender::Sender;
use crate::value::{ColumnType, Value};

mod history;
mod plan;

pub use history::HISTORY_TABLE;
pub use plan::{DifferenceKind, MigrationPlan, MigrationStep, SchemaDifference, StepKind};

/// What [`migrate`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Migrated {
    /// The tables created, in the order they were created.
    pub created: Vec<&'static str>,
    /// The columns added to existing tables, as `(table, column)`, in the order they were
    /// added.
    pub added_columns: Vec<(&'static str, &'static str)>,
    /// Every statement run, in order (tables, columns, indexes, foreign keys), as recorded in
    /// [`HISTORY_TABLE`].
    pub steps: Vec<MigrationStep>,
}

/// Brings the default database up to every linked model.
///
/// See [`migrate_using`].
pub fn migrate() -> Result<Migrated> {
    migrate_using(crate::db::DEFAULT_ALIAS)
}

/// Brings the database registered as `using` up to every linked model, in one transaction:
/// creates the missing tables, adds the missing columns, indexes and join tables.
///
/// 1. The migration lock is taken (on PostgreSQL a transaction-level advisory lock; on SQLite
///    the transaction's write lock), so that two processes migrating at once run one after
///    the other, and the second finds nothing left to do.
/// 2. The database is compared with the models ([`migrate_plan_using`] shows the outcome). If
///    a difference cannot be resolved safely (a changed type or nullability, a new `NOT NULL`
///    column without a default, a new primary key), nothing is changed and
///    [`Error::SchemaDiffers`] lists each, with SQL a person could run. A column the database
///    has and no model declares is left alone, as Django leaves it.
/// 3. [`pre_migrate`] is sent once, with every model in `models`, the statements about to run
///    in `steps`, and an empty `created` and `added_columns`.
/// 4. The statements run, in order, and each is recorded in [`HISTORY_TABLE`].
/// 5. [`post_migrate`] is sent once, with the tables created in `created`, the columns added
///    in `added_columns` and the statements run in `steps`.
///
/// Django sends both signals once per app, with the app's config as sender; clarion has no app
/// registry, so it sends each once for the whole migration, with [`Migrated`] as the sender: a
/// receiver that names a sender writes `sender = clarion::Migrated`.
///
/// An error (including one returned by a receiver) rolls everything back: no table is created.
/// Two models mapped to one table are reported first, as [`Error::DuplicateTable`](crate::Error::DuplicateTable).
/// Running it again changes nothing, so it is safe to call at every start.
pub fn migrate_using(using: &str) -> Result<Migrated> {
    crate::model::check_tables()?;
    let metas: Vec<&'static ModelMeta> = models().iter().map(|model| model.meta()).collect();
    let sender = Sender::of::<Migrated>();
    db::atomic_using(using, |tx| {
        history::lock(tx)?;
        let plan = plan::plan(tx, &metas)?;
        if !plan.differences.is_empty() {
            return Err(Error::SchemaDiffers {
                differences: plan.differences,
            });
        }
        pre_migrate.send(
            sender,
            &mut Migrate {
                using,
                models: &metas,
                created: &[],
                added_columns: &[],
                steps: &plan.steps,
                tx,
            },
        )?;
        let mut migrated = Migrated::default();
        for step in plan.steps {
            tx.execute_batch(&step.sql)?;
            match (step.kind, step.column) {
                (StepKind::CreateTable, _) => migrated.created.push(step.table),
                (StepKind::AddColumn, Some(column)) => {
                    migrated.added_columns.push((step.table, column));
                }
                _ => {}
            }
            migrated.steps.push(step);
        }
        history::record(tx, &migrated.steps)?;
        post_migrate.send(
            sender,
            &mut Migrate {
                using,
                models: &metas,
                created: &migrated.created,
                added_columns: &migrated.added_columns,
                steps: &migrated.steps,
                tx,
            },
        )?;
        Ok(migrated)
    })
}

/// The statements [`migrate`] would run on the default database, and the differences it would
/// refuse, without changing anything (a dry run).
///
/// See [`migrate_plan_using`].
pub fn migrate_plan() -> Result<MigrationPlan> {
    migrate_plan_using(crate::db::DEFAULT_ALIAS)
}

/// The statements [`migrate_using`] would run on the database registered as `using`, in
/// order, and the differences it would refuse ([`MigrationPlan::differences`]; when there are any,
/// `migrate` runs none of the statements). Nothing is changed and no signal is sent.
pub fn migrate_plan_using(using: &str) -> Result<MigrationPlan> {
    let metas: Vec<&'static ModelMeta> = models().iter().map(|model| model.meta()).collect();
    db::atomic_using(using, |tx| plan::plan(tx, &metas))
}

pub(super) fn table_exists(tx: &Transaction, table: &str) -> Result<bool> {
    // SQLite matches table names without regard to ASCII case, and so must this check, or
    // `CREATE TABLE IF NOT EXISTS` would silently do nothing for a table reported as created.
    // PostgreSQL matches quoted names exactly, in the schema tables are created in.
    let sql = match tx.backend() {
        Backend::Sqlite => {
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1 COLLATE NOCASE"
        }
        Backend::Postgres => {
            "SELECT count(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let rows = tx.query_values(sql, &[Value::Text(table.to_owned())])?;
    Ok(matches!(rows.first().and_then(|row| row.first()), Some(Value::Int(n)) if *n > 0))
}

/// `CREATE TABLE IF NOT EXISTS` of `meta`'s table, named `name`, with Django's column
/// definitions for `backend`.
fn create_table(meta: &'static ModelMeta, name: &str, backend: Backend) -> Result<String> {
    let mut table = Table::create();
    table.table(Alias::new(name)).if_not_exists();
    for field in meta.fields {
        table.col(column(meta, field, backend, true)?);
    }
    Ok(backend.schema(&table))
}

/// `ALTER TABLE … ADD COLUMN` of `field`, then its unique index: neither SQLite nor a table
/// with rows can take a `UNIQUE` in the column's definition. Its foreign key on PostgreSQL is
/// added later, with the others ([`foreign_key`]); its plain index by [`create_indexes`].
fn add_column(
    meta: &'static ModelMeta,
    field: &'static FieldMeta,
    backend: Backend,
) -> Result<Vec<MigrationStep>> {
    let mut alter = Table::alter();
    alter
        .table(Alias::new(meta.table))
        .add_column(column(meta, field, backend, false)?);
    let mut steps = vec![MigrationStep {
        kind: StepKind::AddColumn,
        table: meta.table,
        column: Some(field.column),
        sql: backend.schema(&alter),
    }];
    if field.unique {
        let name = format!("{}_uniq", index_name(meta.table, field.column));
        steps.push(MigrationStep {
            kind: StepKind::CreateIndex,
            table: meta.table,
            column: Some(field.column),
            sql: create_index(true, &name, meta.table, &[field.column]),
        });
    }
    Ok(steps)
}

/// `field`'s column definition; `UNIQUE` in it only if `inline_unique`.
fn column(
    meta: &'static ModelMeta,
    field: &'static FieldMeta,
    backend: Backend,
    inline_unique: bool,
) -> Result<ColumnDef> {
    let invalid = |reason: String| Error::Validation {
        model: meta.label,
        field: field.name.to_owned(),
        reason,
    };
    let mut column = ColumnDef::new_with_type(
        Alias::new(field.column),
        sea_query::ColumnType::custom(match (backend, field.max_length) {
            // Django's `varchar(n)`: the server checks the length too.
            (Backend::Postgres, Some(max)) if field.ty == ColumnType::Text => {
                format!("varchar({max})")
            }
            _ => field.ty.name_for(backend).to_owned(),
        }),
    );
    if field.primary_key || !field.nullable {
        // SQLite lets a key that is not an `INTEGER PRIMARY KEY` hold NULLs unless told not to.
        column.not_null();
    } else {
        column.null();
    }
    if let Some(default) = field.default
        && let Some(literal) = default_literal(default(), backend).map_err(invalid)?
    {
        column.default(literal);
    }
    if field.primary_key {
        column.primary_key();
        if field.auto {
            if field.ty != ColumnType::Integer {
                return Err(invalid(format!(
                    "an auto-increment primary key must be an integer, not `{}`",
                    field.rust_type
                )));
            }
            match backend {
                Backend::Sqlite => {
                    column.auto_increment();
                }
                // The SQL-standard identity column that Django uses since 4.1; keys given
                // explicitly are allowed (fixtures), and the sequence is moved past them.
                Backend::Postgres => {
                    column.extra("GENERATED BY DEFAULT AS IDENTITY");
                }
            }
        }
    } else if field.unique && inline_unique {
        column.unique_key();
    }
    if let Some(related) = field.related
        && backend == Backend::Sqlite
    {
        column.extra(references(related.target().concrete_model()));
    }
    Ok(column)
}

/// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY` of `field`, if it is a foreign key
/// (PostgreSQL).
fn foreign_key(meta: &'static ModelMeta, field: &'static FieldMeta) -> Option<MigrationStep> {
    let related = field.related?;
    Some(MigrationStep {
        kind: StepKind::AddForeignKey,
        table: meta.table,
        column: Some(field.column),
        sql: format!(
            "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) {}",
            crate::model::sql::quote(meta.table),
            crate::model::sql::quote(&format!("{}_fk", index_name(meta.table, field.column))),
            crate::model::sql::quote(field.column),
            references(related.target().concrete_model())
        ),
    })
}

/// A foreign key's constraint, checked at the commit as Django declares it: rows may point at
/// rows written later in the same transaction, and clarion applies `on_delete` itself.
fn references(target: &'static ModelMeta) -> String {
    format!(
        "REFERENCES {} ({}) DEFERRABLE INITIALLY DEFERRED",
        crate::model::sql::quote(target.table),
        crate::model::sql::quote(target.pk_field().column)
    )
}

/// `CREATE TABLE` of a many-to-many relation's join table, as Django's auto-created through
/// model has it: an auto key and a foreign key to each side.
fn create_join_table(relation: &'static ManyToManyMeta, backend: Backend) -> String {
    let side = |name: &str, meta: &'static ModelMeta| {
        format!(
            "{} {} NOT NULL {}",
            crate::model::sql::quote(name),
            meta.pk_field().ty.name_for(backend),
            references(meta.concrete_model())
        )
    };
    let id = match backend {
        Backend::Sqlite => "\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "\"id\" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    };
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({id}, {}, {})",
        crate::model::sql::quote(relation.table()),
        side(relation.source_column(), relation.source()),
        side(relation.target_column(), relation.target()),
    )
}

/// An index to create: its table, its column (when it is on one), its name and its statement.
type IndexDef = (&'static str, Option<&'static str>, String, String);

/// The join table's unique index on both columns (which also serves lookups by the first), and
/// an index on the second.
fn join_indexes(relation: &'static ManyToManyMeta) -> Vec<IndexDef> {
    let (table, source, target) = (
        relation.table(),
        relation.source_column(),
        relation.target_column(),
    );
    let unique = format!("{}_uniq", index_name(table, &format!("{source}_{target}")));
    let plain = index_name(table, target);
    vec![
        (
            table,
            None,
            unique.clone(),
            create_index(true, &unique, table, &[source, target]),
        ),
        (
            table,
            Some(target),
            plain.clone(),
            create_index(false, &plain, table, &[target]),
        ),
    ]
}

/// `CREATE [UNIQUE] INDEX IF NOT EXISTS`, the same on both backends. Written here rather than
/// by sea-query, which writes an index's name between quotes as it is: a name holds its table's
/// and column's, and a `"` in either must be doubled like theirs.
fn create_index(unique: bool, name: &str, table: &str, columns: &[&str]) -> String {
    use crate::model::sql::quote;
    let columns: Vec<String> = columns.iter().map(|column| quote(column)).collect();
    format!(
        "CREATE {}INDEX IF NOT EXISTS {} ON {} ({})",
        if unique { "UNIQUE " } else { "" },
        quote(name),
        quote(table),
        columns.join(", ")
    )
}

/// The value of a `DEFAULT` clause. DDL takes no bound parameters, so the value is written into
/// the SQL as a literal; sea-query quotes text for the dialect (doubling `'`) and writes bytes
/// as `x'…'` (SQLite) or `'\x…'` (PostgreSQL). `None` for `NULL`, which is every column's
/// default anyway.
fn default_literal(value: Value, backend: Backend) -> std::result::Result<Option<Expr>, String> {
    let value = match value {
        Value::Null => return Ok(None),
        // Stored as 0/1, as Django stores booleans in SQLite.
        Value::Bool(b) if backend == Backend::Sqlite => {
            sea_query::Value::BigInt(Some(i64::from(b)))
        }
        Value::Bool(b) => sea_query::Value::Bool(Some(b)),
        Value::Int(i) => sea_query::Value::BigInt(Some(i)),
        Value::Float(f) if f.is_finite() => sea_query::Value::Double(Some(f)),
        Value::Float(f) => return Err(format!("the default {f} has no SQL literal")),
        // A NUL would end the statement's text inside SQLite's parser.
        Value::Text(s) if s.contains('\0') => {
            return Err("a default text cannot contain a NUL character".to_owned());
        }
        Value::Text(s) => sea_query::Value::String(Some(s)),
        Value::Bytes(b) => sea_query::Value::Bytes(Some(b)),
        Value::Json(j) => sea_query::Value::String(Some(j.to_string())),
    };
    Ok(Some(Expr::val(value)))
}

/// `CREATE INDEX IF NOT EXISTS` for each `index` field that no key or `UNIQUE` indexes already.
fn create_indexes(meta: &'static ModelMeta) -> Vec<IndexDef> {
    meta.fields
        .iter()
        .filter(|field| {
            (field.index || field.related.is_some()) && !field.unique && !field.primary_key
        })
        .map(|field| {
            let name = index_name(meta.table, field.column);
            let sql = create_index(false, &name, meta.table, &[field.column]);
            (meta.table, Some(field.column), name, sql)
        })
        .collect()
}

/// Django's shape of index name, `<table>_<column>_<8 hex digits>`. Index names share one
/// namespace per database, and `table_a` + `b_c` and `table_a_b` + `c` would otherwise collide,
/// the second index silently skipped by `IF NOT EXISTS`. The hash is FNV-1a, fixed so that a
/// name never changes between builds (std's hasher may).
fn index_name(table: &str, column: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in table.bytes().chain([0]).chain(column.bytes()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{table}_{column}_{hash:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_names_differ_where_plain_concatenation_would_not() {
        assert_ne!(index_name("blog_a", "b_c"), index_name("blog_a_b", "c"));
        assert!(index_name("blog_entry", "rank").starts_with("blog_entry_rank_"));
        assert_eq!(index_name("t", "c"), index_name("t", "c"));
    }

    #[test]
    fn default_literals_are_quoted_for_sqlite() {
        let render = |value| {
            let mut column =
                ColumnDef::new_with_type(Alias::new("c"), sea_query::ColumnType::custom("text"));
            if let Some(literal) = default_literal(value, Backend::Sqlite).unwrap() {
                column.default(literal);
            }
            Table::create()
                .table(Alias::new("t"))
                .col(&mut column)
                .to_string(sea_query::SqliteQueryBuilder)
        };
        assert!(render(Value::Text("it's \\n".into())).contains("DEFAULT 'it''s \\n'"));
        assert!(render(Value::Int(-3)).contains("DEFAULT -3"));
        assert!(render(Value::Bool(true)).contains("DEFAULT 1"));
        assert!(render(Value::Bytes(vec![0, 255])).contains("DEFAULT x'00FF'"));
        assert!(
            render(Value::Json(serde_json::json!({"a": "b'"})))
                .contains(r#"DEFAULT '{"a":"b''"}'"#)
        );
        assert!(!render(Value::Null).contains("DEFAULT"));
        assert!(default_literal(Value::Float(f64::NAN), Backend::Sqlite).is_err());
        assert!(default_literal(Value::Text("a\0b".into()), Backend::Sqlite).is_err());
    }
}

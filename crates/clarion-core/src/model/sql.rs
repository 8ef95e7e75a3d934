//! The SQL of a model's own statements, built once per model with `sea-query` (which quotes
//! identifiers for the dialect) and then reused: prepared statements are cached per connection,
//! keyed by this text.

use sea_query::{Alias, Expr, ExprTrait, Query};

use super::meta::ModelMeta;
use crate::db::Backend;

/// Every statement `save`, `delete` and `refresh_from_db` run, in one backend's dialect, with
/// placeholders bound in field order.
pub(crate) struct Statements {
    /// `INSERT` of every field.
    pub(crate) insert_all: String,
    /// `INSERT` of every field but an auto primary key, which the database assigns; on
    /// PostgreSQL, `RETURNING` it.
    pub(crate) insert_auto: String,
    /// `UPDATE` of every field but the key, `WHERE pk = ?` bound last; for a model whose only
    /// field is its key, `SELECT 1 … WHERE pk = ?`, which tells whether the row exists.
    pub(crate) update_all: String,
    /// `DELETE … WHERE pk = ?`.
    pub(crate) delete: String,
    /// `SELECT` of every field, in order, `WHERE pk = ?`.
    pub(crate) select_by_pk: String,
    /// `SELECT` of every field, in order, from the whole table.
    pub(crate) select_all: String,
}

fn placeholder() -> Expr {
    Expr::val(sea_query::Value::BigInt(None))
}

impl Statements {
    pub(crate) fn build(meta: &'static ModelMeta, backend: Backend) -> Self {
        let pk = meta.pk_field();
        let all: Vec<&'static str> = meta.fields.iter().map(|f| f.column).collect();
        let but_auto: Vec<&'static str> = meta
            .fields
            .iter()
            .filter(|f| !f.auto)
            .map(|f| f.column)
            .collect();
        Statements {
            insert_all: insert(meta.table, &all, backend),
            insert_auto: match backend {
                Backend::Sqlite => insert(meta.table, &but_auto, backend),
                Backend::Postgres => format!(
                    "{} RETURNING {}",
                    insert(meta.table, &but_auto, backend),
                    quote(pk.column)
                ),
            },
            update_all: match non_key_columns(meta).as_slice() {
                [] => backend.sql(
                    Query::select()
                        .expr(Expr::cust("1"))
                        .from(Alias::new(meta.table))
                        .and_where(Expr::col(Alias::new(pk.column)).eq(placeholder())),
                ),
                columns => update(meta, columns, backend),
            },
            delete: backend.sql(
                Query::delete()
                    .from_table(Alias::new(meta.table))
                    .and_where(Expr::col(Alias::new(pk.column)).eq(placeholder())),
            ),
            select_all: backend.sql(
                Query::select()
                    .columns(all.iter().map(|c| Alias::new(*c)))
                    .from(Alias::new(meta.table)),
            ),
            select_by_pk: backend.sql(
                Query::select()
                    .columns(all.iter().map(|c| Alias::new(*c)))
                    .from(Alias::new(meta.table))
                    .and_where(Expr::col(Alias::new(pk.column)).eq(placeholder())),
            ),
        }
    }
}

fn non_key_columns(meta: &ModelMeta) -> Vec<&'static str> {
    meta.fields
        .iter()
        .filter(|f| !f.primary_key)
        .map(|f| f.column)
        .collect()
}

fn insert(table: &'static str, columns: &[&'static str], backend: Backend) -> String {
    if columns.is_empty() {
        return format!("INSERT INTO {} DEFAULT VALUES", quote(table));
    }
    backend.sql(
        Query::insert()
            .into_table(Alias::new(table))
            .columns(columns.iter().map(|c| Alias::new(*c)))
            .values_panic(columns.iter().map(|_| placeholder())),
    )
}

/// `UPDATE table SET c1 = ?, … WHERE pk = ?` for the given columns.
pub(crate) fn update(meta: &ModelMeta, columns: &[&'static str], backend: Backend) -> String {
    backend.sql(
        Query::update()
            .table(Alias::new(meta.table))
            .values(columns.iter().map(|c| (Alias::new(*c), placeholder())))
            .and_where(Expr::col(Alias::new(meta.pk_field().column)).eq(placeholder())),
    )
}

/// The `UPDATE` of the fields numbered `fields` (in that order) of `meta`'s model, with the key
/// bound last, for `backend`: what a save with `update_fields` runs.
///
/// A program saves with the same few lists again and again (a counter bumped, a status set), so
/// each list's text is built once per process and kept, like the model's own statements: it
/// then runs as a held statement, found by its address, instead of being built and looked up
/// by its text on every save (which made such a save 3.9x a raw prepared `UPDATE`). Each thread
/// keeps the lists it has used in a small list of its own in front of the process's, so a save
/// takes no lock.
pub(crate) fn update_fields(
    meta: &'static ModelMeta,
    fields: &[usize],
    backend: Backend,
) -> &'static str {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock, PoisonError};

    type Key = (usize, Backend, Box<[usize]>);
    thread_local! {
        static USED: RefCell<Vec<(Key, &'static str)>> = const { RefCell::new(Vec::new()) };
    }
    static BUILT: OnceLock<Mutex<HashMap<Key, &'static str>>> = OnceLock::new();

    let model = std::ptr::from_ref(meta).addr();
    let found = USED.with_borrow(|used| {
        used.iter()
            .find(|((m, b, f), _)| *m == model && *b == backend && **f == *fields)
            .map(|(_, sql)| *sql)
    });
    if let Some(sql) = found {
        return sql;
    }
    let key: Key = (model, backend, fields.into());
    let sql = *BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(key.clone())
        .or_insert_with(|| {
            let columns: Vec<&'static str> =
                fields.iter().map(|&i| meta.fields[i].column).collect();
            // Kept for the life of the process: one per list of fields a program saves with.
            String::leak(update(meta, &columns, backend))
        });
    USED.with_borrow_mut(|used| used.push((key, sql)));
    sql
}

/// An identifier quoted for SQL: SQLite and PostgreSQL both quote with `"`, doubled inside.
pub(crate) fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// On PostgreSQL, the statement that moves the sequence of `table`'s auto key past a key just
/// inserted explicitly (`$3`; the table and column are `$1`, `$2`): such a row (a fixture, `save`
/// with `id` set) leaves the sequence behind, and a later automatic key would collide with it.
/// Django leaves that to `sqlsequencereset`; clarion runs this after such an insert.
///
/// The sequence only ever moves forward, and only by the inserted key: it is set to the key when
/// the key is at or beyond the value the sequence would give next (its own last value, which
/// every session sees at once, committed or not). The largest key the inserting transaction can
/// see is no guide: a concurrent transaction may hold a larger key not committed yet, and
/// setting the sequence to the smaller one would move it back under that key.
///
/// PostgreSQL has no compare-and-set on a sequence: the check and `setval` are two steps, so two
/// such statements racing at the same instant can still interleave, and the smaller key may be
/// set last. Serializing them with a transaction-scoped advisory lock would make the second
/// inserter wait for the first one's commit, which deadlocks when the first waits on the second.
/// Assumes an ascending sequence, as `serial` and identity columns have by default.
pub(crate) fn sequence_reset() -> &'static str {
    "SELECT setval(s.seq, $3) \
     FROM (SELECT pg_get_serial_sequence($1, $2)::regclass AS seq) AS s \
     JOIN pg_sequence AS p ON p.seqrelid = s.seq \
     WHERE $3 >= COALESCE(pg_sequence_last_value(s.seq) + p.seqincrement, p.seqstart)"
}

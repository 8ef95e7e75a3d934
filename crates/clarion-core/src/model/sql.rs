//! The SQL of a model's own statements, built once per model with `sea-query` (which quotes
//! identifiers for the dialect) and then reused: prepared statements are cached per connection,
//! keyed by this text.

use sea_query::{Alias, Expr, ExprTrait, Query, SqliteQueryBuilder};

use super::meta::ModelMeta;

/// Every statement `save`, `delete` and `refresh_from_db` run, with `?` placeholders bound in
/// field order.
pub(crate) struct Statements {
    /// `INSERT` of every field.
    pub(crate) insert_all: String,
    /// `INSERT` of every field but an auto primary key, which the database assigns.
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
    pub(crate) fn build(meta: &'static ModelMeta) -> Self {
        let pk = meta.pk_field();
        let all: Vec<&'static str> = meta.fields.iter().map(|f| f.column).collect();
        let but_auto: Vec<&'static str> = meta
            .fields
            .iter()
            .filter(|f| !f.auto)
            .map(|f| f.column)
            .collect();
        Statements {
            insert_all: insert(meta.table, &all),
            insert_auto: insert(meta.table, &but_auto),
            update_all: match non_key_columns(meta).as_slice() {
                [] => {
                    Query::select()
                        .expr(Expr::cust("1"))
                        .from(Alias::new(meta.table))
                        .and_where(Expr::col(Alias::new(pk.column)).eq(placeholder()))
                        .build(SqliteQueryBuilder)
                        .0
                }
                columns => update(meta, columns),
            },
            delete: Query::delete()
                .from_table(Alias::new(meta.table))
                .and_where(Expr::col(Alias::new(pk.column)).eq(placeholder()))
                .build(SqliteQueryBuilder)
                .0,
            select_all: Query::select()
                .columns(all.iter().map(|c| Alias::new(*c)))
                .from(Alias::new(meta.table))
                .to_string(SqliteQueryBuilder),
            select_by_pk: Query::select()
                .columns(all.iter().map(|c| Alias::new(*c)))
                .from(Alias::new(meta.table))
                .and_where(Expr::col(Alias::new(pk.column)).eq(placeholder()))
                .build(SqliteQueryBuilder)
                .0,
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

fn insert(table: &'static str, columns: &[&'static str]) -> String {
    if columns.is_empty() {
        return format!("INSERT INTO {} DEFAULT VALUES", quote(table));
    }
    Query::insert()
        .into_table(Alias::new(table))
        .columns(columns.iter().map(|c| Alias::new(*c)))
        .values_panic(columns.iter().map(|_| placeholder()))
        .build(SqliteQueryBuilder)
        .0
}

/// `UPDATE table SET c1 = ?, … WHERE pk = ?` for the given columns.
pub(crate) fn update(meta: &ModelMeta, columns: &[&'static str]) -> String {
    Query::update()
        .table(Alias::new(meta.table))
        .values(columns.iter().map(|c| (Alias::new(*c), placeholder())))
        .and_where(Expr::col(Alias::new(meta.pk_field().column)).eq(placeholder()))
        .build(SqliteQueryBuilder)
        .0
}

/// An identifier quoted for SQLite.
pub(crate) fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// `?, ?, ?` for `n` parameters.
pub(crate) fn placeholders(n: usize) -> String {
    let mut out = String::with_capacity(n * 3);
    for i in 0..n {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('?');
    }
    out
}

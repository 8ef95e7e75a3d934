//! Which database engine a [`Database`](super::Database) runs on, and the few places where the
//! SQL clarion builds differs between them.

use std::fmt;

use sea_query::{
    PostgresQueryBuilder, QueryStatementWriter, SchemaStatementBuilder, SqliteQueryBuilder, Values,
};

/// The database engine behind a [`Database`](super::Database) (Django: `connection.vendor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite, embedded through `rusqlite` (the default, nothing to install).
    Sqlite,
    /// PostgreSQL, over the network through the `postgres` crate (feature `postgres`).
    Postgres,
}

impl Backend {
    /// The engine's name as Django's `connection.vendor` spells it: `"sqlite"` or `"postgresql"`.
    pub fn vendor(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }

    /// A small index for per-backend caches (`[T; 2]`).
    pub(crate) fn index(self) -> usize {
        match self {
            Backend::Sqlite => 0,
            Backend::Postgres => 1,
        }
    }

    /// Writes a statement in this engine's dialect (placeholders, quoting), with its values
    /// apart.
    pub(crate) fn build(self, statement: &impl QueryStatementWriter) -> (String, Values) {
        match self {
            Backend::Sqlite => statement.build(SqliteQueryBuilder),
            Backend::Postgres => statement.build(PostgresQueryBuilder),
        }
    }

    /// Writes a statement that takes no parameters in this engine's dialect.
    pub(crate) fn sql(self, statement: &impl QueryStatementWriter) -> String {
        self.build(statement).0
    }

    /// Writes a schema statement (`CREATE TABLE`, `CREATE INDEX`) in this engine's dialect.
    pub(crate) fn schema(self, statement: &impl SchemaStatementBuilder) -> String {
        match self {
            Backend::Sqlite => statement.to_string(SqliteQueryBuilder),
            Backend::Postgres => statement.to_string(PostgresQueryBuilder),
        }
    }

    /// Placeholders for `n` parameters numbered from `first` (1-based), comma-separated:
    /// `?, ?` on SQLite, `$3, $4` on PostgreSQL.
    pub(crate) fn placeholders(self, first: usize, n: usize) -> String {
        let mut out = String::with_capacity(n * 4);
        for i in 0..n {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&self.placeholder(first + i));
        }
        out
    }

    /// The placeholder of parameter number `n` (1-based).
    pub(crate) fn placeholder(self, n: usize) -> String {
        match self {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${n}"),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.vendor())
    }
}

/// Rewrites the `$1, $2, …` placeholders of SQL written for both engines into SQLite's `?1, ?2,
/// …`, leaving quoted text, quoted identifiers and comments alone. PostgreSQL takes the SQL as is.
pub(crate) fn sqlite_placeholders(sql: &str) -> std::borrow::Cow<'_, str> {
    if !sql.contains('$') {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    // A doubled quote inside reopens at once, so pairs need no special case.
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => out.push('?'),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_placeholders_become_numbered_question_marks() {
        assert_eq!(
            sqlite_placeholders("SELECT $1, '$2', \"a$3\" -- $4\n, $10"),
            "SELECT ?1, '$2', \"a$3\" -- $4\n, ?10"
        );
        assert_eq!(
            sqlite_placeholders("SELECT 'it''s $1'"),
            "SELECT 'it''s $1'"
        );
        assert_eq!(sqlite_placeholders("SELECT 1"), "SELECT 1");
    }

    #[test]
    fn placeholders_per_backend() {
        assert_eq!(Backend::Sqlite.placeholders(1, 3), "?, ?, ?");
        assert_eq!(Backend::Postgres.placeholders(2, 2), "$2, $3");
    }
}

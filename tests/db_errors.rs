//! SQLite's errors as `clarion::Error` variants, bound parameters, and the alias registry.

use clarion::db::{self, Database, params};
use clarion::{ConstraintKind, Error};

const SCHEMA: &str = "
    CREATE TABLE author (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
    CREATE TABLE book (
        id INTEGER PRIMARY KEY,
        author_id INTEGER NOT NULL REFERENCES author (id),
        pages INTEGER CONSTRAINT pages_positive CHECK (pages > 0)
    );
    INSERT INTO author (id, email) VALUES (1, 'ada@example.com');
";

fn fresh(alias: &str) -> &str {
    db::register(Database::open_as(alias, "sqlite::memory:").unwrap());
    db::atomic_using(alias, |tx| tx.execute_batch(SCHEMA)).unwrap();
    alias
}

fn write(alias: &str, sql: &str) -> Error {
    db::atomic_using(alias, |tx| tx.execute(sql, ())).unwrap_err()
}

#[track_caller]
fn assert_integrity(error: Error, want_kind: ConstraintKind, want_constraint: Option<&str>) {
    match &error {
        Error::Integrity {
            kind, constraint, ..
        } => {
            assert_eq!(*kind, want_kind, "{error}");
            assert_eq!(constraint.as_deref(), want_constraint, "{error}");
        }
        other => panic!("expected Error::Integrity, got {other:?}"),
    }
}

#[test]
fn unique_violation_names_the_column() {
    let alias = fresh("errors_unique");
    let error = write(
        alias,
        "INSERT INTO author (email) VALUES ('ada@example.com')",
    );
    assert_eq!(
        error.to_string(),
        "integrity error: UNIQUE constraint failed: author.email"
    );
    assert_integrity(error, ConstraintKind::Unique, Some("author.email"));
}

#[test]
fn primary_key_violation() {
    let alias = fresh("errors_pk");
    let error = write(
        alias,
        "INSERT INTO author (id, email) VALUES (1, 'b@example.com')",
    );
    assert_integrity(error, ConstraintKind::PrimaryKey, Some("author.id"));
}

#[test]
fn not_null_violation_names_the_column() {
    let alias = fresh("errors_not_null");
    let error = write(alias, "INSERT INTO author (email) VALUES (NULL)");
    assert_integrity(error, ConstraintKind::NotNull, Some("author.email"));
}

#[test]
fn foreign_keys_are_enforced_and_explained() {
    let alias = fresh("errors_fk");
    let error = write(alias, "INSERT INTO book (author_id, pages) VALUES (99, 10)");
    assert!(
        error.to_string().contains("FOREIGN KEY constraint failed"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("a referenced row does not exist"),
        "{error}"
    );
    assert_integrity(error, ConstraintKind::ForeignKey, None);
}

#[test]
fn check_violation_names_the_constraint() {
    let alias = fresh("errors_check");
    let error = write(alias, "INSERT INTO book (author_id, pages) VALUES (1, 0)");
    assert_integrity(error, ConstraintKind::Check, Some("pages_positive"));
}

#[test]
fn the_driver_error_is_kept_as_the_source() {
    let alias = fresh("errors_source");
    let error = write(alias, "INSERT INTO author (email) VALUES (NULL)");
    let source = std::error::Error::source(&error).expect("a source");
    let driver = source
        .downcast_ref::<db::rusqlite::Error>()
        .expect("the rusqlite error");
    assert_eq!(
        driver.sqlite_error_code(),
        Some(db::rusqlite::ErrorCode::ConstraintViolation)
    );
}

#[test]
fn a_missing_table_says_to_migrate() {
    let alias = fresh("errors_missing_table");
    let error = write(alias, "INSERT INTO publisher (name) VALUES ('x')");
    assert!(
        matches!(&error, Error::MissingTable { table, .. } if table == "publisher"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "table `publisher` does not exist; run `clarion::migrate()` to create the tables of your models"
    );
}

#[test]
fn a_missing_column_says_to_migrate() {
    let alias = fresh("errors_missing_column");
    // A column the table lacks was an `Error::Database` before it was classified.
    let error = write(alias, "INSERT INTO author (nope) VALUES (1)");
    assert!(
        matches!(&error, Error::MissingColumn { table: Some(table), column, .. }
            if table == "author" && column == "nope"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "column `nope` of table `author` does not exist; run `clarion::migrate()` to add the \
         missing columns of your models"
    );
    // A double-quoted name is never read as a string: SQLite's "double-quoted string"
    // misfeature is off, so this is a missing column, not the text 'nope'.
    let error = db::atomic_using(alias, |tx| {
        tx.query_values("SELECT \"nope\" FROM author", &[])
    })
    .unwrap_err();
    assert!(
        matches!(&error, Error::MissingColumn { table: None, column, .. } if column == "nope"),
        "{error:?}"
    );
}

#[test]
fn other_sql_errors_are_database_errors() {
    let alias = fresh("errors_syntax");
    let error = write(alias, "INSERT INTO author (id) VALUES (1, 2)");
    assert!(matches!(error, Error::Database { .. }), "{error:?}");
    assert!(
        error.to_string().contains("2 values for 1 columns"),
        "{error}"
    );
}

#[test]
fn values_round_trip_exactly_through_bound_parameters() {
    let alias = fresh("errors_round_trip");
    let nasty = [
        "Robert'); DROP TABLE author;--",
        "quote ' and \" double",
        "nul \0 inside",
        "unicode: żółć 日本語 🦀 \u{202e}",
        "",
    ];
    db::atomic_using(alias, |tx| {
        tx.execute_batch("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT, blob BLOB)")?;
        for body in nasty {
            tx.execute(
                "INSERT INTO note (body, blob) VALUES (?1, ?2)",
                params![body, body.as_bytes()],
            )?;
        }
        tx.execute(
            "INSERT INTO note (body, blob) VALUES (?1, ?2)",
            params![None::<String>, None::<Vec<u8>>],
        )?;
        Ok(())
    })
    .unwrap();
    let rows: Vec<(Option<String>, Option<Vec<u8>>)> = db::atomic_using(alias, |tx| {
        tx.query("SELECT body, blob FROM note ORDER BY id", (), |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
    })
    .unwrap();
    let mut expected: Vec<(Option<String>, Option<Vec<u8>>)> = nasty
        .iter()
        .map(|body| (Some(body.to_string()), Some(body.as_bytes().to_vec())))
        .collect();
    expected.push((None, None));
    assert_eq!(rows, expected);
    // The injection attempt stayed a value: the table is still there.
    let authors: i64 = db::atomic_using(alias, |tx| {
        tx.query_row(
            "SELECT count(*) FROM author WHERE email = ?1",
            ["ada@example.com"],
            |row| row.get(0),
        )
    })
    .unwrap();
    assert_eq!(authors, 1);
}

#[test]
fn an_unknown_alias_is_named_in_the_error() {
    db::register(Database::open_as("errors_known", "sqlite::memory:").unwrap());
    let error = db::atomic_using("errors_nowhere", |_| Ok(())).unwrap_err();
    assert!(
        matches!(&error, Error::UnknownDatabase { alias, known } if alias == "errors_nowhere"
            && known.iter().any(|k| k == "errors_known")),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("no database is registered as `errors_nowhere`"),
        "{message}"
    );
    assert!(message.contains("errors_known"), "{message}");
    assert!(matches!(
        db::database("errors_nowhere"),
        Err(Error::UnknownDatabase { .. })
    ));
}

#[test]
fn register_returns_the_database_it_replaces() {
    let first = Database::open_as("errors_replaced", "sqlite::memory:").unwrap();
    assert!(db::register(first).is_none());
    let second = Database::open_as("errors_replaced", "sqlite::memory:").unwrap();
    let replaced = db::register(second).expect("the first one");
    assert_eq!(replaced.alias(), "errors_replaced");
    assert!(
        db::registered_aliases()
            .iter()
            .any(|a| a == "errors_replaced")
    );
}

#[test]
fn urls_that_name_no_database_clarion_opens_are_refused() {
    for url in [
        "mysql://localhost/app",
        "postgres://localhost:notaport/app",
        "sqlite://",
        "sqlite://app.db?mode=ro",
        "app.db",
    ] {
        let error = Database::open(url).unwrap_err();
        assert!(
            matches!(&error, Error::DatabaseUrl { url: u, .. } if u == url),
            "{url}: {error:?}"
        );
        assert!(error.to_string().contains(url), "{error}");
    }
}

#[test]
fn the_default_alias() {
    let database = Database::open("sqlite::memory:").unwrap();
    assert_eq!(database.alias(), db::DEFAULT_ALIAS);
    assert_eq!(database.alias(), "default");
    assert_eq!(database.url(), "sqlite::memory:");
}

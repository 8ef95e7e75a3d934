//! `migrate()`: the tables, columns, constraints and indexes it creates, that a second run
//! creates nothing, and the `pre_migrate`/`post_migrate` signals around it.

#[path = "support/backend.rs"]
mod backend;
#[path = "support/fixture_models.rs"]
mod fixture_models;

use clarion::db::{self, Backend, Database};
use clarion::models::signals::Migrate;
use clarion::prelude::*;
use clarion::{ConstraintKind, Error, Migrated, Value, testing};
use fixture_models::{Entry, Tag};

/// A fresh database under its own alias, on this binary's backend (see `support/backend.rs`):
/// tests run in parallel threads.
fn database(alias: &str) -> Database {
    let database = backend::fresh(alias);
    db::register(database.clone());
    database
}

/// Every table the test binary's models have, in the order of their labels.
fn all_tables() -> Vec<&'static str> {
    let mut tables = vec!["blog_entry"];
    if cfg!(all(feature = "chrono", feature = "uuid")) {
        tables.push("blog_event");
    }
    tables.push("blog_tag");
    tables
}

fn entry(slug: &str) -> Entry {
    Entry {
        id: None,
        title: "Title".into(),
        slug: slug.into(),
        body: None,
        rank: 0,
        rating: 1.0,
        published: false,
        cover: vec![1, 2],
        extra: serde_json::json!({"a": 1}),
    }
}

fn query(alias: &str, sql: &str, params: &[Value]) -> Vec<Vec<Value>> {
    db::atomic_using(alias, |tx| tx.query_values(sql, params)).unwrap()
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Text(text) => Some(text.clone()),
        other => panic!("expected text, read {other:?}"),
    }
}

/// The tables named `table` (none or one), as the database's catalog lists them.
fn tables(alias: &str, table: &str) -> Vec<String> {
    let sql = match backend::backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND tbl_name = $1 ORDER BY name"
        }
        _ => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY table_name"
        }
    };
    query(alias, sql, &[table.into()])
        .iter()
        .map(|row| text(&row[0]).unwrap())
        .collect()
}

/// SQLite's `CREATE TABLE` statement of `table`, as it keeps it.
fn sqlite_table_sql(alias: &str, table: &str) -> String {
    let rows = query(
        alias,
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND tbl_name = $1",
        &[table.into()],
    );
    text(&rows[0][0]).unwrap()
}

/// The indexes of `table` by name, with their definition (SQLite has none for the indexes it
/// creates itself, as for a `UNIQUE` column).
fn indexes(alias: &str, table: &str) -> Vec<(String, Option<String>)> {
    let sql = match backend::backend() {
        Backend::Sqlite => {
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 \
             ORDER BY name"
        }
        _ => {
            "SELECT indexname::text, indexdef FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename = $1 ORDER BY indexname"
        }
    };
    query(alias, sql, &[table.into()])
        .iter()
        .map(|row| (text(&row[0]).unwrap(), text(&row[1])))
        .collect()
}

/// PostgreSQL: each column of `table` as `name type [NOT NULL] [DEFAULT …] [IDENTITY]`, from
/// the catalog, then each constraint's definition.
fn postgres_table(alias: &str, table: &str) -> (Vec<String>, Vec<String>) {
    let columns = query(
        alias,
        "SELECT column_name::text, data_type::text, character_maximum_length::bigint, \
         is_nullable::text, column_default::text, is_identity::text \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        &[table.into()],
    )
    .iter()
    .map(|row| {
        let mut column = format!("{} {}", text(&row[0]).unwrap(), text(&row[1]).unwrap());
        match &row[2] {
            Value::Int(n) => column.push_str(&format!("({n})")),
            Value::Null => {}
            other => panic!("a length of {other:?}"),
        }
        if text(&row[3]).unwrap() == "NO" {
            column.push_str(" NOT NULL");
        }
        if let Some(default) = text(&row[4]) {
            column.push_str(&format!(" DEFAULT {default}"));
        }
        if text(&row[5]).unwrap() == "YES" {
            column.push_str(" IDENTITY");
        }
        column
    })
    .collect();
    let constraints = query(
        alias,
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = $1::text::regclass ORDER BY conname",
        &[table.into()],
    )
    .iter()
    .map(|row| text(&row[0]).unwrap())
    .collect();
    (columns, constraints)
}

#[test]
fn creates_every_table_once_then_nothing() -> clarion::Result<()> {
    let _db = database("migrate-idempotent");
    let first = clarion::migrate_using("migrate-idempotent")?;
    assert_eq!(first.created, all_tables());
    let second = clarion::migrate_using("migrate-idempotent")?;
    assert_eq!(second, Migrated::default());
    assert_eq!(tables("migrate-idempotent", "blog_entry"), ["blog_entry"]);
    Ok(())
}

#[test]
fn columns_are_declared_as_django_declares_them() -> clarion::Result<()> {
    let _db = database("migrate-columns");
    clarion::migrate_using("migrate-columns")?;
    if backend::backend() != Backend::Sqlite {
        // Django's PostgreSQL types (every integer a `bigint`), read back from the catalog.
        assert_eq!(
            postgres_table("migrate-columns", "blog_entry"),
            (
                vec![
                    "id bigint NOT NULL IDENTITY".to_owned(),
                    "title character varying(50) NOT NULL".to_owned(),
                    "slug text NOT NULL".to_owned(),
                    "body text".to_owned(),
                    "rank bigint NOT NULL DEFAULT 0".to_owned(),
                    "rating double precision NOT NULL DEFAULT 2.5".to_owned(),
                    "published boolean NOT NULL DEFAULT true".to_owned(),
                    r"cover bytea NOT NULL DEFAULT '\x'::bytea".to_owned(),
                    "extra jsonb NOT NULL DEFAULT '{}'::jsonb".to_owned(),
                ],
                vec!["PRIMARY KEY (id)".to_owned(), "UNIQUE (slug)".to_owned()],
            )
        );
        assert_eq!(
            postgres_table("migrate-columns", "blog_tag"),
            (
                vec![
                    "name character varying(30) NOT NULL".to_owned(),
                    "uses bigint NOT NULL".to_owned(),
                ],
                vec!["PRIMARY KEY (name)".to_owned()],
            )
        );
        return Ok(());
    }
    let sql = sqlite_table_sql("migrate-columns", "blog_entry");
    for column in [
        r#""id" integer NOT NULL PRIMARY KEY AUTOINCREMENT"#,
        r#""title" text NOT NULL"#,
        r#""slug" text NOT NULL UNIQUE"#,
        r#""body" text NULL"#,
        r#""rank" integer NOT NULL DEFAULT 0"#,
        r#""rating" real NOT NULL DEFAULT 2.5"#,
        r#""published" bool NOT NULL DEFAULT 1"#,
        r#""cover" BLOB NOT NULL DEFAULT x''"#,
        r#""extra" text NOT NULL DEFAULT '{}'"#,
    ] {
        assert!(sql.contains(column), "`{column}` not in {sql}");
    }
    let sql = sqlite_table_sql("migrate-columns", "blog_tag");
    assert!(sql.contains(r#""name" text NOT NULL PRIMARY KEY"#));
    Ok(())
}

#[test]
fn defaults_fill_columns_an_insert_leaves_out() -> clarion::Result<()> {
    let _db = database("migrate-defaults");
    clarion::migrate_using("migrate-defaults")?;
    let rows = db::atomic_using("migrate-defaults", |tx| {
        tx.execute_values(
            "INSERT INTO blog_entry (title, slug) VALUES ('t', 's')",
            &[],
        )?;
        tx.query_values(
            "SELECT rank, rating, published, cover, extra, body FROM blog_entry",
            &[],
        )
    })?;
    let published = match backend::backend() {
        // Django stores booleans as 0/1 in SQLite.
        Backend::Sqlite => Value::Int(1),
        _ => Value::Bool(true),
    };
    assert_eq!(
        rows,
        [[
            Value::Int(0),
            Value::Float(2.5),
            published,
            Value::Bytes(Vec::new()),
            Value::from("{}"),
            Value::Null,
        ]]
    );
    Ok(())
}

#[test]
fn not_null_and_unique_are_enforced() -> clarion::Result<()> {
    let _db = database("migrate-constraints");
    clarion::migrate_using("migrate-constraints")?;
    let using = SaveOptions::new().using("migrate-constraints");
    entry("same").save_with(using)?;
    let error = entry("same").save_with(using).unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Integrity { kind: ConstraintKind::Unique, constraint: Some(c), .. }
                if c == "blog_entry.slug"
        ),
        "{error:?}"
    );
    let error = db::atomic_using("migrate-constraints", |tx| {
        tx.execute_values(
            "INSERT INTO blog_entry (title, slug) VALUES (NULL, 'x')",
            &[],
        )
    })
    .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Integrity {
                kind: ConstraintKind::NotNull,
                ..
            }
        ),
        "{error:?}"
    );
    let error = Tag {
        name: "rust".into(),
        uses: 1,
    }
    .save_with(using)
    .and_then(|()| {
        Tag {
            name: "rust".into(),
            uses: 2,
        }
        .save_with(using.force_insert())
    })
    .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Integrity {
                kind: ConstraintKind::PrimaryKey,
                ..
            }
        ),
        "{error:?}"
    );
    Ok(())
}

#[test]
fn index_fields_get_an_index() -> clarion::Result<()> {
    let _db = database("migrate-indexes");
    clarion::migrate_using("migrate-indexes")?;
    let found = indexes("migrate-indexes", "blog_entry");
    let (expected, definition_end) = match backend::backend() {
        // The UNIQUE slug has SQLite's own index; `rank` has a named one; nothing else (the
        // integer key is the rowid).
        Backend::Sqlite => (2, r#"ON "blog_entry" ("rank")"#),
        // The key's and the UNIQUE slug's indexes; `rank` has a named one; nothing else.
        _ => (3, " USING btree (rank)"),
    };
    assert_eq!(found.len(), expected, "{found:?}");
    if backend::backend() != Backend::Sqlite {
        assert_eq!(found[0].0, "blog_entry_pkey", "{found:?}");
        assert_eq!(found[2].0, "blog_entry_slug_key", "{found:?}");
    }
    let (name, sql) = found
        .iter()
        .find(|(name, _)| name.starts_with("blog_entry_rank_"))
        .expect("an index on rank");
    assert_eq!(name.len(), "blog_entry_rank_".len() + 8);
    assert!(sql.as_deref().unwrap().ends_with(definition_end), "{sql:?}");
    // Idempotent too.
    clarion::migrate_using("migrate-indexes")?;
    assert_eq!(indexes("migrate-indexes", "blog_entry").len(), expected);
    Ok(())
}

#[test]
fn pre_and_post_migrate_carry_the_models_and_created_tables() -> clarion::Result<()> {
    let _db = database("migrate-signals");
    type Seen = (bool, String, Vec<&'static str>, Vec<&'static str>, usize);
    let record = |sender: Sender, args: &Migrate| -> Seen {
        (
            sender.is::<Migrated>(),
            args.using.to_owned(),
            args.models.iter().map(|m| m.label).collect(),
            args.created.to_vec(),
            args.tx.depth(),
        )
    };
    let pre = testing::capture(&pre_migrate, record);
    let post = testing::capture(&post_migrate, record);
    clarion::migrate_using("migrate-signals")?;
    clarion::migrate_using("migrate-signals")?;

    let mut labels = vec!["blog.entry"];
    if cfg!(all(feature = "chrono", feature = "uuid")) {
        labels.push("blog.event");
    }
    labels.push("blog.tag");
    let seen = |created: Vec<&'static str>| -> Seen {
        (
            true,
            "migrate-signals".to_owned(),
            labels.clone(),
            created,
            1,
        )
    };
    assert_eq!(pre.take(), vec![seen(vec![]), seen(vec![])]);
    assert_eq!(post.take(), vec![seen(all_tables()), seen(vec![])]);
    Ok(())
}

#[test]
fn a_failing_receiver_creates_nothing() -> clarion::Result<()> {
    let _db = database("migrate-rollback");
    // Connected for every thread: it refuses only this test's database.
    let id = post_migrate.connect(|_sender, args: &mut Migrate| {
        if args.using == "migrate-rollback" {
            Err(Error::msg("not today"))
        } else {
            Ok(())
        }
    });
    let error = clarion::migrate_using("migrate-rollback").unwrap_err();
    post_migrate.disconnect(id);
    assert!(matches!(error, Error::Receiver { .. }), "{error:?}");
    assert!(tables("migrate-rollback", "blog_entry").is_empty());
    assert_eq!(
        clarion::migrate_using("migrate-rollback")?.created,
        all_tables()
    );
    Ok(())
}

#[test]
fn saving_before_migrate_says_to_migrate() {
    let _db = database("migrate-missing");
    let error = entry("early")
        .save_with(SaveOptions::new().using("migrate-missing"))
        .unwrap_err();
    assert!(matches!(&error, Error::MissingTable { table, .. } if table == "blog_entry"));
    assert!(error.to_string().contains("clarion::migrate()"), "{error}");
}

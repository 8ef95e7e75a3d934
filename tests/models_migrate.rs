//! `migrate()`: the tables, columns, constraints and indexes it creates, that a second run
//! creates nothing, and the `pre_migrate`/`post_migrate` signals around it.

#[path = "support/fixture_models.rs"]
mod fixture_models;

use clarion::db::{self, Database};
use clarion::models::signals::Migrate;
use clarion::prelude::*;
use clarion::{ConstraintKind, Error, Migrated, testing};
use fixture_models::{Entry, Tag};

/// A fresh in-memory database under its own alias: tests run in parallel threads.
fn database(alias: &str) -> Database {
    let database = Database::open_as(alias, "sqlite::memory:").unwrap();
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

fn schema(alias: &str, kind: &str, table: &str) -> Vec<(String, Option<String>)> {
    db::atomic_using(alias, |tx| {
        tx.query(
            "SELECT name, sql FROM sqlite_master WHERE type = ?1 AND tbl_name = ?2 ORDER BY name",
            [kind, table],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
    })
    .unwrap()
}

#[test]
fn creates_every_table_once_then_nothing() -> clarion::Result<()> {
    let _db = database("migrate-idempotent");
    let first = clarion::migrate_using("migrate-idempotent")?;
    assert_eq!(first.created, all_tables());
    let second = clarion::migrate_using("migrate-idempotent")?;
    assert_eq!(second, Migrated::default());
    let tables: Vec<String> = schema("migrate-idempotent", "table", "blog_entry")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(tables, ["blog_entry"]);
    Ok(())
}

#[test]
fn columns_are_declared_as_django_declares_them() -> clarion::Result<()> {
    let _db = database("migrate-columns");
    clarion::migrate_using("migrate-columns")?;
    let (_, sql) = schema("migrate-columns", "table", "blog_entry").remove(0);
    let sql = sql.unwrap();
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
    let (_, sql) = schema("migrate-columns", "table", "blog_tag").remove(0);
    assert!(sql.unwrap().contains(r#""name" text NOT NULL PRIMARY KEY"#));
    Ok(())
}

#[test]
fn defaults_fill_columns_an_insert_leaves_out() -> clarion::Result<()> {
    let _db = database("migrate-defaults");
    clarion::migrate_using("migrate-defaults")?;
    let row = db::atomic_using("migrate-defaults", |tx| {
        tx.execute("INSERT INTO blog_entry (title, slug) VALUES ('t', 's')", ())?;
        tx.query_row(
            "SELECT rank, rating, published, cover, extra, body FROM blog_entry",
            (),
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, f64>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, Vec<u8>>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, Option<String>>(5)?,
                ))
            },
        )
    })?;
    assert_eq!(row, (0, 2.5, 1, Vec::new(), "{}".to_owned(), None));
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
        tx.execute(
            "INSERT INTO blog_entry (title, slug) VALUES (NULL, 'x')",
            (),
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
    let indexes = schema("migrate-indexes", "index", "blog_entry");
    // The UNIQUE slug has SQLite's own index; `rank` has a named one; nothing else.
    assert_eq!(indexes.len(), 2, "{indexes:?}");
    let (name, sql) = indexes
        .iter()
        .find(|(name, _)| name.starts_with("blog_entry_rank_"))
        .expect("an index on rank");
    assert_eq!(name.len(), "blog_entry_rank_".len() + 8);
    assert!(
        sql.as_deref()
            .unwrap()
            .ends_with(r#"ON "blog_entry" ("rank")"#)
    );
    // Idempotent too.
    clarion::migrate_using("migrate-indexes")?;
    assert_eq!(schema("migrate-indexes", "index", "blog_entry").len(), 2);
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
    assert!(schema("migrate-rollback", "table", "blog_entry").is_empty());
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

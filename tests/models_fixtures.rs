//! Fixtures: loading Django's JSON format all or nothing, with `raw = true` in the signals, and
//! dumping it as `dumpdata --indent 2` does.

#[path = "support/backend.rs"]
mod backend;
#[path = "support/fixture_models.rs"]
mod fixture_models;

use std::path::Path;

use clarion::db::{self, Backend, Database};
use clarion::fixtures::{self, Loaded};
use clarion::models::signals::{PostSave, PreSave};
use clarion::prelude::*;
use clarion::{Error, Value, testing};

/// A fresh, migrated database under its own alias, on this binary's backend (see
/// `support/backend.rs`): tests run in parallel threads.
fn database(alias: &str) -> Database {
    let database = backend::fresh(alias);
    db::register(database.clone());
    clarion::migrate_using(alias).unwrap();
    database
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn count(alias: &str, table: &str) -> i64 {
    match row(alias, &format!("SELECT count(*) FROM \"{table}\"")).as_slice() {
        [Value::Int(n)] => *n,
        other => panic!("count(*) read back as {other:?}"),
    }
}

/// The one row `sql` returns, on either backend.
fn row(alias: &str, sql: &str) -> Vec<Value> {
    let mut rows = db::atomic_using(alias, |tx| tx.query_values(sql, &[])).unwrap();
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows.remove(0)
}

/// The error's `(index, model, field)`, and its reason.
fn fixture_error(error: Error) -> ((usize, Option<String>, Option<String>), String) {
    match error {
        Error::Fixture {
            index,
            model,
            field,
            reason,
        } => ((index, model, field), reason),
        other => panic!("expected Error::Fixture, got {other:?}"),
    }
}

fn at(
    index: usize,
    model: Option<&str>,
    field: Option<&str>,
) -> (usize, Option<String>, Option<String>) {
    (index, model.map(str::to_owned), field.map(str::to_owned))
}

const ONE_ENTRY: &str =
    r#"[{"model": "blog.entry", "pk": 1, "fields": {"title": "A", "slug": "a"}}]"#;

#[test]
fn load_saves_each_record_raw_and_counts_them() -> clarion::Result<()> {
    let _db = database("fixtures-load");
    let pre = testing::capture(&pre_save, |_sender, args: &PreSave| {
        (args.instance.meta().label, args.raw, args.using.to_owned())
    });
    let post = testing::capture(&post_save, |_sender, args: &PostSave| {
        (args.raw, args.created)
    });

    let loaded = fixtures::load_using(&fixture("blog.json"), "fixtures-load")?;
    assert_eq!(loaded.count, 4);
    assert_eq!(
        loaded.per_model.into_iter().collect::<Vec<_>>(),
        [("blog.entry", 2), ("blog.tag", 2)]
    );
    let expected_pre: Vec<_> = ["blog.tag", "blog.entry", "blog.entry", "blog.tag"]
        .into_iter()
        .map(|label| (label, true, "fixtures-load".to_owned()))
        .collect();
    assert_eq!(pre.take(), expected_pre);
    assert_eq!(post.take(), vec![(true, true); 4]);

    // Values as the models' fields store them.
    let stored = row(
        "fixtures-load",
        "SELECT title, body, rank, rating, published, cover, extra FROM blog_entry WHERE id = 2",
    );
    let (published, extra) = match backend::backend() {
        // 0/1 and the JSON text as written, as Django stores them in SQLite.
        Backend::Sqlite => (Value::Int(1), r#"{"n":[1,2.5,"three"]}"#),
        // A `boolean` column, and `jsonb`, which reads back in PostgreSQL's own text form.
        _ => (Value::Bool(true), r#"{"n": [1, 2.5, "three"]}"#),
    };
    assert_eq!(
        stored,
        [
            Value::from("Second"),
            Value::from("It's here."),
            Value::Int(5),
            Value::Float(3.25),
            published,
            Value::Bytes(vec![0, 1, 2, 255]),
            Value::from(extra),
        ]
    );

    // Loading again updates the same rows (Django's loaddata does too).
    let post = testing::capture(&post_save, |_sender, args: &PostSave| args.created);
    fixtures::load_using(&fixture("blog.json"), "fixtures-load")?;
    assert_eq!(post.take(), vec![false; 4]);
    assert_eq!(count("fixtures-load", "blog_entry"), 2);
    Ok(())
}

/// Django's deserializer runs each value through its field's `to_python`, so numbers and
/// booleans written as JSON text (as XML fixtures and much hand-written JSON carry them) load
/// as the field's type, before `pre_save` sees them.
#[test]
fn numbers_and_booleans_given_as_text_are_read_as_the_field_s_type() -> clarion::Result<()> {
    let _db = database("fixtures-coerce");
    let seen = testing::capture(&pre_save, |_sender, args: &PreSave| {
        args.instance
            .downcast_ref::<fixture_models::Entry>()
            .map(|entry| (entry.rank, entry.rating, entry.published))
    });
    let json = r#"[
        {"model": "blog.entry", "pk": "7", "fields": {"title": "A", "slug": "a",
         "rank": " 42 ", "rating": "1.5", "published": "false"}},
        {"model": "blog.entry", "pk": 8, "fields": {"title": "B", "slug": "b",
         "rank": "-3", "rating": "1e3", "published": "True"}},
        {"model": "blog.entry", "pk": 9, "fields": {"title": "C", "slug": "c",
         "rank": 5, "rating": "Infinity", "published": "t"}},
        {"model": "blog.tag", "pk": "rust", "fields": {"uses": "9007199254740993"}}
    ]"#;
    fixtures::load_using(json, "fixtures-coerce")?;
    assert_eq!(
        seen.take(),
        vec![
            Some((42, 1.5, false)),
            Some((-3, 1000.0, true)),
            Some((5, f64::INFINITY, true)),
            None,
        ]
    );
    let entries = fixture_models::Entry::objects()
        .using("fixtures-coerce")
        .order_by(fixture_models::Entry::ID)
        .all()?;
    let keys: Vec<_> = entries
        .iter()
        .map(|e| (e.id, e.rank, e.published))
        .collect();
    assert_eq!(
        keys,
        vec![
            (Some(7), 42, false),
            (Some(8), -3, true),
            (Some(9), 5, true)
        ]
    );
    // Beyond f64's exact integers: read as an integer, not through a float.
    let tag = fixture_models::Tag::objects()
        .using("fixtures-coerce")
        .filter(fixture_models::Tag::NAME.eq("rust"))
        .get()?;
    assert_eq!(tag.uses, 9_007_199_254_740_993);

    // Text that is not the field's type names the record, the field and the text.
    for (fields, field, text) in [
        (
            r#"{"title": "A", "slug": "a", "rank": "4 2"}"#,
            "rank",
            "\"4 2\"",
        ),
        (
            r#"{"title": "A", "slug": "a", "rank": "1.5"}"#,
            "rank",
            "\"1.5\"",
        ),
        (
            r#"{"title": "A", "slug": "a", "rating": "fast"}"#,
            "rating",
            "\"fast\"",
        ),
        (
            r#"{"title": "A", "slug": "a", "published": "yes"}"#,
            "published",
            "\"yes\"",
        ),
        (
            r#"{"title": "A", "slug": "a", "published": " true"}"#,
            "published",
            "\" true\"",
        ),
    ] {
        let json = format!(r#"[{{"model": "blog.entry", "pk": 20, "fields": {fields}}}]"#);
        let (at_, reason) =
            fixture_error(fixtures::load_using(&json, "fixtures-coerce").unwrap_err());
        assert_eq!(at_, at(0, Some("blog.entry"), Some(field)), "{reason}");
        assert!(reason.contains(text), "{reason}");
    }
    assert_eq!(count("fixtures-coerce", "blog_entry"), 3);
    Ok(())
}

#[test]
fn a_bad_record_loads_nothing_and_is_named() {
    let _db = database("fixtures-bad");
    let json = r#"[
        {"model": "blog.tag", "pk": "ok", "fields": {"uses": 1}},
        {"model": "blog.entry", "pk": 1, "fields": {"title": "A", "slug": "a"}},
        {"model": "blog.entry", "pk": 2, "fields": {"title": "B", "slug": "b", "rank": "high"}}
    ]"#;
    let (at_, reason) = fixture_error(fixtures::load_using(json, "fixtures-bad").unwrap_err());
    assert_eq!(at_, at(2, Some("blog.entry"), Some("rank")));
    assert!(reason.contains("expected an integer"), "{reason}");
    assert_eq!(count("fixtures-bad", "blog_entry"), 0);
    assert_eq!(count("fixtures-bad", "blog_tag"), 0);

    // The message names all three.
    let error = fixtures::load_using(json, "fixtures-bad")
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("fixture record 2 (`blog.entry`, field `rank`): "),
        "{error}"
    );

    // Too long for max_length, out of range, a list where text goes.
    for (fields, field, words) in [
        (
            r#"{"title": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "slug": "a"}"#,
            "title",
            "max_length",
        ),
        (
            r#"{"title": "A", "slug": "a", "rank": 9999999999}"#,
            "rank",
            "does not fit",
        ),
        (r#"{"title": ["A"], "slug": "a"}"#, "title", "got a list"),
        (
            r#"{"title": "A", "slug": "a", "cover": "not base64!"}"#,
            "cover",
            "invalid base64",
        ),
    ] {
        let json = format!(r#"[{{"model": "blog.entry", "fields": {fields}}}]"#);
        let (at_, reason) = fixture_error(fixtures::load_using(&json, "fixtures-bad").unwrap_err());
        assert_eq!(at_, at(0, Some("blog.entry"), Some(field)), "{reason}");
        assert!(reason.contains(words), "{reason}");
    }
    assert_eq!(count("fixtures-bad", "blog_entry"), 0);
}

#[test]
fn a_duplicate_unique_value_loads_nothing() {
    let _db = database("fixtures-unique");
    let json = r#"[
        {"model": "blog.entry", "pk": 1, "fields": {"title": "A", "slug": "same"}},
        {"model": "blog.entry", "pk": 2, "fields": {"title": "B", "slug": "same"}}
    ]"#;
    let (at_, reason) = fixture_error(fixtures::load_using(json, "fixtures-unique").unwrap_err());
    assert_eq!(at_, at(1, Some("blog.entry"), Some("slug")));
    // The database's own message.
    let message = match backend::backend() {
        Backend::Sqlite => "UNIQUE constraint failed: blog_entry.slug",
        _ => "duplicate key value violates unique constraint \"blog_entry_slug_key\"",
    };
    assert!(reason.contains(message), "{reason}");
    assert_eq!(count("fixtures-unique", "blog_entry"), 0);
}

#[test]
fn unknown_models_and_fields_are_named() {
    let _db = database("fixtures-unknown");
    let json = r#"[{"model": "blog.entry", "pk": 1, "fields": {"title": "A", "slug": "a"}},
                   {"model": "blog.comment", "pk": 1, "fields": {}}]"#;
    let (at_, reason) = fixture_error(fixtures::load_using(json, "fixtures-unknown").unwrap_err());
    assert_eq!(at_, at(1, Some("blog.comment"), None));
    assert!(
        reason.contains("unknown model") && reason.contains("blog.entry, "),
        "{reason}"
    );

    let json = r#"[{"model": "blog.entry", "pk": 1, "fields": {"title": "A", "slug": "a", "titel": "B"}}]"#;
    let (at_, reason) = fixture_error(fixtures::load_using(json, "fixtures-unknown").unwrap_err());
    assert_eq!(at_, at(0, Some("blog.entry"), Some("titel")));
    assert!(reason.contains("id, title, slug, body"), "{reason}");

    let json = r#"[{"model": "blog.entry", "pk": 1, "feilds": {}}]"#;
    let (at_, reason) = fixture_error(fixtures::load_using(json, "fixtures-unknown").unwrap_err());
    assert_eq!(at_, at(0, Some("blog.entry"), None));
    assert!(reason.contains("unknown key \"feilds\""), "{reason}");

    for json in [r#"[{"pk": 1}]"#, r#"[[1]]"#, r#"[{"model": 3}]"#] {
        let (at_, _) = fixture_error(fixtures::load_using(json, "fixtures-unknown").unwrap_err());
        assert_eq!(at_, at(0, None, None), "{json}");
    }
    assert_eq!(count("fixtures-unknown", "blog_entry"), 0);
}

#[test]
fn missing_fields_get_their_default_or_none_or_fail() -> clarion::Result<()> {
    let _db = database("fixtures-missing");
    // No pk (auto key), no body (an Option), no rank/rating/published/cover/extra (defaults).
    let json = r#"[{"model": "blog.entry", "fields": {"title": "A", "slug": "a"}}]"#;
    fixtures::load_using(json, "fixtures-missing")?;
    let dumped = fixtures::dump_using(&["blog.entry"], "fixtures-missing")?;
    assert_eq!(
        dumped,
        r#"[
{
  "model": "blog.entry",
  "pk": 1,
  "fields": {
    "title": "A",
    "slug": "a",
    "body": null,
    "rank": 0,
    "rating": 2.5,
    "published": true,
    "cover": "",
    "extra": {}
  }
}
]
"#
    );

    let json = r#"[{"model": "blog.entry", "pk": 5, "fields": {"slug": "b"}}]"#;
    let (at_, reason) = fixture_error(fixtures::load_using(json, "fixtures-missing").unwrap_err());
    assert_eq!(at_, at(0, Some("blog.entry"), Some("title")));
    assert!(reason.contains("missing field"), "{reason}");

    // A key the user chooses has no default.
    let json = r#"[{"model": "blog.tag", "fields": {"uses": 1}}]"#;
    let (at_, reason) = fixture_error(fixtures::load_using(json, "fixtures-missing").unwrap_err());
    assert_eq!(at_, at(0, Some("blog.tag"), Some("name")));
    assert!(reason.contains("missing \"pk\""), "{reason}");
    assert_eq!(count("fixtures-missing", "blog_entry"), 1);
    Ok(())
}

#[test]
fn malformed_json_names_the_record_and_position() {
    let _db = database("fixtures-malformed");
    let json = "[\n{\"model\": \"blog.tag\", \"pk\": \"a\", \"fields\": {\"uses\": 1}},\n{\"model\": \"blog.tag\",, }\n]";
    let (at_, reason) =
        fixture_error(fixtures::load_using(json, "fixtures-malformed").unwrap_err());
    assert_eq!(at_, at(1, None, None));
    assert!(
        reason.starts_with("invalid JSON") && reason.contains("line 3 column"),
        "{reason}"
    );
    for json in ["", "{}", "[] []", "[{]"] {
        let (at_, _) = fixture_error(fixtures::load_using(json, "fixtures-malformed").unwrap_err());
        assert_eq!(at_, at(0, None, None), "{json:?}");
    }
    assert_eq!(count("fixtures-malformed", "blog_tag"), 0);
    assert_eq!(
        fixtures::load_using("[]", "fixtures-malformed").unwrap(),
        Loaded::default()
    );
}

#[test]
fn dump_orders_by_label_then_key_and_round_trips() -> clarion::Result<()> {
    let _a = database("fixtures-dump-a");
    let _b = database("fixtures-dump-b");
    fixtures::load_using(&fixture("blog.json"), "fixtures-dump-a")?;
    let dumped = fixtures::dump_using(&[], "fixtures-dump-a")?;
    let records: Vec<serde_json::Value> = serde_json::from_str(&dumped).unwrap();
    let order: Vec<(&str, String)> = records
        .iter()
        .map(|r| (r["model"].as_str().unwrap(), r["pk"].to_string()))
        .collect();
    assert_eq!(
        order,
        [
            ("blog.entry", "1".to_owned()),
            ("blog.entry", "2".to_owned()),
            ("blog.tag", "\"django\"".to_owned()),
            ("blog.tag", "\"rust\"".to_owned()),
        ]
    );
    // Django's forms: bool, base64, nested JSON, a float stays a float.
    let first = &records[0]["fields"];
    assert_eq!(first["published"], false);
    assert_eq!(first["rating"].to_string(), "1.0");
    assert_eq!(first["extra"], "just a string");
    assert_eq!(records[1]["fields"]["cover"], "AAEC/w==");
    assert_eq!(records[1]["fields"]["extra"]["n"][1], 2.5);
    assert!(dumped.starts_with("[\n{\n  \"model\": \"blog.entry\",\n  \"pk\": 1,\n  \"fields\": {\n    \"title\": \"First\",\n"));
    assert!(dumped.ends_with("  }\n}\n]\n"));

    fixtures::load_using(&dumped, "fixtures-dump-b")?;
    assert_eq!(fixtures::dump_using(&[], "fixtures-dump-b")?, dumped);

    // Labels: a model's, an app's, in any case; an unknown one is an error.
    let tags = fixtures::dump_using(&["BLOG.TAG"], "fixtures-dump-a")?;
    assert_eq!(tags.matches("\"model\"").count(), 2);
    assert_eq!(fixtures::dump_using(&["blog"], "fixtures-dump-a")?, dumped);
    let error = fixtures::dump_using(&["shop.order"], "fixtures-dump-a").unwrap_err();
    assert!(error.to_string().contains("`shop.order`"), "{error}");
    Ok(())
}

#[test]
fn the_default_database_and_files() -> clarion::Result<()> {
    // The only test of this binary that uses the default database.
    db::register(backend::fresh(db::DEFAULT_ALIAS));
    clarion::migrate()?;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/blog.json");
    assert_eq!(fixtures::load_file(&path)?.count, 4);
    fixtures::load(ONE_ENTRY)?;
    let dumped = fixtures::dump(&["blog.entry"])?;
    assert!(dumped.contains("\"title\": \"A\""));
    let error = fixtures::load_file("tests/fixtures/no-such-file.json").unwrap_err();
    assert!(
        matches!(&error, Error::Other(_)) && error.to_string().contains("no-such-file.json"),
        "{error}"
    );
    Ok(())
}

#[cfg(all(feature = "chrono", feature = "uuid"))]
mod dates_and_uuids {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use fixture_models::Event;

    #[test]
    fn a_django_dumpdata_file_loads() -> clarion::Result<()> {
        let _db = database("fixtures-django");
        let loaded = fixtures::load_using(&fixture("django_dumpdata.json"), "fixtures-django")?;
        assert_eq!(loaded.count, 5);
        assert_eq!(
            loaded.per_model.into_iter().collect::<Vec<_>>(),
            [("blog.entry", 2), ("blog.event", 2), ("blog.tag", 1)]
        );

        // Stored as Django stores them in SQLite; PostgreSQL's `uuid`, `date` and `timestamp`
        // columns read back in the same text forms.
        let stored = db::atomic_using("fixtures-django", |tx| {
            tx.query_values(
                "SELECT id, day, starts, created, ends FROM blog_event ORDER BY id",
                &[],
            )
        })?;
        let text = |s: &str| Value::from(s);
        assert_eq!(
            stored[0],
            [
                text("a8098c1af86e11dabd1a00112444be1e"),
                text("2024-05-01"),
                text("2024-05-01 12:30:00"),
                text("2024-05-01 12:30:00.123"),
                Value::Null
            ]
        );
        assert_eq!(stored[1][4], text("2025-01-01 01:30:00.500"));

        // A model saved from Rust values dumps exactly as the loaded record does.
        let _rust = database("fixtures-django-rust");
        let day = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
        let starts = day.and_hms_opt(12, 30, 0).unwrap();
        let mut event = Event {
            id: "a8098c1a-f86e-11da-bd1a-00112444be1e".parse().unwrap(),
            day,
            starts,
            created: Utc.from_utc_datetime(&day.and_hms_milli_opt(12, 30, 0, 123).unwrap()),
            ends: None,
        };
        event.save_with(SaveOptions::new().using("fixtures-django-rust"))?;
        let from_rust = fixtures::dump_using(&["blog.event"], "fixtures-django-rust")?;
        let from_fixture = fixtures::dump_using(&["blog.event"], "fixtures-django")?;
        assert!(
            from_fixture.starts_with(from_rust.trim_end_matches("\n]\n")),
            "{from_rust}"
        );

        let entry = row(
            "fixtures-django",
            "SELECT body, cover, extra FROM blog_entry WHERE id = 1",
        );
        let extra = match backend::backend() {
            Backend::Sqlite => r#"{"featured":null,"tags":["intro","news"],"views":12}"#,
            // `jsonb` reads back in PostgreSQL's own text form: keys by length, then bytes.
            _ => r#"{"tags": ["intro", "news"], "views": 12, "featured": null}"#,
        };
        assert_eq!(
            entry,
            [
                Value::from("First post.\nIt has \"quotes\", a backslash \\ and ünïcödé."),
                Value::Bytes(b"\x89PNG\r\n\x1a\n".to_vec()),
                Value::from(extra),
            ]
        );
        Ok(())
    }

    #[test]
    fn dates_and_uuids_dump_in_djangos_forms_and_round_trip() -> clarion::Result<()> {
        let _a = database("fixtures-dates-a");
        let _b = database("fixtures-dates-b");
        fixtures::load_using(&fixture("django_dumpdata.json"), "fixtures-dates-a")?;
        let dumped = fixtures::dump_using(&["blog.event"], "fixtures-dates-a")?;
        assert_eq!(
            dumped,
            r#"[
{
  "model": "blog.event",
  "pk": "a8098c1a-f86e-11da-bd1a-00112444be1e",
  "fields": {
    "day": "2024-05-01",
    "starts": "2024-05-01T12:30:00",
    "created": "2024-05-01T12:30:00.123Z",
    "ends": null
  }
},
{
  "model": "blog.event",
  "pk": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
  "fields": {
    "day": "2024-12-31",
    "starts": "2024-12-31T23:00:00",
    "created": "2024-11-02T08:15:42Z",
    "ends": "2025-01-01T01:30:00.500"
  }
}
]
"#
        );
        let everything = fixtures::dump_using(&[], "fixtures-dates-a")?;
        fixtures::load_using(&everything, "fixtures-dates-b")?;
        assert_eq!(fixtures::dump_using(&[], "fixtures-dates-b")?, everything);
        Ok(())
    }
}

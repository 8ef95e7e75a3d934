//! Hostile values and database faults: text that looks like SQL, quotes, NULs and unusual
//! Unicode round-trips exactly (values are always bound, never spliced); values too long or of
//! the wrong type are refused before anything is written; a full disk and a read-only database
//! give clear errors, leave nothing half-written, and the database works again afterwards.
//!
//! `cargo test --test reliability_input -- --nocapture` prints the figures recorded in
//! docs/reliability.md.

#[path = "support/memory_db.rs"]
mod memory_db;

use clarion::db::{self, Backend, Database};
use clarion::models::Instance;
use clarion::prelude::*;
use clarion::{Error, Value};
use memory_db::backend::backend;
use memory_db::database;

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "input", many_to_many(tags = Tag))]
pub struct Note {
    pub id: Option<i64>,
    #[model(max_length = 40)]
    pub title: String,
    pub body: String,
    pub count: i64,
    pub small: Option<u8>,
    pub data: Vec<u8>,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "input")]
pub struct Tag {
    #[model(primary_key)]
    pub name: String,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone)]
#[model(app_label = "input")]
pub struct Measure {
    pub id: Option<i64>,
    pub value: f64,
    pub maybe: Option<f64>,
    pub single: f32,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "input")]
pub struct Document {
    pub id: Option<i64>,
    pub data: serde_json::Value,
}

/// Texts that break code which splices values into SQL, or mangles encodings.
const HOSTILE: &[&str] = &[
    "",
    " ",
    "'",
    "''",
    "\"",
    "\\",
    "'; DROP TABLE note; --",
    "\" OR 1=1 --",
    "Robert'); DELETE FROM note WHERE ('1' = '1",
    "%",
    "_",
    "100%_sure",
    "a\0b",
    "\0",
    "line\nbreak\r\ncrlf\ttab",
    "é (precomposed) e\u{301} (combining)",
    "日本語のテキスト",
    "emoji 🦀👩‍👩‍👧‍👦 flags 🇫🇷",
    "\u{202E}right-to-left override",
    "zero\u{200B}width\u{FEFF}bom",
    "\u{FFFD}replacement",
    "𝕌𝕟𝕚𝕔𝕠𝕕𝕖 outside the BMP",
    "$1 ?1 :name @p ?",
    "/* comment */ -- comment",
];

fn note(title: &str, body: &str) -> Note {
    Note {
        id: None,
        title: title.into(),
        body: body.into(),
        count: 0,
        small: None,
        data: body.as_bytes().to_vec(),
    }
}

fn count(alias: &str) -> usize {
    Note::objects().using(alias.to_owned()).count().unwrap()
}

#[test]
fn hostile_text_round_trips_exactly_through_saves_filters_relations_and_fixtures() {
    let alias = database("input_hostile");
    let mut checked = 0;
    let mut refused = 0;
    for text in HOSTILE {
        let title: String = text.chars().take(40).collect();
        let mut saved = note(&title, text);
        if text.contains('\0') && backend() == Backend::Postgres {
            // PostgreSQL's text cannot hold a NUL: refused before it reaches the server, with
            // a message that says so, and nothing written (Django refuses it too).
            let error = saved
                .save_with(SaveOptions::new().using(alias))
                .unwrap_err();
            assert!(error.to_string().contains("NUL character"), "{error}");
            assert_eq!(saved.id, None);
            let error = Note::objects()
                .using(alias)
                .filter(Note::BODY.eq(*text))
                .count()
                .unwrap_err();
            assert!(error.to_string().contains("NUL character"), "{error}");
            refused += 1;
            continue;
        }
        saved.save_with(SaveOptions::new().using(alias)).unwrap();
        let loaded = Note::objects()
            .using(alias)
            .filter(Note::ID.eq(saved.id))
            .get()
            .unwrap();
        assert_eq!(loaded, saved, "{text:?} round-trips");
        // The value as a filter finds exactly its row.
        let found = Note::objects()
            .using(alias)
            .filter(Note::BODY.eq(*text))
            .all()
            .unwrap();
        assert!(found.iter().all(|n| n.body == *text), "{text:?}");
        assert!(found.iter().any(|n| n.id == saved.id), "{text:?}");
        // As a primary key of another model, related through a join table.
        let mut tag = Tag {
            name: format!("tag {text}"),
        };
        tag.save_with(SaveOptions::new().using(alias)).unwrap();
        saved.tags().using(alias).add([&tag]).unwrap();
        assert_eq!(
            saved.tags().using(alias).keys().unwrap(),
            [Value::Text(tag.name.clone())]
        );
        checked += 1;
    }
    // `contains` treats `%` and `_` as plain characters.
    let percent = Note::objects()
        .using(alias)
        .filter(Note::BODY.contains("%"))
        .count()
        .unwrap();
    assert_eq!(percent, 2, "\"%\" and \"100%_sure\"");
    // The table is intact, and a dump loads back into an empty database identically.
    assert_eq!(count(alias), HOSTILE.len() - refused);
    let dumped = clarion::fixtures::dump_using(&["input"], alias).unwrap();
    let copy = database("input_hostile_copy");
    clarion::fixtures::load_using(&dumped, copy).unwrap();
    assert_eq!(
        clarion::fixtures::dump_using(&["input"], copy).unwrap(),
        dumped
    );
    println!(
        "reliability ({:?}): {checked} hostile texts round-tripped through save, filter, a text key, a join table and a fixture; {refused} refused before the write (NUL on PostgreSQL)",
        backend()
    );
}

/// Every text lookup, by its Django name, with what it means in Rust: the rows it must match.
type TextLookup = (
    &'static str,
    fn(&str) -> clarion::query::Filter<Note>,
    fn(&str, &str) -> bool,
);

fn folded(text: &str) -> String {
    text.to_ascii_lowercase()
}

const TEXT_LOOKUPS: &[TextLookup] = &[
    (
        "iexact",
        |n| Note::BODY.iexact(n),
        |t, n| folded(t) == folded(n),
    ),
    ("contains", |n| Note::BODY.contains(n), |t, n| t.contains(n)),
    (
        "icontains",
        |n| Note::BODY.icontains(n),
        |t, n| folded(t).contains(&folded(n)),
    ),
    (
        "startswith",
        |n| Note::BODY.startswith(n),
        |t, n| t.starts_with(n),
    ),
    (
        "istartswith",
        |n| Note::BODY.istartswith(n),
        |t, n| folded(t).starts_with(&folded(n)),
    ),
    (
        "endswith",
        |n| Note::BODY.endswith(n),
        |t, n| t.ends_with(n),
    ),
    (
        "iendswith",
        |n| Note::BODY.iendswith(n),
        |t, n| folded(t).ends_with(&folded(n)),
    ),
];

#[test]
fn every_text_lookup_matches_hostile_needles_literally_on_both_engines() {
    let alias = database("input_lookups");
    // Every hostile text is a row (but those with a NUL on PostgreSQL, which cannot store one),
    // and a needle; so are a few fragments that would be wildcards or escapes in a pattern.
    let mut stored = Vec::new();
    for text in HOSTILE {
        if text.contains('\0') && backend() == Backend::Postgres {
            continue;
        }
        let mut saved = note("hostile", text);
        saved.save_with(SaveOptions::new().using(alias)).unwrap();
        stored.push((saved.id.unwrap(), *text));
    }
    let fragments = [
        "%_", "\\%", "_sure", "ROBERT'", "OR 1=1", "e\u{301}", "É", "🦀👩", "\0b",
    ];
    let mut checked = 0;
    for needle in HOSTILE.iter().chain(&fragments) {
        for (name, lookup, holds) in TEXT_LOOKUPS {
            let query = Note::objects().using(alias).filter(lookup(needle));
            let mut found: Vec<i64> = query.iter().unwrap().map(|n| n.id.unwrap()).collect();
            found.sort_unstable();
            let expected: Vec<i64> = stored
                .iter()
                .filter(|(_, text)| holds(text, needle))
                .map(|(id, _)| *id)
                .collect();
            assert_eq!(found, expected, "{name} {needle:?}");
            // The negation matches the other rows.
            let others = Note::objects()
                .using(alias)
                .exclude(lookup(needle))
                .count()
                .unwrap();
            assert_eq!(
                others,
                stored.len() - expected.len(),
                "not {name} {needle:?}"
            );
            checked += 1;
        }
    }
    // `range` compares as `gte` and `lte` do: a hostile text as both bounds finds exactly its
    // rows. Its bounds are bound values like `eq`'s, so a NUL is refused on PostgreSQL, as `eq`
    // refuses it, with the same message.
    for text in HOSTILE {
        let query = Note::objects()
            .using(alias)
            .filter(Note::BODY.range(*text, *text));
        if text.contains('\0') && backend() == Backend::Postgres {
            let error = query.count().unwrap_err();
            assert!(error.to_string().contains("NUL character"), "{error}");
            continue;
        }
        let mut found: Vec<i64> = query.iter().unwrap().map(|n| n.id.unwrap()).collect();
        found.sort_unstable();
        let expected: Vec<i64> = stored
            .iter()
            .filter(|(_, stored)| stored == text)
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(found, expected, "range {text:?}");
        checked += 1;
    }
    println!(
        "reliability ({:?}): {checked} lookups of hostile needles matched exactly the rows Rust's str methods pick, over {} rows",
        backend(),
        stored.len()
    );
}

/// The same float, NaN included (NaN is not equal to itself, so `==` cannot say it).
fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

#[test]
fn nan_and_infinities_round_trip_filter_sort_and_dump_alike_on_both_engines() {
    let alias = database("input_floats");
    let specials = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 1.5];
    let mut ids = Vec::new();
    for x in specials {
        let mut saved = Measure {
            id: None,
            value: x,
            maybe: Some(x),
            single: x as f32,
        };
        saved.save_with(SaveOptions::new().using(alias)).unwrap();
        let loaded = Measure::objects()
            .using(alias)
            .filter(Measure::ID.eq(saved.id))
            .get()
            .unwrap();
        assert!(same(loaded.value, x), "{x} came back as {}", loaded.value);
        let maybe = loaded.maybe.expect("Some(x) is not read back as None");
        assert!(same(maybe, x), "Some({x}) came back as Some({maybe})");
        assert!(
            same(f64::from(loaded.single), f64::from(x as f32)),
            "{x} as f32 came back as {}",
            loaded.single
        );
        ids.push(saved.id);
    }
    let mut none = Measure {
        id: None,
        value: 0.0,
        maybe: None,
        single: 0.0,
    };
    none.save_with(SaveOptions::new().using(alias)).unwrap();
    let loaded = Measure::objects()
        .using(alias)
        .filter(Measure::ID.eq(none.id))
        .get()
        .unwrap();
    assert_eq!(loaded.maybe, None);

    // NaN equals NaN and sorts above every number, as on PostgreSQL.
    let q = || Measure::objects().using(alias);
    let keys = |measures: Vec<Measure>| measures.into_iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(
        keys(q().filter(Measure::VALUE.eq(f64::NAN)).all().unwrap()),
        [ids[0]]
    );
    assert_eq!(
        keys(q().filter(Measure::MAYBE.eq(f64::NAN)).all().unwrap()),
        [ids[0]]
    );
    assert_eq!(
        keys(q().filter(Measure::MAYBE.eq(f64::INFINITY)).all().unwrap()),
        [ids[1]]
    );
    assert_eq!(
        keys(
            q().filter(Measure::VALUE.gt(f64::MAX))
                .order_by(Measure::ID)
                .all()
                .unwrap()
        ),
        [ids[0], ids[1]]
    );
    assert_eq!(
        keys(q().filter(Measure::VALUE.lt(f64::NAN)).all().unwrap()).len(),
        specials.len(),
        "every number is below NaN"
    );
    assert_eq!(
        keys(
            q().filter(Measure::MAYBE.is_null(false))
                .order_by(Measure::VALUE)
                .all()
                .unwrap()
        ),
        [ids[2], ids[3], ids[4], ids[1], ids[0]],
        "-inf, -0.0, 1.5, inf, NaN"
    );

    // A query set update writes NaN too.
    q().filter(Measure::ID.eq(ids[4]))
        .update(&[Measure::MAYBE.set(f64::NAN)])
        .unwrap();
    let updated = q().filter(Measure::ID.eq(ids[4])).get().unwrap();
    assert!(updated.maybe.is_some_and(f64::is_nan), "{updated:?}");

    // A dump has the same text on both engines, and loads back identically.
    let dumped = clarion::fixtures::dump_using(&["input.measure"], alias).unwrap();
    assert!(dumped.contains("\"value\": \"NaN\""), "{dumped}");
    assert!(dumped.contains("\"value\": \"Infinity\""), "{dumped}");
    assert!(dumped.contains("\"value\": \"-Infinity\""), "{dumped}");
    let copy = database("input_floats_copy");
    clarion::fixtures::load_using(&dumped, copy).unwrap();
    assert_eq!(
        clarion::fixtures::dump_using(&["input.measure"], copy).unwrap(),
        dumped
    );
    let reloaded = Measure::objects()
        .using(copy)
        .filter(Measure::ID.eq(ids[0]))
        .get()
        .unwrap();
    assert!(reloaded.value.is_nan() && reloaded.maybe.is_some_and(f64::is_nan));
}

#[test]
fn json_with_a_nul_is_refused_up_front_on_postgres_and_stored_on_sqlite() {
    use serde_json::json;
    let alias = database("input_json_nul");
    // A NUL deep inside: the check walks the value without recursing.
    let mut deep = json!(["deep \u{0}"]);
    for _ in 0..4_000 {
        deep = serde_json::Value::Array(vec![deep]);
    }
    let values = [
        json!("\u{0}"),
        json!({"key \u{0} with a NUL": 1}),
        json!({"list": [1, "fine", {"inner": ["nul \u{0} inside"]}]}),
        deep,
    ];
    let mut refused = 0;
    for (i, data) in values.into_iter().enumerate() {
        let mut document = Document { id: None, data };
        if backend() == Backend::Postgres {
            // jsonb cannot hold `\u0000`: refused before it reaches the server, so the
            // transaction it was saved in goes on.
            let kept = db::atomic_using(alias, |_| {
                let error = document
                    .save_with(SaveOptions::new().using(alias))
                    .unwrap_err();
                assert!(error.to_string().contains("NUL character"), "{i}: {error}");
                assert_eq!(document.id, None);
                let mut next = Document {
                    id: None,
                    data: json!({"after": i}),
                };
                next.save_with(SaveOptions::new().using(alias))?;
                Ok(next)
            })
            .unwrap();
            assert_eq!(
                Document::objects()
                    .using(alias)
                    .filter(Document::ID.eq(kept.id))
                    .get()
                    .unwrap(),
                kept
            );
            refused += 1;
        } else if i < 3 {
            // SQLite's text holds it (the deep value is past serde_json's parsing depth).
            document.save_with(SaveOptions::new().using(alias)).unwrap();
            let loaded = Document::objects()
                .using(alias)
                .filter(Document::ID.eq(document.id))
                .get()
                .unwrap();
            assert_eq!(loaded, document, "{i} round-trips");
        }
    }
    // PostgreSQL: the document saved after each refused one; SQLite: the three shallow ones.
    let stored = Document::objects().using(alias).count().unwrap();
    assert_eq!(stored, if refused > 0 { refused } else { 3 });
}

#[test]
fn values_too_long_or_of_the_wrong_type_are_refused_before_the_write() {
    let alias = database("input_refused");
    let mut refused = 0;
    // `max_length` counts characters, not bytes.
    let mut fits = note(&"é".repeat(40), "");
    fits.save_with(SaveOptions::new().using(alias)).unwrap();
    for title in [
        "é".repeat(41),
        "x".repeat(41),
        "🦀".repeat(41),
        "a".repeat(10_000),
    ] {
        let error = note(&title, "")
            .save_with(SaveOptions::new().using(alias))
            .unwrap_err();
        assert!(
            matches!(&error, Error::Validation { field, .. } if field == "title"),
            "{error:?}"
        );
        refused += 1;
    }
    // Through a query set update too.
    let error = Note::objects()
        .using(alias)
        .update(&[Note::TITLE.set("y".repeat(41))])
        .unwrap_err();
    assert!(matches!(error, Error::Validation { .. }), "{error:?}");
    refused += 1;
    // Dynamic values of the wrong type, or out of range.
    let mut dynamic: Box<dyn Instance> = Box::new(note("t", "b"));
    for (field, value) in [
        ("count", Value::Text("three".into())),
        ("count", Value::Float(1.5)),
        ("small", Value::Int(256)),
        ("small", Value::Int(-1)),
        ("title", Value::Int(3)),
        ("data", Value::Int(3)),
        ("id", Value::Text("1".into())),
    ] {
        let error = dynamic.set(field, value.clone()).unwrap_err();
        assert!(
            matches!(&error, Error::Validation { field: f, .. } if f == field),
            "{field} = {value:?}: {error:?}"
        );
        refused += 1;
    }
    assert!(matches!(
        dynamic.set("nope", Value::Null).unwrap_err(),
        Error::UnknownField { .. }
    ));
    refused += 1;
    // Extreme numbers are stored exactly.
    for n in [i64::MIN, i64::MAX, 0, -1] {
        let mut extreme = note("n", "");
        extreme.count = n;
        extreme.small = Some(u8::MAX);
        extreme.save_with(SaveOptions::new().using(alias)).unwrap();
        let loaded = Note::objects()
            .using(alias)
            .filter(Note::ID.eq(extreme.id))
            .get()
            .unwrap();
        assert_eq!(loaded, extreme);
    }
    assert_eq!(count(alias), 5, "only the rows that fit were written");
    println!("reliability: {refused} invalid values refused before any write");
}

/// Limits the database (its one connection) to its current size plus `extra_pages` pages.
fn limit_pages(alias: &str, extra_pages: i64) {
    db::atomic_using(alias, |tx| {
        let pages: i64 = tx.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        tx.execute_batch(&format!("PRAGMA max_page_count = {}", pages + extra_pages))
    })
    .unwrap();
}

#[test]
fn a_full_disk_fails_cleanly_and_leaves_nothing_half_written() {
    if backend() != Backend::Sqlite {
        // SQLite's `max_page_count` stands in for a full disk; a server's disk is not the
        // test's to fill.
        return;
    }
    let alias = database("input_full");
    let mut first = note("first", "kept");
    first.save_with(SaveOptions::new().using(alias)).unwrap();
    let mut tag = Tag { name: "t".into() };
    tag.save_with(SaveOptions::new().using(alias)).unwrap();
    limit_pages(alias, 2);
    let big = "x".repeat(64 * 1024);

    // One transaction of several saves and a relation: the disk fills in the middle.
    let error = db::atomic_using(alias, |_| {
        for i in 0..20 {
            let mut n = note(&format!("big {i}"), &big);
            n.save_with(SaveOptions::new().using(alias))?;
            n.tags().using(alias).add([&tag])?;
        }
        Ok(())
    })
    .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("full"), "a clear error: {text}");
    assert_eq!(count(alias), 1, "nothing of the failed transaction is kept");
    assert!(first.tags().using(alias).keys().unwrap().is_empty());

    // Space again: the same database works.
    limit_pages(alias, 10_000);
    let mut after = note("after", &big);
    after.save_with(SaveOptions::new().using(alias)).unwrap();
    after.tags().using(alias).add([&tag]).unwrap();
    assert_eq!(count(alias), 2);
    println!(
        "reliability: disk full during a 20-save transaction: clear error ({text}), nothing kept, database usable after"
    );
}

#[test]
fn a_read_only_database_refuses_writes_clearly_and_reads_go_on() {
    if backend() != Backend::Sqlite {
        // A read-only SQLite file; see `postgres_faults.rs` for the server's faults.
        return;
    }
    // A file, so that a new pool can reopen it. `PRAGMA query_only` makes the connection read
    // only, as a read-only file would (the tests may run as root, whom file modes do not stop).
    let dir = std::env::temp_dir().join(format!("clarion-read-only-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notes.db");
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}", path.display());
    let alias = "input_read_only";
    db::register(Database::open_as(alias, &url).unwrap());
    clarion::migrate_using(alias).unwrap();
    let mut kept = note("kept", "");
    kept.save_with(SaveOptions::new().using(alias)).unwrap();
    db::atomic_using(alias, |tx| tx.execute_batch("PRAGMA query_only = ON")).unwrap();

    let mut refused = 0;
    let attempts: Vec<Box<dyn Fn() -> clarion::Result<()>>> = vec![
        Box::new(|| note("new", "").save_with(SaveOptions::new().using(alias))),
        Box::new(|| {
            let mut k = kept.clone();
            k.body = "changed".into();
            k.save_with(SaveOptions::new().using(alias))
        }),
        Box::new(|| kept.clone().delete_using(alias).map(drop)),
        Box::new(|| Note::objects().using(alias).delete().map(drop)),
    ];
    for attempt in &attempts {
        let error = attempt().unwrap_err();
        assert!(error.to_string().contains("readonly"), "{error}");
        refused += 1;
    }
    assert_eq!(
        Note::objects().using(alias).get().unwrap(),
        kept,
        "reads go on"
    );

    // A new pool on the same file: everything is there, and writes work.
    db::register(Database::open_as(alias, &url).unwrap());
    assert_eq!(Note::objects().using(alias).get().unwrap(), kept);
    note("writable", "")
        .save_with(SaveOptions::new().using(alias))
        .unwrap();
    assert_eq!(count(alias), 2);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "reliability: {refused} writes refused by a read-only connection, reads unaffected, \
         writes resume with a new pool"
    );
}

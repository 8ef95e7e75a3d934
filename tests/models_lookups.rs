//! Text lookups, `range`, `distinct`, aggregates, grouping, projections and pagination, on
//! every backend (`tests/postgres_models_lookups.rs` runs this file on PostgreSQL).
//!
//! Each test opens its own fresh database under its own alias: tests run in parallel threads of
//! this one binary.

#[path = "support/memory_db.rs"]
mod memory_db;

use clarion::prelude::*;
use clarion::query::QuerySet;
use memory_db::database;

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "lookups")]
pub struct Entry {
    pub id: Option<i64>,
    pub title: String,
    pub subtitle: Option<String>,
    pub views: Option<i64>,
    pub score: f64,
}

/// Titles that tell case-sensitive from ASCII-folded from Unicode-folded matching, and plain
/// characters from wildcards.
const TITLES: &[&str] = &[
    "Rust Signals",
    "rust tips",
    "RUSTY nails",
    "Café au lait",
    "CAFÉ NOIR",
    "naïve ÉCOLE",
    "100% pure_fun",
    "back\\slash",
    "it's \"quoted\"",
    "emoji 🦀 crab",
    "",
];

/// A fresh database with one entry per title; the subtitle is the title reversed for every
/// other entry and `NULL` for the rest; views count up from 0, with `NULL` for the last.
fn seeded(alias: &'static str) -> &'static str {
    database(alias);
    for (i, title) in TITLES.iter().enumerate() {
        let mut entry = Entry {
            id: None,
            title: (*title).to_owned(),
            subtitle: (i % 2 == 0).then(|| title.chars().rev().collect()),
            views: (i + 1 < TITLES.len()).then_some(i as i64),
            score: i as f64 / 2.0,
        };
        entry.save_with(SaveOptions::new().using(alias)).unwrap();
    }
    alias
}

fn entries(alias: &'static str) -> QuerySet<Entry> {
    Entry::objects().using(alias)
}

/// The titles the query set matches, sorted.
fn titles(query: QuerySet<Entry>) -> Vec<String> {
    let mut titles: Vec<String> = query.iter().unwrap().map(|e| e.title).collect();
    titles.sort();
    titles
}

/// The titles of [`TITLES`] that `keep` accepts, sorted: what a lookup must return.
fn expected(keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut titles: Vec<String> = TITLES
        .iter()
        .filter(|t| keep(t))
        .map(|t| (*t).to_owned())
        .collect();
    titles.sort();
    titles
}

#[test]
fn case_sensitive_lookups_match_case_exactly() {
    let db = seeded("lk_case");
    let q = || entries(db);
    assert_eq!(
        titles(q().filter(Entry::TITLE.contains("Rust"))),
        ["Rust Signals"]
    );
    assert_eq!(
        titles(q().filter(Entry::TITLE.startswith("rust"))),
        ["rust tips"]
    );
    assert_eq!(
        titles(q().filter(Entry::TITLE.endswith("nails"))),
        ["RUSTY nails"]
    );
    assert!(titles(q().filter(Entry::TITLE.endswith("NAILS"))).is_empty());
    assert_eq!(
        titles(q().filter(Entry::TITLE.contains("É"))),
        ["CAFÉ NOIR", "naïve ÉCOLE"]
    );
}

#[test]
fn case_insensitive_lookups_fold_ascii_letters_only() {
    let db = seeded("lk_icase");
    let q = || entries(db);
    assert_eq!(
        titles(q().filter(Entry::TITLE.icontains("rUsT"))),
        ["RUSTY nails", "Rust Signals", "rust tips"]
    );
    assert_eq!(
        titles(q().filter(Entry::TITLE.istartswith("RUST "))),
        ["Rust Signals", "rust tips"]
    );
    assert_eq!(
        titles(q().filter(Entry::TITLE.iendswith("NAILS"))),
        ["RUSTY nails"]
    );
    assert_eq!(
        titles(q().filter(Entry::TITLE.iexact("RUST TIPS"))),
        ["rust tips"]
    );
    assert!(titles(q().filter(Entry::TITLE.iexact("rust"))).is_empty());
    // "é" and "É" are different letters: only the ASCII letters around them fold.
    assert_eq!(
        titles(q().filter(Entry::TITLE.icontains("café"))),
        ["Café au lait"]
    );
    assert_eq!(
        titles(q().filter(Entry::TITLE.icontains("cafÉ"))),
        ["CAFÉ NOIR"]
    );
    assert_eq!(
        titles(q().filter(Entry::TITLE.iexact("NAïVE ÉCOLE"))),
        ["naïve ÉCOLE"]
    );
    assert!(titles(q().filter(Entry::TITLE.iexact("NAÏVE ÉCOLE"))).is_empty());
    assert!(titles(q().filter(Entry::TITLE.iexact("naïve école"))).is_empty());
    // What Rust's ASCII folding says, for every title.
    for needle in ["CAF", "é", "É", "Ï", "🦀 CRAB", "s"] {
        let folded = needle.to_ascii_lowercase();
        assert_eq!(
            titles(q().filter(Entry::TITLE.icontains(needle))),
            expected(|t| t.to_ascii_lowercase().contains(&folded)),
            "icontains {needle:?}"
        );
    }
}

#[test]
fn wildcards_quotes_and_backslashes_are_plain_characters() {
    let db = seeded("lk_literal");
    let q = || entries(db);
    for needle in [
        "%", "_", "\\", "'", "\"", "%_", "0% p", "pure_f", "🦀", "\\s", "s\"", "x%",
    ] {
        assert_eq!(
            titles(q().filter(Entry::TITLE.contains(needle))),
            expected(|t| t.contains(needle)),
            "contains {needle:?}"
        );
        assert_eq!(
            titles(q().filter(Entry::TITLE.startswith(needle))),
            expected(|t| t.starts_with(needle)),
            "startswith {needle:?}"
        );
        assert_eq!(
            titles(q().filter(Entry::TITLE.iendswith(needle))),
            expected(|t| t
                .to_ascii_lowercase()
                .ends_with(&needle.to_ascii_lowercase())),
            "iendswith {needle:?}"
        );
    }
    assert_eq!(
        titles(q().filter(Entry::TITLE.startswith("100%"))),
        ["100% pure_fun"]
    );
    assert_eq!(
        titles(q().filter(Entry::TITLE.endswith("_fun"))),
        ["100% pure_fun"]
    );
    // `_` would match any one character, and `%` any run, as `LIKE` patterns.
    assert!(titles(q().filter(Entry::TITLE.startswith("1_0"))).is_empty());
    assert!(titles(q().filter(Entry::TITLE.endswith("%"))).is_empty());
}

#[test]
fn the_empty_needle_matches_every_text_and_iexact_only_the_empty_one() {
    let db = seeded("lk_empty");
    let q = || entries(db);
    assert_eq!(
        titles(q().filter(Entry::TITLE.contains(""))),
        expected(|_| true)
    );
    assert_eq!(
        titles(q().filter(Entry::TITLE.iendswith(""))),
        expected(|_| true)
    );
    assert_eq!(titles(q().filter(Entry::TITLE.iexact(""))), [""]);
    // On a nullable column: every text, but not NULL.
    let with_subtitle = q().filter(Entry::SUBTITLE.startswith("")).count().unwrap();
    assert_eq!(with_subtitle, TITLES.len().div_ceil(2));
}

#[test]
fn lookups_on_a_nullable_column_never_match_null_and_their_negation_does() {
    let db = seeded("lk_null");
    let q = || entries(db);
    // Subtitles are the reversed titles of entries 0, 2, 4, …
    assert_eq!(
        titles(q().filter(Entry::SUBTITLE.icontains("TSUR"))),
        ["RUSTY nails", "Rust Signals"]
    );
    let excluded = titles(q().exclude(Entry::SUBTITLE.icontains("TSUR")));
    assert_eq!(excluded.len(), TITLES.len() - 2);
    assert!(
        excluded.contains(&"rust tips".to_owned()),
        "a NULL subtitle: {excluded:?}"
    );
    let subtitles: Vec<String> = TITLES
        .iter()
        .step_by(2)
        .map(|t| t.chars().rev().collect())
        .collect();
    let not_ending = q()
        .filter(!Entry::SUBTITLE.endswith("R") & Entry::SUBTITLE.is_null(false))
        .iter()
        .unwrap()
        .map(|e| e.subtitle.unwrap());
    let mut not_ending: Vec<String> = not_ending.collect();
    not_ending.sort();
    let mut expected: Vec<String> = subtitles
        .into_iter()
        .filter(|s| !s.ends_with('R'))
        .collect();
    expected.sort();
    assert_eq!(not_ending, expected);
}

#[test]
fn range_includes_both_bounds() {
    let db = seeded("lk_range");
    let q = || entries(db);
    assert_eq!(q().filter(Entry::VIEWS.range(3, 5)).count().unwrap(), 3);
    assert_eq!(q().filter(Entry::VIEWS.range(5, 5)).count().unwrap(), 1);
    assert_eq!(q().filter(Entry::VIEWS.range(5, 3)).count().unwrap(), 0);
    assert_eq!(
        q().filter(Entry::VIEWS.range(None, Some(3)))
            .count()
            .unwrap(),
        0
    );
    assert_eq!(q().filter(Entry::SCORE.range(1.0, 2.0)).count().unwrap(), 3);
    // Text in code-point order (byte order of UTF-8) on both engines.
    assert_eq!(
        titles(q().filter(Entry::TITLE.range("R", "ru"))),
        expected(|t| ("R"..="ru").contains(&t))
    );
    // The negation keeps the entry without views.
    assert_eq!(
        q().exclude(Entry::VIEWS.range(0, 100)).get().unwrap().title,
        ""
    );
}

#[test]
fn lookups_show_their_django_names() {
    let shown = format!(
        "{:?}",
        Entry::TITLE.icontains("Rust") & Entry::SUBTITLE.startswith("x")
    );
    assert_eq!(
        shown,
        r#"Filter((title icontains "rust") and (subtitle startswith "x"))"#
    );
}

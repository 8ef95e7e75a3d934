//! Text lookups, `range`, `distinct`, aggregates, grouping, projections and pagination, on
//! every backend (`tests/postgres_models_lookups.rs` runs this file on PostgreSQL).
//!
//! Each test opens its own fresh database under its own alias: tests run in parallel threads of
//! this one binary.

#[path = "support/memory_db.rs"]
mod memory_db;

use clarion::db;
use clarion::prelude::*;
use clarion::query::{Aggregate, QuerySet};
use clarion::testing;
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

/// Entries with these views and scores, and titles that say their place.
fn numbered(alias: &'static str, views: &[Option<i64>]) -> &'static str {
    database(alias);
    for (i, views) in views.iter().enumerate() {
        let mut entry = Entry {
            id: None,
            title: format!("entry {i:02}"),
            subtitle: views.map(|v| if v % 2 == 0 { "even" } else { "odd" }.to_owned()),
            views: *views,
            score: i as f64 * 1.5,
        };
        entry.save_with(SaveOptions::new().using(alias)).unwrap();
    }
    alias
}

const VIEWS: &[Option<i64>] = &[
    Some(4),
    Some(1),
    None,
    Some(9),
    Some(4),
    Some(2),
    None,
    Some(7),
];

fn present() -> impl Iterator<Item = i64> {
    VIEWS.iter().flatten().copied()
}

#[test]
fn aggregates_read_back_typed_and_skip_nulls() {
    let db = numbered("ag_typed", VIEWS);
    let q = entries(db);
    let (rows, counted, distinct) = q
        .aggregate((
            Aggregate::count(),
            Entry::VIEWS.count(),
            Entry::VIEWS.count_distinct(),
        ))
        .unwrap();
    assert_eq!(rows, VIEWS.len());
    assert_eq!(counted, present().count());
    let mut different: Vec<i64> = present().collect();
    different.sort_unstable();
    different.dedup();
    assert_eq!(distinct, different.len());
    let (sum, min, max) = q
        .aggregate((Entry::VIEWS.sum(), Entry::VIEWS.min(), Entry::VIEWS.max()))
        .unwrap();
    assert_eq!(sum, Some(present().sum::<i64>()));
    assert_eq!(min, present().min());
    assert_eq!(max, present().max());
    let avg: Option<f64> = q.aggregate(Entry::VIEWS.avg()).unwrap();
    let mean = present().sum::<i64>() as f64 / present().count() as f64;
    assert!((avg.unwrap() - mean).abs() < 1e-9, "{avg:?} {mean}");
    let scores: Option<f64> = q.aggregate(Entry::SCORE.sum()).unwrap();
    let expected: f64 = (0..VIEWS.len()).map(|i| i as f64 * 1.5).sum();
    assert_eq!(scores, Some(expected));
    let last_title: Option<String> = q.aggregate(Entry::TITLE.max()).unwrap();
    assert_eq!(last_title.as_deref(), Some("entry 07"));
}

#[test]
fn aggregates_follow_filters_and_slices_and_of_no_row_are_none() {
    let db = numbered("ag_slices", VIEWS);
    let q = || entries(db);
    let filtered = q()
        .filter(Entry::VIEWS.gte(4))
        .aggregate(Entry::VIEWS.sum())
        .unwrap();
    assert_eq!(filtered, Some(present().filter(|v| *v >= 4).sum()));
    // The two first entries by title: views 4 and 1.
    let sliced = q()
        .order_by(Entry::TITLE)
        .limit(2)
        .aggregate((Aggregate::count(), Entry::VIEWS.sum()))
        .unwrap();
    assert_eq!(sliced, (2, VIEWS[0].zip(VIEWS[1]).map(|(a, b)| a + b)));
    let skipped = q()
        .order_by(Entry::TITLE)
        .offset(6)
        .aggregate(Entry::VIEWS.max())
        .unwrap();
    assert_eq!(skipped, VIEWS[6..].iter().flatten().max().copied());
    for empty in [q().filter(Entry::VIEWS.gt(100)), q().none()] {
        let nothing = empty
            .aggregate((
                Aggregate::count(),
                Entry::VIEWS.sum(),
                Entry::VIEWS.avg(),
                Entry::TITLE.min(),
            ))
            .unwrap();
        assert_eq!(nothing, (0, None, None, None));
    }
}

#[test]
fn a_sum_beyond_i64_is_an_error_on_both_engines() {
    let db = numbered("ag_overflow", &[Some(i64::MAX), Some(1)]);
    let error = entries(db).aggregate(Entry::VIEWS.sum()).unwrap_err();
    let text = error.to_string().to_lowercase();
    assert!(
        text.contains("overflow") || text.contains("out of range"),
        "{error}"
    );
}

#[test]
fn group_by_counts_and_aggregates_per_key_null_last() {
    let db = numbered("ag_group", VIEWS);
    let q = || entries(db);
    let by_parity = q().group_by(Entry::SUBTITLE).count().unwrap();
    let even = present().filter(|v| v % 2 == 0).count();
    let odd = present().filter(|v| v % 2 != 0).count();
    let nulls = VIEWS.len() - even - odd;
    assert_eq!(
        by_parity,
        [
            (Some("even".to_owned()), even),
            (Some("odd".to_owned()), odd),
            (None, nulls)
        ]
    );
    let sums = q()
        .filter(Entry::VIEWS.is_null(false))
        .group_by(Entry::SUBTITLE)
        .aggregate((Entry::VIEWS.sum(), Entry::VIEWS.max()))
        .unwrap();
    assert_eq!(
        sums,
        [
            (
                Some("even".to_owned()),
                (
                    Some(present().filter(|v| v % 2 == 0).sum()),
                    present().filter(|v| v % 2 == 0).max()
                )
            ),
            (
                Some("odd".to_owned()),
                (
                    Some(present().filter(|v| v % 2 != 0).sum()),
                    present().filter(|v| v % 2 != 0).max()
                )
            ),
        ]
    );
    // Two key columns: one result per pair present.
    let pairs = q()
        .group_by((Entry::SUBTITLE, Entry::VIEWS))
        .count()
        .unwrap();
    assert_eq!(pairs[0], ((Some("even".to_owned()), Some(2)), 1));
    assert_eq!(pairs[1], ((Some("even".to_owned()), Some(4)), 2));
    assert_eq!(pairs.last().unwrap(), &((None, None), nulls));
    assert!(
        q().none()
            .group_by(Entry::VIEWS)
            .count()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn values_project_columns_and_distinct_drops_repeats() {
    let db = numbered("ag_values", VIEWS);
    let q = || entries(db);
    let views = q().order_by(Entry::TITLE).values(Entry::VIEWS).unwrap();
    assert_eq!(views, VIEWS);
    let pairs = q()
        .filter(Entry::VIEWS.gt(4))
        .order_by(Entry::VIEWS.desc())
        .values((Entry::TITLE, Entry::VIEWS))
        .unwrap();
    assert_eq!(
        pairs,
        [
            ("entry 03".to_owned(), Some(9)),
            ("entry 07".to_owned(), Some(7))
        ]
    );
    let parities = q()
        .filter(Entry::SUBTITLE.is_null(false))
        .order_by(Entry::SUBTITLE)
        .distinct()
        .values(Entry::SUBTITLE)
        .unwrap();
    assert_eq!(parities, [Some("even".to_owned()), Some("odd".to_owned())]);
    // Without `distinct`, one value per row.
    assert_eq!(q().values(Entry::SUBTITLE).unwrap().len(), VIEWS.len());
    // The ordering's columns are part of what is distinct (as in Django): 4 is seen twice.
    let by_views = q()
        .filter(Entry::VIEWS.is_null(false))
        .order_by(Entry::VIEWS)
        .distinct()
        .values(Entry::SUBTITLE)
        .unwrap();
    let mut different: Vec<i64> = present().collect();
    different.sort_unstable();
    different.dedup();
    assert_eq!(by_views.len(), different.len());
    assert_eq!(q().limit(3).values(Entry::ID).unwrap().len(), 3);
}

#[test]
fn pages_cut_the_ordered_rows_and_bad_pages_say_which_exist() {
    let db = numbered("pg_pages", VIEWS);
    let pages = entries(db).order_by(Entry::TITLE.desc()).paginate(3);
    assert_eq!(pages.num_pages().unwrap(), 3);
    assert_eq!(pages.count().unwrap(), VIEWS.len());
    let mut seen = Vec::new();
    for number in 1..=3 {
        let page = pages.page(number).unwrap();
        assert_eq!(
            (page.number, page.count, page.num_pages),
            (number, VIEWS.len(), 3)
        );
        assert_eq!(page.has_previous(), number > 1);
        assert_eq!(page.next_page_number(), (number < 3).then_some(number + 1));
        assert_eq!(page.start_index(), (number - 1) * 3 + 1);
        assert_eq!(page.end_index(), (number * 3).min(VIEWS.len()));
        seen.extend(page.into_iter().map(|e| e.title));
    }
    let mut all: Vec<String> = (0..VIEWS.len()).map(|i| format!("entry {i:02}")).collect();
    all.reverse();
    assert_eq!(seen, all);
    for bad in [0, 4] {
        match pages.page(bad).unwrap_err() {
            clarion::Error::InvalidPage {
                page,
                num_pages,
                count,
                per_page,
                ..
            } => assert_eq!((page, num_pages, count, per_page), (bad, 3, VIEWS.len(), 3)),
            other => panic!("{other}"),
        }
    }
    let message = pages.page(4).unwrap_err().to_string();
    assert!(message.contains("page 4 of `lookups.entry`"), "{message}");
    assert!(message.contains("8 rows make 3 pages of 3"), "{message}");
    let zero = entries(db).paginate(0).page(1).unwrap_err().to_string();
    assert!(zero.contains("at least 1 row per page"), "{zero}");
    // No row: one empty page, as Django's `allow_empty_first_page`.
    let empty = entries(db)
        .filter(Entry::VIEWS.gt(100))
        .paginate(5)
        .page(1)
        .unwrap();
    assert_eq!((empty.items.len(), empty.count, empty.num_pages), (0, 0, 1));
    assert!(!empty.has_next());
    // Without an ordering, by primary key: each row on exactly one page.
    let unordered = entries(db).paginate(5);
    let mut ids: Vec<i64> = (1..=2)
        .flat_map(|n| unordered.page(n).unwrap().items)
        .map(|e| e.id.unwrap())
        .collect();
    let sorted = {
        let mut ids = ids.clone();
        ids.sort_unstable();
        ids
    };
    assert_eq!(ids, sorted);
    ids.dedup();
    assert_eq!(ids.len(), VIEWS.len());
}

#[test]
fn aggregates_grouping_and_pages_of_100k_rows_run_one_statement_each() {
    const ROWS: i64 = 100_000;
    let db = database("ag_scale");
    let table = <Entry as Model>::META.table;
    db::atomic_using(db, |tx| {
        tx.execute_batch(&format!(
            "INSERT INTO \"{table}\" (title, subtitle, views, score)
             SELECT 'post ' || i, NULL, i % 100, i * 0.5
             FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})
                   SELECT i FROM n) AS s"
        ))
    })
    .unwrap();
    let q = entries(db);
    let (rows, sum, max) = testing::assert_num_queries(1, || {
        q.aggregate((Aggregate::count(), Entry::VIEWS.sum(), Entry::SCORE.max()))
    })
    .unwrap();
    assert_eq!(rows, ROWS as usize);
    assert_eq!(sum, Some((1..=ROWS).map(|i| i % 100).sum()));
    assert_eq!(max, Some(ROWS as f64 * 0.5));
    let groups = testing::assert_num_queries(1, || q.group_by(Entry::VIEWS).count()).unwrap();
    assert_eq!(groups.len(), 100);
    assert!(
        groups.iter().all(|(_, n)| *n == ROWS as usize / 100),
        "{:?}",
        &groups[..3]
    );
    let page = testing::assert_num_queries(2, || q.paginate(1000).page(57)).unwrap();
    assert_eq!(page.num_pages, 100);
    assert_eq!(page.items.first().unwrap().title, "post 56001");
    assert_eq!(page.items.last().unwrap().title, "post 57000");
    let titles = testing::assert_num_queries(1, || {
        q.filter(Entry::TITLE.endswith("99999"))
            .values(Entry::TITLE)
    })
    .unwrap();
    assert_eq!(titles, ["post 99999"]);
}

#[test]
fn the_awaitable_forms_return_what_the_blocking_ones_do() {
    let db = numbered("ag_async", VIEWS);
    let q = entries(db);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let aggregates = (Aggregate::count(), Entry::VIEWS.sum());
        assert_eq!(
            q.aaggregate(aggregates.clone()).await.unwrap(),
            q.aggregate(aggregates).unwrap()
        );
        assert_eq!(
            q.clone()
                .order_by(Entry::TITLE)
                .avalues(Entry::VIEWS)
                .await
                .unwrap(),
            VIEWS
        );
        let grouped = q.group_by(Entry::SUBTITLE);
        assert_eq!(grouped.acount().await.unwrap(), grouped.count().unwrap());
        assert_eq!(
            grouped.aaggregate(Entry::VIEWS.max()).await.unwrap(),
            grouped.aggregate(Entry::VIEWS.max()).unwrap()
        );
        let pages = q.clone().order_by(Entry::TITLE).paginate(5);
        assert_eq!(pages.apage(2).await.unwrap(), pages.page(2).unwrap());
        assert_eq!(pages.anum_pages().await.unwrap(), 2);
        assert_eq!(pages.acount().await.unwrap(), VIEWS.len());
        assert!(matches!(
            pages.apage(3).await.unwrap_err(),
            clarion::Error::InvalidPage { .. }
        ));
    });
}

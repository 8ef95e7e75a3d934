//! `QuerySet::get_or_create` and `update_or_create`: Django's signal semantics, rollback on a
//! failing receiver, and one row when many threads race to make it.
//!
//! Link-time receivers are global to this test binary and tests run in parallel, so each test
//! uses its own database alias, and the receivers log (and fail) only under the aliases they are
//! meant for. `tests/postgres_models_get_or_create.rs` runs the same on PostgreSQL.

#[path = "support/backend.rs"]
mod backend;
#[path = "support/events.rs"]
mod events;

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use clarion::db::{self, Backend, Database};
use clarion::prelude::*;
use clarion::query::QuerySet;
use clarion::{ConstraintKind, Error};
use events::{events, log, take};

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "goc")]
pub struct Tag {
    pub id: Option<i64>,
    #[model(unique, max_length = 40)]
    pub slug: String,
    #[model(max_length = 40)]
    pub label: String,
    pub uses: i64,
}

fn tag(slug: &str, label: &str) -> Tag {
    Tag {
        id: None,
        slug: slug.into(),
        label: label.into(),
        uses: 0,
    }
}

/// A fresh database under `alias` (see `support/backend.rs`) with the `tag` table.
fn database(alias: &'static str) -> &'static str {
    backend::register(alias);
    clarion::migrate_using(alias).unwrap();
    alias
}

/// A database that several connections write at once: a file on SQLite (an in-memory database
/// has one connection), a schema of its own on PostgreSQL.
fn shared_database(alias: &'static str) -> Option<tempfile::TempDir> {
    let dir = match backend::backend() {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("race.sqlite3");
            db::register(
                Database::open_as(alias, &format!("sqlite://{}", path.display())).unwrap(),
            );
            Some(dir)
        }
        _ => {
            backend::register(alias);
            None
        }
    };
    clarion::migrate_using(alias).unwrap();
    dir
}

fn tags(alias: &'static str) -> QuerySet<Tag> {
    Tag::objects().using(alias)
}

fn rows(alias: &'static str) -> Vec<Tag> {
    tags(alias).order_by(Tag::ID).all().unwrap()
}

// --- receivers -----------------------------------------------------------------------------

#[receiver(pre_save, sender = Tag)]
fn record_pre_save(
    instance: &Tag,
    using: &str,
    update_fields: Option<&[&str]>,
) -> clarion::Result<()> {
    if using.starts_with("race") {
        // Widens the window in which the other threads have found nothing and go on to insert.
        thread::sleep(Duration::from_millis(20));
        return Ok(());
    }
    log(
        using,
        format!("pre_save {} fields={update_fields:?}", instance.slug),
    );
    match using {
        "fail_pre" => Err("pre_save refused".into()),
        "panic_pre" => panic!("pre_save panicked"),
        _ => Ok(()),
    }
}

#[receiver(post_save, sender = Tag)]
fn record_post_save(
    instance: &Tag,
    created: bool,
    using: &str,
    update_fields: Option<&[&str]>,
) -> clarion::Result<()> {
    if using.starts_with("race") {
        return Ok(());
    }
    log(
        using,
        format!(
            "post_save {} label={} created={created} fields={update_fields:?}",
            instance.slug, instance.label
        ),
    );
    if using.starts_with("fail_post") {
        return Err("post_save refused".into());
    }
    Ok(())
}

#[receiver(post_init, sender = Tag)]
fn record_post_init(instance: &Tag, using: &str) {
    if !using.starts_with("race") {
        log(using, format!("post_init {}", instance.slug));
    }
}

// --- get_or_create -------------------------------------------------------------------------

#[test]
fn get_or_create_saves_once_then_only_loads() -> clarion::Result<()> {
    let alias = database("goc_basic");
    let rust = tags(alias).filter(Tag::SLUG.eq("rust"));

    let (created, was_created) = rust.get_or_create(|| tag("", "Rust"))?;
    assert!(was_created);
    assert!(created.id.is_some());
    assert_eq!(
        take(alias),
        [
            "pre_save rust fields=None",
            "post_save rust label=Rust created=true fields=None"
        ]
    );

    let mut called = false;
    let (found, was_created) = rust.get_or_create(|| {
        called = true;
        tag("", "other")
    })?;
    assert!(!was_created);
    assert!(!called, "`create` runs only when no row matches");
    assert_eq!(found, created);
    // Found: loaded, never saved.
    assert_eq!(take(alias), ["post_init rust"]);
    assert_eq!(rows(alias), [created]);
    Ok(())
}

#[test]
fn the_lookups_equalities_are_written_onto_the_new_row() -> clarion::Result<()> {
    let alias = database("goc_lookup");
    let lookup = tags(alias)
        .filter(Tag::SLUG.eq("serde") & Tag::LABEL.eq("Serde"))
        .filter(Tag::USES.gte(0));
    // The closure's own slug and label lose to the lookup's: the row must be one it finds.
    let (made, created) = lookup.get_or_create(|| Tag {
        id: None,
        slug: "ignored".into(),
        label: "ignored".into(),
        uses: 7,
    })?;
    assert!(created);
    assert_eq!(
        (made.slug.as_str(), made.label.as_str(), made.uses),
        ("serde", "Serde", 7)
    );
    assert_eq!(lookup.get()?, made);
    let (again, created) = lookup.get_or_create(|| unreachable!("the row exists"))?;
    assert!(!created);
    assert_eq!(again.id, made.id);
    Ok(())
}

#[test]
fn several_matching_rows_are_an_error_and_nothing_is_created() -> clarion::Result<()> {
    let alias = database("goc_many");
    for slug in ["a", "b"] {
        tag(slug, "same").save_with(SaveOptions::new().using(alias))?;
    }
    let error = tags(alias)
        .filter(Tag::LABEL.eq("same"))
        .get_or_create(|| tag("c", "same"))
        .unwrap_err();
    assert!(
        matches!(error, Error::MultipleObjectsReturned { count: 2, .. }),
        "{error}"
    );
    let error = tags(alias)
        .filter(Tag::LABEL.eq("same"))
        .update_or_create(&[Tag::USES.set(1)], || tag("c", "same"))
        .unwrap_err();
    assert!(
        matches!(error, Error::MultipleObjectsReturned { count: 2, .. }),
        "{error}"
    );
    assert_eq!(tags(alias).count()?, 2);
    Ok(())
}

#[test]
fn a_duplicate_the_lookup_cannot_find_is_returned_not_swallowed() -> clarion::Result<()> {
    let alias = database("goc_other_unique");
    tag("rust", "Rust").save_with(SaveOptions::new().using(alias))?;
    // Looked up by label, created with a slug that is taken: the retry finds no row by label.
    let error = tags(alias)
        .filter(Tag::LABEL.eq("Rust 2"))
        .get_or_create(|| tag("rust", ""))
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Integrity {
                kind: ConstraintKind::Unique,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(tags(alias).count()?, 1);
    Ok(())
}

#[test]
fn a_failing_pre_save_creates_nothing() {
    let alias = database("fail_pre");
    let error = tags(alias)
        .filter(Tag::SLUG.eq("x"))
        .get_or_create(|| tag("", "X"))
        .unwrap_err();
    assert!(matches!(error, Error::Receiver { .. }), "{error}");
    assert!(error.to_string().contains("pre_save refused"), "{error}");
    assert_eq!(tags(alias).count().unwrap(), 0);
}

#[test]
fn a_panicking_pre_save_creates_nothing() {
    let alias = database("panic_pre");
    let error = tags(alias)
        .filter(Tag::SLUG.eq("x"))
        .update_or_create(&[Tag::USES.set(3)], || tag("", "X"))
        .unwrap_err();
    assert!(matches!(error, Error::Receiver { .. }), "{error}");
    assert!(error.to_string().contains("pre_save panicked"), "{error}");
    assert_eq!(tags(alias).count().unwrap(), 0);
}

#[test]
fn a_failing_post_save_rolls_the_insert_back_and_the_callers_block_goes_on() {
    let alias = database("fail_post_create");
    let outcome = db::atomic_using(alias, |_| {
        let error = tags(alias)
            .filter(Tag::SLUG.eq("x"))
            .get_or_create(|| tag("", "X"))
            .unwrap_err();
        assert!(matches!(error, Error::Receiver { .. }), "{error}");
        // The failed insert was undone in a savepoint: the block may go on and commit.
        assert_eq!(tags(alias).count()?, 0);
        tags(alias).count()
    });
    assert_eq!(outcome.unwrap(), 0);
    assert_eq!(tags(alias).count().unwrap(), 0);
}

// --- update_or_create ----------------------------------------------------------------------

#[test]
fn update_or_create_creates_with_the_defaults() -> clarion::Result<()> {
    let alias = database("uoc_create");
    let (made, created) = tags(alias)
        .filter(Tag::SLUG.eq("rust"))
        .update_or_create(&[Tag::LABEL.set("Rust"), Tag::USES.set(5)], || tag("", ""))?;
    assert!(created);
    assert_eq!(
        (made.slug.as_str(), made.label.as_str(), made.uses),
        ("rust", "Rust", 5)
    );
    assert_eq!(
        events(alias),
        [
            "pre_save rust fields=None",
            "post_save rust label=Rust created=true fields=None"
        ]
    );
    assert_eq!(rows(alias), [made]);
    Ok(())
}

#[test]
fn update_or_create_saves_only_the_fields_its_defaults_changed() -> clarion::Result<()> {
    let alias = database("uoc_update");
    let mut existing = tag("rust", "Rust");
    existing.uses = 5;
    existing.save_with(SaveOptions::new().using(alias))?;
    take(alias);

    let rust = tags(alias).filter(Tag::SLUG.eq("rust"));
    // `uses` is already 5: only `label` changes, so only `label` is saved.
    let (updated, created) = rust
        .update_or_create(&[Tag::USES.set(5), Tag::LABEL.set("Rust!")], || {
            unreachable!("the row exists")
        })?;
    assert!(!created);
    assert_eq!(updated.id, existing.id);
    assert_eq!(updated.label, "Rust!");
    assert_eq!(
        take(alias),
        [
            "post_init rust",
            "pre_save rust fields=Some([\"label\"])",
            "post_save rust label=Rust! created=false fields=Some([\"label\"])"
        ]
    );
    assert_eq!(rust.get()?.label, "Rust!");
    take(alias);

    // Nothing changes: nothing is saved, no save signal is sent.
    let (same, created) = rust.update_or_create(&[Tag::LABEL.set("Rust!")], || {
        unreachable!("the row exists")
    })?;
    assert!(!created);
    assert_eq!(same, updated);
    assert_eq!(take(alias), ["post_init rust"]);

    // A field given twice, ending at the row's value: unchanged, so not saved.
    let (same, _) = rust.update_or_create(
        &[Tag::LABEL.set("changed"), Tag::LABEL.set("Rust!")],
        || unreachable!("the row exists"),
    )?;
    assert_eq!(same, updated);
    assert_eq!(take(alias), ["post_init rust"]);
    Ok(())
}

#[test]
fn a_failing_post_save_undoes_the_update() -> clarion::Result<()> {
    let alias = database("fail_post_update");
    // Inserted without signals: this alias's post_save refuses every save.
    db::atomic_using(alias, |tx| {
        tx.execute_batch("INSERT INTO tag (slug, label, uses) VALUES ('rust', 'Rust', 1)")
    })?;
    let rust = tags(alias).filter(Tag::SLUG.eq("rust"));
    let error = rust
        .update_or_create(&[Tag::USES.set(2)], || unreachable!("the row exists"))
        .unwrap_err();
    assert!(matches!(error, Error::Receiver { .. }), "{error}");
    assert_eq!(rust.get()?.uses, 1);
    Ok(())
}

#[test]
fn a_default_too_long_for_its_field_writes_nothing() -> clarion::Result<()> {
    let alias = database("uoc_too_long");
    let long = "x".repeat(41);
    let error = tags(alias)
        .filter(Tag::SLUG.eq("rust"))
        .update_or_create(&[Tag::LABEL.set(long.as_str())], || tag("", ""))
        .unwrap_err();
    assert!(matches!(error, Error::Validation { .. }), "{error}");
    assert!(events(alias).is_empty());
    assert_eq!(tags(alias).count()?, 0);
    Ok(())
}

// --- racing callers --------------------------------------------------------------------------

const THREADS: usize = 8;

/// Runs `f` on `THREADS` threads released together; returns what each returned.
fn race<T: Send + 'static>(f: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(THREADS));
    let f = Arc::new(f);
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            let f = Arc::clone(&f);
            thread::spawn(move || {
                barrier.wait();
                f(i)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// Exactly one caller created the row, and every caller got that row.
fn assert_one_created(alias: &'static str, outcomes: &[(Tag, bool)]) {
    let rows = rows(alias);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let created: Vec<_> = outcomes.iter().filter(|(_, created)| *created).collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    for (instance, _) in outcomes {
        assert_eq!(instance.id, rows[0].id, "{outcomes:?}");
        assert_eq!(instance.slug, "hot");
    }
}

#[test]
fn eight_threads_racing_get_or_create_make_one_row() {
    let alias = "race_get";
    let _dir = shared_database(alias);
    let outcomes = race(move |i| {
        tags(alias)
            .filter(Tag::SLUG.eq("hot"))
            .get_or_create(|| tag("", &format!("thread {i}")))
            .unwrap()
    });
    assert_one_created(alias, &outcomes);
    let (winner, _) = outcomes.iter().find(|(_, created)| *created).unwrap();
    assert_eq!(rows(alias)[0].label, winner.label);
}

#[test]
fn eight_threads_racing_update_or_create_make_one_row_and_each_update_lands() {
    let alias = "race_update";
    let _dir = shared_database(alias);
    let outcomes = race(move |i| {
        tags(alias)
            .filter(Tag::SLUG.eq("hot"))
            .update_or_create(&[Tag::USES.set(i as i64 + 1)], || tag("", "hot"))
            .unwrap()
    });
    assert_one_created(alias, &outcomes);
    // The callers ran one after the other on the locked row: the last one's value stays, and
    // each caller saw its own value on the instance it got back.
    for (i, (instance, _)) in outcomes.iter().enumerate() {
        assert_eq!(instance.uses, i as i64 + 1);
    }
    let uses = rows(alias)[0].uses;
    assert!((1..=THREADS as i64).contains(&uses), "{uses}");
}

// --- awaitable -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_awaitable_forms_do_what_the_blocking_ones_do() -> clarion::Result<()> {
    let alias = database("goc_async");
    let rust = tags(alias).filter(Tag::SLUG.eq("rust"));
    let (made, created) = rust.aget_or_create(|| tag("", "Rust")).await?;
    assert!(created);
    let (found, created) = rust.aget_or_create(|| tag("", "other")).await?;
    assert!(!created);
    assert_eq!(found, made);

    let (updated, created) = rust
        .aupdate_or_create(&[Tag::LABEL.set("Rust!")], || tag("", "other"))
        .await?;
    assert!(!created);
    assert_eq!((updated.id, updated.label.as_str()), (made.id, "Rust!"));
    assert_eq!(rust.aget().await?.label, "Rust!");
    assert_eq!(
        events(alias),
        [
            "pre_save rust fields=None",
            "post_save rust label=Rust created=true fields=None",
            "post_init rust",
            "post_init rust",
            "pre_save rust fields=Some([\"label\"])",
            "post_save rust label=Rust! created=false fields=Some([\"label\"])",
            "post_init rust",
        ]
    );
    Ok(())
}

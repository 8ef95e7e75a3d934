//! `#[model(auto_now)]` and `#[model(auto_now_add)]`: the time of the save, written with the
//! row, and with `update_fields` too. `tests/postgres_models_auto_now.rs` runs the same on
//! PostgreSQL.

#[path = "support/backend.rs"]
mod backend;
#[path = "support/events.rs"]
mod events;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use clarion::prelude::*;
use events::{events, log, take};

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "stamps")]
pub struct Note {
    pub id: Option<i64>,
    #[model(unique)]
    pub slug: String,
    pub body: String,
    #[model(auto_now_add)]
    pub created: DateTime<Utc>,
    #[model(auto_now)]
    pub updated: DateTime<Utc>,
    #[model(auto_now)]
    pub touched: Option<NaiveDateTime>,
    #[model(auto_now_add)]
    pub day: Option<NaiveDate>,
}

/// Saves through a proxy stamp the concrete model's fields.
#[allow(missing_docs)]
#[clarion::proxy(of = Note)]
pub struct Pinned;

#[receiver(post_save, sender = Note)]
fn record(instance: &Note, created: bool, using: &str, update_fields: Option<&[&str]>) {
    log(
        using,
        format!(
            "post_save {} created={created} fields={update_fields:?}",
            instance.slug
        ),
    );
}

fn database(alias: &'static str) -> &'static str {
    backend::register(alias);
    clarion::migrate_using(alias).unwrap();
    alias
}

/// A time long before any test ran.
fn long_ago() -> DateTime<Utc> {
    DateTime::from_timestamp(1_000_000_000, 0).unwrap()
}

fn note(slug: &str) -> Note {
    Note {
        id: None,
        slug: slug.into(),
        body: String::new(),
        created: long_ago(),
        updated: long_ago(),
        touched: None,
        day: None,
    }
}

fn stored(alias: &'static str) -> Note {
    Note::objects().using(alias).get().unwrap()
}

#[test]
fn the_first_save_sets_both_and_the_row_holds_them() {
    let alias = database("stamp_insert");
    let before = Utc::now() - chrono::Duration::seconds(1);
    let mut note = note("a");
    note.save_with(SaveOptions::new().using(alias)).unwrap();
    assert!(note.created >= before, "{note:?}");
    assert_eq!(note.updated, note.created, "one time for the whole save");
    assert_eq!(note.touched, Some(note.created.naive_utc()));
    assert_eq!(note.day, Some(note.created.date_naive()));
    assert_eq!(stored(alias), note);
}

#[test]
fn later_saves_set_auto_now_only() {
    let alias = database("stamp_update");
    let mut note = note("a");
    note.save_with(SaveOptions::new().using(alias)).unwrap();
    let created = note.created;
    note.created = long_ago();
    note.updated = long_ago();
    note.day = None;
    note.save_with(SaveOptions::new().using(alias)).unwrap();
    // `auto_now_add` is left as the instance holds it: a save that adds no row does not set it.
    assert_eq!((note.created, note.day), (long_ago(), None));
    assert!(note.updated >= created, "{note:?}");
    assert_eq!(stored(alias), note);
}

#[test]
fn a_save_with_update_fields_writes_the_auto_now_fields_too() {
    let alias = database("stamp_fields");
    let mut note = note("a");
    note.save_with(SaveOptions::new().using(alias)).unwrap();
    take(alias);
    let first = note.updated;
    note.body = "edited".into();
    note.updated = long_ago();
    note.save_with(SaveOptions::new().using(alias).update_fields(Note::BODY))
        .unwrap();
    let row = stored(alias);
    assert_eq!(row.body, "edited");
    assert!(
        row.updated >= first && row.updated == note.updated,
        "{row:?}"
    );
    assert_eq!(
        row.created, first,
        "auto_now_add is not written by an update"
    );
    assert_eq!(
        take(alias),
        ["post_save a created=false fields=Some([\"body\", \"updated\", \"touched\"])"]
    );
}

#[test]
fn a_save_of_no_field_sets_nothing() {
    let alias = database("stamp_nothing");
    let mut note = note("a");
    note.save_with(SaveOptions::new().using(alias)).unwrap();
    let saved = note.clone();
    note.save_with(SaveOptions::new().using(alias).update_fields(&[]))
        .unwrap();
    assert_eq!(note, saved);
    assert_eq!(events(alias), ["post_save a created=true fields=None"]);
}

#[test]
fn get_or_create_and_update_or_create_stamp_what_they_write() -> clarion::Result<()> {
    let alias = database("stamp_goc");
    let a = Note::objects().using(alias).filter(Note::SLUG.eq("a"));
    let (made, created) = a.get_or_create(|| note(""))?;
    assert!(created);
    assert!(made.created > long_ago() && made.updated == made.created);
    take(alias);

    let (updated, created) = a.update_or_create(&[Note::BODY.set("new")], || note(""))?;
    assert!(!created);
    assert_eq!(updated.created, made.created);
    assert!(updated.updated >= made.updated);
    assert_eq!(stored(alias), updated);
    assert_eq!(
        take(alias),
        ["post_save a created=false fields=Some([\"body\", \"updated\", \"touched\"])"]
    );
    Ok(())
}

#[test]
fn a_save_through_a_proxy_stamps_the_concrete_models_fields() {
    let alias = database("stamp_proxy");
    let mut pinned = Pinned(note("p"));
    pinned.save_with(SaveOptions::new().using(alias)).unwrap();
    assert!(pinned.0.created > long_ago() && pinned.0.updated == pinned.0.created);
    assert_eq!(stored(alias), pinned.0);
}

/// Django's `save_base(raw=True)` (what `loaddata` uses) writes the instance as given: the
/// timestamps a fixture or a restore carries are kept, on insert and on update.
#[test]
fn a_raw_save_keeps_the_timestamps_it_is_given() {
    let alias = database("stamp_raw");
    let mut note = note("a");
    note.touched = Some(long_ago().naive_utc());
    note.save_with(SaveOptions::new().using(alias).raw(true))
        .unwrap();
    assert_eq!((note.created, note.updated), (long_ago(), long_ago()));
    assert_eq!(note.day, None);
    assert_eq!(stored(alias), note);
    note.body = "restored".into();
    note.save_with(SaveOptions::new().using(alias).raw(true))
        .unwrap();
    assert_eq!(stored(alias), note);
    // And the same save without `raw` stamps it.
    note.save_with(SaveOptions::new().using(alias).raw(false))
        .unwrap();
    assert!(note.updated > long_ago(), "{note:?}");
}

//! Typed `update_fields` (`SaveOptions::update_fields((Post::TITLE, Post::BODY))`), names still
//! accepted, and `pre_save` receivers that add fields to the save (`AlsoUpdate`, Django's
//! `auto_now` pattern). `tests/postgres_models_update_fields.rs` runs the same on PostgreSQL.
//!
//! Link-time receivers are global to this test binary and tests run in parallel, so each test
//! uses its own database alias, and the receivers act only under the aliases they are meant for.

#[path = "support/backend.rs"]
mod backend;
#[path = "support/events.rs"]
mod events;

use clarion::Error;
use clarion::db;
use clarion::models::AlsoUpdate;
use clarion::prelude::*;
use events::{events, log, take};

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "typed_fields")]
pub struct Page {
    pub id: Option<i64>,
    pub title: String,
    pub body: Option<String>,
    pub slug: String,
    pub views: i64,
    /// Bumped by the `pre_save` receiver below on the aliases starting with "stamp".
    pub revision: i64,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "typed_fields")]
pub struct Other {
    pub id: Option<i64>,
    pub title: String,
}

#[receiver(pre_save, sender = Page)]
fn stamp(instance: &mut Page, using: &str, also_update: &mut AlsoUpdate) -> clarion::Result<()> {
    match using {
        alias if alias.starts_with("stamp") => {
            instance.revision += 1;
            also_update.add(Page::REVISION)
        }
        "add_by_name" => {
            instance.revision += 1;
            also_update.add("revision")
        }
        "add_pk" => also_update.add(Page::ID),
        "add_unknown" => also_update.add("revison"),
        "add_other_model" => also_update.add(Other::TITLE),
        _ => Ok(()),
    }
}

#[receiver(post_save, sender = Page)]
fn record(instance: &Page, created: bool, using: &str, update_fields: Option<&[&str]>) {
    log(
        using,
        format!(
            "post_save {} created={created} fields={update_fields:?}",
            instance.title
        ),
    );
}

fn database(alias: &'static str) -> &'static str {
    backend::register(alias);
    clarion::migrate_using(alias).unwrap();
    alias
}

fn page(title: &str) -> Page {
    Page {
        id: None,
        title: title.into(),
        body: None,
        slug: "s".into(),
        views: 0,
        revision: 0,
    }
}

/// A page saved, then changed in every field but its key and saved again with `options`; and the
/// database's copy of it.
fn saved_after(
    alias: &'static str,
    options: impl Fn(SaveOptions<'static>) -> SaveOptions<'static>,
) -> (Page, Page) {
    let mut page = page("Old");
    page.save_with(SaveOptions::new().using(alias)).unwrap();
    take(alias);
    page.title = "New".into();
    page.body = Some("body".into());
    page.slug = "new".into();
    page.views = 9;
    page.save_with(options(SaveOptions::new().using(alias)))
        .unwrap();
    let stored = Page::objects().using(alias).get().unwrap();
    (page, stored)
}

#[test]
fn a_tuple_of_columns_writes_exactly_those_fields() {
    let alias = database("tuple");
    let (_, stored) = saved_after(alias, |o| o.update_fields((Page::VIEWS, Page::TITLE)));
    assert_eq!(
        (
            stored.title.as_str(),
            stored.body,
            stored.slug.as_str(),
            stored.views
        ),
        ("New", None, "s", 9)
    );
    // Column handles reach receivers in the model's field order.
    assert_eq!(
        take(alias),
        ["post_save New created=false fields=Some([\"title\", \"views\"])"]
    );
}

#[test]
fn one_column_or_an_array_of_columns_of_one_type() {
    let alias = database("single");
    let (_, stored) = saved_after(alias, |o| o.update_fields(Page::BODY));
    assert_eq!(
        (stored.title.as_str(), stored.body.as_deref()),
        ("Old", Some("body"))
    );

    let alias = database("array");
    let (_, stored) = saved_after(alias, |o| o.update_fields([Page::SLUG, Page::TITLE]));
    assert_eq!(
        (stored.title.as_str(), stored.slug.as_str(), stored.views),
        ("New", "new", 0)
    );
}

#[test]
fn names_are_still_accepted_for_lists_built_at_run_time() {
    let alias = database("names");
    let (_, stored) = saved_after(alias, |o| o.update_fields(&["slug"]));
    assert_eq!(
        (stored.title.as_str(), stored.slug.as_str()),
        ("Old", "new")
    );

    let alias = database("names_vec");
    let wanted = String::from("views,body");
    let names: Vec<&str> = wanted.split(',').collect();
    let mut page = page("Old");
    page.save_with(SaveOptions::new().using(alias)).unwrap();
    take(alias);
    page.views = 4;
    page.title = "New".into();
    page.save_with(SaveOptions::new().using(alias).update_fields(&names))
        .unwrap();
    let stored = Page::objects().using(alias).get().unwrap();
    assert_eq!((stored.title.as_str(), stored.views), ("Old", 4));
    // Names reach receivers in the order given.
    assert_eq!(
        take(alias),
        ["post_save New created=false fields=Some([\"views\", \"body\"])"]
    );
}

#[test]
fn a_column_of_another_model_fails_before_any_signal() {
    let alias = database("other_model");
    let mut page = page("Old");
    page.save_with(SaveOptions::new().using(alias)).unwrap();
    take(alias);
    page.title = "New".into();
    let error = page
        .save_with(SaveOptions::new().using(alias).update_fields(Other::TITLE))
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("typed_fields.page") && message.contains("typed_fields.other"),
        "{message}"
    );
    assert!(events(alias).is_empty());
    assert_eq!(Page::objects().using(alias).get().unwrap().title, "Old");
}

#[test]
fn the_primary_key_as_a_column_is_refused() {
    let alias = database("pk_column");
    let mut page = page("Old");
    page.save_with(SaveOptions::new().using(alias)).unwrap();
    let error = page
        .save_with(
            SaveOptions::new()
                .using(alias)
                .update_fields((Page::TITLE, Page::ID)),
        )
        .unwrap_err();
    assert!(error.to_string().contains("primary key"), "{error}");
}

#[test]
fn a_pre_save_receiver_adds_the_field_it_stamps() {
    let alias = database("stamp_update");
    let (page, stored) = saved_after(alias, |o| o.update_fields(Page::TITLE));
    // Saved twice, stamped twice; the second save listed only `title`, and still wrote it.
    assert_eq!(page.revision, 2);
    assert_eq!(
        (stored.title.as_str(), stored.revision, stored.views),
        ("New", 2, 0)
    );
    assert_eq!(
        take(alias),
        ["post_save New created=false fields=Some([\"title\", \"revision\"])"]
    );
}

#[test]
fn adding_a_field_already_listed_or_on_a_full_save_changes_nothing() {
    let alias = database("stamp_listed");
    let (_, stored) = saved_after(alias, |o| o.update_fields((Page::TITLE, Page::REVISION)));
    assert_eq!(stored.revision, 2);
    assert_eq!(
        take(alias),
        ["post_save New created=false fields=Some([\"title\", \"revision\"])"]
    );

    let alias = database("stamp_full");
    let (_, stored) = saved_after(alias, |o| o);
    assert_eq!((stored.views, stored.revision), (9, 2));
    assert_eq!(take(alias), ["post_save New created=false fields=None"]);
}

#[test]
fn a_field_added_by_name_is_written_too() {
    let alias = database("add_by_name");
    let (_, stored) = saved_after(alias, |o| o.update_fields(&["views"]));
    assert_eq!(
        (stored.views, stored.revision, stored.title.as_str()),
        (9, 2, "Old")
    );
}

#[test]
fn adding_the_key_an_unknown_name_or_another_models_column_refuses_the_save() {
    for (alias, expected) in [
        ("add_pk", "primary key"),
        ("add_unknown", "revison"),
        ("add_other_model", "typed_fields.other"),
    ] {
        let alias: &'static str = database(alias);
        let mut page = page("Old");
        let error = page.save_with(SaveOptions::new().using(alias)).unwrap_err();
        assert!(matches!(error, Error::Receiver { .. }), "{alias}: {error}");
        assert!(error.to_string().contains(expected), "{alias}: {error}");
        assert_eq!(Page::objects().using(alias).count().unwrap(), 0);
    }
}

#[test]
fn update_or_create_writes_the_changed_defaults_and_the_added_fields() -> clarion::Result<()> {
    let alias = database("stamp_uoc");
    let mut existing = page("Home");
    existing.save_with(SaveOptions::new().using(alias))?;
    take(alias);
    let (updated, created) = Page::objects()
        .using(alias)
        .filter(Page::TITLE.eq("Home"))
        .update_or_create(&[Page::VIEWS.set(3)], || unreachable!("the row exists"))?;
    assert!(!created);
    assert_eq!((updated.views, updated.revision), (3, 2));
    let stored = Page::objects().using(alias).get()?;
    assert_eq!((stored.views, stored.revision), (3, 2));
    assert_eq!(
        take(alias),
        ["post_save Home created=false fields=Some([\"views\", \"revision\"])"]
    );
    Ok(())
}

#[test]
fn typed_update_fields_inside_a_transaction_and_from_another_thread() {
    let alias = database("typed_tx");
    let mut page = page("Old");
    page.save_with(SaveOptions::new().using(alias)).unwrap();
    page.title = "New".into();
    page.views = 5;
    let page = std::thread::spawn(move || {
        db::atomic_using(alias, |_| {
            page.save_with(
                SaveOptions::new()
                    .using(alias)
                    .update_fields((Page::VIEWS,)),
            )?;
            Ok(page)
        })
        .unwrap()
    })
    .join()
    .unwrap();
    let stored = Page::objects().using(alias).get().unwrap();
    assert_eq!((stored.title.as_str(), stored.views), ("Old", page.views));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_awaitable_save_takes_columns_too() -> clarion::Result<()> {
    let alias = database("typed_async");
    let mut page = page("Old");
    page.asave_with(SaveOptions::new().using(alias)).await?;
    page.title = "New".into();
    page.views = 7;
    page.asave_with(SaveOptions::new().using(alias).update_fields(Page::VIEWS))
        .await?;
    let stored = Page::objects().using(alias).aget().await?;
    assert_eq!((stored.title.as_str(), stored.views), ("Old", 7));
    Ok(())
}

//! The model signals of `save` and `delete`, as Django sends them, and the transaction they share
//! with the write (on the hand-written model of `support/manual_model.rs`).
//!
//! Link-time receivers are global to this test binary and tests run in parallel, so each test
//! uses its own database alias and the receivers below act only on the aliases they are meant for.

#[path = "support/events.rs"]
mod events;

#[path = "support/manual_model.rs"]
mod manual_model;

use std::sync::atomic::{AtomicUsize, Ordering};

use clarion::db::{self, Database, Transaction};
use clarion::models::{DeleteOrigin, Instance, MAX_SAVE_DEPTH};
use clarion::prelude::*;
use clarion::{Error, Value};
use events::{events, log};
use manual_model::Article;

/// A fresh in-memory database registered as `alias`, with the `article` table.
fn database(alias: &str) -> Database {
    let database = Database::open_as(alias, "sqlite::memory:").unwrap();
    database
        .atomic(|tx| {
            tx.execute_batch(
                "CREATE TABLE article (id integer PRIMARY KEY AUTOINCREMENT, title text NOT NULL, \
                 slug text NOT NULL UNIQUE, views integer NULL);
                 CREATE TABLE comment (id integer PRIMARY KEY AUTOINCREMENT, body text NOT NULL);
                 CREATE TABLE audit (entry text NOT NULL);",
            )
        })
        .unwrap();
    db::register(database.clone());
    database
}

fn article(title: &str) -> Article {
    Article {
        id: None,
        title: title.into(),
        slug: String::new(),
        views: None,
    }
}

fn count(alias: &str, table: &str) -> i64 {
    db::atomic_using(alias, |tx| {
        tx.query_row(&format!("SELECT count(*) FROM {table}"), (), |row| {
            row.get(0)
        })
    })
    .unwrap()
}

fn save(article: &mut Article, alias: &str) -> clarion::Result<()> {
    article.save_with(SaveOptions::new().using(alias))
}

/// A second model, derived: the sender-less receivers typed for `Article` must skip it.
#[derive(Model, Debug)]
pub(crate) struct Comment {
    pub(crate) id: Option<i64>,
    pub(crate) body: String,
}

// --- receivers -----------------------------------------------------------------------------

#[receiver(pre_save, sender = Article)]
fn slugify(instance: &mut Article, using: &str) -> clarion::Result<()> {
    if instance.slug.is_empty() {
        instance.slug = instance.title.to_lowercase().replace(' ', "-");
    }
    if using.starts_with("veto") && instance.title == "forbidden" {
        return Err("titles may not be `forbidden`".into());
    }
    Ok(())
}

#[receiver(post_save, sender = Article)]
fn record_post_save(
    instance: &Article,
    created: bool,
    raw: bool,
    using: &str,
    update_fields: Option<&[&str]>,
    tx: &Transaction,
) -> clarion::Result<()> {
    log(
        using,
        format!(
            "post_save {} id={:?} created={created} raw={raw} fields={update_fields:?}",
            instance.title, instance.id
        ),
    );
    match using {
        "audit" => {
            tx.execute(
                "INSERT INTO audit (entry) VALUES (?1)",
                [format!("saved {}", instance.title)],
            )?;
        }
        alias if alias.starts_with("fail_post") => return Err("post_save refused".into()),
        "panic_post" => panic!("post_save panicked"),
        _ => {}
    }
    Ok(())
}

/// A receiver for every model: the dynamic view.
#[receiver(post_save)]
fn every_model(instance: &dyn Instance, created: bool, using: &str) {
    if using == "dynamic" {
        log(
            using,
            format!(
                "any {} {} title={} created={created}",
                instance.meta().label,
                instance.meta().table,
                instance.get("title").unwrap_or(Value::Null)
            ),
        );
    }
}

/// No `sender`, but a typed instance: called only for `Article`s.
#[receiver(pre_delete)]
fn typed_without_sender(instance: &Article, using: &str, origin: &DeleteOrigin) {
    log(using, format!("pre_delete {:?} {origin:?}", instance.id));
}

#[receiver(post_delete, sender = Article)]
fn after_delete(instance: &Article, using: &str, tx: &Transaction) -> clarion::Result<()> {
    // The row is gone, but the instance keeps its key inside the receivers.
    let left: i64 = tx.query_row(
        "SELECT count(*) FROM article WHERE id = ?1",
        [instance.id],
        |r| r.get(0),
    )?;
    log(
        using,
        format!("post_delete {:?} rows_left={left}", instance.id),
    );
    Ok(())
}

static RESAVES: AtomicUsize = AtomicUsize::new(0);

#[receiver(post_save, sender = Article)]
fn resave_forever(instance: &mut Article, using: &str) -> clarion::Result<()> {
    if using == "recursion" {
        RESAVES.fetch_add(1, Ordering::Relaxed);
        instance.views = Some(instance.views.unwrap_or(0) + 1);
        instance.save_with(SaveOptions::new().using(using))?;
    }
    Ok(())
}

#[receiver(post_save, sender = Article, on = commit)]
fn after_commit(instance: &Article, created: bool, using: &str) -> clarion::Result<()> {
    log(
        using,
        format!("committed {} created={created}", instance.title),
    );
    if using == "commit_fails" {
        return Err("the mail server is down".into());
    }
    Ok(())
}

#[receiver(post_delete, sender = Article, on = commit)]
fn after_delete_commit(instance: &Article, using: &str, origin: &DeleteOrigin) {
    log(
        using,
        format!("deleted and committed {:?} {origin:?}", instance.id),
    );
}

#[receiver(post_init, sender = Article)]
fn loaded(instance: &Article, using: &str) {
    log(using, format!("post_init {}", instance.title));
}

// --- tests ---------------------------------------------------------------------------------

#[test]
fn post_save_gets_django_arguments() -> clarion::Result<()> {
    let _db = database("args");
    let mut a = article("First Post");
    save(&mut a, "args")?;
    assert_eq!(
        a.slug, "first-post",
        "pre_save changed the instance before the write"
    );
    a.views = Some(1);
    save(&mut a, "args")?;
    a.save_with(SaveOptions::new().using("args").update_fields(&["views"]))?;
    // A key that matches no row inserts, and `created` says so.
    let mut b = Article {
        id: Some(40),
        ..article("Given Key")
    };
    save(&mut b, "args")?;
    let log = events("args");
    let saves: Vec<_> = log.iter().filter(|e| e.starts_with("post_save")).collect();
    assert_eq!(
        saves,
        [
            "post_save First Post id=Some(1) created=true raw=false fields=None",
            "post_save First Post id=Some(1) created=false raw=false fields=None",
            "post_save First Post id=Some(1) created=false raw=false fields=Some([\"views\"])",
            "post_save Given Key id=Some(40) created=true raw=false fields=None",
        ]
    );
    Ok(())
}

#[test]
fn empty_update_fields_writes_and_sends_nothing() -> clarion::Result<()> {
    let _db = database("empty_fields");
    let mut a = article("Kept");
    save(&mut a, "empty_fields")?;
    let before = events("empty_fields").len();
    a.title = "Changed".into();
    a.save_with(SaveOptions::new().using("empty_fields").update_fields(&[]))?;
    assert_eq!(events("empty_fields").len(), before);
    a.refresh_from_db_using("empty_fields")?;
    assert_eq!(a.title, "Kept");
    Ok(())
}

#[test]
fn unknown_update_field_fails_before_any_signal() {
    let _db = database("unknown_field");
    let mut a = article("Typo");
    save(&mut a, "unknown_field").unwrap();
    let before = events("unknown_field").len();
    let error = a
        .save_with(
            SaveOptions::new()
                .using("unknown_field")
                .update_fields(&["titel"]),
        )
        .unwrap_err();
    assert!(
        matches!(&error, Error::UnknownField { field, .. } if field == "titel"),
        "{error}"
    );
    assert!(
        error.to_string().contains("id, title, slug, views"),
        "{error}"
    );
    assert_eq!(events("unknown_field").len(), before);
}

#[test]
fn pre_save_error_aborts_and_nothing_is_written() {
    let _db = database("veto");
    let error = save(&mut article("forbidden"), "veto").unwrap_err();
    assert_eq!(error.receiver(), Some("models_signals::slugify"));
    assert!(
        error.to_string().contains("may not be `forbidden`"),
        "{error}"
    );
    assert_eq!(count("veto", "article"), 0);
}

#[test]
fn failing_post_save_rolls_the_row_back() {
    let _db = database("fail_post");
    let mut a = article("Doomed");
    let error = save(&mut a, "fail_post").unwrap_err();
    assert_eq!(error.receiver(), Some("models_signals::record_post_save"));
    // Django would leave this row written; the save and its receivers are one transaction.
    assert_eq!(count("fail_post", "article"), 0);
}

#[test]
fn panicking_post_save_rolls_back_and_reports_the_panic() {
    let _db = database("panic_post");
    let error = save(&mut article("Boom"), "panic_post").unwrap_err();
    match &error {
        Error::Receiver {
            receiver, source, ..
        } => {
            assert_eq!(*receiver, "models_signals::record_post_save");
            assert!(
                matches!(&**source, Error::Panic { message } if message == "post_save panicked")
            );
        }
        other => panic!("expected a receiver error, got {other}"),
    }
    assert_eq!(count("panic_post", "article"), 0);
}

#[test]
fn receivers_write_in_the_save_transaction() -> clarion::Result<()> {
    let _db = database("audit");
    save(&mut article("Audited"), "audit")?;
    assert_eq!(count("audit", "audit"), 1);
    // Inside an outer block, a failure after the save undoes the save and the audit row.
    let result = db::atomic_using("audit", |_| {
        save(&mut article("Rolled Back"), "audit")?;
        Err::<(), _>(Error::msg("changed my mind"))
    });
    assert!(result.is_err());
    assert_eq!(count("audit", "article"), 1);
    assert_eq!(count("audit", "audit"), 1);
    Ok(())
}

#[test]
fn a_failed_save_inside_atomic_undoes_only_itself() -> clarion::Result<()> {
    let _db = database("veto_nested");
    db::atomic_using("veto_nested", |_| {
        save(&mut article("allowed"), "veto_nested")?;
        assert!(save(&mut article("forbidden"), "veto_nested").is_err());
        Ok(())
    })?;
    assert_eq!(count("veto_nested", "article"), 1);
    Ok(())
}

#[test]
fn a_save_that_fails_after_writing_inside_atomic_rolls_the_whole_block_back() {
    let _db = database("fail_post");
    let mut kept = article("Before");
    // Saved outside: `record_post_save` fails for every save on "fail_post", so write by hand.
    db::atomic_using("fail_post", |tx| {
        tx.execute(
            "INSERT INTO article (title, slug) VALUES ('Before', 'before')",
            (),
        )
        .map(drop)
    })
    .unwrap();
    kept.id = Some(1);
    let result = db::atomic_using("fail_post", |tx| {
        tx.execute("INSERT INTO audit (entry) VALUES ('in the block')", ())?;
        // The save joins this block without a savepoint; its post_save receiver fails after the
        // row was written, so the block can only roll back.
        let failed = save(&mut article("Doomed"), "fail_post");
        assert!(failed.is_err());
        let next = tx.execute("INSERT INTO audit (entry) VALUES ('after')", ());
        assert!(matches!(next, Err(Error::RollbackOnly { .. })), "{next:?}");
        Ok(()) // the error was swallowed: the block still must not commit
    });
    let error = result.unwrap_err();
    assert!(
        matches!(&error, Error::RollbackOnly { reason, .. } if reason.contains("post_save refused")),
        "{error}"
    );
    assert_eq!(count("fail_post", "article"), 1);
    assert_eq!(count("fail_post", "audit"), 0);
}

#[test]
fn a_failed_save_in_its_own_atomic_block_lets_the_outer_block_go_on() -> clarion::Result<()> {
    let _db = database("fail_post_recover");
    db::atomic_using("fail_post_recover", |tx| {
        tx.execute("INSERT INTO audit (entry) VALUES ('kept')", ())?;
        // `record_post_save` fails on aliases starting with "fail_post": the savepoint of the
        // inner block undoes only the save.
        let failed = db::atomic_using("fail_post_recover", |_| {
            save(&mut article("Doomed"), "fail_post_recover")
        });
        assert!(failed.is_err());
        tx.execute("INSERT INTO audit (entry) VALUES ('after')", ())?;
        Ok(())
    })?;
    assert_eq!(count("fail_post_recover", "article"), 0);
    assert_eq!(count("fail_post_recover", "audit"), 2);
    Ok(())
}

#[test]
fn sender_less_receivers_see_every_model_dynamically() -> clarion::Result<()> {
    let _db = database("dynamic");
    save(&mut article("Dyn"), "dynamic")?;
    let label = concat!(env!("CARGO_CRATE_NAME"), ".article");
    assert!(
        events("dynamic").contains(&format!("any {label} article title=\"Dyn\" created=true")),
        "{:?}",
        events("dynamic")
    );
    Ok(())
}

#[test]
fn delete_signals_keep_the_key_and_name_the_origin() -> clarion::Result<()> {
    let _db = database("delete");
    let mut a = article("Short Lived");
    save(&mut a, "delete")?;
    let deleted = a.delete_using("delete")?;
    assert_eq!(deleted.total, 1);
    assert_eq!(a.id, None, "the auto key is cleared after the delete");
    let log: Vec<_> = events("delete")
        .into_iter()
        .filter(|e| e.starts_with("pre_delete") || e.starts_with("post_delete"))
        .collect();
    let label = concat!(env!("CARGO_CRATE_NAME"), ".article");
    assert_eq!(
        log,
        [
            format!("pre_delete Some(1) Instance({label:?})"),
            "post_delete Some(1) rows_left=0".to_owned(),
        ]
    );
    Ok(())
}

#[test]
fn deleting_an_unsaved_instance_is_an_error() {
    let _db = database("delete_unsaved");
    let error = article("Never Saved")
        .delete_using("delete_unsaved")
        .unwrap_err();
    assert!(matches!(error, Error::Validation { .. }), "{error}");
}

#[test]
fn a_receiver_that_resaves_its_instance_hits_the_depth_limit() {
    let _db = database("recursion");
    let error = save(&mut article("Loop"), "recursion").unwrap_err();
    // The error surfaces through every nested receiver; the innermost is the depth limit.
    let mut innermost = &error;
    while let Error::Receiver { source, .. } = innermost {
        innermost = source;
    }
    assert!(
        matches!(innermost, Error::RecursionLimit { depth, .. } if *depth == MAX_SAVE_DEPTH + 1),
        "{innermost}"
    );
    assert!(RESAVES.load(Ordering::Relaxed) >= MAX_SAVE_DEPTH - 1);
    assert_eq!(
        count("recursion", "article"),
        0,
        "nothing of the loop is written"
    );
}

#[test]
fn on_commit_receivers_run_after_the_outermost_commit_only() -> clarion::Result<()> {
    let _db = database("commit");
    db::atomic_using("commit", |_| {
        save(&mut article("Inside"), "commit")?;
        assert!(
            !events("commit").iter().any(|e| e.starts_with("committed")),
            "not before the outer block commits"
        );
        Ok(())
    })?;
    assert!(events("commit").contains(&"committed Inside created=true".to_owned()));
    // A rolled-back save never reaches them.
    let _ = db::atomic_using("commit", |_| {
        save(&mut article("Rolled Back"), "commit")?;
        Err::<(), _>(Error::msg("no"))
    });
    assert!(
        !events("commit")
            .iter()
            .any(|e| e.contains("Rolled Back") && e.starts_with("committed"))
    );
    Ok(())
}

#[test]
fn a_failing_on_commit_receiver_reports_after_the_data_is_committed() {
    let _db = database("commit_fails");
    let error = save(&mut article("Mailed"), "commit_fails").unwrap_err();
    match &error {
        Error::AfterCommit { errors } => {
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].receiver(), Some("models_signals::after_commit"));
        }
        other => panic!("expected AfterCommit, got {other}"),
    }
    assert_eq!(count("commit_fails", "article"), 1, "the save stands");
}

#[test]
fn post_init_is_sent_for_loaded_instances() -> clarion::Result<()> {
    let _db = database("init");
    let mut a = article("Loaded");
    save(&mut a, "init")?;
    a.refresh_from_db_using("init")?;
    assert!(events("init").contains(&"post_init Loaded".to_owned()));
    Ok(())
}

#[test]
fn max_length_is_validated_after_pre_save_and_before_writing() {
    let _db = database("too_long");
    let error = save(&mut article("a title that is far too long"), "too_long").unwrap_err();
    match &error {
        Error::Validation { field, reason, .. } => {
            assert_eq!(field, "title");
            assert!(reason.contains("max_length of 20"), "{reason}");
        }
        other => panic!("expected a validation error, got {other}"),
    }
    assert_eq!(count("too_long", "article"), 0);
}

#[test]
fn constraint_violations_name_the_constraint() {
    let _db = database("unique");
    save(&mut article("Same"), "unique").unwrap();
    let error = save(&mut article("Same"), "unique").unwrap_err();
    match &error {
        Error::Integrity { constraint, .. } => {
            assert_eq!(constraint.as_deref(), Some("article.slug"))
        }
        other => panic!("expected an integrity error, got {other}"),
    }
}

#[test]
fn a_missing_table_says_to_migrate() {
    let database = Database::open_as("no_table", "sqlite::memory:").unwrap();
    db::register(database);
    let error = save(&mut article("Nowhere"), "no_table").unwrap_err();
    assert!(
        matches!(&error, Error::MissingTable { table, .. } if table == "article"),
        "{error}"
    );
    assert!(error.to_string().contains("migrate()"), "{error}");
}

#[test]
fn typed_receivers_without_sender_skip_other_models() -> clarion::Result<()> {
    let _db = database("typed_skip");
    let mut comment = Comment {
        id: None,
        body: "first!".into(),
    };
    comment.save_with(SaveOptions::new().using("typed_skip"))?;
    // `typed_without_sender` takes `instance: &Article`: it is not called for a comment, and the
    // delete succeeds.
    comment.delete_using("typed_skip")?;
    assert!(
        !events("typed_skip")
            .iter()
            .any(|e| e.starts_with("pre_delete")),
        "{:?}",
        events("typed_skip")
    );
    // The sender-less dynamic receiver hears comments too.
    let mut a = article("Typed");
    save(&mut a, "typed_skip")?;
    a.delete_using("typed_skip")?;
    assert!(
        events("typed_skip")
            .iter()
            .any(|e| e.starts_with("pre_delete Some(1)"))
    );
    Ok(())
}

#[test]
fn on_commit_post_delete_gets_a_copy_of_the_deleted_instance() -> clarion::Result<()> {
    let _db = database("delete_commit");
    let mut a = article("Gone");
    save(&mut a, "delete_commit")?;
    db::atomic_using("delete_commit", |_| {
        a.delete_using("delete_commit")?;
        assert!(
            !events("delete_commit")
                .iter()
                .any(|e| e.starts_with("deleted and committed"))
        );
        Ok(())
    })?;
    let label = concat!(env!("CARGO_CRATE_NAME"), ".article");
    assert!(
        events("delete_commit").contains(&format!(
            "deleted and committed Some(1) Instance({label:?})"
        )),
        "{:?}",
        events("delete_commit")
    );
    Ok(())
}

#[test]
fn pk_and_sender_need_no_disambiguation() -> clarion::Result<()> {
    let _db = database("pk");
    let mut a = article("Keyed");
    assert_eq!(a.pk(), Value::Null);
    save(&mut a, "pk")?;
    assert_eq!(a.pk(), Value::Int(1));
    assert_eq!(Article::sender(), Sender::of::<Article>());
    Ok(())
}

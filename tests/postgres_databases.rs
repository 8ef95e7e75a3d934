//! Several databases by alias at once, as Django's `DATABASES`: one SQLite and one PostgreSQL in
//! the same process. Each save, delete, query set and many-to-many change goes to the database
//! it names, every signal reports that alias, and each database has transactions of its own.
//! Needs PostgreSQL (see `tests/support/backend.rs`).

use std::sync::Mutex;

use clarion::db::{self, Backend, Database};
use clarion::prelude::*;

#[path = "support/backend.rs"]
mod backend;

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "multi", many_to_many(tags = Label))]
pub struct Note {
    pub id: Option<i64>,
    #[model(max_length = 50)]
    pub text: String,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "multi")]
pub struct Label {
    pub id: Option<i64>,
    pub name: String,
}

/// `(signal, alias)` of every signal heard for `Note`.
static HEARD: Mutex<Vec<(&'static str, String)>> = Mutex::new(Vec::new());

#[receiver(post_save, sender = Note)]
fn saved(using: &str) {
    HEARD.lock().unwrap().push(("post_save", using.to_owned()));
}

#[receiver(post_delete, sender = Note)]
fn deleted(using: &str) {
    HEARD
        .lock()
        .unwrap()
        .push(("post_delete", using.to_owned()));
}

#[receiver(m2m_changed, sender = NoteTags)]
fn tagged(using: &str, action: M2mAction) {
    if action == M2mAction::PostAdd {
        HEARD
            .lock()
            .unwrap()
            .push(("m2m_changed", using.to_owned()));
    }
}

const LITE: &str = "multi_sqlite";
const PG: &str = "multi_postgres";

fn setup() {
    db::register(Database::open_as(LITE, "sqlite::memory:").unwrap());
    backend::register(PG);
    assert_eq!(db::database(PG).unwrap().backend(), Backend::Postgres);
    assert_eq!(db::database(LITE).unwrap().backend(), Backend::Sqlite);
    clarion::migrate_using(LITE).unwrap();
    clarion::migrate_using(PG).unwrap();
}

fn note(text: &str, using: &str) -> Note {
    let mut note = Note {
        id: None,
        text: text.into(),
    };
    note.save_with(SaveOptions::new().using(using)).unwrap();
    note
}

fn texts(using: &str) -> Vec<String> {
    let mut texts: Vec<String> = Note::objects()
        .using(using.to_owned())
        .all()
        .unwrap()
        .into_iter()
        .map(|n| n.text)
        .collect();
    texts.sort();
    texts
}

#[test]
fn each_operation_goes_to_the_database_it_names_and_its_signals_say_which() {
    setup();
    let mut lite = note("on sqlite", LITE);
    let mut pg = note("on postgres", PG);
    note("also on postgres", PG);
    assert_eq!(texts(LITE), ["on sqlite"]);
    assert_eq!(texts(PG), ["also on postgres", "on postgres"]);

    let mut label = Label {
        id: None,
        name: "x".into(),
    };
    label.save_with(SaveOptions::new().using(PG)).unwrap();
    pg.tags().using(PG).add([&label]).unwrap();
    assert_eq!(pg.tags().using(PG).keys().unwrap().len(), 1);

    lite.delete_using(LITE).unwrap();
    pg.delete_using(PG).unwrap();
    assert_eq!(texts(LITE), Vec::<String>::new());
    assert_eq!(texts(PG), ["also on postgres"]);

    // Only this test's aliases: the other test runs at the same time.
    let heard: Vec<(&str, String)> = HEARD
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, alias)| alias.starts_with("multi_"))
        .cloned()
        .collect();
    let expected: Vec<(&str, String)> = vec![
        ("post_save", LITE.into()),
        ("post_save", PG.into()),
        ("post_save", PG.into()),
        ("m2m_changed", PG.into()),
        ("post_delete", LITE.into()),
        ("post_delete", PG.into()),
    ];
    assert_eq!(heard, expected);
}

#[test]
fn each_database_has_transactions_of_its_own() {
    let lite = "own_tx_sqlite";
    let pg = "own_tx_postgres";
    db::register(Database::open_as(lite, "sqlite::memory:").unwrap());
    backend::register(pg);
    clarion::migrate_using(lite).unwrap();
    clarion::migrate_using(pg).unwrap();
    // A block on SQLite that fails after a save on PostgreSQL: the PostgreSQL save ran in a
    // transaction of its own (there is none open on that alias) and is committed; the SQLite
    // save is rolled back with the block. Django's `atomic(using=…)` is per database too.
    let outcome = db::atomic_using(lite, |tx| {
        assert_eq!(tx.backend(), Backend::Sqlite);
        note("rolled back", lite);
        note("committed alone", pg);
        Err::<(), _>(clarion::Error::msg("the SQLite block fails"))
    });
    assert!(outcome.is_err());
    assert_eq!(texts(lite), Vec::<String>::new());
    assert_eq!(texts(pg), ["committed alone"]);
    // Blocks on both at once: each commits or rolls back its own.
    db::atomic_using(pg, |outer| {
        assert_eq!(outer.backend(), Backend::Postgres);
        note("pg kept", pg);
        let inner = db::atomic_using(lite, |_| {
            note("lite kept", lite);
            Ok(())
        });
        assert!(inner.is_ok());
        Ok(())
    })
    .unwrap();
    assert_eq!(texts(lite), ["lite kept"]);
    assert_eq!(texts(pg), ["committed alone", "pg kept"]);
}

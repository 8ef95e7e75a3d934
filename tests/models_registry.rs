//! The registry of models and `class_prepared`, which is sent once per process when the registry
//! is first built: a binary of its own, so that its first use is this test's.

use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

use clarion::db::{self, Database};
use clarion::models::{ForeignKey, ModelMeta, models};
use clarion::prelude::*;

const ALIAS: &str = "registry";

#[allow(missing_docs)]
#[derive(Model, Debug)]
#[model(app_label = "registry")]
pub struct Shelf {
    pub id: Option<i64>,
    pub name: String,
}

#[allow(missing_docs)]
#[derive(Model, Debug)]
#[model(app_label = "registry")]
pub struct Volume {
    pub id: Option<i64>,
    pub title: String,
    #[model(on_delete = cascade)]
    pub shelf: ForeignKey<Shelf>,
}

/// What the `class_prepared` receiver saw: the labels `models()` listed, and what its delete did.
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Reaches the registry while it is being built, twice: directly, and through a delete that
/// cascades (which looks up the foreign keys pointing at the model in the registry).
#[receiver(class_prepared)]
fn reach_the_registry(model: &ModelMeta) {
    if model.label != "registry.shelf" {
        return;
    }
    let mut seen = SEEN.lock().unwrap();
    seen.extend(models().iter().map(|m| m.meta().label.to_owned()));
    match Shelf::objects().using(ALIAS).delete() {
        Ok(deleted) => seen.push(format!("deleted {}", deleted.total)),
        Err(error) => seen.push(format!("failed: {error}")),
    }
}

/// Regression: the registry sent `class_prepared` inside a `Once`, and a receiver that reached
/// the registry again re-entered it on the same thread, which deadlocked `migrate()` forever.
#[test]
fn a_class_prepared_receiver_may_list_the_models_and_delete_rows() {
    let database = Database::open_as(ALIAS, "sqlite::memory:").unwrap();
    db::register(database);
    // The tables and rows are made by hand: `migrate()` would build the registry first.
    db::atomic_using(ALIAS, |tx| {
        tx.execute_batch(&format!(
            "CREATE TABLE \"{shelf}\" (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT, \"name\" TEXT NOT NULL);
             CREATE TABLE \"{volume}\" (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT, \"title\" TEXT NOT NULL,
                 \"{column}\" INTEGER NOT NULL REFERENCES \"{shelf}\" (\"id\"));
             INSERT INTO \"{shelf}\" VALUES (1, 'fiction');
             INSERT INTO \"{volume}\" VALUES (1, 'Dune', 1);",
            shelf = Shelf::META.table,
            volume = Volume::META.table,
            column = Volume::META.fields[2].column,
        ))
    })
    .unwrap();

    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(clarion::migrate_using(ALIAS).map(|m| m.created.len()));
    });
    let created = finished
        .recv_timeout(Duration::from_secs(60))
        .expect("migrate() finishes: a class_prepared receiver that reaches the registry must not hang it")
        .unwrap();
    assert_eq!(created, 0, "the tables were there already");

    let seen = SEEN.lock().unwrap().clone();
    assert_eq!(
        seen,
        ["registry.shelf", "registry.volume", "deleted 2"],
        "the receiver listed every model and its delete cascaded"
    );
    assert_eq!(Volume::objects().using(ALIAS).count().unwrap(), 0);
    // Every later use of the registry, on any thread, sees it built once.
    let labels = std::thread::spawn(|| models().len()).join().unwrap();
    assert_eq!(labels, 2);
}

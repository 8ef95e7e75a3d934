//! The runtime of models, on a hand-written `impl Model` (see `support/manual_model.rs`).

#[path = "support/manual_model.rs"]
mod manual_model;

use clarion::db::{self, Database};
use clarion::prelude::*;
use manual_model::Article;

fn setup() -> Database {
    let database = Database::open("sqlite::memory:").unwrap();
    database
        .atomic(|tx| {
            tx.execute_batch(
                "CREATE TABLE article (id integer PRIMARY KEY AUTOINCREMENT, title text NOT NULL, \
                 slug text NOT NULL UNIQUE, views integer NULL)",
            )
        })
        .unwrap();
    db::register(database.clone());
    database
}

#[receiver(pre_save, sender = Article)]
fn slugify(instance: &mut Article) {
    if instance.slug.is_empty() {
        instance.slug = instance.title.to_lowercase().replace(' ', "-");
    }
}

#[test]
fn save_inserts_then_updates_and_pre_save_sets_the_slug() -> clarion::Result<()> {
    let _db = setup();
    let mut article = Article {
        id: None,
        title: "Hello World".into(),
        slug: String::new(),
        views: None,
    };
    article.save()?;
    assert_eq!(article.id, Some(1));
    assert_eq!(article.slug, "hello-world");
    article.views = Some(3);
    article.save()?;
    let mut fresh = Article {
        id: Some(1),
        title: String::new(),
        slug: String::new(),
        views: None,
    };
    fresh.refresh_from_db()?;
    assert_eq!(fresh, article);
    let deleted = fresh.delete()?;
    assert_eq!(deleted.total, 1);
    assert_eq!(fresh.id, None);
    Ok(())
}

//! Foreign keys: loading both sides, and deletes that cascade, protect, set null or a default, or
//! do nothing, with the signals in the order of Django's `Collector`.

#[path = "support/events.rs"]
mod events;
#[path = "support/memory_db.rs"]
mod memory_db;

use clarion::db;
use clarion::models::signals::Delete;
use clarion::models::{DeleteOrigin, ForeignKey, Instance, OnDelete, models};
use clarion::prelude::*;
use clarion::{Error, Value};
use events::{events, log};
use memory_db::{database, save};

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct Author {
    pub id: Option<i64>,
    pub name: String,
}

/// A proxy of `Author`: deleting through it cascades as deleting an `Author` does.
#[proxy(of = Author, app_label = "rel")]
#[derive(Debug)]
pub struct Writer;

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct Book {
    pub id: Option<i64>,
    pub title: String,
    #[model(on_delete = cascade)]
    pub author: ForeignKey<Author>,
    #[model(on_delete = set_null)]
    pub editor: Option<ForeignKey<Author>>,
}

/// Has receivers: cascaded chapters are loaded and announced.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct Chapter {
    pub id: Option<i64>,
    pub title: String,
    #[model(on_delete = cascade)]
    pub book: ForeignKey<Book>,
}

/// No receivers and nothing points at it: cascaded notes go by one `DELETE`.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct Note {
    pub id: Option<i64>,
    pub text: String,
    #[model(on_delete = cascade)]
    pub book: ForeignKey<Book>,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct Review {
    pub id: Option<i64>,
    pub stars: i64,
    #[model(on_delete = protect)]
    pub book: ForeignKey<Book>,
}

/// Points at author 1 once its own author is gone.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct Pin {
    pub id: Option<i64>,
    #[model(on_delete = set_default, default = ForeignKey::new(1))]
    pub author: ForeignKey<Author>,
}

/// Leaves a dangling key to the database.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct Mention {
    pub id: Option<i64>,
    #[model(on_delete = do_nothing)]
    pub author: ForeignKey<Author>,
}

/// A tree: deleting a category deletes its subcategories, all the way down.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct Category {
    pub id: Option<i64>,
    pub name: String,
    #[model(on_delete = cascade)]
    pub parent: Option<ForeignKey<Category>>,
}

/// A chain: each link's parent is the one before, as deep as a test makes it.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct Link {
    pub id: Option<i64>,
    #[model(on_delete = cascade)]
    pub parent: Option<ForeignKey<Link>>,
}

/// Links deleted on each alias: a receiver turns the fast delete off, so every link is loaded.
static LINKS_DELETED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

#[receiver(post_delete, sender = Link)]
fn link_deleted(using: &str) {
    LINKS_DELETED.lock().unwrap().push(using.to_owned());
}

/// A key to a proxy: its column references the concrete model's table.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct Dedication {
    pub id: Option<i64>,
    #[model(on_delete = cascade)]
    pub to: ForeignKey<Writer>,
}

/// A key that is not an integer.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct Country {
    #[model(primary_key)]
    pub code: String,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct City {
    pub id: Option<i64>,
    pub name: String,
    #[model(on_delete = cascade)]
    pub country: ForeignKey<Country>,
}

fn origin_text(origin: &DeleteOrigin) -> String {
    match origin {
        DeleteOrigin::Instance { model, pk } => format!("instance {model} {pk}"),
        DeleteOrigin::QuerySet { model, .. } => format!("queryset {model}"),
        other => format!("{other:?}"),
    }
}

#[receiver(pre_delete, sender = Author)]
fn author_pre_delete(instance: &Author, using: &str, origin: &DeleteOrigin) {
    log(
        using,
        format!(
            "pre_delete author {} ({})",
            instance.id.unwrap(),
            origin_text(origin)
        ),
    );
}

#[receiver(post_delete, sender = Author)]
fn author_post_delete(sender: Sender, instance: &Author, using: &str) {
    let by = sender.name().rsplit("::").next().unwrap_or_default();
    log(
        using,
        format!("post_delete author {} by {by}", instance.id.unwrap()),
    );
}

#[receiver(pre_delete, sender = Book)]
fn book_pre_delete(instance: &Book, using: &str, origin: &DeleteOrigin) {
    log(
        using,
        format!(
            "pre_delete book {} ({})",
            instance.id.unwrap(),
            origin_text(origin)
        ),
    );
}

#[receiver(post_delete, sender = Book)]
fn book_post_delete(instance: &Book, using: &str) {
    log(using, format!("post_delete book {}", instance.id.unwrap()));
}

#[receiver(pre_delete, sender = Chapter)]
fn chapter_pre_delete(instance: &Chapter, using: &str, origin: &DeleteOrigin) {
    log(
        using,
        format!(
            "pre_delete chapter {} ({})",
            instance.id.unwrap(),
            origin_text(origin)
        ),
    );
}

#[receiver(post_delete, sender = Chapter)]
fn chapter_post_delete(instance: &Chapter, using: &str) {
    log(
        using,
        format!("post_delete chapter {}", instance.id.unwrap()),
    );
}

#[receiver(pre_delete, sender = Category)]
fn category_pre_delete(instance: &Category, using: &str) {
    log(using, format!("pre_delete category {}", instance.name));
}

#[receiver(post_delete, sender = Category)]
fn category_post_delete(instance: &Category, using: &str) {
    log(using, format!("post_delete category {}", instance.name));
}

#[receiver(post_save, sender = Book)]
fn book_saved(instance: &Book, using: &str, created: bool) {
    if !created {
        log(using, format!("post_save book {}", instance.id.unwrap()));
    }
}

fn author(name: &str, alias: &str) -> Author {
    save(
        Author {
            id: None,
            name: name.into(),
        },
        alias,
    )
}

fn book(title: &str, author: &Author, alias: &str) -> Book {
    save(
        Book {
            id: None,
            title: title.into(),
            author: ForeignKey::to(author).unwrap(),
            editor: None,
        },
        alias,
    )
}

fn chapter(title: &str, book: &Book, alias: &str) -> Chapter {
    save(
        Chapter {
            id: None,
            title: title.into(),
            book: ForeignKey::to(book).unwrap(),
        },
        alias,
    )
}

fn count<M: Model>(alias: &str) -> usize {
    M::objects().using(alias.to_owned()).count().unwrap()
}

#[test]
fn a_foreign_key_loads_its_row_and_the_target_reaches_the_rows_that_point_at_it() {
    let alias = database("rel_load");
    let ann = author("ann", alias);
    let bob = author("bob", alias);
    let first = book("first", &ann, alias);
    book("second", &ann, alias);
    book("third", &bob, alias);

    assert_eq!(first.author.get_using(alias).unwrap(), ann);
    assert!(first.author.is(&ann) && !first.author.is(&bob));
    assert_eq!(*first.author.key(), ann.id.unwrap());
    let stored = Book::objects()
        .using(alias)
        .filter(Book::TITLE.eq("first"))
        .get()
        .unwrap();
    assert_eq!(stored.author, ForeignKey::to(&ann).unwrap());

    let anns = ann.related(Book::AUTHOR).unwrap().using(alias);
    assert_eq!(anns.count().unwrap(), 2);
    let titles: Vec<String> = anns
        .order_by(Book::TITLE)
        .all()
        .unwrap()
        .into_iter()
        .map(|b| b.title)
        .collect();
    assert_eq!(titles, ["first", "second"]);
    assert_eq!(
        bob.related(Book::EDITOR)
            .unwrap()
            .using(alias)
            .count()
            .unwrap(),
        0
    );
    // Filters take keys too.
    let by_bob = Book::objects()
        .using(alias)
        .filter(Book::AUTHOR.eq(ForeignKey::new(bob.id.unwrap())));
    assert_eq!(by_bob.count().unwrap(), 1);

    // A key that points at no row.
    let missing = ForeignKey::<Author>::new(999).get_using(alias).unwrap_err();
    assert!(matches!(
        missing,
        Error::DoesNotExist {
            model: "rel.author"
        }
    ));
}

#[test]
fn an_unsaved_target_cannot_be_pointed_at() {
    let unsaved = Author {
        id: None,
        name: "nobody".into(),
    };
    let error = ForeignKey::to(&unsaved).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Unsaved {
                model: "rel.author"
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("save it"), "{error}");
    assert!(matches!(
        unsaved.related(Book::AUTHOR).unwrap_err(),
        Error::Unsaved { .. }
    ));
}

#[test]
fn the_metadata_names_the_column_the_target_and_the_rule() {
    let field = Book::AUTHOR.meta();
    assert_eq!(field.column, "author_id");
    let related = field.related.expect("a foreign key has its relation");
    assert_eq!(related.target().label, "rel.author");
    assert_eq!(related.on_delete(), OnDelete::Cascade);
    let editor = Book::EDITOR.meta();
    assert!(editor.nullable);
    assert_eq!(editor.related.unwrap().on_delete(), OnDelete::SetNull);
    assert!(Book::TITLE.meta().related.is_none());
    assert!(models().iter().any(|m| m.meta().label == "rel.category"));
}

#[test]
fn a_foreign_key_is_a_database_constraint_checked_at_the_commit() {
    let alias = database("rel_constraint");
    let error = Book {
        id: None,
        title: "orphan".into(),
        author: ForeignKey::new(42),
        editor: None,
    }
    .save_with(SaveOptions::new().using(alias))
    .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Integrity {
                kind: clarion::ConstraintKind::ForeignKey,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(count::<Book>(alias), 0);
    // Inside one transaction, a row may point at one written after it.
    db::atomic_using(alias, |_| {
        let mut book = Book {
            id: None,
            title: "early".into(),
            author: ForeignKey::new(7),
            editor: None,
        };
        book.save_with(SaveOptions::new().using(alias))?;
        Author {
            id: Some(7),
            name: "late".into(),
        }
        .save_with(SaveOptions::new().using(alias))
    })
    .unwrap();
    assert_eq!(count::<Book>(alias), 1);
}

#[test]
fn deleting_cascades_with_every_pre_delete_first_then_each_model_deleted_by_descending_key() {
    let alias = database("rel_cascade");
    let ann = author("ann", alias);
    let b1 = book("b1", &ann, alias);
    let b2 = book("b2", &ann, alias);
    let c1 = chapter("c1", &b1, alias);
    let c2 = chapter("c2", &b2, alias);
    let c3 = chapter("c3", &b1, alias);
    for (text, book) in [("n1", &b1), ("n2", &b2)] {
        save(
            Note {
                id: None,
                text: text.into(),
                book: ForeignKey::to(book).unwrap(),
            },
            alias,
        );
    }
    let other = author("other", alias);
    let kept = book("kept", &other, alias);
    chapter("kept", &kept, alias);

    // Every cascaded row's receivers can tell that the delete was called on `ann` (Django's
    // `origin is ann`), and not on another author.
    let origin_is = {
        let (ann, other) = (ann.clone(), other.clone());
        clarion::testing::capture(&pre_delete, move |_, args: &Delete<'_>| {
            (
                args.origin.is_instance(&ann),
                args.origin.is_instance(&other),
            )
        })
    };
    let mut ann = ann;
    let deleted = ann.delete_using(alias).unwrap();
    assert_eq!(
        origin_is.take(),
        [(true, false); 8],
        "3 chapters, 2 notes, 2 books, ann"
    );
    let (c1, c2, c3) = (c1.id.unwrap(), c2.id.unwrap(), c3.id.unwrap());
    let (b1, b2) = (b1.id.unwrap(), b2.id.unwrap());
    assert_eq!(
        events(alias),
        [
            format!("pre_delete chapter {c1} (instance rel.author 1)"),
            format!("pre_delete chapter {c2} (instance rel.author 1)"),
            format!("pre_delete chapter {c3} (instance rel.author 1)"),
            format!("pre_delete book {b1} (instance rel.author 1)"),
            format!("pre_delete book {b2} (instance rel.author 1)"),
            "pre_delete author 1 (instance rel.author 1)".to_owned(),
            format!("post_delete chapter {c3}"),
            format!("post_delete chapter {c2}"),
            format!("post_delete chapter {c1}"),
            format!("post_delete book {b2}"),
            format!("post_delete book {b1}"),
            "post_delete author 1 by Author".to_owned(),
        ]
    );
    assert_eq!(deleted.total, 8, "{deleted:?}");
    assert_eq!(deleted.per_model["rel.author"], 1);
    assert_eq!(deleted.per_model["rel.book"], 2);
    assert_eq!(deleted.per_model["rel.chapter"], 3);
    assert_eq!(
        deleted.per_model["rel.note"], 2,
        "notes go by a fast delete"
    );
    assert_eq!(ann.id, None);
    // The other author's rows are untouched.
    assert_eq!(count::<Author>(alias), 1);
    assert_eq!(count::<Book>(alias), 1);
    assert_eq!(count::<Chapter>(alias), 1);
    assert_eq!(count::<Note>(alias), 0);
}

#[test]
fn a_query_set_delete_cascades_with_its_own_origin() {
    let alias = database("rel_queryset");
    let ann = author("ann", alias);
    let bob = author("bob", alias);
    let b1 = book("b1", &ann, alias);
    let b2 = book("b2", &bob, alias);
    let deleted = Author::objects().using(alias).delete().unwrap();
    assert_eq!(deleted.total, 4);
    assert_eq!(
        events(alias),
        [
            format!("pre_delete book {} (queryset rel.author)", b1.id.unwrap()),
            format!("pre_delete book {} (queryset rel.author)", b2.id.unwrap()),
            "pre_delete author 1 (queryset rel.author)".to_owned(),
            "pre_delete author 2 (queryset rel.author)".to_owned(),
            format!("post_delete book {}", b2.id.unwrap()),
            format!("post_delete book {}", b1.id.unwrap()),
            "post_delete author 2 by Author".to_owned(),
            "post_delete author 1 by Author".to_owned(),
        ]
    );
    assert_eq!(count::<Book>(alias), 0);
}

/// Regression: a model the delete reached but removed nothing from (notes, deleted by one fast
/// `DELETE` that matched no row) was reported with a count of zero; Django leaves it out.
#[test]
fn the_counts_of_a_delete_name_only_the_models_it_deleted_rows_of() {
    let alias = database("rel_counts");
    let ann = author("ann", alias);
    book("b1", &ann, alias);
    let deleted = Book::objects().using(alias).delete().unwrap();
    assert_eq!(deleted.total, 1);
    assert_eq!(
        deleted.per_model.into_iter().collect::<Vec<_>>(),
        [("rel.book", 1)],
        "no entry for chapters or notes, of which there were none"
    );
    let nothing = Book::objects().using(alias).delete().unwrap();
    assert_eq!(nothing.total, 0);
    assert!(nothing.per_model.is_empty(), "{nothing:?}");
}

#[test]
fn deleting_through_a_proxy_cascades_and_reaches_the_concrete_models_receivers() {
    let alias = database("rel_proxy");
    let ann = author("ann", alias);
    let b1 = book("b1", &ann, alias);
    let mut writer = Writer::from(ann);
    let deleted = writer.delete_using(alias).unwrap();
    assert_eq!(deleted.per_model["rel.writer"], 1, "{deleted:?}");
    assert_eq!(deleted.per_model["rel.book"], 1);
    assert_eq!(
        events(alias),
        [
            format!("pre_delete book {} (instance rel.writer 1)", b1.id.unwrap()),
            "pre_delete author 1 (instance rel.writer 1)".to_owned(),
            format!("post_delete book {}", b1.id.unwrap()),
            "post_delete author 1 by Writer".to_owned(),
        ]
    );
    assert_eq!(count::<Book>(alias), 0);
    assert_eq!(count::<Author>(alias), 0);
}

#[test]
fn a_protected_row_refuses_the_delete_and_nothing_is_deleted_or_sent() {
    let alias = database("rel_protect");
    let mut ann = author("ann", alias);
    let b1 = book("b1", &ann, alias);
    chapter("c1", &b1, alias);
    let mut reviews = Vec::new();
    for stars in [4, 5] {
        reviews.push(save(
            Review {
                id: None,
                stars,
                book: ForeignKey::to(&b1).unwrap(),
            },
            alias,
        ));
    }
    let error = ann.delete_using(alias).unwrap_err();
    match &error {
        Error::Protected {
            model,
            relations,
            objects,
        } => {
            assert_eq!(*model, "rel.author");
            assert_eq!(relations, &["rel.review.book"]);
            assert_eq!(
                objects,
                &[
                    ("rel.review", Value::Int(reviews[0].id.unwrap())),
                    ("rel.review", Value::Int(reviews[1].id.unwrap())),
                ]
            );
        }
        other => panic!("expected Protected, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("protected foreign keys (rel.review.book)"),
        "{message}"
    );
    assert!(message.contains("rel.review 1"), "{message}");
    assert!(events(alias).is_empty(), "{:?}", events(alias));
    assert_eq!(ann.id, Some(1), "the instance keeps its key");
    assert_eq!(
        (
            count::<Author>(alias),
            count::<Book>(alias),
            count::<Chapter>(alias)
        ),
        (1, 1, 1)
    );
    // Once the reviews are gone, the delete goes through.
    Review::objects().using(alias).delete().unwrap();
    assert_eq!(ann.delete_using(alias).unwrap().total, 3);
}

#[test]
fn set_null_and_set_default_are_plain_updates_without_save_signals() {
    let alias = database("rel_set");
    let fallback = author("fallback", alias);
    assert_eq!(fallback.id, Some(1));
    let ann = author("ann", alias);
    let mut editor = author("ed", alias);
    let mut edited = book("edited", &ann, alias);
    edited.editor = Some(ForeignKey::to(&editor).unwrap());
    edited = save(edited, alias);
    log(alias, "--");
    let pin = save(
        Pin {
            id: None,
            author: ForeignKey::to(&editor).unwrap(),
        },
        alias,
    );

    editor.delete_using(alias).unwrap();
    let reloaded = Book::objects()
        .using(alias)
        .filter(Book::TITLE.eq("edited"))
        .get()
        .unwrap();
    assert_eq!(reloaded.editor, None, "set_null");
    assert_eq!(reloaded.author, edited.author, "other keys untouched");
    let pin = Pin::objects()
        .using(alias)
        .filter(Pin::ID.eq(pin.id))
        .get()
        .unwrap();
    assert_eq!(pin.author, ForeignKey::new(1), "set_default");
    let after: Vec<String> = events(alias)
        .into_iter()
        .skip_while(|e| e != "--")
        .collect();
    assert_eq!(
        after,
        [
            "--",
            "pre_delete author 3 (instance rel.author 3)",
            "post_delete author 3 by Author"
        ],
        "no save signal for the updated rows"
    );
}

#[test]
fn do_nothing_leaves_the_key_to_the_database_which_refuses_the_commit() {
    let alias = database("rel_nothing");
    let mut ann = author("ann", alias);
    save(
        Mention {
            id: None,
            author: ForeignKey::to(&ann).unwrap(),
        },
        alias,
    );
    let error = ann.delete_using(alias).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Integrity {
                kind: clarion::ConstraintKind::ForeignKey,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(count::<Author>(alias), 1, "rolled back");
}

#[test]
fn a_self_referential_tree_is_deleted_all_the_way_down() {
    let alias = database("rel_tree");
    let category = |name: &str, parent: Option<&Category>| {
        save(
            Category {
                id: None,
                name: name.into(),
                parent: parent.map(|p| ForeignKey::to(p).unwrap()),
            },
            alias,
        )
    };
    let mut root = category("root", None);
    let a = category("a", Some(&root));
    let b = category("b", Some(&root));
    let a1 = category("a1", Some(&a));
    category("a1x", Some(&a1));
    category("b1", Some(&b));
    let other = category("other", None);
    category("other1", Some(&other));

    let deleted = root.delete_using(alias).unwrap();
    assert_eq!(deleted.per_model["rel.category"], 6);
    assert_eq!(count::<Category>(alias), 2);
    let log = events(alias);
    assert_eq!(
        log[..6],
        [
            "pre_delete category root",
            "pre_delete category a",
            "pre_delete category b",
            "pre_delete category a1",
            "pre_delete category a1x",
            "pre_delete category b1",
        ],
        "one model: ascending keys"
    );
    assert_eq!(log[6], "post_delete category b1", "then descending");
    assert_eq!(log[11], "post_delete category root");
}

/// Regression: the collector followed cascades by recursion, one call per level, and a chain a
/// few thousand rows deep overflowed a spawned thread's 2 MiB stack (the size of a tokio worker's
/// too), aborting the process.
#[test]
fn a_cascade_100_000_rows_deep_is_deleted_on_a_2_mib_stack() {
    const DEPTH: usize = 100_000;
    let alias = database("rel_deep_chain");
    let meta = Link::META;
    let (id, parent) = (meta.fields[0].column, meta.fields[1].column);
    db::atomic_using(alias, |tx| {
        tx.execute_values(
            &format!(
                "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {DEPTH}) \
                 INSERT INTO \"{table}\" (\"{id}\", \"{parent}\") \
                 SELECT x, CASE WHEN x = 1 THEN NULL ELSE x - 1 END FROM n",
                table = meta.table
            ),
            &[],
        )
    })
    .unwrap();
    assert_eq!(count::<Link>(alias), DEPTH);

    let deleted = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let mut root = Link::objects()
                .using(alias.to_owned())
                .filter(Link::ID.eq(1))
                .get()
                .unwrap();
            root.delete_using(alias)
        })
        .unwrap()
        .join()
        .expect("the delete does not overflow its stack")
        .unwrap();
    assert_eq!(deleted.total, DEPTH);
    assert_eq!(deleted.per_model["rel.link"], DEPTH);
    assert_eq!(count::<Link>(alias), 0);
    let announced = LINKS_DELETED
        .lock()
        .unwrap()
        .iter()
        .filter(|using| *using == alias)
        .count();
    assert_eq!(announced, DEPTH, "post_delete for every link");
}

#[test]
fn keys_that_are_not_integers_point_and_cascade_too() {
    let alias = database("rel_text_key");
    let mut fr = save(Country { code: "FR".into() }, alias);
    let de = save(Country { code: "DE".into() }, alias);
    for (name, country) in [("Paris", &fr), ("Lyon", &fr), ("Berlin", &de)] {
        save(
            City {
                id: None,
                name: name.into(),
                country: ForeignKey::to(country).unwrap(),
            },
            alias,
        );
    }
    assert_eq!(
        fr.related(City::COUNTRY)
            .unwrap()
            .using(alias)
            .count()
            .unwrap(),
        2
    );
    let berlin = City::objects()
        .using(alias)
        .filter(City::NAME.eq("Berlin"))
        .get()
        .unwrap();
    assert_eq!(berlin.country.key(), "DE");
    assert_eq!(berlin.country.get_using(alias).unwrap(), de);
    assert_eq!(fr.delete_using(alias).unwrap().total, 3);
    assert_eq!(count::<City>(alias), 1);
}

#[test]
fn a_sender_less_delete_receiver_turns_the_fast_path_off() {
    let alias = database("rel_fast_off");
    let ann = author("ann", alias);
    let b1 = book("b1", &ann, alias);
    for text in ["n1", "n2"] {
        save(
            Note {
                id: None,
                text: text.into(),
                book: ForeignKey::to(&b1).unwrap(),
            },
            alias,
        );
    }
    // Django: any receiver for the model, one without a sender included, disables the fast
    // delete, so that it hears every row.
    let id = post_delete.connect(|_sender, args: &mut clarion::models::signals::Delete| {
        if args.using == "rel_fast_off" {
            log(
                args.using,
                format!("any post_delete {}", args.instance.meta().label),
            );
        }
    });
    let mut ann = ann;
    let deleted = ann.delete_using(alias).unwrap();
    post_delete.disconnect(id);
    assert_eq!(deleted.per_model["rel.note"], 2);
    let heard: Vec<String> = events(alias)
        .into_iter()
        .filter(|e| e.starts_with("any post_delete"))
        .collect();
    assert_eq!(
        heard,
        [
            "any post_delete rel.note",
            "any post_delete rel.note",
            "any post_delete rel.book",
            "any post_delete rel.author",
        ]
    );
    assert_eq!(count::<Note>(alias), 0);
}

#[test]
fn a_failing_receiver_in_a_cascade_rolls_every_row_back() {
    let alias = database("rel_rollback");
    let mut ann = author("ann", alias);
    let b1 = book("b1", &ann, alias);
    chapter("c1", &b1, alias);
    let id = pre_delete.connect(|_sender, args: &mut clarion::models::signals::Delete| {
        if args.using == "rel_rollback" && args.instance.meta().label == "rel.author" {
            return Err(Error::msg("authors are forever"));
        }
        Ok(())
    });
    let error = ann.delete_using(alias).unwrap_err();
    pre_delete.disconnect(id);
    assert!(matches!(error, Error::Receiver { .. }), "{error:?}");
    assert_eq!(
        (
            count::<Author>(alias),
            count::<Book>(alias),
            count::<Chapter>(alias)
        ),
        (1, 1, 1)
    );
    let _ = Instance::pk(&ann);
}

#[test]
fn a_key_to_a_proxy_points_at_the_concrete_models_rows_and_cascades_from_them() {
    let alias = database("rel_to_proxy");
    let mut ann = author("ann", alias);
    let writer = Writer::from(ann.clone());
    let dedication = save(
        Dedication {
            id: None,
            to: ForeignKey::to(&writer).unwrap(),
        },
        alias,
    );
    let loaded: Writer = dedication.to.get_using(alias).unwrap();
    assert_eq!(loaded.0, ann);
    assert_eq!(
        writer
            .related(Dedication::TO)
            .unwrap()
            .using(alias)
            .count()
            .unwrap(),
        1
    );
    // Deleting the concrete model's row cascades to the keys that name its proxy.
    let deleted = ann.delete_using(alias).unwrap();
    assert_eq!(deleted.per_model["rel.dedication"], 1, "{deleted:?}");
    assert_eq!(count::<Dedication>(alias), 0);
}

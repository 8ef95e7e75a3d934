//! A model's default ordering, `#[model(ordering = …)]` (Django's `Meta.ordering`): every query
//! set of the model starts from it — `objects()`, a foreign key's reverse side, a many-to-many
//! manager's `all()`, a proxy's — until `order_by` replaces it; counts, aggregates, groups and
//! pages are unaffected by it (`tests/postgres_models_ordering.rs` runs this file on
//! PostgreSQL, which refuses an `ORDER BY` column that a grouping does not hold).

#[path = "support/memory_db.rs"]
mod memory_db;

use clarion::prelude::*;
use clarion::query::Aggregate;
use memory_db::{database, save};

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "ordering", ordering = Writer::NAME)]
pub struct Writer {
    pub id: Option<i64>,
    pub name: String,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(
    app_label = "ordering",
    ordering = (Book::YEAR.desc(), Book::TITLE),
    many_to_many(shelves = Shelf)
)]
pub struct Book {
    pub id: Option<i64>,
    pub title: String,
    pub year: i64,
    #[model(on_delete = cascade)]
    pub writer: ForeignKey<Writer>,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "ordering", ordering = Shelf::LABEL.desc())]
pub struct Shelf {
    pub id: Option<i64>,
    pub label: String,
}

/// A proxy takes its concrete model's ordering unless it gives one.
#[allow(missing_docs)]
#[clarion::proxy(of = Book)]
pub struct Catalogue;

#[allow(missing_docs)]
#[clarion::proxy(of = Book, ordering = Book::TITLE)]
pub struct ByTitle;

fn titles(books: Vec<Book>) -> Vec<String> {
    books.into_iter().map(|b| b.title).collect()
}

/// Writers zed and amy; books by year (two in 2001); shelves a, c, b.
fn library(alias: &'static str) -> (Writer, Writer, Book) {
    let zed = save(
        Writer {
            id: None,
            name: "zed".into(),
        },
        alias,
    );
    let amy = save(
        Writer {
            id: None,
            name: "amy".into(),
        },
        alias,
    );
    let mut first = None;
    for (title, year, writer) in [
        ("beta", 2001, &zed),
        ("alpha", 2001, &amy),
        ("gamma", 1999, &zed),
        ("delta", 2010, &zed),
    ] {
        let book = save(
            Book {
                id: None,
                title: title.into(),
                year,
                writer: ForeignKey::to(writer).unwrap(),
            },
            alias,
        );
        first.get_or_insert(book);
    }
    (zed, amy, first.unwrap())
}

#[test]
fn every_query_set_of_the_model_starts_from_its_ordering() {
    let alias = database("order_default");
    let (zed, _amy, mut beta) = library(alias);
    let writers: Vec<String> = Writer::objects()
        .using(alias)
        .all()
        .unwrap()
        .into_iter()
        .map(|w| w.name)
        .collect();
    assert_eq!(writers, ["amy", "zed"]);
    let books = || Book::objects().using(alias);
    assert_eq!(
        titles(books().all().unwrap()),
        ["delta", "alpha", "beta", "gamma"]
    );
    assert_eq!(books().first().unwrap().unwrap().title, "delta");
    assert_eq!(books().last().unwrap().unwrap().title, "gamma");
    // `order_by` replaces it; `()` removes it.
    assert_eq!(
        titles(books().order_by(Book::TITLE).all().unwrap()),
        ["alpha", "beta", "delta", "gamma"]
    );
    assert_eq!(books().order_by(()).count().unwrap(), 4);
    // The reverse side of a foreign key.
    let by_zed = zed
        .related(Book::WRITER)
        .unwrap()
        .using(alias)
        .all()
        .unwrap();
    assert_eq!(titles(by_zed), ["delta", "beta", "gamma"]);
    // A many-to-many manager's `all()`.
    let shelves: Vec<Shelf> = ["a", "c", "b"]
        .into_iter()
        .map(|label| {
            save(
                Shelf {
                    id: None,
                    label: label.into(),
                },
                alias,
            )
        })
        .collect();
    beta.shelves().using(alias).add(&shelves).unwrap();
    let labels: Vec<String> = beta
        .shelves()
        .using(alias)
        .all()
        .unwrap()
        .all()
        .unwrap()
        .into_iter()
        .map(|s| s.label)
        .collect();
    assert_eq!(labels, ["c", "b", "a"]);
    // Proxies: the concrete model's, or their own.
    let catalogue: Vec<String> = Catalogue::objects()
        .using(alias)
        .all()
        .unwrap()
        .into_iter()
        .map(|b| b.0.title)
        .collect();
    assert_eq!(catalogue, ["delta", "alpha", "beta", "gamma"]);
    let by_title: Vec<String> = ByTitle::objects()
        .using(alias)
        .all()
        .unwrap()
        .into_iter()
        .map(|b| b.0.title)
        .collect();
    assert_eq!(by_title, ["alpha", "beta", "delta", "gamma"]);
}

#[test]
fn counts_aggregates_groups_values_and_pages_work_under_it() {
    let alias = database("order_aggregates");
    library(alias);
    let books = || Book::objects().using(alias);
    assert_eq!(books().count().unwrap(), 4);
    assert!(books().filter(Book::YEAR.eq(1999)).exists().unwrap());
    assert!(matches!(
        books().get().unwrap_err(),
        clarion::Error::MultipleObjectsReturned { .. }
    ));
    assert_eq!(
        books()
            .aggregate((Aggregate::count(), Book::YEAR.max()))
            .unwrap(),
        (4, Some(2010))
    );
    assert_eq!(
        books().group_by(Book::YEAR).count().unwrap(),
        [(1999, 1), (2001, 2), (2010, 1)]
    );
    assert_eq!(
        books().values(Book::YEAR).unwrap(),
        [2010, 2001, 2001, 1999]
    );
    let page = books().paginate(3).page(2).unwrap();
    assert_eq!((page.count, page.num_pages), (4, 2));
    assert_eq!(titles(page.items), ["gamma"]);
    assert_eq!(
        books().filter(Book::YEAR.eq(2001)).delete().unwrap().total,
        2
    );
    assert_eq!(titles(books().all().unwrap()), ["delta", "gamma"]);
}

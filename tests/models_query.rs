//! Query sets, on the models of `support/query_model.rs`.
//!
//! Each test opens its own in-memory database under its own alias and runs its query sets
//! there with `.using(alias)`: tests run in parallel threads of this one binary.

#[path = "support/query_model.rs"]
mod query_model;

use clarion::db::{self, Database};
use clarion::models::DeleteOrigin;
use clarion::models::signals::{Delete, PostInit};
use clarion::prelude::*;
use clarion::query::{Filter, QuerySet};
use clarion::testing;
use clarion::{Error, Value};
use query_model::{Article, Note};

const SCHEMA: &str = "
    CREATE TABLE article (id integer PRIMARY KEY AUTOINCREMENT, title text NOT NULL,
        slug text NOT NULL UNIQUE, views integer NULL);
    CREATE TABLE note (id integer PRIMARY KEY, \"text\" text NULL, pinned bool NOT NULL,
        \"order\" real NOT NULL);
    INSERT INTO article (title, slug, views) VALUES
        ('Signals in Rust', 'signals', 10),
        ('Query sets', 'queries', 3),
        ('Drafts', 'drafts', NULL),
        ('rust tips', 'tips', 25),
        ('100% pure_fun', 'percent', 0);
    INSERT INTO note (id, \"text\", pinned, \"order\") VALUES
        (10, 'Buy Milk', 1, 1.5),
        (20, NULL, 0, -2.0),
        (30, 'milk again', 0, 3.25);
";

/// A fresh database under `alias` with the seed rows above.
fn setup(alias: &'static str) -> Database {
    let database = Database::open_as(alias, "sqlite::memory:").unwrap();
    database.atomic(|tx| tx.execute_batch(SCHEMA)).unwrap();
    db::register(database.clone());
    database
}

fn articles(alias: &'static str) -> QuerySet<Article> {
    Article::objects().using(alias)
}

/// The slugs the query set returns, in its order.
fn slugs(query: &QuerySet<Article>) -> Vec<String> {
    query.iter().unwrap().map(|a| a.slug).collect()
}

/// The slugs the query set returns, sorted (for queries without an ordering).
fn sorted(query: QuerySet<Article>) -> Vec<String> {
    let mut slugs = slugs(&query);
    slugs.sort();
    slugs
}

fn table_rows(alias: &str, table: &str) -> i64 {
    db::atomic_using(alias, |tx| {
        tx.query_row(&format!("SELECT count(*) FROM {table}"), (), |row| {
            row.get(0)
        })
    })
    .unwrap()
}

#[test]
fn eq_and_ne_and_none_means_null() {
    const DB: &str = "q_eq";
    let _db = setup(DB);
    let q = || articles(DB);
    assert_eq!(sorted(q().filter(Article::VIEWS.eq(10))), ["signals"]);
    assert_eq!(sorted(q().filter(Article::TITLE.eq("Drafts"))), ["drafts"]);
    // `exact=None` is `IS NULL`, as in Django.
    assert_eq!(sorted(q().filter(Article::VIEWS.eq(None))), ["drafts"]);
    // `ne` is `!eq`: the row without views differs from 10.
    assert_eq!(
        sorted(q().filter(Article::VIEWS.ne(10))),
        ["drafts", "percent", "queries", "tips"]
    );
    assert_eq!(
        sorted(q().filter(Article::VIEWS.ne(None))),
        ["percent", "queries", "signals", "tips"]
    );
    assert_eq!(sorted(q().filter(Article::ID.eq(2))), ["queries"]);
}

#[test]
fn ordering_comparisons_never_match_null() {
    const DB: &str = "q_cmp";
    let _db = setup(DB);
    let q = || articles(DB);
    assert_eq!(
        sorted(q().filter(Article::VIEWS.lt(10))),
        ["percent", "queries"]
    );
    assert_eq!(
        sorted(q().filter(Article::VIEWS.lte(10))),
        ["percent", "queries", "signals"]
    );
    assert_eq!(sorted(q().filter(Article::VIEWS.gt(10))), ["tips"]);
    assert_eq!(
        sorted(q().filter(Article::VIEWS.gte(10))),
        ["signals", "tips"]
    );
    // Against `None`, an ordering comparison holds for no row.
    assert!(
        q().filter(Article::VIEWS.lt(None))
            .all()
            .unwrap()
            .is_empty()
    );
    // Text compares as SQLite does, by code point: upper case before lower case.
    assert_eq!(
        sorted(q().filter(Article::TITLE.lt("S"))),
        ["drafts", "percent", "queries"]
    );
}

#[test]
fn is_in_and_is_null() {
    const DB: &str = "q_in";
    let _db = setup(DB);
    let q = || articles(DB);
    assert_eq!(
        sorted(q().filter(Article::VIEWS.is_in([3, 25]))),
        ["queries", "tips"]
    );
    assert_eq!(
        sorted(q().filter(Article::SLUG.is_in(vec!["tips".to_owned(), "nope".to_owned()]))),
        ["tips"]
    );
    // `None` in the list matches nothing (Django drops it).
    assert_eq!(
        sorted(q().filter(Article::VIEWS.is_in([Some(3), None]))),
        ["queries"]
    );
    // An empty list matches nothing; excluding it keeps everything.
    assert!(
        q().filter(Article::VIEWS.is_in(Vec::<i64>::new()))
            .all()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        q().exclude(Article::VIEWS.is_in(Vec::<i64>::new()))
            .count()
            .unwrap(),
        5
    );
    // Excluding a list keeps the row without views.
    assert_eq!(
        sorted(q().exclude(Article::VIEWS.is_in([3, 25, 10]))),
        ["drafts", "percent"]
    );
    assert_eq!(sorted(q().filter(Article::VIEWS.is_null(true))), ["drafts"]);
    assert_eq!(
        q().filter(Article::VIEWS.is_null(false)).count().unwrap(),
        4
    );
    assert_eq!(
        sorted(q().exclude(Article::VIEWS.is_null(false))),
        ["drafts"]
    );
}

#[test]
fn contains_is_case_sensitive_and_treats_like_wildcards_as_text() {
    const DB: &str = "q_contains";
    let _db = setup(DB);
    let q = || articles(DB);
    assert_eq!(
        sorted(q().filter(Article::TITLE.contains("Rust"))),
        ["signals"]
    );
    assert_eq!(
        sorted(q().filter(Article::TITLE.contains("rust"))),
        ["tips"]
    );
    assert_eq!(
        sorted(q().filter(Article::TITLE.contains("%"))),
        ["percent"]
    );
    assert_eq!(
        sorted(q().filter(Article::TITLE.contains("_"))),
        ["percent"]
    );
    assert!(
        q().filter(Article::TITLE.contains("'"))
            .all()
            .unwrap()
            .is_empty()
    );
    assert_eq!(q().filter(Article::TITLE.contains("")).count().unwrap(), 5);
    assert_eq!(
        sorted(q().exclude(Article::TITLE.contains("s"))),
        ["percent"]
    );
}

#[test]
fn filters_combine_with_and_or_not() {
    const DB: &str = "q_combine";
    let _db = setup(DB);
    let q = || articles(DB);
    let many = Article::VIEWS.gte(10);
    let rusty = Article::TITLE.contains("ust");
    assert_eq!(
        sorted(q().filter(many.clone() & rusty.clone())),
        ["signals", "tips"]
    );
    assert_eq!(
        sorted(q().filter(Article::VIEWS.eq(3) | Article::SLUG.eq("drafts"))),
        ["drafts", "queries"]
    );
    // `!` keeps the NULL row: it is not "many".
    assert_eq!(
        sorted(q().filter(!many.clone())),
        ["drafts", "percent", "queries"]
    );
    assert_eq!(
        sorted(q().filter(!(many.clone() | Article::VIEWS.eq(3)))),
        ["drafts", "percent"]
    );
    assert_eq!(sorted(q().filter(!!many.clone())), ["signals", "tips"]);
    assert_eq!(
        sorted(
            q().filter(
                (Article::VIEWS.eq(3) | Article::VIEWS.eq(0)) & Article::TITLE.contains("1")
            )
        ),
        ["percent"]
    );
    // Chained filters are AND-ed; `exclude` is `filter(!…)`.
    assert_eq!(
        sorted(q().filter(many.clone()).exclude(Article::SLUG.eq("tips"))),
        ["signals"]
    );
    assert_eq!(
        sorted(q().exclude(Article::VIEWS.gt(5))),
        ["drafts", "percent", "queries"]
    );
    // The neutral filters.
    assert_eq!(q().filter(Filter::all()).count().unwrap(), 5);
    assert_eq!(
        q().filter(Filter::none() | many.clone()).count().unwrap(),
        2
    );
    assert_eq!(q().filter(Filter::all() & many.clone()).count().unwrap(), 2);
    assert_eq!(q().filter(Filter::none()).count().unwrap(), 0);
    assert_eq!(q().exclude(Filter::none()).count().unwrap(), 5);
    assert!(format!("{:?}", !many & rusty).contains("not (views >= 10)"));
}

#[test]
fn order_by_asc_desc_several_keys_and_replacing() {
    const DB: &str = "q_order";
    let _db = setup(DB);
    let q = || articles(DB);
    // NULL first when ascending (SQLite's rule).
    assert_eq!(
        slugs(&q().order_by(Article::VIEWS)),
        ["drafts", "percent", "queries", "signals", "tips"]
    );
    assert_eq!(
        slugs(&q().order_by(Article::VIEWS.asc())),
        ["drafts", "percent", "queries", "signals", "tips"]
    );
    assert_eq!(
        slugs(&q().order_by(Article::VIEWS.desc())),
        ["tips", "signals", "queries", "percent", "drafts"]
    );
    // Several keys: a tuple of mixed columns, or an array.
    db::atomic_using(DB, |tx| {
        tx.execute("UPDATE article SET views = 3 WHERE slug = 'tips'", ())
    })
    .unwrap();
    assert_eq!(
        slugs(
            &q().filter(Article::VIEWS.eq(3))
                .order_by((Article::VIEWS.desc(), Article::TITLE.desc()))
        ),
        ["tips", "queries"]
    );
    assert_eq!(
        slugs(
            &q().filter(Article::VIEWS.eq(3))
                .order_by([Article::VIEWS.asc(), Article::SLUG.asc()])
        ),
        ["queries", "tips"]
    );
    assert_eq!(
        slugs(
            &q().filter(Article::VIEWS.eq(3))
                .order_by(vec![Article::SLUG.desc()])
        ),
        ["tips", "queries"]
    );
    // A later order_by replaces the earlier one.
    assert_eq!(
        slugs(&q().order_by(Article::VIEWS.desc()).order_by(Article::SLUG)),
        ["drafts", "percent", "queries", "signals", "tips"]
    );
}

#[test]
fn limit_and_offset() {
    const DB: &str = "q_slice";
    let _db = setup(DB);
    let by_slug = articles(DB).order_by(Article::SLUG);
    assert_eq!(slugs(&by_slug.clone().limit(2)), ["drafts", "percent"]);
    assert_eq!(
        slugs(&by_slug.clone().offset(1).limit(2)),
        ["percent", "queries"]
    );
    // The order of the builder calls does not matter.
    assert_eq!(
        slugs(&by_slug.clone().limit(2).offset(1)),
        ["percent", "queries"]
    );
    assert_eq!(slugs(&by_slug.clone().offset(3)), ["signals", "tips"]);
    assert!(slugs(&by_slug.clone().offset(9)).is_empty());
    assert!(slugs(&by_slug.clone().limit(0)).is_empty());
    assert_eq!(by_slug.clone().offset(1).limit(2).count().unwrap(), 2);
    assert_eq!(by_slug.clone().offset(4).limit(2).count().unwrap(), 1);
    assert_eq!(by_slug.clone().offset(7).count().unwrap(), 0);
    assert!(by_slug.clone().offset(4).exists().unwrap());
    assert!(!by_slug.clone().offset(5).exists().unwrap());
    assert!(!by_slug.clone().limit(0).exists().unwrap());
}

#[test]
fn get_finds_exactly_one() {
    const DB: &str = "q_get";
    let _db = setup(DB);
    let q = || articles(DB);
    let article = q().filter(Article::SLUG.eq("tips")).get().unwrap();
    assert_eq!(
        article,
        Article {
            id: Some(4),
            title: "rust tips".into(),
            slug: "tips".into(),
            views: Some(25),
        }
    );
    match q().filter(Article::SLUG.eq("missing")).get() {
        Err(Error::DoesNotExist { model }) => assert_eq!(model, "models_query.article"),
        other => panic!("expected DoesNotExist, got {other:?}"),
    }
    match q().filter(Article::VIEWS.gte(3)).get() {
        Err(Error::MultipleObjectsReturned { model, count }) => {
            assert_eq!((model, count), ("models_query.article", 3));
        }
        other => panic!("expected MultipleObjectsReturned, got {other:?}"),
    }
    assert!(matches!(q().none().get(), Err(Error::DoesNotExist { .. })));
    // Counting stops at 21 rows.
    db::atomic_using(DB, |tx| {
        for i in 0..30 {
            tx.execute(
                "INSERT INTO article (title, slug) VALUES ('bulk', ?1)",
                [format!("bulk-{i}")],
            )?;
        }
        Ok(())
    })
    .unwrap();
    match q().filter(Article::TITLE.eq("bulk")).get() {
        Err(Error::MultipleObjectsReturned { count, .. }) => assert_eq!(count, 21),
        other => panic!("expected MultipleObjectsReturned, got {other:?}"),
    }
}

#[test]
fn first_and_last_order_by_pk_unless_ordered() {
    const DB: &str = "q_first";
    let _db = setup(DB);
    let q = || articles(DB);
    assert_eq!(q().first().unwrap().unwrap().slug, "signals");
    assert_eq!(q().last().unwrap().unwrap().slug, "percent");
    assert_eq!(
        q().order_by(Article::SLUG).first().unwrap().unwrap().slug,
        "drafts"
    );
    assert_eq!(
        q().order_by(Article::SLUG).last().unwrap().unwrap().slug,
        "tips"
    );
    assert_eq!(
        q().order_by(Article::VIEWS.desc())
            .first()
            .unwrap()
            .unwrap()
            .slug,
        "tips"
    );
    assert_eq!(
        q().filter(Article::VIEWS.lt(5))
            .first()
            .unwrap()
            .unwrap()
            .slug,
        "queries"
    );
    // On a slice: the first and last of the slice.
    let middle = q().order_by(Article::SLUG).offset(1).limit(2);
    assert_eq!(middle.first().unwrap().unwrap().slug, "percent");
    assert_eq!(middle.last().unwrap().unwrap().slug, "queries");
    // An unordered slice is ordered by key, for `last` as for `first`.
    assert_eq!(
        q().offset(1).limit(2).first().unwrap().unwrap().slug,
        "queries"
    );
    assert_eq!(
        q().offset(1).limit(2).last().unwrap().unwrap().slug,
        "drafts"
    );
    assert!(
        q().filter(Article::VIEWS.gt(100))
            .first()
            .unwrap()
            .is_none()
    );
    assert!(q().filter(Article::VIEWS.gt(100)).last().unwrap().is_none());
    assert!(q().none().first().unwrap().is_none());
}

#[test]
fn count_and_exists() {
    const DB: &str = "q_count";
    let _db = setup(DB);
    let q = || articles(DB);
    assert_eq!(q().count().unwrap(), 5);
    assert_eq!(q().filter(Article::VIEWS.gt(0)).count().unwrap(), 3);
    assert_eq!(q().filter(Article::VIEWS.gt(100)).count().unwrap(), 0);
    assert!(q().exists().unwrap());
    assert!(q().filter(Article::SLUG.eq("tips")).exists().unwrap());
    assert!(!q().filter(Article::SLUG.eq("nope")).exists().unwrap());
    assert!(!q().none().exists().unwrap());
    assert_eq!(q().none().count().unwrap(), 0);
}

#[test]
fn other_field_types_and_quoted_columns() {
    const DB: &str = "q_types";
    let _db = setup(DB);
    let notes = || Note::objects().using(DB);
    let ids = |query: QuerySet<Note>| -> Vec<i64> { query.iter().unwrap().map(|n| n.id).collect() };
    assert_eq!(ids(notes().filter(Note::PINNED.eq(true))), [10]);
    assert_eq!(
        ids(notes().filter(Note::PINNED.eq(false)).order_by(Note::ID)),
        [20, 30]
    );
    // The float is in a column named `order`, the text in one named `text`.
    assert_eq!(
        ids(notes()
            .filter(Note::SCORE.gt(0.0))
            .order_by(Note::SCORE.desc())),
        [30, 10]
    );
    assert_eq!(
        ids(notes()
            .filter(Note::SCORE.lte(1.5_f64))
            .order_by(Note::SCORE)),
        [20, 10]
    );
    assert_eq!(
        ids(notes()
            .filter(Note::BODY.contains("ilk"))
            .order_by(Note::ID)),
        [10, 30]
    );
    assert_eq!(ids(notes().filter(Note::BODY.contains("Milk"))), [10]);
    // NOT contains keeps the note without text.
    assert_eq!(
        ids(notes()
            .exclude(Note::BODY.contains("Milk"))
            .order_by(Note::ID)),
        [20, 30]
    );
    assert_eq!(ids(notes().filter(Note::BODY.eq(None))), [20]);
    assert_eq!(
        ids(notes().filter(Note::BODY.eq("Buy Milk".to_owned()))),
        [10]
    );
    assert_eq!(
        ids(notes()
            .filter(Note::ID.is_in([30, 10, 99]))
            .order_by(Note::ID.desc())),
        [30, 10]
    );
    let note = notes().filter(Note::ID.eq(30)).get().unwrap();
    assert_eq!(
        note,
        Note {
            id: 30,
            body: Some("milk again".into()),
            pinned: false,
            score: 3.25,
        }
    );
    assert_eq!(
        notes()
            .update(&[Note::PINNED.set(true), Note::SCORE.set(0.5)])
            .unwrap(),
        3
    );
    assert_eq!(
        notes()
            .filter(Note::PINNED.eq(true) & Note::SCORE.eq(0.5))
            .count()
            .unwrap(),
        3
    );
    assert_eq!(
        notes()
            .filter(Note::ID.eq(20))
            .update(&[Note::BODY.set("x".to_owned())])
            .unwrap(),
        1
    );
    assert_eq!(
        notes()
            .filter(Note::ID.eq(20))
            .update(&[Note::BODY.set(None)])
            .unwrap(),
        1
    );
    assert_eq!(ids(notes().filter(Note::BODY.is_null(true))), [20]);
}

#[test]
fn delete_sends_per_object_signals_in_one_transaction() {
    const DB: &str = "q_delete";
    let _db = setup(DB);
    // Each record: the instance's key, the origin, and how many rows the table had at that point
    // (read through the signal's own transaction).
    let record = |_, args: &Delete<'_>| {
        let rows: i64 = args
            .tx
            .query_row("SELECT count(*) FROM article", (), |row| row.get(0))
            .unwrap();
        (
            args.instance.pk(),
            args.origin.clone(),
            rows,
            args.using.to_owned(),
        )
    };
    let pre = testing::capture(&pre_delete, record);
    let post = testing::capture(&post_delete, record);
    let loaded = testing::capture(&post_init, |_, args: &PostInit<'_>| args.instance.pk());

    let deleted = articles(DB)
        .filter(Article::VIEWS.lt(10))
        .order_by(Article::ID)
        .delete()
        .unwrap();
    assert_eq!(deleted.total, 2);
    assert_eq!(deleted.per_model.get("models_query.article"), Some(&2));

    let origin = DeleteOrigin::QuerySet("models_query.article");
    // Every pre_delete runs before any row is deleted, every post_delete after all are.
    assert_eq!(
        pre.take(),
        [
            (Value::Int(2), origin.clone(), 5, DB.to_owned()),
            (Value::Int(5), origin.clone(), 5, DB.to_owned()),
        ]
    );
    assert_eq!(
        post.take(),
        [
            (Value::Int(2), origin.clone(), 3, DB.to_owned()),
            (Value::Int(5), origin, 3, DB.to_owned()),
        ]
    );
    assert_eq!(loaded.take(), [Value::Int(2), Value::Int(5)]);
    assert_eq!(table_rows(DB, "article"), 3);
    assert_eq!(sorted(articles(DB)), ["drafts", "signals", "tips"]);

    // Nothing matching: nothing deleted, no signal.
    let deleted = articles(DB)
        .filter(Article::VIEWS.gt(1000))
        .delete()
        .unwrap();
    assert_eq!(deleted.total, 0);
    assert!(pre.is_empty() && post.is_empty());
    assert_eq!(articles(DB).none().delete().unwrap().total, 0);
}

#[test]
fn delete_of_a_slice_deletes_exactly_those_rows() {
    const DB: &str = "q_delete_slice";
    let _db = setup(DB);
    let deleted = articles(DB)
        .order_by(Article::VIEWS.desc())
        .limit(2)
        .delete()
        .unwrap();
    assert_eq!(deleted.total, 2);
    assert_eq!(sorted(articles(DB)), ["drafts", "percent", "queries"]);
    // The same with a receiver listening, so that the instances are loaded first.
    let pre = testing::capture(&pre_delete, |_, args: &Delete<'_>| args.instance.pk());
    let deleted = articles(DB)
        .order_by(Article::SLUG)
        .offset(1)
        .delete()
        .unwrap();
    assert_eq!(deleted.total, 2);
    assert_eq!(pre.take(), [Value::Int(5), Value::Int(2)]);
    assert_eq!(sorted(articles(DB)), ["drafts"]);
}

#[test]
fn a_failing_post_delete_rolls_every_delete_back() {
    const DB: &str = "q_delete_rollback";
    let _db = setup(DB);
    // Receivers are process-wide: this one refuses only deletes on this test's database.
    let refuse = post_delete.connect_with(
        Connect::new().sender::<Article>(),
        |_, args: &mut Delete<'_>| {
            if args.using == DB && args.instance.pk() == Value::Int(3) {
                Err(Error::msg("drafts are kept"))
            } else {
                Ok(())
            }
        },
    );
    let outcome = articles(DB).filter(Article::ID.lte(4)).delete();
    post_delete.disconnect(refuse);
    match outcome {
        Err(error @ Error::Receiver { .. }) => {
            assert!(error.to_string().contains("drafts are kept"))
        }
        other => panic!("expected a receiver error, got {other:?}"),
    }
    assert_eq!(table_rows(DB, "article"), 5);
}

#[test]
fn update_sends_no_signal_and_binds_its_values() {
    const DB: &str = "q_update";
    let _db = setup(DB);
    let saves = testing::capture(&pre_save, |_, _: &_| ());
    let saved = testing::capture(&post_save, |_, _: &_| ());
    let inits = testing::capture(&post_init, |_, _: &_| ());

    let changed = articles(DB)
        .filter(Article::VIEWS.lt(10))
        .update(&[Article::VIEWS.set(7)])
        .unwrap();
    assert_eq!(changed, 2);
    assert!(saves.is_empty() && saved.is_empty() && inits.is_empty());
    assert_eq!(
        sorted(articles(DB).filter(Article::VIEWS.eq(7))),
        ["percent", "queries"]
    );
    inits.take();

    // Quotes and SQL in a value reach the database as text.
    let evil = "it's'; DROP TABLE x";
    let changed = articles(DB)
        .filter(Article::SLUG.eq("drafts"))
        .update(&[Article::TITLE.set(evil), Article::VIEWS.set(None)])
        .unwrap();
    assert_eq!(changed, 1);
    assert!(saves.is_empty() && saved.is_empty() && inits.is_empty());
    let drafts = articles(DB).filter(Article::TITLE.eq(evil)).get().unwrap();
    inits.take();
    assert_eq!((drafts.slug.as_str(), drafts.views), ("drafts", None));
    assert_eq!(
        articles(DB)
            .filter(Article::TITLE.contains("'; DROP"))
            .count()
            .unwrap(),
        1
    );
    assert_eq!(table_rows(DB, "article"), 5);

    // Nothing to set, or nothing matching: 0 rows.
    assert_eq!(articles(DB).update(&[]).unwrap(), 0);
    assert_eq!(
        articles(DB)
            .none()
            .update(&[Article::VIEWS.set(1)])
            .unwrap(),
        0
    );
    assert_eq!(
        articles(DB)
            .filter(Article::VIEWS.gt(1000))
            .update(&[Article::VIEWS.set(1)])
            .unwrap(),
        0
    );
    assert!(saves.is_empty() && saved.is_empty() && inits.is_empty());
}

#[test]
fn update_of_a_slice_changes_exactly_those_rows() {
    const DB: &str = "q_update_slice";
    let _db = setup(DB);
    let changed = articles(DB)
        .filter(Article::VIEWS.is_null(false))
        .order_by(Article::VIEWS.desc())
        .offset(1)
        .limit(2)
        .update(&[Article::VIEWS.set(-1)])
        .unwrap();
    assert_eq!(changed, 2);
    assert_eq!(
        sorted(articles(DB).filter(Article::VIEWS.eq(-1))),
        ["queries", "signals"]
    );
}

#[test]
fn update_checks_max_length_before_writing() {
    const DB: &str = "q_update_length";
    let _db = setup(DB);
    let long = "x".repeat(21);
    let outcome = articles(DB).update(&[Article::VIEWS.set(1), Article::TITLE.set(long)]);
    match outcome {
        Err(Error::Validation {
            model,
            field,
            reason,
        }) => {
            assert_eq!((model, field.as_str()), ("models_query.article", "title"));
            assert!(reason.contains("max_length of 20"), "{reason}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(
        articles(DB).filter(Article::VIEWS.eq(1)).count().unwrap(),
        0
    );
    // Characters, not bytes: twenty `é` fit.
    assert_eq!(
        articles(DB)
            .filter(Article::ID.eq(1))
            .update(&[Article::TITLE.set("é".repeat(20))])
            .unwrap(),
        1
    );
}

#[test]
fn post_init_is_sent_for_each_loaded_row_with_the_alias() {
    const DB: &str = "q_post_init";
    let _db = setup(DB);
    let inits = testing::capture(&post_init, |_, args: &PostInit<'_>| {
        (args.instance.pk(), args.using.to_owned())
    });
    let all = articles(DB).order_by(Article::ID).all().unwrap();
    assert_eq!(all.len(), 5);
    let expected: Vec<_> = (1..=5).map(|id| (Value::Int(id), DB.to_owned())).collect();
    assert_eq!(inits.take(), expected);

    articles(DB).filter(Article::ID.eq(2)).get().unwrap();
    assert_eq!(inits.take(), [(Value::Int(2), DB.to_owned())]);
    // `get` that finds several builds and announces none of them.
    assert!(articles(DB).get().is_err());
    assert!(inits.is_empty());
    articles(DB).first().unwrap();
    articles(DB).last().unwrap();
    assert_eq!(
        inits.take(),
        [
            (Value::Int(1), DB.to_owned()),
            (Value::Int(5), DB.to_owned())
        ]
    );
    // Counting loads nothing.
    articles(DB).count().unwrap();
    articles(DB).exists().unwrap();
    assert!(inits.is_empty());
}

#[test]
fn a_post_init_receiver_may_change_the_instance() {
    const DB: &str = "q_post_init_mut";
    let _db = setup(DB);
    let id = post_init.connect_with(
        Connect::new().sender::<Article>(),
        |_, args: &mut PostInit<'_>| {
            if args.using == DB
                && let Some(article) = args.instance.downcast_mut::<Article>()
            {
                article.title = article.title.to_uppercase();
            }
        },
    );
    let titles: Vec<String> = articles(DB)
        .filter(Article::VIEWS.gt(5))
        .order_by(Article::VIEWS)
        .iter()
        .map(|it| it.map(|a| a.title).collect())
        .unwrap();
    post_init.disconnect(id);
    assert_eq!(titles, ["SIGNALS IN RUST", "RUST TIPS"]);
}

#[test]
fn a_missing_table_is_reported_as_such() {
    const DB: &str = "q_missing";
    db::register(Database::open_as(DB, "sqlite::memory:").unwrap());
    let q = || articles(DB);
    let missing = |outcome: Result<(), Error>| match outcome {
        Err(Error::MissingTable { table, .. }) => assert_eq!(table, "article"),
        other => panic!("expected MissingTable, got {other:?}"),
    };
    missing(q().all().map(drop));
    missing(q().filter(Article::VIEWS.gt(1)).get().map(drop));
    missing(q().first().map(drop));
    missing(q().count().map(drop));
    missing(q().exists().map(drop));
    missing(q().delete().map(drop));
    missing(q().update(&[Article::VIEWS.set(1)]).map(drop));
    let error = q().count().unwrap_err();
    assert!(error.to_string().contains("migrate"), "{error}");
    // A query set that matches nothing does not touch the database.
    assert_eq!(q().none().count().unwrap(), 0);
}

#[test]
fn an_unknown_alias_is_reported() {
    let outcome = articles("q_never_registered").count();
    assert!(
        matches!(outcome, Err(Error::UnknownDatabase { alias, .. }) if alias == "q_never_registered")
    );
}

#[test]
fn queries_join_the_open_transaction() {
    const DB: &str = "q_join";
    let _db = setup(DB);
    let outcome: clarion::Result<()> = db::atomic_using(DB, |tx| {
        tx.execute(
            "INSERT INTO article (title, slug) VALUES ('new', 'new')",
            (),
        )?;
        assert_eq!(articles(DB).count()?, 6);
        assert_eq!(
            articles(DB)
                .filter(Article::SLUG.eq("new"))
                .update(&[Article::VIEWS.set(1)])?,
            1
        );
        assert_eq!(
            articles(DB).filter(Article::SLUG.eq("new")).delete()?.total,
            1
        );
        Err(Error::msg("roll back"))
    });
    assert!(outcome.is_err());
    assert_eq!(articles(DB).count().unwrap(), 5);
}

#[test]
fn values_are_bound_never_written_into_the_sql() {
    let query = Article::objects()
        .filter(Article::TITLE.eq("it's") | Article::VIEWS.is_in([1, 2]))
        .exclude(Article::TITLE.contains("x"))
        .order_by(Article::VIEWS.desc())
        .offset(3)
        .limit(4);
    let shown = format!("{query:?}");
    assert!(
        !shown.contains("it's\\\" ") && shown.contains("?"),
        "{shown}"
    );
    let sql = shown
        .split("sql: ")
        .nth(1)
        .unwrap()
        .split(", params")
        .next()
        .unwrap();
    assert!(!sql.contains("it's") && !sql.contains("1, 2"), "{sql}");
    assert!(sql.contains("\\\"views\\\" DESC"), "{sql}");
    assert!(sql.contains("instr(\\\"title\\\", ?) > (0)"), "{sql}");
    // In the order of the `?`s: the filter's values, then LIMIT and OFFSET.
    assert!(
        shown.ends_with(r#"params: ["\"it's\"", "1", "2", "\"x\"", "4", "3"] }"#),
        "{shown}"
    );
}

#[test]
fn a_query_set_is_lazy_reusable_and_clone() {
    const DB: &str = "q_lazy";
    let _db = setup(DB);
    let popular = articles(DB).filter(Article::VIEWS.gte(10));
    // Built before the rows exist, run after: it reads the database when run, each time.
    assert_eq!(popular.count().unwrap(), 2);
    db::atomic_using(DB, |tx| {
        tx.execute(
            "INSERT INTO article (title, slug, views) VALUES ('hot', 'hot', 99)",
            (),
        )
    })
    .unwrap();
    assert_eq!(popular.count().unwrap(), 3);
    let copy = popular.clone().order_by(Article::VIEWS.desc());
    assert_eq!(copy.fetch().unwrap()[0].slug, "hot");
    assert_eq!(copy.db(), DB);
    assert_eq!(Article::objects().db(), "default");
    // It can be built once and shared, or sent to another thread to run there.
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    assert_send_sync(&copy);
    let count = std::thread::spawn(move || copy.count()).join().unwrap();
    assert_eq!(count.unwrap(), 3);
}

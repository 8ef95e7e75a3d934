//! Relations against raw `rusqlite` (issue #4): many-to-many `add`s with an `m2m_changed`
//! receiver, and a query set delete with a `post_delete` receiver.
//!
//! **What is measured**, on an in-memory SQLite database registered as `relations` and
//! created by `clarion::migrate_using`:
//!
//! | case | clarion | baseline (raw `rusqlite`) |
//! |---|---|---|
//! | `m2m_add/one_receiver` | inside one `atomic_using`, each of 1,000 saved `Post`s `add`s 5 of 50 saved `Tag`s: `post.tags().using(ALIAS).add(…)`, with one `m2m_changed` receiver for `PostTags` | in one transaction, per post: `SELECT "tag_id" FROM "post_tags" WHERE "post_id" = ? AND "tag_id" IN (?, ?, ?, ?, ?)` reading the keys already related, then `INSERT OR IGNORE INTO "post_tags" ("post_id", "tag_id") VALUES (?, ?)` for each key not among them; both statements prepared once, before the loop |
//! | `m2m_add/100k_keys` | one `add_keys` of 100,000 saved `Tag`s' keys to one saved `Post`, none related yet, with the same receiver, on a database of its own | in one transaction: which of the keys are related already, by `SELECT "tag_id" FROM "post_tags" WHERE "post_id" = ? AND "tag_id" IN (…)` of 500 keys at a time (clarion's chunk), each size prepared once, into a `HashSet`; then the `INSERT OR IGNORE` above for each key not among them |
//! | `queryset_delete/post_delete` | `Entry::objects().using(ALIAS).delete()` of 10,000 `Entry` rows, with one `post_delete` receiver | in one transaction: `SELECT "id", "title", "body", "views" FROM "entry"`, reading every column of every row into an owned `(i64, String, String, i64)`, then one `DELETE FROM "entry"` |
//!
//! Those are the statements clarion runs: an `add` reads which of the keys are related already
//! and inserts the others (Django's `_add_items`), sending `pre_add` before the inserts and
//! `post_add` after; a query set delete on a model with a delete receiver loads every row,
//! deletes them by their keys and sends `post_delete` for each (Django's per-object deletion),
//! where the baseline, knowing it deletes the whole table, runs one `DELETE` without a condition.
//! Each post adds 5 tags it is not related to yet (post `i` takes tags `5i mod 50` to
//! `5i mod 50 + 4`, counting from 0), so each `add` inserts 5 rows.
//!
//! Each baseline runs on a raw database laid out exactly as clarion's: the same tables and
//! indexes with the same SQL (checked against clarion's `sqlite_master` before anything is
//! timed), `PRAGMA foreign_keys = ON` as on every clarion connection, the join table's foreign
//! keys `DEFERRABLE INITIALLY DEFERRED` (checked at the commit on both sides), the same rows of
//! `post` and `tag`, and the same order of `sqlite_sequence`. Each iteration starts from the
//! same table contents (no join rows; 10,000 entries); setting them up and cleaning up after
//! is not timed. The goals: the `add`s at most 1.5x the baseline, the query set delete at most
//! 1.5x (issue #24), and the one `add` of 100,000 keys under a second whatever the baseline takes (it once took
//! 9 s, comparing every key with every other).
//!
//! After criterion's report (under `cargo bench` only), `main` prints a table of its own: each
//! case and its baseline timed in alternating rounds (which goes first switches every round),
//! with the median of the rounds' ratios and each goal's verdict (`benches/support/paired.rs`).
//! `cargo test --bench relations` runs each case once, as a check. `docs/performance.md` records
//! the numbers.

#[path = "support/paired.rs"]
mod paired;

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clarion::db::{self, Database, rusqlite};
use clarion::models::PkSet;
use clarion::models::signals::M2mAction;
use clarion::prelude::*;
use paired::{Case, Run, timed};

/// The alias the clarion database is registered under.
const ALIAS: &str = "relations";
/// How many posts `add` tags, once each.
const POSTS: usize = 1_000;
/// How many tags there are to choose from.
const TAGS: usize = 50;
/// How many tags each post adds.
const PER_POST: usize = 5;
/// How many rows the query set delete deletes.
const ENTRIES: usize = 10_000;
/// The alias of the database of `m2m_add/100k_keys`: one post and [`BULK`] tags, apart from the
/// other cases' database so that its tables stay as those cases expect them.
const BULK_ALIAS: &str = "relations_bulk";
/// How many keys the one `add` of `m2m_add/100k_keys` relates.
const BULK: usize = 100_000;
/// How many keys one `IN (…)` of clarion's binds (`collector::CHUNK`).
const BULK_CHUNK: usize = 500;

/// The declaring side of the relation.
#[derive(Model, Clone)]
#[model(many_to_many(tags = Tag))]
pub struct Post {
    /// Assigned on insert.
    pub id: Option<i64>,
    /// Some text.
    pub title: String,
}

/// The other side.
#[derive(Model, Clone)]
pub struct Tag {
    /// Assigned on insert.
    pub id: Option<i64>,
    /// Some text.
    pub name: String,
}

/// The rows of the query set delete: `benches/save.rs`'s shape, with a `post_delete` receiver
/// and no relation.
#[derive(Model, Clone)]
pub struct Entry {
    /// Assigned on insert.
    pub id: Option<i64>,
    /// Some text.
    #[model(max_length = 100)]
    pub title: String,
    /// More text.
    pub body: String,
    /// A number.
    pub views: i64,
}

/// Keys added, as `post_add` reports them.
static ADDED: AtomicU64 = AtomicU64::new(0);
/// Entries deleted, as `post_delete` reports them.
static DELETED: AtomicU64 = AtomicU64::new(0);

/// The receivers' trivial work: a counter bump, as in `benches/save.rs` (a load and a store:
/// the benchmark runs on one thread).
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(counter.load(Ordering::Relaxed) + by, Ordering::Relaxed);
}

/// Counts the keys each `add` relates.
#[receiver(m2m_changed, sender = PostTags)]
fn tags_changed(action: M2mAction, pk_set: &Option<PkSet>) {
    if action == M2mAction::PostAdd {
        bump(&ADDED, pk_set.as_ref().map_or(0, PkSet::len) as u64);
    }
}

/// Counts the entries deleted.
#[receiver(post_delete, sender = Entry)]
fn entry_deleted(instance: &Entry) {
    bump(&DELETED, u64::from(instance.id.is_some()));
}

/// The first of the tags post number `post` adds (0-based, as its key minus one).
fn first_tag(post: usize) -> usize {
    post * PER_POST % TAGS
}

/// The entries' column values.
fn entry_rows() -> Vec<(String, String, i64)> {
    (0..ENTRIES)
        .map(|i| {
            (
                format!("Entry number {i}"),
                format!("The body of entry {i}, a few words long."),
                i as i64,
            )
        })
        .collect()
}

/// The entries, unsaved.
fn entries(rows: &[(String, String, i64)]) -> Vec<Entry> {
    rows.iter()
        .map(|(title, body, views)| Entry {
            id: None,
            title: title.clone(),
            body: body.clone(),
            views: *views,
        })
        .collect()
}

/// The name of tag number `i`.
fn tag_name(i: usize) -> String {
    format!("tag {i}")
}

/// The title of post number `i`.
fn post_title(i: usize) -> String {
    format!("Post number {i}")
}

/// What `clarion::migrate_using` creates for the three models, statement by statement, in its
/// order (the models' tables, then the join table's), as `sqlite_master` keeps it: `check`
/// compares them.
const SCHEMA: [&str; 6] = [
    r#"CREATE TABLE "entry" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "title" text NOT NULL, "body" text NOT NULL, "views" integer NOT NULL )"#,
    r#"CREATE TABLE "post" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "title" text NOT NULL )"#,
    r#"CREATE TABLE "tag" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" text NOT NULL )"#,
    r#"CREATE TABLE "post_tags" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "post_id" integer NOT NULL REFERENCES "post" ("id") DEFERRABLE INITIALLY DEFERRED, "tag_id" integer NOT NULL REFERENCES "tag" ("id") DEFERRABLE INITIALLY DEFERRED)"#,
    r#"CREATE UNIQUE INDEX "post_tags_post_id_tag_id_f44a30ec_uniq" ON "post_tags" ("post_id", "tag_id")"#,
    r#"CREATE INDEX "post_tags_tag_id_5db132d7" ON "post_tags" ("tag_id")"#,
];

/// The order in which the tables first receive a row, on both sides (see [`Raw`]).
const SEQUENCE_ORDER: [&str; 4] = ["tag", "post", "post_tags", "entry"];

/// The join table's statements, as clarion's `add` writes them for 5 keys.
const SELECT_RELATED: &str =
    r#"SELECT "tag_id" FROM "post_tags" WHERE "post_id" = ? AND "tag_id" IN (?, ?, ?, ?, ?)"#;
/// The insert of one join row.
const INSERT_RELATED: &str =
    r#"INSERT OR IGNORE INTO "post_tags" ("post_id", "tag_id") VALUES (?, ?)"#;

/// [`SELECT_RELATED`] for `n` keys, as clarion's `add` writes it.
fn select_related(n: usize) -> String {
    format!(
        r#"SELECT "tag_id" FROM "post_tags" WHERE "post_id" = ? AND "tag_id" IN ({})"#,
        vec!["?"; n].join(", ")
    )
}

/// The raw `rusqlite` connection of the baselines: a database laid out exactly as clarion's,
/// so that both sides run the same statements on the same tables.
///
/// That means the same tables and indexes from the same SQL, `PRAGMA foreign_keys = ON` as on
/// every clarion connection, the same rows of `tag` and `post`, and the same `sqlite_sequence`:
/// an `AUTOINCREMENT` insert looks its table up in that table by a scan, so a table whose row
/// comes later costs the insert a little more.
struct Raw {
    /// The connection.
    conn: rusqlite::Connection,
    /// The posts' keys, in order.
    posts: Vec<i64>,
    /// The tags' keys, in order.
    tags: Vec<i64>,
}

impl Raw {
    /// A database with clarion's tables, all empty.
    fn empty() -> Raw {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
        for statement in SCHEMA {
            conn.execute_batch(statement).unwrap();
        }
        Raw {
            conn,
            posts: Vec::new(),
            tags: Vec::new(),
        }
    }

    /// A database with clarion's tables, its tags and posts, and empty join and entry tables.
    fn new() -> Raw {
        let mut raw = Raw::empty();
        // In `SEQUENCE_ORDER`, as `setup` and `check` give clarion's tables their first rows.
        raw.tags = raw.insert_named("tag", "name", (0..TAGS).map(tag_name));
        raw.posts = raw.insert_named("post", "title", (0..POSTS).map(post_title));
        raw.conn
            .execute_batch(&format!(
                "INSERT INTO post_tags (post_id, tag_id) VALUES ({}, {}); DELETE FROM post_tags;",
                raw.posts[0], raw.tags[0]
            ))
            .unwrap();
        raw.insert_entries(&entry_rows()[..1]);
        raw.delete_entries();
        raw
    }

    /// Inserts one row per text into `table`'s `column`; returns their keys.
    fn insert_named(
        &mut self,
        table: &str,
        column: &str,
        texts: impl Iterator<Item = String>,
    ) -> Vec<i64> {
        let tx = self.conn.transaction().unwrap();
        let mut keys = Vec::new();
        {
            let mut insert = tx
                .prepare(&format!("INSERT INTO {table} ({column}) VALUES (?1)"))
                .unwrap();
            for text in texts {
                keys.push(insert.insert([text]).unwrap());
            }
        }
        tx.commit().unwrap();
        keys
    }

    /// The baseline of `m2m_add`: the `add`s' statements, in one transaction.
    #[inline(never)] // A function of its own, for callgrind's per-function counts.
    fn add_tags(&mut self) {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        {
            let mut select = tx.prepare_cached(SELECT_RELATED).unwrap();
            let mut insert = tx.prepare_cached(INSERT_RELATED).unwrap();
            for (i, post) in self.posts.iter().enumerate() {
                let tags = &self.tags[first_tag(i)..first_tag(i) + PER_POST];
                let present: Vec<i64> = select
                    .query_map(
                        rusqlite::params_from_iter(std::iter::once(post).chain(tags)),
                        |row| row.get(0),
                    )
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                for tag in tags {
                    if !present.contains(tag) {
                        black_box(insert.execute((post, tag)).unwrap());
                    }
                }
            }
        }
        tx.commit().unwrap();
    }

    /// A database as [`setup_bulk`] leaves clarion's: [`BULK`] tags, then one post.
    fn bulk() -> Raw {
        let mut raw = Raw::empty();
        raw.tags = raw.insert_named("tag", "name", (0..BULK).map(tag_name));
        raw.posts = raw.insert_named("post", "title", std::iter::once(post_title(0)));
        raw
    }

    /// The baseline of `m2m_add/100k_keys`: one `add` of every tag to the one post, in one
    /// transaction.
    #[inline(never)] // A function of its own, for callgrind's per-function counts.
    fn add_all_tags(&mut self) {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        {
            let post = self.posts[0];
            let mut present = HashSet::new();
            for chunk in self.tags.chunks(BULK_CHUNK) {
                let mut select = tx.prepare_cached(&select_related(chunk.len())).unwrap();
                let rows = select
                    .query_map(
                        rusqlite::params_from_iter(std::iter::once(&post).chain(chunk)),
                        |row| row.get::<_, i64>(0),
                    )
                    .unwrap();
                for key in rows {
                    present.insert(key.unwrap());
                }
            }
            let mut insert = tx.prepare_cached(INSERT_RELATED).unwrap();
            for tag in &self.tags {
                if !present.contains(tag) {
                    black_box(insert.execute((post, tag)).unwrap());
                }
            }
        }
        tx.commit().unwrap();
    }

    /// Empties the join table.
    fn clear_tags(&mut self) {
        self.conn.execute_batch("DELETE FROM post_tags").unwrap();
    }

    /// Inserts the entries.
    fn insert_entries(&mut self, rows: &[(String, String, i64)]) {
        let tx = self.conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached(
                    r#"INSERT INTO "entry" ("title", "body", "views") VALUES (?, ?, ?)"#,
                )
                .unwrap();
            for (title, body, views) in rows {
                insert.execute((title, body, views)).unwrap();
            }
        }
        tx.commit().unwrap();
    }

    /// The baseline of `queryset_delete`: every row read (for the `post_delete` work), then
    /// the table emptied by one `DELETE`, in one transaction.
    #[inline(never)] // A function of its own, for callgrind's per-function counts.
    fn delete_entries(&mut self) {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        {
            let mut select = tx
                .prepare_cached(r#"SELECT "id", "title", "body", "views" FROM "entry""#)
                .unwrap();
            let rows: Vec<(i64, String, String, i64)> = select
                .query_map((), |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            // Every row is deleted: one set-based statement, as a competent user writes it.
            black_box(tx.execute(r#"DELETE FROM "entry""#, ()).unwrap());
            black_box(rows);
        }
        tx.commit().unwrap();
    }

    /// `sqlite_master` and `sqlite_sequence` as `check` compares them.
    fn layout(&self) -> Layout {
        let strings = |sql: &str| -> Vec<String> {
            let mut select = self.conn.prepare(sql).unwrap();
            select
                .query_map((), |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        Layout {
            schema: strings(MASTER),
            sequence: strings(SEQUENCE),
        }
    }
}

/// Every table and index, in creation order, with its SQL.
/// Without `clarion_migrations`, clarion's record of what `migrate` ran, which the baseline has
/// no use for.
const MASTER: &str = "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master \
                      WHERE name <> 'clarion_migrations' ORDER BY rowid";
/// The tables of `sqlite_sequence`, in the order they got their row.
const SEQUENCE: &str =
    "SELECT name FROM sqlite_sequence WHERE name <> 'clarion_migrations' ORDER BY rowid";

/// What must be the same on both sides before anything is timed.
#[derive(Debug, PartialEq)]
struct Layout {
    /// `sqlite_master`'s rows.
    schema: Vec<String>,
    /// `sqlite_sequence`'s tables.
    sequence: Vec<String>,
}

/// clarion's side of the layout, on the database registered as `alias`.
fn clarion_layout(alias: &str) -> Layout {
    db::atomic_using(alias, |tx| {
        Ok(Layout {
            schema: tx.query(MASTER, (), |row| row.get(0))?,
            sequence: tx.query(SEQUENCE, (), |row| row.get(0))?,
        })
    })
    .unwrap()
}

/// The clarion database: registered as [`ALIAS`], migrated, with its tags and posts saved.
fn setup() -> (Vec<Post>, Vec<Tag>) {
    db::register(Database::open_as(ALIAS, "sqlite::memory:").unwrap());
    clarion::migrate_using(ALIAS).unwrap();
    db::atomic_using(ALIAS, |_| {
        let mut tags: Vec<Tag> = (0..TAGS)
            .map(|i| Tag {
                id: None,
                name: tag_name(i),
            })
            .collect();
        for tag in &mut tags {
            tag.save_with(SaveOptions::new().using(ALIAS))?;
        }
        let mut posts: Vec<Post> = (0..POSTS)
            .map(|i| Post {
                id: None,
                title: post_title(i),
            })
            .collect();
        for post in &mut posts {
            post.save_with(SaveOptions::new().using(ALIAS))?;
        }
        Ok((posts, tags))
    })
    .unwrap()
}

/// The database of `m2m_add/100k_keys`, registered as [`BULK_ALIAS`] and migrated: [`BULK`]
/// tags, then one post (as [`Raw::bulk`]). Returns the post and the tags' keys.
fn setup_bulk() -> (Post, Vec<i64>) {
    db::register(Database::open_as(BULK_ALIAS, "sqlite::memory:").unwrap());
    clarion::migrate_using(BULK_ALIAS).unwrap();
    db::atomic_using(BULK_ALIAS, |_| {
        let mut keys = Vec::with_capacity(BULK);
        for i in 0..BULK {
            let mut tag = Tag {
                id: None,
                name: tag_name(i),
            };
            tag.save_with(SaveOptions::new().using(BULK_ALIAS))?;
            keys.extend(tag.id);
        }
        let mut post = Post {
            id: None,
            title: post_title(0),
        };
        post.save_with(SaveOptions::new().using(BULK_ALIAS))?;
        Ok((post, keys))
    })
    .unwrap()
}

/// clarion's side of `m2m_add/100k_keys`: one `add` of every key.
#[inline(never)] // A function of its own, for callgrind's per-function counts.
fn add_all_tags(post: &mut Post, keys: &[i64]) {
    post.tags()
        .using(BULK_ALIAS)
        .add_keys(keys.iter().copied())
        .unwrap();
}

/// clarion's side of `m2m_add`: every post adds its tags, in one transaction.
#[inline(never)] // A function of its own, for callgrind's per-function counts.
fn add_tags(posts: &mut [Post], tags: &[Tag]) {
    db::atomic_using(ALIAS, |_| {
        for (i, post) in posts.iter_mut().enumerate() {
            post.tags()
                .using(ALIAS)
                .add(&tags[first_tag(i)..first_tag(i) + PER_POST])?;
        }
        Ok(())
    })
    .unwrap();
}

/// Empties a table of the clarion database registered as `alias`.
fn clear(alias: &str, table: &str) {
    db::atomic_using(alias, |tx| {
        tx.execute_batch(&format!("DELETE FROM {table}"))
    })
    .unwrap();
}

/// Saves the entries to the clarion database, in one transaction.
fn save_entries(rows: &[(String, String, i64)]) {
    db::atomic_using(ALIAS, |_| {
        for mut entry in entries(rows) {
            entry.save_with(SaveOptions::new().using(ALIAS))?;
        }
        Ok(())
    })
    .unwrap();
}

/// clarion's side of `queryset_delete`.
#[inline(never)] // A function of its own, for callgrind's per-function counts.
fn delete_entries() {
    black_box(Entry::objects().using(ALIAS).delete().unwrap());
}

/// The three cases.
fn cases(posts: &[Post], tags: &[Tag], bulk: &(Post, Vec<i64>)) -> Vec<Case> {
    let (mut posts, tags) = (posts.to_vec(), tags.to_vec());
    let (mut post, keys) = bulk.clone();
    let mut raw = Raw::bulk();
    let bulk_baseline: Run = Box::new(move || {
        let t = timed(|| raw.add_all_tags());
        raw.clear_tags();
        t
    });
    let mut raw = Raw::new();
    let add_baseline: Run = Box::new(move || {
        let t = timed(|| raw.add_tags());
        raw.clear_tags();
        t
    });
    let rows = entry_rows();
    let mut raw = Raw::new();
    let delete_baseline: Run = Box::new(move || {
        raw.insert_entries(&rows);
        timed(|| raw.delete_entries())
    });
    let rows = entry_rows();
    vec![
        Case {
            group: "m2m_add",
            name: "one_receiver",
            goal: Some(1.5),
            limit: None,
            clarion: Box::new(move || {
                let t = timed(|| add_tags(&mut posts, &tags));
                clear(ALIAS, "post_tags");
                t
            }),
            baseline: add_baseline,
        },
        Case {
            group: "m2m_add",
            name: "100k_keys",
            goal: None,
            limit: Some(Duration::from_secs(1)),
            clarion: Box::new(move || {
                let t = timed(|| add_all_tags(&mut post, &keys));
                clear(BULK_ALIAS, "post_tags");
                t
            }),
            baseline: bulk_baseline,
        },
        Case {
            group: "queryset_delete",
            name: "post_delete",
            goal: Some(1.5),
            limit: None,
            clarion: Box::new(move || {
                save_entries(&rows);
                timed(delete_entries)
            }),
            baseline: delete_baseline,
        },
    ]
}

/// Checks that both sides are laid out alike and that each case does what it should, before
/// anything is timed.
fn check(posts: &mut [Post], tags: &[Tag], bulk: &mut (Post, Vec<i64>)) {
    let added = ADDED.load(Ordering::Relaxed);
    add_tags(posts, tags);
    assert_eq!(
        ADDED.load(Ordering::Relaxed) - added,
        (POSTS * PER_POST) as u64,
        "post_add reported every key"
    );
    let mut first = posts[0].clone();
    let related = first.tags().using(ALIAS).keys().unwrap();
    assert_eq!(related.len(), PER_POST);
    clear(ALIAS, "post_tags");

    let rows = entry_rows();
    save_entries(&rows);
    let deleted = DELETED.load(Ordering::Relaxed);
    let outcome = Entry::objects().using(ALIAS).delete().unwrap();
    assert_eq!(outcome.total, ENTRIES);
    assert_eq!(
        DELETED.load(Ordering::Relaxed) - deleted,
        ENTRIES as u64,
        "post_delete ran once per row"
    );

    let mut raw = Raw::new();
    raw.add_tags();
    let joined: i64 = raw
        .conn
        .query_row("SELECT count(*) FROM post_tags", (), |row| row.get(0))
        .unwrap();
    assert_eq!(joined, (POSTS * PER_POST) as i64);
    raw.clear_tags();

    let clarion = clarion_layout(ALIAS);
    assert_eq!(clarion, raw.layout());
    assert_eq!(clarion.sequence, SEQUENCE_ORDER);

    let (post, keys) = bulk;
    let added = ADDED.load(Ordering::Relaxed);
    add_all_tags(post, keys);
    assert_eq!(
        ADDED.load(Ordering::Relaxed) - added,
        BULK as u64,
        "post_add reported every key"
    );
    assert_eq!(post.tags().using(BULK_ALIAS).keys().unwrap().len(), BULK);
    clear(BULK_ALIAS, "post_tags");
    let mut raw = Raw::bulk();
    raw.add_all_tags();
    let joined: i64 = raw
        .conn
        .query_row("SELECT count(*) FROM post_tags", (), |row| row.get(0))
        .unwrap();
    assert_eq!(joined, BULK as i64);
    raw.clear_tags();
    assert_eq!(clarion_layout(BULK_ALIAS), raw.layout());
}

/// Sets up, checks, then runs the cases (see [`paired::main`]).
fn main() {
    let (mut posts, tags) = setup();
    let mut bulk = setup_bulk();
    check(&mut posts, &tags, &mut bulk);
    paired::main(
        &format!(
            "relations: median ms per run ({POSTS} adds of {PER_POST} tags; one add of {BULK} \
             keys; {ENTRIES} rows deleted)"
        ),
        || cases(&posts, &tags, &bulk),
    );
}

//! `get_or_create` and `update_or_create`: one row for a lookup, made if missing, safe when
//! several callers race to make it.

use super::filter::{Node, Op};
use super::{MAX_GET_RESULTS, QuerySet};
use crate::db::{self, Backend, Transaction};
use crate::error::{ConstraintKind, Error, Result};
use crate::model::{self, Model, SaveOptions};
use crate::query::Assignment;

impl<M: Model> QuerySet<M> {
    /// The one row the query set matches, or a new one saved from `create` if none does
    /// (Django's `get_or_create`). Returns the instance and whether it was created.
    ///
    /// - **Found**: it is loaded as [`get`](QuerySet::get) loads it (`post_init`, no save
    ///   signal); [`Error::MultipleObjectsReturned`] if several rows match, as in Django.
    /// - **Not found**: `create()` builds the instance, the query set's equalities
    ///   (`Post::SLUG.eq("x")`, alone or joined with `&`) and `is_null(true)` are written onto
    ///   it, so that the row it becomes is one this lookup finds, and it is saved with an
    ///   `INSERT` (`pre_save`/`post_save` with `created = true`) in an `atomic` block of its own
    ///   (a savepoint inside an open transaction). A failing or panicking receiver rolls the
    ///   insert back and is returned as [`Error::Receiver`].
    /// - **Racing**: two callers that both find nothing both try to insert. Give the lookup's
    ///   columns a unique constraint (`#[model(unique)]`, or a unique index): the database then
    ///   refuses the second insert ([`Error::Integrity`] of kind unique or primary key), its
    ///   savepoint is rolled back, and the row the first caller inserted is read and returned
    ///   with `created = false`. If that read finds nothing either (the refusal was about
    ///   another column), the integrity error is returned. Without a unique constraint the
    ///   database cannot tell the racers apart, and both rows are kept, as in Django. Inside
    ///   your own transaction on PostgreSQL, that read sees the other caller's row under the
    ///   default isolation, `READ COMMITTED`; under `REPEATABLE READ` or `SERIALIZABLE` it
    ///   cannot, and the integrity error is returned, as Django's would be.
    ///
    /// If `create` panics, nothing has been written, and the panic goes on unwinding.
    ///
    /// `create` runs only when no row matches, so a costly default costs nothing on the found
    /// path.
    ///
    /// ```
    /// use clarion::prelude::*;
    ///
    /// #[derive(Model, Debug)]
    /// #[model(table = "goc_doc_tag")]
    /// pub struct Tag {
    ///     pub id: Option<i64>,
    ///     #[model(unique, max_length = 40)]
    ///     pub slug: String,
    ///     pub label: String,
    /// }
    ///
    /// clarion::db::register(clarion::db::Database::open_as("goc_doc", "sqlite::memory:")?);
    /// clarion::migrate_using("goc_doc")?;
    /// let rust = Tag::objects().using("goc_doc").filter(Tag::SLUG.eq("rust"));
    ///
    /// // The slug comes from the lookup: the closure need not repeat it.
    /// let new = || Tag { id: None, slug: String::new(), label: "Rust".into() };
    /// let (tag, created) = rust.get_or_create(new)?;
    /// assert!(created);
    /// assert_eq!(tag.slug, "rust");
    ///
    /// let (again, created) = rust.get_or_create(|| unreachable!("the row exists"))?;
    /// assert!(!created);
    /// assert_eq!(again.id, tag.id);
    /// # Ok::<(), clarion::Error>(())
    /// ```
    pub fn get_or_create(&self, create: impl FnOnce() -> M) -> Result<(M, bool)> {
        match self.get() {
            Ok(found) => return Ok((found, false)),
            Err(Error::DoesNotExist { .. }) => {}
            Err(error) => return Err(error),
        }
        let mut instance = create();
        self.write_lookup(&mut instance)?;
        match self.insert(&mut instance) {
            Ok(()) => Ok((instance, true)),
            Err(error) if is_duplicate(&error) => match self.get() {
                Ok(found) => Ok((found, false)),
                Err(Error::DoesNotExist { .. }) => Err(error),
                Err(other) => Err(other),
            },
            Err(error) => Err(error),
        }
    }

    /// Sets `defaults` on the one row the query set matches, or saves a new one from `create`
    /// with the defaults applied if none does (Django's `update_or_create`). Returns the
    /// instance and whether it was created.
    ///
    /// Everything runs in one transaction (a savepoint inside an open one), so a failure leaves
    /// nothing of it written:
    /// - **Found**: the row is read and locked (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's
    ///   transaction holds the database's write lock), loaded (`post_init`), and each default
    ///   set on it. Only the fields whose value the defaults changed are saved, with
    ///   `update_fields` naming them: `pre_save`/`post_save` with `created = false` and those
    ///   `update_fields`. If no default changed anything, nothing is saved and no save signal is
    ///   sent. (Django saves every default's field even when unchanged.) A `pre_save` receiver
    ///   that sets another field (a timestamp) adds it to the save with
    ///   [`AlsoUpdate`](crate::model::AlsoUpdate).
    /// - **Not found**: as in [`get_or_create`](QuerySet::get_or_create), with the defaults set
    ///   after the lookup's equalities (Django's `create_defaults` left to its default); a race
    ///   lost to another caller's insert reads, locks and updates that caller's row.
    ///
    /// A default longer than its field's `max_length`, or of a value the field does not take,
    /// is an [`Error::Validation`] before anything is written.
    ///
    /// ```
    /// use clarion::prelude::*;
    ///
    /// #[derive(Model, Debug)]
    /// #[model(table = "uoc_doc_setting")]
    /// pub struct Setting {
    ///     pub id: Option<i64>,
    ///     #[model(unique, max_length = 40)]
    ///     pub key: String,
    ///     pub value: i64,
    /// }
    ///
    /// clarion::db::register(clarion::db::Database::open_as("uoc_doc", "sqlite::memory:")?);
    /// clarion::migrate_using("uoc_doc")?;
    /// let limit = Setting::objects().using("uoc_doc").filter(Setting::KEY.eq("limit"));
    /// let new = || Setting { id: None, key: String::new(), value: 0 };
    ///
    /// let (setting, created) = limit.update_or_create(&[Setting::VALUE.set(10)], new)?;
    /// assert!(created);
    /// assert_eq!(setting.value, 10);
    ///
    /// let (setting, created) = limit.update_or_create(&[Setting::VALUE.set(20)], new)?;
    /// assert!(!created);
    /// assert_eq!(setting.value, 20);
    /// assert_eq!(limit.get()?.value, 20);
    /// # Ok::<(), clarion::Error>(())
    /// ```
    pub fn update_or_create(
        &self,
        defaults: &[Assignment<M::Concrete>],
        create: impl FnOnce() -> M,
    ) -> Result<(M, bool)> {
        for assignment in defaults {
            model::check_max_length::<M>(assignment.field, assignment.value.as_ref())?;
        }
        let using = self.db();
        db::atomic_using(using, |tx| {
            let mut found = match self.get_locked(tx)? {
                Some(found) => found,
                None => {
                    let mut instance = create();
                    self.write_lookup(&mut instance)?;
                    for assignment in defaults {
                        set(&mut instance, assignment)?;
                    }
                    match self.insert(&mut instance) {
                        Ok(()) => return Ok((instance, true)),
                        Err(error) if is_duplicate(&error) => match self.get_locked(tx)? {
                            Some(found) => found,
                            None => return Err(error),
                        },
                        Err(error) => return Err(error),
                    }
                }
            };
            model::loaded(&mut found, using)?;
            // Each field's value before any default, compared once all are set: a field given
            // twice is changed only if its last value differs from the row's.
            let before: Vec<(usize, crate::Value)> = defaults
                .iter()
                .map(|assignment| (assignment.field, found.__get(assignment.field).to_owned()))
                .collect();
            for assignment in defaults {
                set(&mut found, assignment)?;
            }
            let mut changed: Vec<&'static str> = Vec::new();
            for (field, value) in &before {
                let name = M::META.fields[*field].name;
                if found.__get(*field) != value.as_ref() && !changed.contains(&name) {
                    changed.push(name);
                }
            }
            if !changed.is_empty() {
                found.save_with(SaveOptions::new().using(using).update_fields(&changed))?;
            }
            Ok((found, false))
        })
    }

    /// Writes the query set's equalities onto a new instance, as Django builds the object it
    /// creates from the lookup's keyword arguments: the row saved is then one the lookup
    /// finds, which is what lets a racing caller find it after its own insert is refused.
    fn write_lookup(&self, instance: &mut M) -> Result<()> {
        fn each(node: &Node, f: &mut dyn FnMut(usize, &crate::Value) -> Result<()>) -> Result<()> {
            match node {
                Node::Compare {
                    field,
                    op: Op::Eq,
                    value,
                } => f(*field, value),
                Node::Null {
                    field,
                    is_null: true,
                } => f(*field, &crate::Value::Null),
                Node::And(nodes) => nodes.iter().try_for_each(|node| each(node, f)),
                _ => Ok(()),
            }
        }
        each(&self.filter, &mut |field, value| {
            instance
                .__set(field, value.as_ref())
                .map_err(|error| model::validation::<M>(field, error))
        })
    }

    /// Saves a new instance with an `INSERT`, in a savepoint of its own: a refused insert
    /// (above all a duplicate key, when racing another caller) leaves the caller's transaction
    /// usable, which PostgreSQL requires to read the row that won.
    fn insert(&self, instance: &mut M) -> Result<()> {
        let options = SaveOptions::new().using(self.db()).force_insert();
        db::atomic_using(self.db(), |_| instance.save_with(options))
    }

    /// The one matching row, read in `tx` without `post_init` and locked against concurrent
    /// writers until `tx` ends (`FOR UPDATE` on PostgreSQL; a SQLite transaction that writes
    /// holds the whole database's lock already). `None` if no row matches.
    fn get_locked(&self, tx: &Transaction) -> Result<Option<M>> {
        if self.matches_nothing() {
            return Ok(None);
        }
        let limit = Some(
            self.limit
                .map_or(MAX_GET_RESULTS, |n| n.min(MAX_GET_RESULTS)),
        );
        let mut select = self.select(tx.backend(), &self.ordering, limit);
        if tx.backend() == Backend::Postgres {
            select.sql.push_str(" FOR UPDATE");
        }
        let mut rows = tx.query_bound(&select.sql, |bind| select.bind(bind), M::__from_row)?;
        match rows.len() {
            0 => Ok(None),
            1 => Ok(rows.pop()),
            count => Err(Error::MultipleObjectsReturned {
                model: M::META.label,
                count,
            }),
        }
    }
}

/// Sets one default on an instance, naming the field if the value does not fit it.
fn set<M: Model>(instance: &mut M, assignment: &Assignment<M::Concrete>) -> Result<()> {
    instance
        .__set(assignment.field, assignment.value.as_ref())
        .map_err(|error| model::validation::<M>(assignment.field, error))
}

/// Whether an insert was refused because its row already exists: what a racing caller's insert
/// gets once another's has committed.
fn is_duplicate(error: &Error) -> bool {
    matches!(
        error,
        Error::Integrity {
            kind: ConstraintKind::Unique | ConstraintKind::PrimaryKey,
            ..
        }
    )
}

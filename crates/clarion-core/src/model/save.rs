//! `save`, `delete` and `refresh_from_db`: the write path, with the model signals around it.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::marker::PhantomData;

use super::meta::ModelMeta;
use super::origin::DeleteOrigin;
use super::signals::{
    Delete, PostInit, PostSave, PreSave, post_delete, post_init, post_save, pre_delete, pre_save,
};
use super::update_fields::{AlsoUpdate, IntoUpdateFields, UpdateFields};
use super::{FieldVisitor, InstanceMut, Model, VisitedField, sql, validation};
use crate::db::{self, Binder, Transaction};
use crate::error::{Error, Result};
use crate::signal::Signal;
use crate::value::{FieldError, ValueRef};

/// How deep saves and deletes may nest on one thread (a receiver saving another model nests one
/// level) before [`Error::RecursionLimit`] stops a receiver that re-saves its own instance.
pub const MAX_SAVE_DEPTH: usize = 32;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Counts one nested save or delete for as long as it lives.
struct Depth;

impl Depth {
    #[inline]
    fn enter(model: &'static str) -> Result<Depth> {
        let depth = DEPTH.get() + 1;
        if depth > MAX_SAVE_DEPTH {
            return Err(too_deep(model, depth));
        }
        DEPTH.set(depth);
        Ok(Depth)
    }
}

#[cold]
fn too_deep(model: &'static str, depth: usize) -> Error {
    Error::RecursionLimit { model, depth }
}

impl Drop for Depth {
    fn drop(&mut self) {
        DEPTH.set(DEPTH.get() - 1);
    }
}

/// Options of [`Model::save_with`] (Django's keyword arguments of `save()`).
///
/// ```
/// use clarion::prelude::*;
/// # #[derive(Model)]
/// # pub struct Post { pub id: Option<i64>, pub title: String, pub slug: String }
///
/// let typed = SaveOptions::new().update_fields((Post::TITLE, Post::SLUG)).using("default");
/// let named = SaveOptions::new().update_fields(&["title", "slug"]).using("default");
/// # let _ = (typed, named);
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[must_use]
pub struct SaveOptions<'a> {
    update_fields: Option<UpdateFields<'a>>,
    force_insert: bool,
    force_update: bool,
    using: Option<&'a str>,
    raw: bool,
}

impl<'a> SaveOptions<'a> {
    /// Default options: insert or update as needed, every field, the default database.
    pub fn new() -> Self {
        SaveOptions::default()
    }

    /// Writes only these fields, with an `UPDATE` (Django's `update_fields`): the model's column
    /// handles, checked by the compiler (`Post::TITLE`, or several in a tuple,
    /// `(Post::TITLE, Post::BODY)`), or names for a list built at run time (`&["title"]`); see
    /// [`IntoUpdateFields`].
    ///
    /// An empty list writes nothing and sends no signal; an unknown name is an
    /// [`Error::UnknownField`], a column of another model an error, and the primary key an error
    /// (a save does not change a row's key), all before any signal, as in Django; a row that does
    /// not exist is an [`Error::DoesNotExist`]; an instance without a primary key is an error, as
    /// in Django (there is no row to update). Receivers see the names in the order given, or in
    /// the model's field order for column handles.
    pub fn update_fields(mut self, fields: impl IntoUpdateFields<'a>) -> Self {
        self.update_fields = Some(fields.into_update_fields());
        self
    }

    /// Always `INSERT` (Django's `force_insert`).
    pub fn force_insert(mut self) -> Self {
        self.force_insert = true;
        self
    }

    /// Always `UPDATE`; [`Error::DoesNotExist`] if no row has the key, an error if the instance
    /// has none (Django's `force_update`).
    pub fn force_update(mut self) -> Self {
        self.force_update = true;
        self
    }

    /// Writes to the database registered as `alias` (Django's `using`).
    pub fn using(mut self, alias: &'a str) -> Self {
        self.using = Some(alias);
        self
    }

    /// Saves the instance exactly as given, as fixture loading does (Django's
    /// `save_base(raw=True)`): receivers see `raw = true`, and `auto_now`/`auto_now_add` fields
    /// keep the values they have. Receivers that honour `raw` (that do not query or change other
    /// rows then) can be tested with it, and loaders of your own can restore rows with it.
    ///
    /// ```
    /// # use clarion::db::{self, Database};
    /// use clarion::prelude::*;
    ///
    /// #[derive(Model)]
    /// pub struct Entry { pub id: Option<i64>, pub title: String }
    /// # db::register(Database::open_as("raw_doc", "sqlite::memory:")?);
    /// # clarion::migrate_using("raw_doc")?;
    ///
    /// use clarion::models::signals::PreSave;
    /// let seen = clarion::testing::capture(&pre_save, |_, args: &PreSave<'_>| args.raw);
    /// let mut entry = Entry { id: Some(7), title: "restored".into() };
    /// entry.save_with(SaveOptions::new().using("raw_doc").raw(true))?;
    /// assert_eq!(seen.take(), [true]);
    /// # Ok::<(), clarion::Error>(())
    /// ```
    pub fn raw(mut self, raw: bool) -> Self {
        self.raw = raw;
        self
    }
}

/// [`SaveOptions`] that own what they name, to be sent to the thread that saves.
#[cfg(feature = "tokio")]
pub(crate) struct OwnedSaveOptions {
    update_fields: Option<super::update_fields::OwnedUpdateFields>,
    force_insert: bool,
    force_update: bool,
    using: Option<String>,
    raw: bool,
}

#[cfg(feature = "tokio")]
impl SaveOptions<'_> {
    pub(crate) fn to_owned_options(self) -> OwnedSaveOptions {
        OwnedSaveOptions {
            update_fields: self.update_fields.map(UpdateFields::to_owned_fields),
            force_insert: self.force_insert,
            force_update: self.force_update,
            using: self.using.map(str::to_owned),
            raw: self.raw,
        }
    }
}

#[cfg(feature = "tokio")]
impl OwnedSaveOptions {
    /// Calls `f` with these options, borrowed.
    pub(crate) fn with<R>(&self, f: impl FnOnce(SaveOptions<'_>) -> R) -> R {
        let options = SaveOptions {
            update_fields: None,
            force_insert: self.force_insert,
            force_update: self.force_update,
            using: self.using.as_deref(),
            raw: self.raw,
        };
        match &self.update_fields {
            Some(fields) => fields.with(|fields| {
                f(SaveOptions {
                    update_fields: Some(fields),
                    ..options
                })
            }),
            None => f(options),
        }
    }
}

/// What a delete removed (Django's `(total, {label: count})`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Deleted {
    /// Rows deleted in all.
    pub total: usize,
    /// Rows deleted per model label; only models that had rows deleted appear.
    pub per_model: BTreeMap<&'static str, usize>,
}

impl Deleted {
    /// Counts `rows` deleted from `label`'s table. A model nothing was deleted from gets no
    /// entry, as in Django (whose `Collector` drops zero counts).
    pub(crate) fn add(&mut self, label: &'static str, rows: usize) {
        if rows == 0 {
            return;
        }
        self.total += rows;
        *self.per_model.entry(label).or_default() += rows;
    }
}

pub(crate) fn save_instance<M: Model>(instance: &mut M, options: SaveOptions<'_>) -> Result<()> {
    // A constant: the saves of models without such fields do not look. A raw save (fixtures)
    // writes the instance as given, as Django's does; a save of no field writes nothing.
    if M::__STAMPS
        && !options.raw
        && options
            .update_fields
            .is_none_or(|fields| !fields.is_empty())
    {
        stamp(instance, &options);
    }
    if options.update_fields.is_some() || options.force_insert && options.force_update {
        return save_fields(instance, &options);
    }
    save_resolved(instance, &options, None)
}

/// Sets the `auto_now` fields, and the `auto_now_add` ones of a row being added: an instance
/// without a primary key yet, or saved with `force_insert`. (A model whose key you choose cannot
/// be told new before its write: give such a save `force_insert`, as `get_or_create` does.)
/// Before `pre_save`, so that its receivers see the time the row will hold.
#[inline(never)]
fn stamp<M: Model>(instance: &mut M, options: &SaveOptions<'_>) {
    let adding = options.force_insert || instance.__get(M::META.pk).is_null();
    instance.__stamp(std::time::SystemTime::now(), adding);
}

/// A save with `update_fields` (or with contradictory options): the names are checked before
/// any signal, and receivers see the model's own `&'static` names. Out of line, so that the
/// common save stays small.
#[inline(never)]
fn save_fields<M: Model>(instance: &mut M, options: &SaveOptions<'_>) -> Result<()> {
    let meta = M::META;
    if options.force_insert && (options.force_update || options.update_fields.is_some()) {
        return Err(Error::msg(format!(
            "cannot save `{}` with `force_insert` and `force_update`/`update_fields` together",
            meta.label
        )));
    }
    let Some(given) = options.update_fields else {
        return save_resolved(instance, options, None);
    };
    if given.is_empty() {
        return Ok(());
    }
    let mut fields: Vec<usize> = Vec::new();
    given.resolve::<M>(&mut fields)?;
    if !options.raw {
        // What the save just stamped is written too (Django writes an `auto_now` field only if
        // it is listed, which loses the time whenever the caller forgets it).
        for &index in M::__AUTO_NOW {
            if !fields.contains(&index) {
                fields.push(index);
            }
        }
    }
    let mut names: Vec<&'static str> = Vec::with_capacity(fields.len());
    for &index in &fields {
        let field = &meta.fields[index];
        if field.primary_key {
            // Skipping it would leave `UPDATE … SET  WHERE` when it is the only name, and write
            // less than was asked otherwise: refused, as Django refuses it.
            return Err(Error::msg(format!(
                "cannot save `{}` with `update_fields` naming `{}`, its primary key: a save \
                 does not change a row's key, so leave it out (Django refuses it too)",
                meta.label, field.name
            )));
        }
        names.push(field.name);
    }
    save_resolved(instance, options, Some((&fields, &names)))
}

/// A save whose fields are known: `None` for every field, or the numbers and names of
/// `update_fields`.
#[inline(always)]
fn save_resolved<M: Model>(
    instance: &mut M,
    options: &SaveOptions<'_>,
    fields: Option<(&[usize], &[&'static str])>,
) -> Result<()> {
    let using = options.using.unwrap_or(db::DEFAULT_ALIAS_STATIC);
    let sender = M::sender();
    // Nobody listens: the write is one statement, atomic on its own (SQLite undoes a statement
    // that fails), so inside an open transaction it needs no bookkeeping at all; and with no
    // receiver to save again, no depth to count either.
    let pre_heard = !pre_save.surely_unheard(&sender);
    let post_heard = !post_save.surely_unheard(&sender);
    if !pre_heard
        && !post_heard
        && let Some(tx) = db::current_transaction(using)
    {
        write(instance, &tx, fields.map(|(numbers, _)| numbers), options)?;
        return Ok(());
    }
    save_signalled(instance, options, using, fields, pre_heard, post_heard)
}

/// The save with its signals around the write, in one transaction (see [`in_transaction`]).
#[inline(never)]
fn save_signalled<M: Model>(
    instance: &mut M,
    options: &SaveOptions<'_>,
    using: &str,
    fields: Option<(&[usize], &[&'static str])>,
    pre_heard: bool,
    post_heard: bool,
) -> Result<()> {
    let sender = M::sender();
    let _depth = Depth::enter(M::META.label)?;
    in_transaction(using, |tx| {
        // The fields `pre_save` receivers added (`AlsoUpdate`), after the caller's.
        let widened: (Vec<usize>, Vec<&'static str>);
        let mut update_fields = fields.map(|(_, names)| names);
        let mut numbers = fields.map(|(numbers, _)| numbers);
        if pre_heard {
            let mut args = PreSave {
                instance: InstanceMut::new(instance),
                raw: options.raw,
                using,
                update_fields,
                also_update: AlsoUpdate::new(M::META, fields.is_none()),
                tx,
            };
            pre_save
                .send_heard(sender, &mut args)
                .map_err(|error| *error)?;
            if let Some((given, names)) = fields
                && args.also_update.added().iter().any(|i| !given.contains(i))
            {
                let mut all_numbers = given.to_vec();
                let mut all_names = names.to_vec();
                for &index in args.also_update.added() {
                    if !all_numbers.contains(&index) {
                        all_numbers.push(index);
                        all_names.push(M::META.fields[index].name);
                    }
                }
                widened = (all_numbers, all_names);
                numbers = Some(&widened.0);
                update_fields = Some(&widened.1);
            }
        }
        let created = write(instance, tx, numbers, options)?;
        if post_heard {
            post_save
                .send_heard(
                    sender,
                    &mut PostSave {
                        instance: InstanceMut::new(instance),
                        created,
                        raw: options.raw,
                        using,
                        update_fields,
                        tx,
                    },
                )
                .map_err(|error| *error)?;
        }
        Ok(())
    })
}

/// Runs a save or delete (its receivers and its writes) in one transaction: a transaction of its
/// own outside any, else joining the caller's (see [`Transaction::join`] for what a failure then
/// leaves).
pub(crate) fn in_transaction<T>(
    using: &str,
    f: impl FnOnce(&Transaction) -> Result<T>,
) -> Result<T> {
    match db::current_transaction(using) {
        Some(tx) => tx.join(f),
        None => db::atomic_using(using, f),
    }
}

/// Binds every field, in order, but the primary key if `skip_key` (an auto key the database
/// assigns, or a key bound last), checking what the database would not (`max_length`) on the
/// way: a refused value stops the write before the statement runs.
#[inline]
fn bind_fields<M: Model>(instance: &M, binder: &mut Binder<'_, '_>, skip_key: bool) -> Result<()> {
    instance.__each_value(&mut BindFields::<M> {
        binder,
        skip_key,
        model: PhantomData,
    })
}

struct BindFields<'b, 's, 'c, M> {
    binder: &'b mut Binder<'s, 'c>,
    skip_key: bool,
    model: PhantomData<fn(&M)>,
}

impl<M: Model> FieldVisitor for BindFields<'_, '_, '_, M> {
    type Error = Error;

    #[inline(always)]
    fn visit(&mut self, field: VisitedField, value: ValueRef<'_>) -> Result<()> {
        if field.primary_key && self.skip_key {
            return Ok(());
        }
        check_length::<M>(field.index, field.max_length, value)?;
        self.binder.bind(value)
    }
}

/// Refuses text longer than its field's `max_length` (in characters, as Django counts).
#[inline]
pub(crate) fn check_max_length<M: Model>(field: usize, value: ValueRef<'_>) -> Result<()> {
    check_length::<M>(field, M::META.fields[field].max_length, value)
}

/// [`check_max_length`] with the field's `max_length` given (a constant where the derive wrote
/// it out).
#[inline(always)]
fn check_length<M: Model>(
    field: usize,
    max_length: Option<usize>,
    value: ValueRef<'_>,
) -> Result<()> {
    if let (Some(max), ValueRef::Text(text)) = (max_length, value)
        // A text of at most `max` bytes has at most `max` characters: most values need no count.
        && text.len() > max
    {
        too_long::<M>(field, text, max)?;
    }
    Ok(())
}

#[cold]
fn too_long<M: Model>(field: usize, text: &str, max: usize) -> Result<()> {
    let length = text.chars().count();
    if length > max {
        return Err(validation::<M>(
            field,
            FieldError(format!(
                "{length} characters, more than its max_length of {max}"
            )),
        ));
    }
    Ok(())
}

/// The `INSERT` or `UPDATE`; returns whether a row was inserted.
#[inline(always)]
fn write<M: Model>(
    instance: &mut M,
    tx: &Transaction,
    update_fields: Option<&[usize]>,
    options: &SaveOptions<'_>,
) -> Result<bool> {
    let meta = M::META;
    if meta.pk_field().auto
        && !options.force_update
        && update_fields.is_none()
        && instance.__get(meta.pk).is_null()
    {
        // The most common save of all: a new row, whose key the database assigns.
        insert_auto(instance, tx)?;
        return Ok(true);
    }
    write_keyed(instance, tx, update_fields, options)
}

/// The `INSERT` of a new row with an auto-increment key, which the instance then gets.
#[inline(always)]
fn insert_auto<M: Model>(instance: &mut M, tx: &Transaction) -> Result<()> {
    let pk = M::META.pk;
    let statements = M::META.sql(tx.backend());
    let (_, id) = tx.insert_static(&statements.insert_auto, |binder| {
        bind_fields(instance, binder, true)
    })?;
    instance
        .__set_auto_key(id)
        .map_err(|e| validation::<M>(pk, e))
}

/// [`write`] of an instance that has its key (or must not get one from the database): an
/// `UPDATE`, then an `INSERT` if no row has the key, as Django's `save()` does.
#[inline(never)]
fn write_keyed<M: Model>(
    instance: &mut M,
    tx: &Transaction,
    update_fields: Option<&[usize]>,
    options: &SaveOptions<'_>,
) -> Result<bool> {
    let meta = M::META;
    let statements = meta.sql(tx.backend());
    let pk = meta.pk;
    let has_pk = !instance.__get(pk).is_null();
    if has_pk && !options.force_insert {
        let updated = match update_fields {
            // Nothing to update but the key (Django then checks that the row exists).
            None if meta.fields.len() == 1 => tx
                .query_bound(
                    &statements.update_all,
                    |binder| binder.bind(instance.__get(pk)),
                    |_| Ok(()),
                )?
                .len(),
            None => tx.execute_static(&statements.update_all, |binder| {
                bind_fields(instance, binder, true)?;
                binder.bind(instance.__get(pk))
            })?,
            Some(fields) => {
                let sql = sql::update_fields(meta, fields, tx.backend());
                tx.execute_static(sql, |binder| {
                    for &index in fields {
                        let value = instance.__get(index);
                        check_max_length::<M>(index, value)?;
                        binder.bind(value)?;
                    }
                    binder.bind(instance.__get(pk))
                })?
            }
        };
        if updated > 0 {
            return Ok(false);
        }
        if options.force_update || update_fields.is_some() {
            return Err(Error::DoesNotExist { model: meta.label });
        }
    } else if options.force_update || update_fields.is_some() {
        // Django: "Cannot force an update in save() with no primary key."
        return Err(Error::msg(format!(
            "cannot update `{}` without a primary key (`force_update` or `update_fields` on an \
             instance that has none): save it without them first",
            meta.label
        )));
    }
    if has_pk {
        tx.execute_static(&statements.insert_all, |binder| {
            bind_fields(instance, binder, false)
        })?;
        if meta.pk_field().auto && tx.backend() == db::Backend::Postgres {
            reset_sequence(tx, meta, instance.__get(pk))?;
        }
    } else if meta.pk_field().auto {
        insert_auto(instance, tx)?;
    } else {
        return Err(validation::<M>(
            pk,
            FieldError("the primary key must be set before saving".to_owned()),
        ));
    }
    Ok(true)
}

/// Moves the sequence of `meta`'s auto key past `key`, just inserted, if it is behind it (see
/// [`sql::sequence_reset`]).
pub(crate) fn reset_sequence(
    tx: &Transaction,
    meta: &'static ModelMeta,
    key: ValueRef<'_>,
) -> Result<()> {
    tx.query_static(
        sql::sequence_reset(),
        |binder| {
            binder.bind(ValueRef::Text(&sql::quote(meta.table)))?;
            binder.bind(ValueRef::Text(meta.pk_field().column))?;
            binder.bind(key)
        },
        |_| Ok(()),
    )
    .map(drop)
}

pub(crate) fn delete_instance<M: Model>(instance: &mut M, using: &str) -> Result<Deleted> {
    let origin = DeleteOrigin::instance(instance);
    let deleted = delete_many(std::slice::from_mut(instance), using, &origin)?;
    if M::META.pk_field().auto {
        // Django sets the key to `None` once the row is gone; a key the user chose stays.
        let _ = instance.__set(M::META.pk, ValueRef::Null);
    }
    Ok(deleted)
}

/// Deletes `instances` in one transaction: `pre_delete` for each, the `DELETE`s, `post_delete`
/// for each (Django's collector order), with the rows that cascade from them when other models
/// point at `M` (see `collector`).
pub(crate) fn delete_many<M: Model>(
    instances: &mut [M],
    using: &str,
    origin: &DeleteOrigin,
) -> Result<Deleted> {
    let meta = M::META;
    if instances.iter().any(|i| i.__get(meta.pk).is_null()) {
        return Err(validation::<M>(
            meta.pk,
            FieldError("cannot delete an instance whose primary key is not set".to_owned()),
        ));
    }
    let _depth = Depth::enter(meta.label)?;
    let sender = M::sender();
    if !super::deletes_alone(meta) {
        return in_transaction(using, |tx| {
            let given = instances
                .iter_mut()
                .map(|instance| instance as &mut dyn super::Instance)
                .collect();
            super::collector::delete_collected(given, meta, sender, tx, using, origin)
        });
    }
    in_transaction(using, |tx| {
        // Django's collector order: every pre_delete, the deletes, every post_delete.
        let announce = |signal: &Signal<Delete<'static>>, instances: &mut [M]| -> Result<()> {
            if signal.surely_unheard(&sender) {
                return Ok(());
            }
            for instance in instances {
                signal.send(
                    sender,
                    &mut Delete {
                        instance: InstanceMut::new(instance),
                        using,
                        origin,
                        tx,
                    },
                )?;
            }
            Ok(())
        };
        announce(&pre_delete, instances)?;
        let rows = match &*instances {
            // An instance's delete: no key copied, nothing allocated.
            [instance] => tx.execute_static(&meta.sql(tx.backend()).delete, |b| {
                b.bind(instance.__get(meta.pk))
            })?,
            instances => super::collector::delete_keys(
                tx,
                meta,
                instances
                    .iter()
                    .map(|i| i.__get(meta.pk).to_owned())
                    .collect(),
            )?,
        };
        let mut deleted = Deleted::default();
        deleted.add(meta.label, rows);
        announce(&post_delete, instances)?;
        Ok(deleted)
    })
}

/// Loads the row of `M` whose key is `key` from `using`, sending `post_init`.
pub(crate) fn load_by_pk<M: Model>(key: ValueRef<'_>, using: &str) -> Result<M> {
    let meta = M::META;
    let mut instance = db::read_using(using, |tx| {
        let mut rows = tx.query_bound(
            &meta.sql(tx.backend()).select_by_pk,
            |binder| binder.bind(key),
            M::__from_row,
        )?;
        rows.pop().ok_or(Error::DoesNotExist { model: meta.label })
    })?;
    loaded(&mut instance, using)?;
    Ok(instance)
}

pub(crate) fn refresh<M: Model>(instance: &mut M, using: &str) -> Result<()> {
    let meta = M::META;
    if instance.__get(meta.pk).is_null() {
        return Err(Error::DoesNotExist { model: meta.label });
    }
    let fresh = db::read_using(using, |tx| {
        let mut rows = tx.query_bound(
            &meta.sql(tx.backend()).select_by_pk,
            |binder| binder.bind(instance.__get(meta.pk)),
            M::__from_row,
        )?;
        rows.pop().ok_or(Error::DoesNotExist { model: meta.label })
    })?;
    *instance = fresh;
    loaded(instance, using)
}

/// Sends `post_init` for an instance just loaded from `using`.
pub(crate) fn loaded<M: Model>(instance: &mut M, using: &str) -> Result<()> {
    let sender = M::sender();
    if post_init.surely_unheard(&sender) {
        return Ok(());
    }
    post_init.send(
        sender,
        &mut PostInit {
            instance: InstanceMut::new(instance),
            using,
        },
    )?;
    Ok(())
}

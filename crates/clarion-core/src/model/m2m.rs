//! Many-to-many relations: the join table `#[model(many_to_many(tags = Tag))]` declares, the
//! [`ManyRelated`] manager that changes it from either side, and [`m2m_changed`].
//!
//! [`m2m_changed`]: super::signals::m2m_changed

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;
use std::sync::OnceLock;

use super::collector::CHUNK;
use super::relation::key_of;
use super::save::in_transaction;
use super::signals::{M2mAction, M2mChanged, m2m_changed};
use super::{Instance, InstanceMut, Model, ModelMeta, models, sql};
use crate::db::{self, Backend, Transaction};
use crate::error::{Error, Result};
use crate::query::{Filter, QuerySet};
use crate::sender::Sender;
use crate::value::{FieldType, Value, ValueKey};

/// A many-to-many relation, as `#[model(many_to_many(…))]` declares it: its join table and the
/// models it joins. Listed by [`ModelMeta::many_to_many`] on the declaring model.
///
/// The join table is auto-created (`<table>_<name>`, Django's auto-created through model) unless
/// the relation names a `through` model, whose table and two foreign keys it then uses.
#[non_exhaustive]
pub struct ManyToManyMeta {
    /// The field's name on the declaring model, `tags`.
    pub name: &'static str,
    /// The auto-created join table's label, `app.post_tags` (what a delete counts its rows
    /// under); a `through` model's rows count under that model's own label.
    pub label: &'static str,
    table: &'static str,
    source_column: &'static str,
    target_column: &'static str,
    source: fn() -> &'static ModelMeta,
    target: fn() -> &'static ModelMeta,
    sender: fn() -> Sender,
    through: Option<Through>,
    /// Whether each row added is also added the other way round (Django's `symmetrical`).
    symmetrical: bool,
    /// The statements of each backend (SQLite, PostgreSQL) and side (declaring, then reverse),
    /// built at first use.
    statements: [[OnceLock<JoinStatements>; 2]; 2],
}

/// How many keys the cached `IN (…)` statements take, from 1 up: an `add` or a `remove` of more
/// builds its statement at each call.
const CACHED_IN: usize = 16;

/// The SQL of one side of a relation, built once: the manager's calls run from these texts,
/// which the transaction keeps prepared.
struct JoinStatements {
    /// `INSERT` of one join row that does nothing when it exists (`INSERT OR IGNORE`, `ON
    /// CONFLICT DO NOTHING`).
    insert: String,
    /// The other side's keys related to one row, ascending.
    related: String,
    /// `DELETE` of every join row of one row.
    clear: String,
    /// `[n - 1]`: which of `n` keys of the other side are related to one row.
    present: Vec<String>,
    /// `[n - 1]`: `DELETE` of the join rows of one row and `n` keys of the other side.
    remove: Vec<String>,
}

impl JoinStatements {
    fn build(table: &str, own: &str, other: &str, backend: Backend) -> JoinStatements {
        let (table, own, other) = (sql::quote(table), sql::quote(own), sql::quote(other));
        let one = backend.placeholder(1);
        let two = backend.placeholders(1, 2);
        JoinStatements {
            insert: match backend {
                Backend::Sqlite => {
                    format!("INSERT OR IGNORE INTO {table} ({own}, {other}) VALUES ({two})")
                }
                Backend::Postgres => format!(
                    "INSERT INTO {table} ({own}, {other}) VALUES ({two}) ON CONFLICT DO NOTHING"
                ),
            },
            related: format!("SELECT {other} FROM {table} WHERE {own} = {one} ORDER BY {other}"),
            clear: format!("DELETE FROM {table} WHERE {own} = {one}"),
            present: (1..=CACHED_IN)
                .map(|n| present(&table, &own, &other, n, backend))
                .collect(),
            remove: (1..=CACHED_IN)
                .map(|n| remove(&table, &own, &other, n, backend))
                .collect(),
        }
    }
}

/// As [`present`], from unquoted names.
fn present_sql(table: &str, own: &str, other: &str, n: usize, backend: Backend) -> String {
    present(
        &sql::quote(table),
        &sql::quote(own),
        &sql::quote(other),
        n,
        backend,
    )
}

fn present(table: &str, own: &str, other: &str, n: usize, backend: Backend) -> String {
    format!(
        "SELECT {other} FROM {table} WHERE {own} = {} AND {other} IN ({})",
        backend.placeholder(1),
        backend.placeholders(2, n)
    )
}

fn remove(table: &str, own: &str, other: &str, n: usize, backend: Backend) -> String {
    format!(
        "DELETE FROM {table} WHERE {own} = {} AND {other} IN ({})",
        backend.placeholder(1),
        backend.placeholders(2, n)
    )
}

/// A `through` model and its two keys, by field index.
#[derive(Clone, Copy)]
struct Through {
    model: fn() -> &'static ModelMeta,
    source_field: usize,
    target_field: usize,
}

impl ManyToManyMeta {
    /// Not public API: what `#[derive(Model)]` writes.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn __new(
        name: &'static str,
        label: &'static str,
        table: &'static str,
        source_column: &'static str,
        target_column: &'static str,
        source: fn() -> &'static ModelMeta,
        target: fn() -> &'static ModelMeta,
        sender: fn() -> Sender,
    ) -> Self {
        ManyToManyMeta {
            name,
            label,
            table,
            source_column,
            target_column,
            source,
            target,
            sender,
            through: None,
            symmetrical: false,
            statements: [
                [OnceLock::new(), OnceLock::new()],
                [OnceLock::new(), OnceLock::new()],
            ],
        }
    }

    /// Not public API: what `#[derive(Model)]` adds for `through = …`: the model, and the
    /// indexes of its keys to the declaring model and to the other one.
    #[doc(hidden)]
    pub const fn __through(
        mut self,
        model: fn() -> &'static ModelMeta,
        source_field: usize,
        target_field: usize,
    ) -> Self {
        self.through = Some(Through {
            model,
            source_field,
            target_field,
        });
        self
    }

    /// Not public API: what `#[derive(Model)]` adds for a relation of a model to itself with an
    /// auto-created join table, unless it says `symmetrical = false`.
    #[doc(hidden)]
    pub const fn __symmetrical(mut self) -> Self {
        self.symmetrical = true;
        self
    }

    /// Whether the relation is symmetrical (Django's `symmetrical`, the default for a relation
    /// of a model to itself): adding bob to alice's relation adds alice to bob's, and removing
    /// or clearing removes both directions' rows, with one `m2m_changed` pair for the instance
    /// whose manager was used.
    pub fn symmetrical(&self) -> bool {
        self.symmetrical
    }

    /// The model that declares the relation.
    pub fn source(&self) -> &'static ModelMeta {
        (self.source)()
    }

    /// The model it relates to.
    pub fn target(&self) -> &'static ModelMeta {
        (self.target)()
    }

    /// The `through` model, if the relation names one (Django's explicit `through`); `None`
    /// for an auto-created join table.
    pub fn through(&self) -> Option<&'static ModelMeta> {
        self.through.map(|through| (through.model)())
    }

    /// The join table: `<table>_<name>`, or the `through` model's table.
    pub fn table(&self) -> &'static str {
        match self.through() {
            Some(through) => through.table,
            None => self.table,
        }
    }

    /// The join table's column of the declaring model's key, `post_id`.
    pub fn source_column(&self) -> &'static str {
        match self.through {
            Some(through) => (through.model)().fields[through.source_field].column,
            None => self.source_column,
        }
    }

    /// The join table's column of the other model's key, `tag_id`.
    pub fn target_column(&self) -> &'static str {
        match self.through {
            Some(through) => (through.model)().fields[through.target_field].column,
            None => self.target_column,
        }
    }

    /// The sender its [`m2m_changed`](super::signals::m2m_changed) is sent by: the relation's
    /// own type (Django: `Post.tags.through`), whose parent is the `through` model if there is
    /// one, so that receivers for either hear it.
    pub fn sender(&self) -> Sender {
        (self.sender)()
    }
}

impl fmt::Debug for ManyToManyMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManyToManyMeta")
            .field("name", &self.name)
            .field("table", &self.table())
            .field("source", &self.source().label)
            .field("target", &self.target().label)
            .field("through", &self.through().map(|t| t.label))
            .finish_non_exhaustive()
    }
}

/// A many-to-many relation's type, which `#[model(many_to_many(tags = Tag))]` on `Post`
/// generates as `PostTags` (Django's auto-created `Post.tags.through`). It is the sender of the
/// relation's `m2m_changed`: `#[receiver(m2m_changed, sender = PostTags)]` hears only it.
pub trait ManyToManyRelation: 'static {
    /// The model that declares the relation.
    type Source: Model;
    /// The model it relates to.
    type Target: Model;
    /// The relation's description.
    const META: &'static ManyToManyMeta;

    /// The sender of the relation's `m2m_changed`.
    fn sender() -> Sender {
        Sender::of::<Self>()
    }

    /// The related `Target`s of `instance` (Django's `post.tags`), which the derive also gives
    /// as a method named after the field: `post.tags()`.
    fn forward(instance: &mut Self::Source) -> ManyRelated<'_, Self::Source, Self::Target> {
        ManyRelated::new(Self::META, instance, false)
    }

    /// The `Source`s related to `instance` (Django's `tag.post_set`): the reverse side.
    fn reverse(instance: &mut Self::Target) -> ManyRelated<'_, Self::Target, Self::Source> {
        ManyRelated::new(Self::META, instance, true)
    }
}

/// The primary keys a many-to-many change is about (Django's `pk_set`): a set, in the order the
/// keys were first given.
///
/// `insert` and `contains` take constant time, `retain` time linear in the keys, so that a
/// change of many keys costs time linear in them; `remove` of one key is linear too (the keys
/// after it move up): to drop many, `retain` the others.
#[derive(Clone, Default)]
pub struct PkSet {
    keys: Vec<Value>,
    /// The same keys, hashable: what `insert` and `contains` look up instead of scanning `keys`.
    index: HashSet<ValueKey>,
}

impl PkSet {
    /// An empty set.
    pub fn new() -> Self {
        PkSet::default()
    }

    /// Adds `key`; returns whether it was not there yet.
    pub fn insert(&mut self, key: impl Into<Value>) -> bool {
        let key = key.into();
        if !self.index.insert(ValueKey::of(&key)) {
            return false;
        }
        self.keys.push(key);
        true
    }

    /// Removes `key`; returns whether it was there.
    pub fn remove(&mut self, key: impl Into<Value>) -> bool {
        let key = ValueKey::of(&key.into());
        if !self.index.remove(&key) {
            return false;
        }
        if let Some(at) = self.keys.iter().position(|k| key.is_key_of(k)) {
            self.keys.remove(at);
        }
        true
    }

    /// Whether `key` is in the set.
    pub fn contains(&self, key: impl Into<Value>) -> bool {
        self.index.contains(&ValueKey::of(&key.into()))
    }

    /// Keeps the keys for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Value) -> bool) {
        let index = &mut self.index;
        self.keys.retain(|key| {
            let kept = keep(key);
            if !kept {
                index.remove(&ValueKey::of(key));
            }
            kept
        });
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Value> {
        self.keys.iter()
    }

    /// The keys as a slice.
    pub fn as_slice(&self) -> &[Value] {
        &self.keys
    }

    /// The keys, in order.
    pub(crate) fn into_vec(self) -> Vec<Value> {
        self.keys
    }
}

// By hand rather than derived: `index` holds nothing `keys` does not, and a set is shown and
// compared as its keys in order, as before it had an index.
impl fmt::Debug for PkSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PkSet").field(&self.keys).finish()
    }
}

impl PartialEq for PkSet {
    fn eq(&self, other: &Self) -> bool {
        self.keys == other.keys
    }
}

impl FromIterator<Value> for PkSet {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let (at_least, _) = iter.size_hint();
        let mut set = PkSet {
            keys: Vec::with_capacity(at_least),
            index: HashSet::with_capacity(at_least),
        };
        for key in iter {
            set.insert(key);
        }
        set
    }
}

impl<'a> IntoIterator for &'a PkSet {
    type Item = &'a Value;
    type IntoIter = std::slice::Iter<'a, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.keys.iter()
    }
}

/// The related rows of one instance through one many-to-many relation (Django's related
/// manager): `post.tags()` from the declaring side, `PostTags::reverse(&mut tag)` from the
/// other. `I` is the instance's model, `O` the other side's.
///
/// Every change runs in one transaction (joining an open one) with [`m2m_changed`] around it;
/// an error from a receiver, or a panic, undoes all of it.
///
/// [`m2m_changed`]: super::signals::m2m_changed
#[must_use = "a related manager does nothing until one of its methods is called"]
pub struct ManyRelated<'a, I, O> {
    relation: Relation<'a>,
    _models: PhantomData<fn() -> (I, O)>,
}

impl<'a, I: Model, O: Model> ManyRelated<'a, I, O> {
    fn new(meta: &'static ManyToManyMeta, instance: &'a mut I, reverse: bool) -> Self {
        ManyRelated {
            relation: Relation {
                meta,
                instance,
                reverse,
                using: db::DEFAULT_ALIAS_STATIC,
                raw: false,
            },
            _models: PhantomData,
        }
    }

    /// Works on the database registered as `alias` (Django's `db_manager`).
    pub fn using(mut self, alias: &'a str) -> Self {
        self.relation.using = alias;
        self
    }

    /// Sends `m2m_changed` with `raw = true` (Django 6.1's `raw` argument of the manager's
    /// methods), as fixture loading does: for tests of receivers that honour `raw`, and for
    /// loaders of your own that restore rows exactly as given.
    pub fn raw(mut self, raw: bool) -> Self {
        self.relation.raw = raw;
        self
    }

    /// Relates `objects` (Django's `add`): the join rows that are missing are inserted, and
    /// `pre_add`/`post_add` report exactly those keys (possibly none: the signals are still
    /// sent). No objects: nothing is done and nothing sent. [`Error::Unsaved`] for an object
    /// without a key.
    pub fn add<'o>(&mut self, objects: impl IntoIterator<Item = &'o O>) -> Result<()> {
        let keys = keys_of(objects)?;
        self.relation.add(keys)
    }

    /// As [`add`](ManyRelated::add), by primary key.
    pub fn add_keys(&mut self, keys: impl IntoIterator<Item = O::Key>) -> Result<()> {
        self.relation.add(values(keys))
    }

    /// Unrelates `objects` (Django's `remove`): `pre_remove`/`post_remove` report every key
    /// given, related or not. No objects: nothing is done and nothing sent.
    pub fn remove<'o>(&mut self, objects: impl IntoIterator<Item = &'o O>) -> Result<()> {
        let keys = keys_of(objects)?;
        self.relation.remove(keys)
    }

    /// As [`remove`](ManyRelated::remove), by primary key.
    pub fn remove_keys(&mut self, keys: impl IntoIterator<Item = O::Key>) -> Result<()> {
        self.relation.remove(values(keys))
    }

    /// Unrelates everything (Django's `clear`): `pre_clear`/`post_clear`, with no key set, are
    /// sent even when nothing was related.
    pub fn clear(&mut self) -> Result<()> {
        self.relation.clear()
    }

    /// Makes `objects` exactly the related ones (Django's `set`): removes the ones no longer
    /// wanted, then adds the new ones, each with its signals; nothing is sent when nothing
    /// changes.
    pub fn set<'o>(&mut self, objects: impl IntoIterator<Item = &'o O>) -> Result<()> {
        let keys = keys_of(objects)?;
        self.relation.set(keys)
    }

    /// As [`set`](ManyRelated::set), by primary key.
    pub fn set_keys(&mut self, keys: impl IntoIterator<Item = O::Key>) -> Result<()> {
        self.relation.set(values(keys))
    }

    /// Clears, then adds `objects` (Django's `set(objs, clear=True)`): sends the clear's
    /// signals and then the add's.
    pub fn set_with_clear<'o>(&mut self, objects: impl IntoIterator<Item = &'o O>) -> Result<()> {
        let keys = keys_of(objects)?;
        let relation = &mut self.relation;
        let using = relation.using;
        in_transaction(using, |_| {
            relation.clear()?;
            relation.add(keys)
        })
    }

    /// Saves `object` (with its own save signals) and relates it (Django's `create`), in one
    /// transaction; returns it with its key.
    pub fn create(&mut self, mut object: O) -> Result<O> {
        let relation = &mut self.relation;
        let using = relation.using;
        in_transaction(using, |_| {
            object.save_with(super::SaveOptions::new().using(using))?;
            relation.add(vec![object.pk()])?;
            Ok(())
        })?;
        Ok(object)
    }

    /// The related rows, as a query set of `O` (Django's `post.tags.all()`) that can be filtered
    /// further. [`Error::Unsaved`] if the instance has no key.
    pub fn all(&self) -> Result<QuerySet<O>> {
        let own = self.relation.own_key()?;
        let (own_column, other_column) = self.relation.columns();
        Ok(QuerySet::new()
            .using(self.relation.using.to_owned())
            .filter(Filter::pk_in_join(
                O::META.pk,
                self.relation.meta.table(),
                other_column,
                own_column,
                own,
            )))
    }

    /// The keys of the related rows, in ascending order.
    pub fn keys(&self) -> Result<Vec<Value>> {
        let using = self.relation.using;
        db::read_using(using, |tx| self.relation.related(tx))
    }
}

/// The awaitable forms of the manager's changes (the `tokio` feature; Django's `aadd`,
/// `aremove`, `aset`, `aclear`): each runs its synchronous counterpart off the runtime's workers,
/// with the same signals, and copies the instance back as [`AsyncModel`](crate::asynchronous::AsyncModel)'s
/// methods do (hence `I: Clone`).
#[cfg(feature = "tokio")]
impl<I: Model + Clone, O: Model> ManyRelated<'_, I, O> {
    /// As [`add`](ManyRelated::add), awaitable.
    pub fn aadd<'o>(
        &mut self,
        objects: impl IntoIterator<Item = &'o O>,
    ) -> impl std::future::Future<Output = Result<()>> + Send + '_ {
        let keys = keys_of(objects);
        self.off_thread(move |relation| relation.add(keys?))
    }

    /// As [`add_keys`](ManyRelated::add_keys), awaitable.
    pub fn aadd_keys(
        &mut self,
        keys: impl IntoIterator<Item = O::Key>,
    ) -> impl std::future::Future<Output = Result<()>> + Send + '_ {
        let keys = values(keys);
        self.off_thread(move |relation| relation.add(keys))
    }

    /// As [`remove`](ManyRelated::remove), awaitable.
    pub fn aremove<'o>(
        &mut self,
        objects: impl IntoIterator<Item = &'o O>,
    ) -> impl std::future::Future<Output = Result<()>> + Send + '_ {
        let keys = keys_of(objects);
        self.off_thread(move |relation| relation.remove(keys?))
    }

    /// As [`remove_keys`](ManyRelated::remove_keys), awaitable.
    pub fn aremove_keys(
        &mut self,
        keys: impl IntoIterator<Item = O::Key>,
    ) -> impl std::future::Future<Output = Result<()>> + Send + '_ {
        let keys = values(keys);
        self.off_thread(move |relation| relation.remove(keys))
    }

    /// As [`clear`](ManyRelated::clear), awaitable.
    pub fn aclear(&mut self) -> impl std::future::Future<Output = Result<()>> + Send + '_ {
        self.off_thread(|relation| relation.clear())
    }

    /// As [`set`](ManyRelated::set), awaitable.
    pub fn aset<'o>(
        &mut self,
        objects: impl IntoIterator<Item = &'o O>,
    ) -> impl std::future::Future<Output = Result<()>> + Send + '_ {
        let keys = keys_of(objects);
        self.off_thread(move |relation| relation.set(keys?))
    }

    /// As [`set_keys`](ManyRelated::set_keys), awaitable.
    pub fn aset_keys(
        &mut self,
        keys: impl IntoIterator<Item = O::Key>,
    ) -> impl std::future::Future<Output = Result<()>> + Send + '_ {
        let keys = values(keys);
        self.off_thread(move |relation| relation.set(keys))
    }

    /// As [`keys`](ManyRelated::keys), awaitable.
    pub fn akeys(&mut self) -> impl std::future::Future<Output = Result<Vec<Value>>> + Send + '_ {
        self.off_thread(|relation| {
            let using = relation.using;
            db::read_using(using, |tx| relation.related(tx))
        })
    }

    /// Runs `f` on this side of the relation with a copy of the instance, off the runtime's
    /// workers, and copies the instance back (receivers of `m2m_changed` may change it).
    fn off_thread<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut Relation<'_>) -> Result<T> + Send + 'static,
    ) -> impl std::future::Future<Output = Result<T>> + Send + '_ {
        let Relation {
            meta,
            ref mut instance,
            reverse,
            using,
            raw,
        } = self.relation;
        let instance: &mut I = instance
            .downcast_mut::<I>()
            .expect("a manager's instance is of its model");
        let copy = instance.clone();
        let using = using.to_owned();
        async move {
            let (copy, outcome) = crate::asynchronous::run(move || {
                let mut copy = copy;
                let outcome = f(&mut Relation {
                    meta,
                    instance: &mut copy,
                    reverse,
                    using: &using,
                    raw,
                });
                Ok((copy, outcome))
            })
            .await?;
            *instance = copy;
            outcome
        }
    }
}

fn keys_of<'o, O: Model>(objects: impl IntoIterator<Item = &'o O>) -> Result<Vec<Value>> {
    objects
        .into_iter()
        .map(|object| key_of(object).map(|key| key.to_value().to_owned()))
        .collect()
}

fn values<K: FieldType>(keys: impl IntoIterator<Item = K>) -> Vec<Value> {
    keys.into_iter()
        .map(|key| key.to_value().to_owned())
        .collect()
}

impl<I, O> fmt::Debug for ManyRelated<'_, I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManyRelated")
            .field("relation", &self.relation.meta.label)
            .field("reverse", &self.relation.reverse)
            .field("using", &self.relation.using)
            .finish_non_exhaustive()
    }
}

/// One instance's side of a relation, without types: what the manager and fixture loading
/// change the join table through.
pub(crate) struct Relation<'a> {
    pub(crate) meta: &'static ManyToManyMeta,
    pub(crate) instance: &'a mut dyn Instance,
    pub(crate) reverse: bool,
    pub(crate) using: &'a str,
    /// `raw` in `m2m_changed`: set by fixture loading and by [`ManyRelated::raw`].
    pub(crate) raw: bool,
}

impl Relation<'_> {
    /// The join table's columns of this side's key and of the other side's.
    fn columns(&self) -> (&'static str, &'static str) {
        if self.reverse {
            (self.meta.target_column(), self.meta.source_column())
        } else {
            (self.meta.source_column(), self.meta.target_column())
        }
    }

    /// This side's statements (quoted names of a `through` model's table and keys included).
    fn statements(&self, backend: Backend) -> &'static JoinStatements {
        let (own, other) = self.columns();
        self.meta.statements[backend.index()][usize::from(self.reverse)]
            .get_or_init(|| JoinStatements::build(self.meta.table(), own, other, backend))
    }

    /// For a symmetrical relation, the statements of the mirror rows: the other side's, whose
    /// texts bind this side's key and the other keys in the same order as this side's.
    fn mirror(&self, backend: Backend) -> Option<&'static JoinStatements> {
        if !self.meta.symmetrical {
            return None;
        }
        let (own, other) = self.columns();
        Some(
            self.meta.statements[backend.index()][usize::from(!self.reverse)]
                .get_or_init(|| JoinStatements::build(self.meta.table(), other, own, backend)),
        )
    }

    /// The model on the other side (Django's `model` argument).
    fn other(&self) -> &'static ModelMeta {
        if self.reverse {
            self.meta.source()
        } else {
            self.meta.target()
        }
    }

    fn own_key(&self) -> Result<Value> {
        let key = self.instance.pk();
        if key.is_null() {
            return Err(Error::Unsaved {
                model: self.instance.meta().label,
            });
        }
        Ok(key)
    }

    /// Sends `m2m_changed`, unless nobody listens.
    fn send(
        &mut self,
        tx: &Transaction,
        action: M2mAction,
        pk_set: Option<PkSet>,
        raw: bool,
    ) -> Result<Option<PkSet>> {
        let sender = self.meta.sender();
        if m2m_changed.surely_unheard(&sender) {
            return Ok(pk_set);
        }
        let model = self.other();
        let mut args = M2mChanged {
            instance: InstanceMut::new(&mut *self.instance),
            action,
            reverse: self.reverse,
            model,
            pk_set,
            relation: self.meta,
            using: self.using,
            raw,
            tx,
        };
        m2m_changed.send(sender, &mut args)?;
        Ok(args.pk_set)
    }

    /// The keys of the other side now related, ascending.
    fn related(&self, tx: &Transaction) -> Result<Vec<Value>> {
        let own = self.own_key()?;
        tx.query_static(
            &self.statements(tx.backend()).related,
            |binder| binder.bind(own.as_ref()),
            |row| row.value(0).map(|v| v.to_owned()),
        )
    }

    pub(crate) fn add(&mut self, keys: Vec<Value>) -> Result<()> {
        let raw = self.raw;
        if keys.is_empty() {
            return Ok(());
        }
        let using = self.using;
        in_transaction(using, |tx| {
            let own = self.own_key()?;
            let mut missing: PkSet = keys.into_iter().collect();
            let statements = self.statements(tx.backend());
            let (own_column, other_column) = self.columns();
            let mut present = HashSet::new();
            for chunk in missing.as_slice().chunks(CHUNK) {
                let bind = |binder: &mut crate::db::Binder<'_, '_>| {
                    binder.bind(own.as_ref())?;
                    chunk.iter().try_for_each(|key| binder.bind(key.as_ref()))
                };
                let read = |row: &dyn super::Row| row.value(0).map(|v| ValueKey::of(&v.to_owned()));
                present.extend(match statements.present.get(chunk.len() - 1) {
                    Some(sql) => tx.query_static(sql, bind, read)?,
                    None => {
                        let sql = present_sql(
                            self.meta.table(),
                            own_column,
                            other_column,
                            chunk.len(),
                            tx.backend(),
                        );
                        tx.query_bound(&sql, bind, read)?
                    }
                });
            }
            missing.retain(|key| !present.contains(&ValueKey::of(key)));
            let missing = self
                .send(tx, M2mAction::PreAdd, Some(missing), raw)?
                .unwrap_or_default();
            match self.meta.through {
                // A `through` model's rows are saved as models, with their own signals.
                Some(through) => {
                    let model = registration((through.model)())?;
                    for key in &missing {
                        let values = self.through_values(through, &own, key)?;
                        model.save_values(values, self.using, raw)?;
                    }
                }
                None => {
                    // `OR IGNORE`: a `pre_add` receiver may have put back a key that is related
                    // already (and a mirror row may exist without its pair).
                    let mirror = self.mirror(tx.backend());
                    for statements in std::iter::once(statements).chain(mirror) {
                        for key in &missing {
                            tx.execute_static(&statements.insert, |binder| {
                                binder.bind(own.as_ref())?;
                                binder.bind(key.as_ref())
                            })?;
                        }
                    }
                }
            }
            self.send(tx, M2mAction::PostAdd, Some(missing), raw)?;
            Ok(())
        })
    }

    pub(crate) fn remove(&mut self, keys: Vec<Value>) -> Result<()> {
        let raw = self.raw;
        if keys.is_empty() {
            return Ok(());
        }
        let using = self.using;
        in_transaction(using, |tx| {
            let own = self.own_key()?;
            let keys: PkSet = keys.into_iter().collect();
            let keys = self
                .send(tx, M2mAction::PreRemove, Some(keys), raw)?
                .unwrap_or_default();
            let (own_column, other_column) = self.columns();
            if let Some(through) = self.meta.through {
                self.delete_through(tx, through, &own, Some(&keys))?;
                self.send(tx, M2mAction::PostRemove, Some(keys), raw)?;
                return Ok(());
            }
            // This side's rows, then, for a symmetrical relation, their mirror rows: the same
            // keys bound to the columns the other way round.
            let sides = std::iter::once((self.statements(tx.backend()), own_column, other_column))
                .chain(
                    self.mirror(tx.backend())
                        .map(|mirror| (mirror, other_column, own_column)),
                );
            for (statements, own_column, other_column) in sides {
                for chunk in keys.as_slice().chunks(CHUNK) {
                    let bind = |binder: &mut crate::db::Binder<'_, '_>| {
                        binder.bind(own.as_ref())?;
                        chunk.iter().try_for_each(|key| binder.bind(key.as_ref()))
                    };
                    match statements.remove.get(chunk.len() - 1) {
                        Some(sql) => tx.execute_static(sql, bind)?,
                        None => {
                            let table = sql::quote(self.meta.table());
                            let sql = remove(
                                &table,
                                &sql::quote(own_column),
                                &sql::quote(other_column),
                                chunk.len(),
                                tx.backend(),
                            );
                            tx.execute_bound(&sql, bind)?
                        }
                    };
                }
            }
            self.send(tx, M2mAction::PostRemove, Some(keys), raw)?;
            Ok(())
        })
    }

    pub(crate) fn clear(&mut self) -> Result<()> {
        let raw = self.raw;
        let using = self.using;
        in_transaction(using, |tx| {
            let own = self.own_key()?;
            self.send(tx, M2mAction::PreClear, None, raw)?;
            if let Some(through) = self.meta.through {
                self.delete_through(tx, through, &own, None)?;
                self.send(tx, M2mAction::PostClear, None, raw)?;
                return Ok(());
            }
            let mirror = self.mirror(tx.backend());
            for statements in std::iter::once(self.statements(tx.backend())).chain(mirror) {
                tx.execute_static(&statements.clear, |binder| binder.bind(own.as_ref()))?;
            }
            self.send(tx, M2mAction::PostClear, None, raw)?;
            Ok(())
        })
    }

    /// The values of a new row of the `through` model relating `own` and `other`: the two keys,
    /// an auto key left to the database, and every other field's `default`.
    fn through_values(&self, through: Through, own: &Value, other: &Value) -> Result<Vec<Value>> {
        let meta = (through.model)();
        let (own_field, other_field) = if self.reverse {
            (through.target_field, through.source_field)
        } else {
            (through.source_field, through.target_field)
        };
        meta.fields
            .iter()
            .enumerate()
            .map(|(index, field)| {
                Ok(if index == own_field {
                    own.clone()
                } else if index == other_field {
                    other.clone()
                } else if field.auto || (field.nullable && field.default.is_none()) {
                    Value::Null
                } else if let Some(default) = field.default {
                    default()
                } else {
                    return Err(Error::Validation {
                        model: meta.label,
                        field: field.name.to_owned(),
                        reason: format!(
                            "a row of the through model `{}` is created by `add`, which can only \
                             fill this field from a `default`: give it one, or save `{}` rows \
                             yourself",
                            meta.label, meta.name
                        ),
                    });
                })
            })
            .collect()
    }

    /// Deletes, as a query set of the `through` model would (with its delete signals and
    /// cascades), this instance's rows, or those of them that relate one of `keys`.
    fn delete_through(
        &mut self,
        tx: &Transaction,
        through: Through,
        own: &Value,
        keys: Option<&PkSet>,
    ) -> Result<()> {
        let meta = (through.model)();
        let model = registration(meta)?;
        let (own_field, other_field) = if self.reverse {
            (through.target_field, through.source_field)
        } else {
            (through.source_field, through.target_field)
        };
        let mut rows = model.load_where(
            tx,
            meta.fields[own_field].column,
            std::slice::from_ref(own),
            self.using,
        )?;
        if let Some(keys) = keys {
            let other = meta.fields[other_field].name;
            rows.retain(|row| row.get(other).is_some_and(|key| keys.contains(key)));
        }
        if rows.is_empty() {
            return Ok(());
        }
        let given = rows
            .iter_mut()
            .map(|row| &mut **row as &mut dyn Instance)
            .collect();
        super::collector::delete_collected(
            given,
            meta,
            model.sender(),
            tx,
            self.using,
            &super::DeleteOrigin::QuerySet {
                model: meta.label,
                query: format!(
                    "the rows of `{}` whose `{}` is {own}",
                    meta.label, meta.fields[own_field].name
                ),
            },
        )?;
        Ok(())
    }

    pub(crate) fn set(&mut self, keys: Vec<Value>) -> Result<()> {
        let using = self.using;
        in_transaction(using, |tx| {
            let related = self.related(tx)?;
            // Django's `set`: a key given that is related stays, once; every other key given is
            // added; the related keys not given are removed, in their (ascending) order.
            let mut old: HashSet<ValueKey> = related.iter().map(ValueKey::of).collect();
            let mut new = PkSet::new();
            for key in keys {
                if !old.remove(&ValueKey::of(&key)) {
                    new.insert(key);
                }
            }
            let stale = related
                .into_iter()
                .filter(|key| old.remove(&ValueKey::of(key)))
                .collect();
            self.remove(stale)?;
            self.add(new.into_vec())
        })
    }
}

/// The registered model described by `meta`.
fn registration(meta: &'static ModelMeta) -> Result<&'static super::ModelRegistration> {
    super::model_by_label(meta.label).ok_or_else(|| {
        Error::msg(format!(
            "the through model `{}` is not linked into this binary",
            meta.label
        ))
    })
}

/// A join table column that holds keys of some model: deleting rows of that model deletes the
/// join rows that name them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Join {
    pub(crate) relation: &'static ManyToManyMeta,
    pub(crate) column: &'static str,
}

/// Every join table column that holds keys of `meta`'s concrete model, built once.
pub(crate) fn joins_of(meta: &'static ModelMeta) -> &'static [Join] {
    static INDEX: OnceLock<HashMap<usize, Vec<Join>>> = OnceLock::new();
    // Outside the `OnceLock`, as in `relation::incoming`.
    let all = models();
    let index = INDEX.get_or_init(|| {
        let mut index: HashMap<usize, Vec<Join>> = HashMap::new();
        for model in all {
            let meta = model.meta();
            if meta.is_proxy() {
                continue;
            }
            // A `through` model's keys are foreign keys like any other, with their own rules.
            for &relation in meta.many_to_many().iter().filter(|r| r.through().is_none()) {
                let source = relation.source().concrete_model();
                let target = relation.target().concrete_model();
                index
                    .entry(source as *const ModelMeta as usize)
                    .or_default()
                    .push(Join {
                        relation,
                        column: relation.source_column(),
                    });
                index
                    .entry(target as *const ModelMeta as usize)
                    .or_default()
                    .push(Join {
                        relation,
                        column: relation.target_column(),
                    });
            }
        }
        index
    });
    index
        .get(&(meta.concrete_model() as *const ModelMeta as usize))
        .map_or(&[], Vec::as_slice)
}

//! Foreign keys: the [`ForeignKey`] field type, the [`OnDelete`] rules, and the index of which
//! fields point at which model, that deletes consult to cascade.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::OnceLock;

use super::{Model, ModelMeta, models};
use crate::error::{Error, Result};
use crate::query::{Column, Filter, QuerySet};
use crate::value::{ColumnType, FieldError, FieldType, ValueRef};

/// What happens to the rows that point at a row being deleted (Django's `on_delete`), declared
/// on the field with `#[model(on_delete = …)]`.
///
/// As in Django, clarion applies the rule itself, when it deletes, not the database: the
/// column's `FOREIGN KEY` constraint is only checked at the commit (SQLite's
/// `DEFERRABLE INITIALLY DEFERRED`, as Django declares it), so that `do_nothing` leaves a dangling
/// key to the database to refuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OnDelete {
    /// Delete the rows that point at it too, with their own `pre_delete`/`post_delete` and
    /// their own cascades (`cascade`).
    Cascade,
    /// Refuse the delete with [`Error::Protected`] while any row points at it (`protect`).
    Protect,
    /// Set the key to `NULL`, by one `UPDATE` that sends no signal (`set_null`; the field
    /// must be an `Option`).
    SetNull,
    /// Set the key to the field's `default`, by one `UPDATE` that sends no signal
    /// (`set_default`; the field must have a `default`).
    SetDefault,
    /// Do nothing: the database refuses the commit if a row still points at a missing one
    /// (`do_nothing`).
    DoNothing,
}

impl OnDelete {
    /// The option's name as `#[model(on_delete = …)]` writes it.
    pub fn name(self) -> &'static str {
        match self {
            OnDelete::Cascade => "cascade",
            OnDelete::Protect => "protect",
            OnDelete::SetNull => "set_null",
            OnDelete::SetDefault => "set_default",
            OnDelete::DoNothing => "do_nothing",
        }
    }
}

/// The relation of a foreign key field: the model it points at and its [`OnDelete`] rule.
/// Read it from [`FieldMeta::related`](super::FieldMeta::related).
#[derive(Clone, Copy)]
pub struct Related {
    target: fn() -> &'static ModelMeta,
    on_delete: OnDelete,
}

impl Related {
    /// Not public API: what `#[derive(Model)]` writes for a `ForeignKey` field.
    #[doc(hidden)]
    pub const fn __new(target: fn() -> &'static ModelMeta, on_delete: OnDelete) -> Self {
        Related { target, on_delete }
    }

    /// The model the key points at, as written (a proxy, if the field names one).
    pub fn target(&self) -> &'static ModelMeta {
        (self.target)()
    }

    /// What a delete of the target does to the rows that point at it.
    pub fn on_delete(&self) -> OnDelete {
        self.on_delete
    }
}

impl fmt::Debug for Related {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Related")
            .field("target", &self.target().label)
            .field("on_delete", &self.on_delete)
            .finish()
    }
}

/// A field that points at a row of model `M` (Django's `ForeignKey`): it holds `M`'s primary
/// key, is stored in a column named after the field with `_id` appended (`author` →
/// `author_id`), and needs `#[model(on_delete = …)]`. `Option<ForeignKey<M>>` is a nullable one.
///
/// ```
/// use clarion::models::ForeignKey;
/// use clarion::prelude::*;
///
/// #[derive(Model)]
/// pub struct Author { pub id: Option<i64>, pub name: String }
///
/// #[derive(Model)]
/// pub struct Book {
///     pub id: Option<i64>,
///     #[model(on_delete = cascade)]
///     pub author: ForeignKey<Author>,
///     #[model(on_delete = set_null)]
///     pub editor: Option<ForeignKey<Author>>,
/// }
///
/// # clarion::db::register(clarion::db::Database::open_as("fk_doc", "sqlite::memory:")?);
/// # clarion::migrate_using("fk_doc")?;
/// # clarion::db::atomic_using("fk_doc", |_| {
/// let mut ann = Author { id: None, name: "Ann".into() };
/// ann.save_with(SaveOptions::new().using("fk_doc"))?;
/// let mut book = Book { id: None, author: ForeignKey::to(&ann)?, editor: None };
/// book.save_with(SaveOptions::new().using("fk_doc"))?;
///
/// assert_eq!(book.author.get_using("fk_doc")?.name, "Ann");          // Django: book.author
/// assert_eq!(ann.related(Book::AUTHOR)?.using("fk_doc").count()?, 1); // ann.book_set
/// # Ok(()) })?;
/// # Ok::<(), clarion::Error>(())
/// ```
pub struct ForeignKey<M: Model> {
    key: M::Key,
    _model: PhantomData<fn() -> M>,
}

impl<M: Model> ForeignKey<M> {
    /// A key to the row of `M` whose primary key is `key`.
    pub fn new(key: M::Key) -> Self {
        ForeignKey {
            key,
            _model: PhantomData,
        }
    }

    /// A key to `instance`; [`Error::Unsaved`] if it has no primary key yet (Django refuses to
    /// save a relation to an unsaved object for the same reason: the key would be lost).
    pub fn to(instance: &M) -> Result<Self> {
        key_of(instance).map(ForeignKey::new)
    }

    /// The primary key it holds (Django's `book.author_id`).
    pub fn key(&self) -> &M::Key {
        &self.key
    }

    /// Whether it points at `instance`.
    pub fn is(&self, instance: &M) -> bool {
        key_of(instance).is_ok_and(|key| key == self.key)
    }

    /// Loads the row it points at from the default database (Django's `book.author`), sending
    /// `post_init`; [`Error::DoesNotExist`] if there is none.
    pub fn get(&self) -> Result<M> {
        self.get_using(crate::db::DEFAULT_ALIAS)
    }

    /// As [`ForeignKey::get`], from the database registered as `using`.
    pub fn get_using(&self, using: &str) -> Result<M> {
        super::save::load_by_pk::<M>(self.key.to_value(), using)
    }
}

/// The primary key of `instance`, or [`Error::Unsaved`].
pub(crate) fn key_of<M: Model>(instance: &M) -> Result<M::Key> {
    let value = instance.__get(M::META.pk);
    if value.is_null() {
        return Err(Error::Unsaved {
            model: M::META.label,
        });
    }
    M::Key::from_value(value).map_err(|e| super::validation::<M>(M::META.pk, e))
}

impl<M: Model> Clone for ForeignKey<M> {
    fn clone(&self) -> Self {
        ForeignKey::new(self.key.clone())
    }
}

impl<M: Model> PartialEq for ForeignKey<M> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<M: Model> fmt::Debug for ForeignKey<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ForeignKey<{}>({:?})", M::META.label, self.key)
    }
}

impl<M: Model> FieldType for ForeignKey<M> {
    const COLUMN: ColumnType = <M::Key as FieldType>::COLUMN;

    #[inline]
    fn to_value(&self) -> ValueRef<'_> {
        self.key.to_value()
    }

    fn from_value(value: ValueRef<'_>) -> std::result::Result<Self, FieldError> {
        M::Key::from_value(value).map(ForeignKey::new)
    }
}

/// Serialized as the key it holds, exactly as `M::Key` serializes (`7`, `"ann"`), so that
/// `#[derive(Model, serde::Serialize)]` works on a model with foreign keys and its JSON has
/// Django's shape (`"author": 7`, as `dumpdata` and Django REST framework write it);
/// `Option<ForeignKey<M>>` is the key or `null`. Only the key is written, never the row it points
/// at: nest that by hand (load it with [`ForeignKey::get`]) when an API wants it.
impl<M: Model> serde::Serialize for ForeignKey<M>
where
    M::Key: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.key.serialize(serializer)
    }
}

/// Read from the key alone (`7`), as it is serialized. Nothing checks that a row has the key:
/// that happens when the instance holding it is saved, as the database's `FOREIGN KEY`
/// constraint refuses a missing row.
impl<'de, M: Model> serde::Deserialize<'de> for ForeignKey<M>
where
    M::Key: serde::Deserialize<'de>,
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        M::Key::deserialize(deserializer).map(ForeignKey::new)
    }
}

/// A column that holds a foreign key to `Target`: `Column<R, ForeignKey<T>>` or
/// `Column<R, Option<ForeignKey<T>>>`, what [`Model::related`] takes.
pub trait ForeignKeyColumn: Copy {
    /// The model whose field it is.
    type Source: Model;
    /// The model the key points at.
    type Target: Model;
    /// The index of the field.
    fn field(self) -> usize;
}

impl<R: Model, T: Model> ForeignKeyColumn for Column<R, ForeignKey<T>> {
    type Source = R;
    type Target = T;
    fn field(self) -> usize {
        self.index()
    }
}

impl<R: Model, T: Model> ForeignKeyColumn for Column<R, Option<ForeignKey<T>>> {
    type Source = R;
    type Target = T;
    fn field(self) -> usize {
        self.index()
    }
}

/// The query set of the rows of `C::Source` whose field `column` points at `instance`.
pub(crate) fn related<M: Model, C: ForeignKeyColumn>(
    instance: &M,
    column: C,
) -> Result<QuerySet<C::Source>> {
    let value = instance.__get(M::META.pk);
    if value.is_null() {
        return Err(Error::Unsaved {
            model: M::META.label,
        });
    }
    Ok(QuerySet::new().filter(Filter::equals(column.field(), value.to_owned())))
}

/// A foreign key that points at a model: the model (concrete, never a proxy) whose field it is,
/// and the field.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Incoming {
    pub(crate) source: &'static super::ModelRegistration,
    pub(crate) field: usize,
    pub(crate) on_delete: OnDelete,
}

impl Incoming {
    pub(crate) fn meta(&self) -> &'static ModelMeta {
        self.source.meta()
    }

    pub(crate) fn column(&self) -> &'static str {
        self.meta().fields[self.field].column
    }
}

/// Every foreign key of every linked model that points at `target`'s concrete model (or at a
/// proxy of it: both are the same rows), built once.
pub(crate) fn incoming(target: &'static ModelMeta) -> &'static [Incoming] {
    static INDEX: OnceLock<HashMap<usize, Vec<Incoming>>> = OnceLock::new();
    // Outside the `OnceLock`: building the registry sends `class_prepared`, whose receivers may
    // delete rows, and so come back here.
    let all = models();
    let index = INDEX.get_or_init(|| {
        let mut index: HashMap<usize, Vec<Incoming>> = HashMap::new();
        for model in all {
            let meta = model.meta();
            // A proxy has its concrete model's fields: counting them again would cascade twice.
            if meta.is_proxy() {
                continue;
            }
            for (field, field_meta) in meta.fields.iter().enumerate() {
                if let Some(related) = field_meta.related {
                    let key = related.target().concrete_model() as *const ModelMeta as usize;
                    index.entry(key).or_default().push(Incoming {
                        source: model,
                        field,
                        on_delete: related.on_delete(),
                    });
                }
            }
        }
        index
    });
    index
        .get(&(target.concrete_model() as *const ModelMeta as usize))
        .map_or(&[], Vec::as_slice)
}

//! Models: the [`Model`] trait that `#[derive(Model)]` implements, the dynamic [`Instance`] view
//! that sender-less receivers get, the model [`signals`], and the link-time registry of models.

use std::any::{Any, TypeId};
use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::error::{Error, Result};
use crate::sender::Sender;
use crate::value::{FieldError, FieldType, Value, ValueRef};

mod auto_now;
#[doc(hidden)]
pub mod checks;
mod collector;
mod m2m;
mod meta;
mod origin;
mod proxy;
mod registry;
mod relation;
mod save;
pub mod signals;
pub(crate) mod sql;
mod update_fields;

pub use auto_now::AutoNow;
pub use m2m::{ManyRelated, ManyToManyMeta, ManyToManyRelation, PkSet};
pub use meta::{FieldMeta, ModelMeta};
#[doc(hidden)]
pub use proxy::ProxyParents;
pub use relation::{ForeignKey, ForeignKeyColumn, OnDelete, Related};

pub(crate) use collector::{deletes_alone, unobserved};
pub(crate) use m2m::Relation;
pub use origin::DeleteOrigin;
pub use registry::{ModelRegistration, models};
pub(crate) use registry::{check_tables, model_by_label};
pub use save::{Deleted, MAX_SAVE_DEPTH, SaveOptions};
pub(crate) use save::{check_max_length, delete_instance, delete_many, loaded, save_instance};
pub use update_fields::{
    AlsoUpdate, IntoFieldName, IntoUpdateFields, MAX_TYPED_UPDATE_FIELDS, ModelColumn, UpdateFields,
};

/// A struct persisted as a table row (Django's `models.Model`). Implement it with
/// `#[derive(Model)]`; see the derive's documentation for the attributes.
///
/// The provided methods are the model API: [`save`](Model::save), [`delete`](Model::delete),
/// [`refresh_from_db`](Model::refresh_from_db), [`objects`](Model::objects). A model may define
/// an inherent method of the same name (Django's "overriding `save()`") and call
/// `Model::save(self)` from it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a model",
    label = "not a model",
    note = "add `#[derive(clarion::Model)]` to the struct"
)]
pub trait Model: Send + Sized + 'static {
    /// The model's description: label, table, fields.
    const META: &'static ModelMeta;

    /// The type of its primary key: `i64` for the automatic `id: Option<i64>`, the field's type
    /// for a `#[model(primary_key)]` one. A [`ForeignKey`] to the model holds one.
    type Key: FieldType + Clone + PartialEq + fmt::Debug + Send + Sync + 'static;

    /// The model whose table this one reads and writes, and whose column handles build its
    /// filters: `Self` for a model, the concrete model for a proxy (`#[proxy(of = …)]`), so that
    /// `Staff::objects().filter(User::IS_STAFF.eq(true))` type-checks.
    type Concrete;

    /// The sender its signals are sent by. A proxy model's sender names the concrete model as
    /// its parent, so receivers for the concrete model hear saves made through the proxy.
    fn sender() -> Sender {
        Sender::of::<Self>()
    }

    /// Not public API: the value of field number `field`.
    #[doc(hidden)]
    fn __get(&self, field: usize) -> ValueRef<'_>;

    /// Not public API: shows `visitor` every field's number and value, in order, stopping at
    /// the first error. The derive writes it out field by field, so that binding a model's
    /// fields to a statement is straight-line code rather than a [`Model::__get`] per field.
    #[doc(hidden)]
    #[inline]
    fn __each_value<V: FieldVisitor>(&self, visitor: &mut V) -> Result<(), V::Error> {
        (0..Self::META.fields.len()).try_for_each(|field| {
            visitor.visit(VisitedField::of(Self::META, field), self.__get(field))
        })
    }

    /// Not public API: sets field number `field`.
    #[doc(hidden)]
    fn __set(&mut self, field: usize, value: ValueRef<'_>) -> Result<(), FieldError>;

    /// Not public API: sets the auto-increment primary key the database just assigned.
    #[doc(hidden)]
    #[inline]
    fn __set_auto_key(&mut self, id: i64) -> Result<(), FieldError> {
        self.__set(Self::META.pk, ValueRef::Int(id))
    }

    /// Not public API: whether any field is `#[model(auto_now)]` or `#[model(auto_now_add)]`,
    /// so that the saves of other models do not even look.
    #[doc(hidden)]
    const __STAMPS: bool = false;

    /// Not public API: the numbers of the `#[model(auto_now)]` fields, which a save with
    /// `update_fields` writes too.
    #[doc(hidden)]
    const __AUTO_NOW: &'static [usize] = &[];

    /// Not public API: sets the `#[model(auto_now)]` fields to `now`, and the
    /// `#[model(auto_now_add)]` ones too if the save is `adding` a row.
    #[doc(hidden)]
    #[inline]
    fn __stamp(&mut self, now: std::time::SystemTime, adding: bool) {
        let _ = (now, adding);
    }

    /// Not public API: builds an instance from a row whose columns are the fields, in order.
    #[doc(hidden)]
    fn __from_row(row: &dyn Row) -> Result<Self>;

    /// Not public API: this instance seen as type `ty`, if it is one (a proxy is also its
    /// concrete model).
    #[doc(hidden)]
    fn __as_type(&self, ty: TypeId) -> Option<&dyn Any> {
        (ty == TypeId::of::<Self>()).then_some(self as &dyn Any)
    }

    /// Not public API: as [`Model::__as_type`], mutably.
    #[doc(hidden)]
    fn __as_type_mut(&mut self, ty: TypeId) -> Option<&mut dyn Any> {
        (ty == TypeId::of::<Self>()).then_some(self as &mut dyn Any)
    }

    /// Saves the instance to the default database: an `INSERT` if it has no primary key yet (or
    /// its key matches no row), an `UPDATE` otherwise, with `pre_save` and `post_save` around
    /// the write, all in one transaction (a savepoint inside an open one).
    ///
    /// An error or panic in a receiver rolls all of it back and is returned as an
    /// [`Error::Receiver`] naming the receiver.
    fn save(&mut self) -> Result<()> {
        save_instance(self, SaveOptions::new())
    }

    /// Saves with options: Django's `update_fields`, `force_insert`, `force_update` and `using`.
    fn save_with(&mut self, options: SaveOptions<'_>) -> Result<()> {
        save_instance(self, options)
    }

    /// Deletes the row from the default database, with `pre_delete` and `post_delete` around the
    /// delete, in one transaction. The receivers see the instance with its key; afterwards an
    /// auto-increment key is `None` again.
    fn delete(&mut self) -> Result<Deleted> {
        delete_instance(self, crate::db::DEFAULT_ALIAS)
    }

    /// As [`Model::delete`], on the database registered as `using`.
    fn delete_using(&mut self, using: &str) -> Result<Deleted> {
        delete_instance(self, using)
    }

    /// Reloads every field from the default database (and sends `post_init`).
    /// [`Error::DoesNotExist`] if the row is gone.
    fn refresh_from_db(&mut self) -> Result<()> {
        save::refresh(self, crate::db::DEFAULT_ALIAS)
    }

    /// As [`Model::refresh_from_db`], from the database registered as `using`.
    fn refresh_from_db_using(&mut self, using: &str) -> Result<()> {
        save::refresh(self, using)
    }

    /// Not public API: the model's default ordering (`#[model(ordering = …)]`, Django's
    /// `Meta.ordering`), which every query set of the model starts from; a proxy's is its
    /// concrete model's.
    #[doc(hidden)]
    fn __ordering() -> Vec<crate::query::OrderBy<Self::Concrete>> {
        Vec::new()
    }

    /// A query set of all rows of this model (Django's `Model.objects.all()`).
    fn objects() -> crate::query::QuerySet<Self> {
        crate::query::QuerySet::new()
    }

    /// The rows of another model whose foreign key `column` points at this instance: the
    /// reverse side of a [`ForeignKey`] (Django's `user.post_set`), as a query set that can be
    /// filtered further: `user.related(Post::AUTHOR)?.count()?`. [`Error::Unsaved`] if the
    /// instance has no key yet.
    fn related<C>(&self, column: C) -> Result<crate::query::QuerySet<C::Source>>
    where
        C: ForeignKeyColumn,
        C::Target: Model<Concrete = Self::Concrete>,
    {
        relation::related(self, column)
    }
}

/// Not public API: what [`Model::__each_value`] shows each field to. A trait rather than a
/// closure so that its `visit` can be inlined into the derive's field-by-field code, where the
/// kind of each value is known at compile time.
#[doc(hidden)]
pub trait FieldVisitor {
    /// What stops the visit.
    type Error;

    /// Sees a field with its value.
    fn visit(&mut self, field: VisitedField, value: ValueRef<'_>) -> Result<(), Self::Error>;
}

/// Not public API: a field as [`Model::__each_value`] shows it to a [`FieldVisitor`]. The
/// derive writes these out as constants, so that once `visit` is inlined, its checks that do
/// not apply to a field (skipping the key, a `max_length`) disappear from the code.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VisitedField {
    /// The field's number (its place in [`ModelMeta::fields`]).
    pub index: usize,
    /// Whether it is the primary key.
    pub primary_key: bool,
    /// Its `max_length`, if it has one.
    pub max_length: Option<usize>,
}

impl VisitedField {
    /// Field number `index` of `meta`, read from the metadata.
    pub(crate) fn of(meta: &ModelMeta, index: usize) -> VisitedField {
        let field = &meta.fields[index];
        VisitedField {
            index,
            primary_key: field.primary_key,
            max_length: field.max_length,
        }
    }
}

/// A row of a query result, as [`Model::__from_row`] reads it: one value per field, in order.
pub trait Row {
    /// The value in column `index`.
    fn value(&self, index: usize) -> Result<ValueRef<'_>>;
}

impl Row for Vec<Value> {
    fn value(&self, index: usize) -> Result<ValueRef<'_>> {
        self.get(index)
            .map(Value::as_ref)
            .ok_or_else(|| Error::msg(format!("row has no column {index}")))
    }
}

/// Not public API: reads field number `field` of `M` from `row`, naming the model and field if
/// the value does not fit.
#[doc(hidden)]
pub fn field_from_row<M: Model, T: FieldType>(row: &dyn Row, field: usize) -> Result<T> {
    field_from_row_by::<M, T>(row, field, T::from_value)
}

/// Not public API: as [`field_from_row`], with the field type's `from_value` given. The derive
/// passes `<Type as FieldType>::from_value`, so that a type that is no field type is reported
/// once, at the field's type, like its other uses of `<Type as FieldType>`, rather than once
/// more as a bound of this function.
#[doc(hidden)]
pub fn field_from_row_by<M: Model, T>(
    row: &dyn Row,
    field: usize,
    from_value: fn(ValueRef<'_>) -> Result<T, FieldError>,
) -> Result<T> {
    from_value(row.value(field)?).map_err(|e| validation::<M>(field, e))
}

pub(crate) fn validation<M: Model>(field: usize, error: FieldError) -> Error {
    Error::Validation {
        model: M::META.label,
        field: M::META.fields[field].name.to_owned(),
        reason: error.0,
    }
}

/// Any model instance, seen without its type: what a receiver without a `sender` gets.
///
/// It gives the model's [`meta`](Instance::meta) (label, table, fields), reads and writes fields
/// by name as [`Value`]s, and downcasts to the concrete type:
///
/// ```
/// use clarion::models::Instance;
///
/// fn describe(instance: &dyn Instance) -> String {
///     let fields: Vec<_> = instance.meta().field_names().collect();
///     format!("{} ({}): {}", instance.meta().label, instance.meta().table, fields.join(", "))
/// }
/// # let _ = describe;
/// ```
pub trait Instance: Any + Send {
    /// The model's description.
    fn meta(&self) -> &'static ModelMeta;
    /// The primary key's value; [`Value::Null`] before an auto-increment key is assigned.
    ///
    /// Every model has it through this trait (which is in the prelude): `post.pk()`.
    fn pk(&self) -> Value;
    /// The value of the field named `field`, or `None` if the model has no such field.
    fn get(&self, field: &str) -> Option<Value>;
    /// Sets the field named `field`; [`Error::UnknownField`] or [`Error::Validation`] if the
    /// field does not exist or the value does not fit its type.
    fn set(&mut self, field: &str, value: Value) -> Result<()>;
    /// Not public API.
    #[doc(hidden)]
    fn __as_type(&self, ty: TypeId) -> Option<&dyn Any>;
    /// Not public API.
    #[doc(hidden)]
    fn __as_type_mut(&mut self, ty: TypeId) -> Option<&mut dyn Any>;
    /// Not public API: an owned copy, for receivers that run after the commit.
    #[doc(hidden)]
    fn __snapshot(&self) -> Result<Box<dyn Instance>>;
}

impl<M: Model> Instance for M {
    fn meta(&self) -> &'static ModelMeta {
        M::META
    }

    fn pk(&self) -> Value {
        self.__get(M::META.pk).to_owned()
    }

    fn get(&self, field: &str) -> Option<Value> {
        let (index, _) = M::META.field(field)?;
        Some(self.__get(index).to_owned())
    }

    fn set(&mut self, field: &str, value: Value) -> Result<()> {
        let (index, _) = M::META
            .field(field)
            .ok_or_else(|| unknown_field(M::META, field))?;
        self.__set(index, value.as_ref())
            .map_err(|e| validation::<M>(index, e))
    }

    fn __as_type(&self, ty: TypeId) -> Option<&dyn Any> {
        Model::__as_type(self, ty)
    }

    fn __as_type_mut(&mut self, ty: TypeId) -> Option<&mut dyn Any> {
        Model::__as_type_mut(self, ty)
    }

    fn __snapshot(&self) -> Result<Box<dyn Instance>> {
        let values: Vec<Value> = (0..M::META.fields.len())
            .map(|i| self.__get(i).to_owned())
            .collect();
        Ok(Box::new(M::__from_row(&values)?))
    }
}

pub(crate) fn unknown_field(meta: &'static ModelMeta, field: &str) -> Error {
    Error::UnknownField {
        model: meta.label,
        field: field.to_owned(),
        known: meta.field_names().collect(),
    }
}

impl dyn Instance {
    /// The instance as a `T`, if it is one (or a proxy of one).
    pub fn downcast_ref<T: Model>(&self) -> Option<&T> {
        self.__as_type(TypeId::of::<T>())?.downcast_ref()
    }

    /// The instance as a `&mut T`, if it is one (or a proxy of one).
    pub fn downcast_mut<T: Model>(&mut self) -> Option<&mut T> {
        self.__as_type_mut(TypeId::of::<T>())?.downcast_mut()
    }

    /// Whether the instance is a `T` (or a proxy of one).
    pub fn is<T: Model>(&self) -> bool {
        self.__as_type(TypeId::of::<T>()).is_some()
    }
}

impl fmt::Debug for dyn Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let meta = self.meta();
        let mut out = f.debug_struct(meta.name);
        for name in meta.field_names() {
            out.field(name, &self.get(name).unwrap_or(Value::Null));
        }
        out.finish()
    }
}

/// The instance a model signal carries: a model's receivers take it as `instance: &User` or
/// `instance: &mut User`, a receiver for every model as `instance: &dyn Instance` (or `&mut`).
///
/// A receiver that takes a concrete type is only called for instances of that type (or its
/// proxies); give it `sender = Type` to say so explicitly.
pub struct InstanceMut<'a>(&'a mut dyn Instance);

impl<'a> InstanceMut<'a> {
    /// Wraps an instance, for sending a model signal by hand.
    pub fn new(instance: &'a mut dyn Instance) -> Self {
        InstanceMut(instance)
    }
}

impl Deref for InstanceMut<'_> {
    type Target = dyn Instance;
    fn deref(&self) -> &(dyn Instance + 'static) {
        self.0
    }
}

impl DerefMut for InstanceMut<'_> {
    fn deref_mut(&mut self) -> &mut (dyn Instance + 'static) {
        self.0
    }
}

impl fmt::Debug for InstanceMut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// An owned copy of an instance, what receivers with `on = commit` get once the transaction has
/// committed. Taken like [`InstanceMut`].
pub struct InstanceBox(Box<dyn Instance>);

impl InstanceBox {
    /// Wraps an owned instance.
    pub fn new(instance: Box<dyn Instance>) -> Self {
        InstanceBox(instance)
    }
}

impl Deref for InstanceBox {
    type Target = dyn Instance;
    fn deref(&self) -> &(dyn Instance + 'static) {
        &*self.0
    }
}

impl DerefMut for InstanceBox {
    fn deref_mut(&mut self) -> &mut (dyn Instance + 'static) {
        &mut *self.0
    }
}

impl fmt::Debug for InstanceBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

macro_rules! instance_args {
    ($($ty:ty),*) => {$(
        #[diagnostic::do_not_recommend]
        impl<T: ?Sized + checks::InstanceType> crate::args::ArgRef<T> for $ty {
            #[inline]
            fn arg_ref(&self) -> Option<&T> {
                T::cast_ref(&**self)
            }
        }

        #[diagnostic::do_not_recommend]
        impl<T: ?Sized + checks::InstanceType> crate::args::ArgMut<T> for $ty {
            #[inline]
            fn arg_mut(&mut self) -> Option<&mut T> {
                T::cast_mut(&mut **self)
            }
        }
    )*};
}
instance_args!(InstanceMut<'_>, InstanceBox);

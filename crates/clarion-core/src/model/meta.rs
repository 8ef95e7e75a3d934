//! What a model is made of, as `#[derive(Model)]` describes it: [`ModelMeta`] and [`FieldMeta`].

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::value::{ColumnType, Value};

/// One field of a model: its column and its options.
///
/// Built by `#[derive(Model)]`; read it through [`ModelMeta::fields`] for introspection.
#[non_exhaustive]
pub struct FieldMeta {
    /// The Rust field's name (without `r#`), the name used by `update_fields`, fixtures and
    /// [`Instance::get`](super::Instance::get).
    pub name: &'static str,
    /// The column's name (`db_column`, or the field's name).
    pub column: &'static str,
    /// How the column is declared.
    pub ty: ColumnType,
    /// The Rust type as written, for messages.
    pub rust_type: &'static str,
    /// Whether the column accepts `NULL` (an `Option` field).
    pub nullable: bool,
    /// Whether this is the primary key.
    pub primary_key: bool,
    /// Whether the database assigns the key (an `id: Option<i64>` primary key).
    pub auto: bool,
    /// `#[model(unique)]`.
    pub unique: bool,
    /// `#[model(index)]`.
    pub index: bool,
    /// `#[model(max_length = N)]`, in characters, checked before every write.
    pub max_length: Option<usize>,
    /// `#[model(default = …)]`: the column's `DEFAULT` and the value a fixture record that omits
    /// the field gets.
    pub default: Option<fn() -> Value>,
    /// For a [`ForeignKey`](super::ForeignKey) field, the model it points at and its
    /// `on_delete` rule.
    pub related: Option<super::Related>,
}

impl FieldMeta {
    /// Not public API: what `#[derive(Model)]` calls.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn __new(
        name: &'static str,
        column: &'static str,
        ty: ColumnType,
        rust_type: &'static str,
        nullable: bool,
        primary_key: bool,
        auto: bool,
        unique: bool,
        index: bool,
        max_length: Option<usize>,
        default: Option<fn() -> Value>,
    ) -> Self {
        FieldMeta {
            name,
            column,
            ty,
            rust_type,
            nullable,
            primary_key,
            auto,
            unique,
            index,
            max_length,
            default,
            related: None,
        }
    }

    /// Not public API: what `#[derive(Model)]` adds to a `ForeignKey` field.
    #[doc(hidden)]
    pub const fn __related(mut self, related: super::Related) -> Self {
        self.related = Some(related);
        self
    }
}

impl fmt::Debug for FieldMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldMeta")
            .field("name", &self.name)
            .field("column", &self.column)
            .field("ty", &self.ty)
            .field("nullable", &self.nullable)
            .field("primary_key", &self.primary_key)
            .field("unique", &self.unique)
            .field("max_length", &self.max_length)
            .field("related", &self.related)
            .finish_non_exhaustive()
    }
}

/// A model as the registry, `migrate()`, fixtures and dynamic receivers see it (Django's
/// `Model._meta`).
#[non_exhaustive]
pub struct ModelMeta {
    /// The struct's name, `User`.
    pub name: &'static str,
    /// The app label: `#[model(app_label = "…")]` or the crate's name.
    pub app_label: &'static str,
    /// Django's label, `app_label.modelname` in lowercase: what fixtures name a model by.
    pub label: &'static str,
    /// The table: `#[model(table = "…")]` or the struct's name in snake_case.
    pub table: &'static str,
    /// The fields, in declaration order.
    pub fields: &'static [FieldMeta],
    /// The index of the primary key in `fields`.
    pub pk: usize,
    /// For a proxy model, the concrete model whose table it uses.
    concrete: Option<&'static ModelMeta>,
    /// The many-to-many relations it declares.
    many_to_many: &'static [&'static super::ManyToManyMeta],
    pub(crate) sql: [OnceLock<super::sql::Statements>; 2],
    /// Whether deleting its rows touches no other table: 0 not known yet, 1 no, 2 yes.
    alone: AtomicU8,
}

impl ModelMeta {
    /// Not public API: what `#[derive(Model)]` calls.
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        app_label: &'static str,
        label: &'static str,
        table: &'static str,
        fields: &'static [FieldMeta],
        pk: usize,
    ) -> Self {
        ModelMeta {
            name,
            app_label,
            label,
            table,
            fields,
            pk,
            concrete: None,
            many_to_many: &[],
            sql: [OnceLock::new(), OnceLock::new()],
            alone: AtomicU8::new(0),
        }
    }

    /// Not public API: what `#[derive(Model)]` adds for `#[model(many_to_many(…))]`.
    #[doc(hidden)]
    pub const fn __with_many_to_many(
        mut self,
        many_to_many: &'static [&'static super::ManyToManyMeta],
    ) -> Self {
        self.many_to_many = many_to_many;
        self
    }

    /// Not public API: what `#[proxy]` calls. A proxy has the table, fields and key of the
    /// model it proxies (`parent`, itself perhaps a proxy), and that model's concrete model.
    #[doc(hidden)]
    pub const fn __proxy(
        name: &'static str,
        app_label: &'static str,
        label: &'static str,
        parent: &'static ModelMeta,
    ) -> Self {
        ModelMeta {
            name,
            app_label,
            label,
            table: parent.table,
            fields: parent.fields,
            pk: parent.pk,
            concrete: match parent.concrete {
                Some(concrete) => Some(concrete),
                None => Some(parent),
            },
            many_to_many: parent.many_to_many,
            sql: [OnceLock::new(), OnceLock::new()],
            alone: AtomicU8::new(0),
        }
    }

    /// Whether this is a proxy model (`#[proxy(of = …)]`, Django's `_meta.proxy`).
    pub fn is_proxy(&self) -> bool {
        self.concrete.is_some()
    }

    /// The model whose table this one uses: itself, or for a proxy the concrete model at the
    /// end of its chain (Django's `_meta.concrete_model`). Fixtures name models by this one's
    /// label.
    pub fn concrete_model(&'static self) -> &'static ModelMeta {
        self.concrete.unwrap_or(self)
    }

    /// The many-to-many relations this model declares (a proxy: its concrete model's).
    pub fn many_to_many(&self) -> &'static [&'static super::ManyToManyMeta] {
        self.many_to_many
    }

    /// The primary key field.
    pub fn pk_field(&self) -> &'static FieldMeta {
        &self.fields[self.pk]
    }

    /// The field named `name` and its index.
    pub fn field(&self, name: &str) -> Option<(usize, &'static FieldMeta)> {
        self.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }

    /// The fields' names, in declaration order.
    pub fn field_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields.iter().map(|f| f.name)
    }

    /// `compute()` once, then the answer it gave: whether deleting rows of this model touches no
    /// other table. An atomic rather than a `OnceLock`, so that a receiver that deletes while
    /// the answer is computed (building the registry sends `class_prepared`) cannot deadlock.
    pub(crate) fn deletes_alone(&self, compute: impl FnOnce() -> bool) -> bool {
        match self.alone.load(Ordering::Relaxed) {
            0 => {
                let alone = compute();
                self.alone.store(1 + u8::from(alone), Ordering::Relaxed);
                alone
            }
            known => known == 2,
        }
    }

    /// The SQL of this model's statements in `backend`'s dialect, built once.
    #[inline]
    pub(crate) fn sql(
        &'static self,
        backend: crate::db::Backend,
    ) -> &'static super::sql::Statements {
        match self.sql[backend.index()].get() {
            Some(statements) => statements,
            None => self.build_sql(backend),
        }
    }

    #[cold]
    #[inline(never)]
    fn build_sql(&'static self, backend: crate::db::Backend) -> &'static super::sql::Statements {
        self.sql[backend.index()].get_or_init(|| super::sql::Statements::build(self, backend))
    }
}

impl fmt::Debug for ModelMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelMeta")
            .field("label", &self.label)
            .field("table", &self.table)
            .field("proxy_of", &self.concrete.map(|c| c.label))
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

//! What [`SaveOptions::update_fields`](super::SaveOptions::update_fields) takes: the typed column
//! handles of the model (`Post::TITLE`, checked by the compiler), or names (checked when saving).

use std::fmt;

use super::{Model, ModelMeta, unknown_field};
use crate::error::{Error, Result};
use crate::query::Column;

/// How many fields a model may have for its columns to be given to `update_fields` by handle
/// (the set is kept as bits, so that [`SaveOptions`](super::SaveOptions) stays `Copy`); name the
/// fields of a larger model as strings.
pub const MAX_TYPED_UPDATE_FIELDS: usize = 128;

/// The fields a save with `update_fields` writes, as
/// [`SaveOptions::update_fields`](super::SaveOptions::update_fields) was given them: made by
/// [`IntoUpdateFields`], not by hand.
#[derive(Clone, Copy)]
pub struct UpdateFields<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// Names, looked up when saving.
    Names(&'a [&'a str]),
    /// Column handles of `model`: bit `i` of `set` is field number `i`. `too_far` is a column
    /// past [`MAX_TYPED_UPDATE_FIELDS`], refused when saving.
    Columns {
        model: &'static ModelMeta,
        set: u128,
        too_far: bool,
    },
}

impl<'a> UpdateFields<'a> {
    fn columns(model: &'static ModelMeta, fields: impl IntoIterator<Item = usize>) -> Self {
        let mut set = 0u128;
        let mut too_far = false;
        for field in fields {
            match u32::try_from(field).ok().and_then(|f| 1u128.checked_shl(f)) {
                Some(bit) => set |= bit,
                None => too_far = true,
            }
        }
        UpdateFields(Repr::Columns {
            model,
            set,
            too_far,
        })
    }

    /// The numbers of `M`'s fields this names, in the order given (names) or in field order
    /// (columns), each once; an error naming the model for a name it does not have or a column
    /// of another model.
    pub(crate) fn resolve<M: Model>(self, fields: &mut Vec<usize>) -> Result<()> {
        let meta = M::META;
        match self.0 {
            Repr::Names(names) => {
                for name in names {
                    let (index, _) = meta.field(name).ok_or_else(|| unknown_field(meta, name))?;
                    if !fields.contains(&index) {
                        fields.push(index);
                    }
                }
            }
            Repr::Columns {
                model,
                set,
                too_far,
            } => {
                // A proxy's column handles are its concrete model's: saving a proxy with them
                // is saving that model's row.
                if !std::ptr::eq(model, meta) && !std::ptr::eq(model, meta.concrete_model()) {
                    return Err(Error::msg(format!(
                        "cannot save `{}` with `update_fields` naming columns of `{}`: give the \
                         columns of the model saved (`{}::…`)",
                        meta.label, model.label, meta.name
                    )));
                }
                if too_far {
                    return Err(Error::msg(format!(
                        "cannot save `{}` with `update_fields` of column handles: it has more \
                         than {MAX_TYPED_UPDATE_FIELDS} fields; name the fields as strings",
                        meta.label
                    )));
                }
                fields.extend((0..meta.fields.len()).filter(|&i| set & (1u128 << i) != 0));
            }
        }
        Ok(())
    }

    /// Whether this names no field (a save with it writes nothing).
    pub(crate) fn is_empty(&self) -> bool {
        match self.0 {
            Repr::Names(names) => names.is_empty(),
            Repr::Columns { set, too_far, .. } => set == 0 && !too_far,
        }
    }

    /// An owned copy, for the thread that saves.
    #[cfg(feature = "tokio")]
    pub(crate) fn to_owned_fields(self) -> OwnedUpdateFields {
        match self.0 {
            Repr::Names(names) => {
                OwnedUpdateFields::Names(names.iter().map(|&n| n.to_owned()).collect())
            }
            Repr::Columns {
                model,
                set,
                too_far,
            } => OwnedUpdateFields::Columns {
                model,
                set,
                too_far,
            },
        }
    }
}

impl fmt::Debug for UpdateFields<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Repr::Names(names) => f.debug_list().entries(names).finish(),
            Repr::Columns { model, set, .. } => f
                .debug_list()
                .entries(
                    model
                        .fields
                        .iter()
                        .enumerate()
                        .filter(|&(i, _)| i < 128 && set & (1u128 << i) != 0)
                        .map(|(_, field)| field.name),
                )
                .finish(),
        }
    }
}

/// [`UpdateFields`] that own their names.
#[cfg(feature = "tokio")]
pub(crate) enum OwnedUpdateFields {
    Names(Vec<String>),
    Columns {
        model: &'static ModelMeta,
        set: u128,
        too_far: bool,
    },
}

#[cfg(feature = "tokio")]
impl OwnedUpdateFields {
    /// Calls `f` with these fields, borrowed.
    pub(crate) fn with<R>(&self, f: impl FnOnce(UpdateFields<'_>) -> R) -> R {
        match self {
            OwnedUpdateFields::Names(names) => {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                f(UpdateFields(Repr::Names(&names)))
            }
            &OwnedUpdateFields::Columns {
                model,
                set,
                too_far,
            } => f(UpdateFields(Repr::Columns {
                model,
                set,
                too_far,
            })),
        }
    }
}

/// What [`SaveOptions::update_fields`](super::SaveOptions::update_fields) takes.
///
/// - The model's column handles, checked by the compiler: one (`Post::TITLE`), a tuple of up to
///   twelve (`(Post::TITLE, Post::BODY)`, as [`QuerySet::order_by`](crate::query::QuerySet::order_by)
///   takes them), or an array of columns of one type (`[Post::TITLE, Post::SLUG]`). A tuple
///   mixing two models' columns does not compile; a column of another model than the one saved
///   is an error when saving.
/// - Names, for lists built at run time: `&["title", "body"]`, a `&[&str]` or a `&Vec<&str>`;
///   an unknown name is an [`Error::UnknownField`] when saving.
///
/// Columns of two models in one tuple do not compile:
///
/// ```compile_fail
/// use clarion::prelude::*;
/// # #[derive(Model)]
/// # pub struct Post { pub id: Option<i64>, pub title: String }
/// # #[derive(Model)]
/// # pub struct Author { pub id: Option<i64>, pub name: String }
///
/// let options = SaveOptions::new().update_fields((Post::TITLE, Author::NAME));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be given to `update_fields`",
    note = "give the model's column handles (`Post::TITLE`, a tuple `(Post::TITLE, Post::BODY)`) or field names (`&[\"title\", \"body\"]`)"
)]
pub trait IntoUpdateFields<'a> {
    /// The fields.
    fn into_update_fields(self) -> UpdateFields<'a>;
}

impl<'a> IntoUpdateFields<'a> for UpdateFields<'a> {
    fn into_update_fields(self) -> UpdateFields<'a> {
        self
    }
}

impl<'a> IntoUpdateFields<'a> for &'a [&'a str] {
    fn into_update_fields(self) -> UpdateFields<'a> {
        UpdateFields(Repr::Names(self))
    }
}

impl<'a, const N: usize> IntoUpdateFields<'a> for &'a [&'a str; N] {
    fn into_update_fields(self) -> UpdateFields<'a> {
        UpdateFields(Repr::Names(self))
    }
}

impl<'a> IntoUpdateFields<'a> for &'a Vec<&'a str> {
    fn into_update_fields(self) -> UpdateFields<'a> {
        UpdateFields(Repr::Names(self))
    }
}

impl<'a, M: Model, T> IntoUpdateFields<'a> for Column<M, T> {
    fn into_update_fields(self) -> UpdateFields<'a> {
        UpdateFields::columns(M::META, [self.index()])
    }
}

impl<'a, M: Model, T, const N: usize> IntoUpdateFields<'a> for [Column<M, T>; N] {
    fn into_update_fields(self) -> UpdateFields<'a> {
        UpdateFields::columns(M::META, self.map(|column| column.index()))
    }
}

/// A column handle of some model, whatever its value type: what a tuple given to
/// [`SaveOptions::update_fields`](super::SaveOptions::update_fields) holds.
pub trait ModelColumn: Copy {
    /// The model whose field it is.
    type Model: Model;
    /// The index of the field in [`ModelMeta::fields`].
    fn field_index(self) -> usize;
}

impl<M: Model, T> ModelColumn for Column<M, T> {
    type Model = M;
    fn field_index(self) -> usize {
        self.index()
    }
}

macro_rules! column_tuples {
    ($(($first:ident $(, $rest:ident)*))*) => {$(
        impl<'a, $first: ModelColumn $(, $rest: ModelColumn<Model = $first::Model>)*>
            IntoUpdateFields<'a> for ($first, $($rest,)*)
        {
            #[allow(non_snake_case)]
            fn into_update_fields(self) -> UpdateFields<'a> {
                let ($first, $($rest,)*) = self;
                UpdateFields::columns(
                    <$first::Model as Model>::META,
                    [$first.field_index() $(, $rest.field_index())*],
                )
            }
        }
    )*};
}
column_tuples! {
    (A)
    (A, B)
    (A, B, C)
    (A, B, C, D)
    (A, B, C, D, E)
    (A, B, C, D, E, F)
    (A, B, C, D, E, F, G)
    (A, B, C, D, E, F, G, H)
    (A, B, C, D, E, F, G, H, I)
    (A, B, C, D, E, F, G, H, I, J)
    (A, B, C, D, E, F, G, H, I, J, K)
    (A, B, C, D, E, F, G, H, I, J, K, L)
}

/// A field of a model, by column handle (`Post::UPDATED_AT`) or by name (`"updated_at"`): what
/// [`AlsoUpdate::add`] takes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not name a field",
    note = "give a column handle (`Post::UPDATED_AT`) or a field name (`\"updated_at\"`)"
)]
pub trait IntoFieldName {
    /// The field's number in `meta`; an error naming the model if it has no such field (a name
    /// it lacks, or a column of another model).
    fn field_of(self, meta: &'static ModelMeta) -> Result<usize>;
}

impl IntoFieldName for &str {
    fn field_of(self, meta: &'static ModelMeta) -> Result<usize> {
        meta.field(self)
            .map(|(index, _)| index)
            .ok_or_else(|| unknown_field(meta, self))
    }
}

impl IntoFieldName for &String {
    fn field_of(self, meta: &'static ModelMeta) -> Result<usize> {
        self.as_str().field_of(meta)
    }
}

impl IntoFieldName for String {
    fn field_of(self, meta: &'static ModelMeta) -> Result<usize> {
        self.as_str().field_of(meta)
    }
}

impl<M: Model, T> IntoFieldName for Column<M, T> {
    fn field_of(self, meta: &'static ModelMeta) -> Result<usize> {
        if std::ptr::eq(M::META, meta) || std::ptr::eq(M::META, meta.concrete_model()) {
            return Ok(self.index());
        }
        Err(Error::msg(format!(
            "`{}` has no field `{}`: the column belongs to `{}`",
            meta.label,
            self.meta().name,
            M::META.label
        )))
    }
}

/// Fields a `pre_save` receiver adds to the save under way (the [`PreSave`] argument
/// `also_update`): Django's `auto_now` pattern, a receiver that sets a timestamp and must have
/// it written even when the caller listed only other fields in `update_fields`.
///
/// On a save of every field (no `update_fields`), [`add`](AlsoUpdate::add) checks the field and
/// changes nothing: the field is written anyway. On a save with `update_fields`, the field is
/// written too, and `post_save` receivers see it in their `update_fields`, after the fields the
/// caller gave.
///
/// ```
/// use clarion::models::AlsoUpdate;
/// use clarion::prelude::*;
///
/// #[derive(Model)]
/// #[model(table = "also_doc_post")]
/// pub struct Post {
///     pub id: Option<i64>,
///     pub title: String,
///     pub revision: i64,
/// }
///
/// #[receiver(pre_save, sender = Post)]
/// fn bump(instance: &mut Post, also_update: &mut AlsoUpdate) -> clarion::Result<()> {
///     instance.revision += 1;
///     also_update.add(Post::REVISION)
/// }
///
/// clarion::db::register(clarion::db::Database::open_as("also_doc", "sqlite::memory:")?);
/// clarion::migrate_using("also_doc")?;
/// let mut post = Post { id: None, title: "Draft".into(), revision: 0 };
/// post.save_with(SaveOptions::new().using("also_doc"))?;
/// post.title = "Final".into();
/// post.save_with(SaveOptions::new().using("also_doc").update_fields(Post::TITLE))?;
/// let saved = Post::objects().using("also_doc").get()?;
/// assert_eq!((saved.title.as_str(), saved.revision), ("Final", 2));
/// # Ok::<(), clarion::Error>(())
/// ```
///
/// [`PreSave`]: super::signals::PreSave
#[derive(Debug)]
pub struct AlsoUpdate {
    model: &'static ModelMeta,
    /// Whether the save writes every field already.
    every_field: bool,
    added: Vec<usize>,
}

impl AlsoUpdate {
    pub(crate) fn new(model: &'static ModelMeta, every_field: bool) -> Self {
        AlsoUpdate {
            model,
            every_field,
            added: Vec::new(),
        }
    }

    /// Writes `field` too. An error, which a receiver returns to refuse the save, for a field
    /// the model does not have, and for its primary key (a save does not change a row's key).
    pub fn add(&mut self, field: impl IntoFieldName) -> Result<()> {
        let index = field.field_of(self.model)?;
        let meta = &self.model.fields[index];
        if meta.primary_key {
            return Err(Error::msg(format!(
                "cannot add `{}`, the primary key of `{}`, to the fields a save writes: a save \
                 does not change a row's key",
                meta.name, self.model.label
            )));
        }
        if !self.every_field && !self.added.contains(&index) {
            self.added.push(index);
        }
        Ok(())
    }

    /// The fields added by receivers so far, by number, in the order added (none on a save of
    /// every field).
    pub(crate) fn added(&self) -> &[usize] {
        &self.added
    }
}

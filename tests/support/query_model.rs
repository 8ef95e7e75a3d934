// `support/manual_model.rs`'s `Article`, with the column consts `#[derive(Model)]` generates,
// and a second hand-written model, `Note`, for the field types `Article` lacks (a key the user
// chooses, nullable text, bool, float): the models of the query set tests.

use clarion::__private as p;

/// A hand-written model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Article {
    /// Auto-increment key.
    pub(crate) id: Option<i64>,
    /// At most 20 characters.
    pub(crate) title: String,
    /// Set by a receiver.
    pub(crate) slug: String,
    /// Nullable.
    pub(crate) views: Option<i64>,
}

const _: () = {
    static META: p::ModelMeta = p::ModelMeta::__new(
        "Article",
        env!("CARGO_CRATE_NAME"),
        concat!(env!("CARGO_CRATE_NAME"), ".", "article"),
        "article",
        &[
            p::FieldMeta::__new(
                "id",
                "id",
                <Option<i64> as p::FieldType>::COLUMN,
                "Option<i64>",
                <Option<i64> as p::FieldType>::NULLABLE,
                true,
                true,
                false,
                false,
                None,
                None,
            ),
            p::FieldMeta::__new(
                "title",
                "title",
                <String as p::FieldType>::COLUMN,
                "String",
                <String as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                false,
                Some(20),
                None,
            ),
            p::FieldMeta::__new(
                "slug",
                "slug",
                <String as p::FieldType>::COLUMN,
                "String",
                <String as p::FieldType>::NULLABLE,
                false,
                false,
                true,
                false,
                None,
                None,
            ),
            p::FieldMeta::__new(
                "views",
                "views",
                <Option<i64> as p::FieldType>::COLUMN,
                "Option<i64>",
                <Option<i64> as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                false,
                None,
                None,
            ),
        ],
        0,
    );

    #[automatically_derived]
    impl clarion::Model for Article {
        const META: &'static p::ModelMeta = &META;

        fn __get(&self, field: usize) -> p::ValueRef<'_> {
            match field {
                0 => p::FieldType::to_value(&self.id),
                1 => p::FieldType::to_value(&self.title),
                2 => p::FieldType::to_value(&self.slug),
                3 => p::FieldType::to_value(&self.views),
                _ => p::ValueRef::Null,
            }
        }

        fn __set(&mut self, field: usize, value: p::ValueRef<'_>) -> Result<(), p::FieldError> {
            match field {
                0 => self.id = p::FieldType::from_value(value)?,
                1 => self.title = p::FieldType::from_value(value)?,
                2 => self.slug = p::FieldType::from_value(value)?,
                3 => self.views = p::FieldType::from_value(value)?,
                _ => {}
            }
            Ok(())
        }

        fn __from_row(row: &dyn p::Row) -> clarion::Result<Self> {
            Ok(Article {
                id: p::field_from_row::<Self, _>(row, 0)?,
                title: p::field_from_row::<Self, _>(row, 1)?,
                slug: p::field_from_row::<Self, _>(row, 2)?,
                views: p::field_from_row::<Self, _>(row, 3)?,
            })
        }
    }

    p::inventory::submit! { p::ModelRegistration::__new::<Article>() }
};

impl Article {
    pub(crate) const ID: clarion::__private::Column<Article, Option<i64>> =
        clarion::__private::Column::__new(0);
    pub(crate) const TITLE: clarion::__private::Column<Article, String> =
        clarion::__private::Column::__new(1);
    pub(crate) const SLUG: clarion::__private::Column<Article, String> =
        clarion::__private::Column::__new(2);
    pub(crate) const VIEWS: clarion::__private::Column<Article, Option<i64>> =
        clarion::__private::Column::__new(3);
}

/// A hand-written model whose key is chosen by the user.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Note {
    /// Not auto-increment.
    pub(crate) id: i64,
    /// Nullable text, in the column `text`.
    pub(crate) body: Option<String>,
    /// A bool.
    pub(crate) pinned: bool,
    /// A float, in the column `order` (an SQL keyword).
    pub(crate) score: f64,
}

const _: () = {
    static META: p::ModelMeta = p::ModelMeta::__new(
        "Note",
        env!("CARGO_CRATE_NAME"),
        concat!(env!("CARGO_CRATE_NAME"), ".", "note"),
        "note",
        &[
            p::FieldMeta::__new(
                "id",
                "id",
                <i64 as p::FieldType>::COLUMN,
                "i64",
                <i64 as p::FieldType>::NULLABLE,
                true,
                false,
                false,
                false,
                None,
                None,
            ),
            p::FieldMeta::__new(
                "body",
                "text",
                <Option<String> as p::FieldType>::COLUMN,
                "Option<String>",
                <Option<String> as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                false,
                Some(10),
                None,
            ),
            p::FieldMeta::__new(
                "pinned",
                "pinned",
                <bool as p::FieldType>::COLUMN,
                "bool",
                <bool as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                false,
                None,
                None,
            ),
            p::FieldMeta::__new(
                "score",
                "order",
                <f64 as p::FieldType>::COLUMN,
                "f64",
                <f64 as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                false,
                None,
                None,
            ),
        ],
        0,
    );

    #[automatically_derived]
    impl clarion::Model for Note {
        const META: &'static p::ModelMeta = &META;

        fn __get(&self, field: usize) -> p::ValueRef<'_> {
            match field {
                0 => p::FieldType::to_value(&self.id),
                1 => p::FieldType::to_value(&self.body),
                2 => p::FieldType::to_value(&self.pinned),
                3 => p::FieldType::to_value(&self.score),
                _ => p::ValueRef::Null,
            }
        }

        fn __set(&mut self, field: usize, value: p::ValueRef<'_>) -> Result<(), p::FieldError> {
            match field {
                0 => self.id = p::FieldType::from_value(value)?,
                1 => self.body = p::FieldType::from_value(value)?,
                2 => self.pinned = p::FieldType::from_value(value)?,
                3 => self.score = p::FieldType::from_value(value)?,
                _ => {}
            }
            Ok(())
        }

        fn __from_row(row: &dyn p::Row) -> clarion::Result<Self> {
            Ok(Note {
                id: p::field_from_row::<Self, _>(row, 0)?,
                body: p::field_from_row::<Self, _>(row, 1)?,
                pinned: p::field_from_row::<Self, _>(row, 2)?,
                score: p::field_from_row::<Self, _>(row, 3)?,
            })
        }
    }

    p::inventory::submit! { p::ModelRegistration::__new::<Note>() }
};

impl Note {
    pub(crate) const ID: clarion::__private::Column<Note, i64> =
        clarion::__private::Column::__new(0);
    pub(crate) const BODY: clarion::__private::Column<Note, Option<String>> =
        clarion::__private::Column::__new(1);
    pub(crate) const PINNED: clarion::__private::Column<Note, bool> =
        clarion::__private::Column::__new(2);
    pub(crate) const SCORE: clarion::__private::Column<Note, f64> =
        clarion::__private::Column::__new(3);
}

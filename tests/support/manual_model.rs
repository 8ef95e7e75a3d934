// What `#[derive(Model)]` generates for `Article`, written by hand: the reference the derive's
// expansion is held to, and a model for the runtime tests that does not depend on the macro.

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
        type Concrete = Self;
        type Key = i64;

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

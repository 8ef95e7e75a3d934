// Models for the migrate and fixtures tests, written as `#[derive(Model)]` would expand them
// (the shape of `manual_model.rs`), so that these tests do not wait for the derive.
//
// Django equivalents, in an app labelled `blog`:
//
//     class Entry(models.Model):
//         title = models.CharField(max_length=50)
//         slug = models.SlugField(unique=True, db_index=False)
//         body = models.TextField(null=True)
//         rank = models.IntegerField(default=0, db_index=True)
//         rating = models.FloatField(default=2.5)
//         published = models.BooleanField(default=True)
//         cover = models.BinaryField(default=b"")
//         extra = models.JSONField(default=dict)
//
//     class Tag(models.Model):
//         name = models.CharField(primary_key=True, max_length=30)
//         uses = models.BigIntegerField()
//
//     class Event(models.Model):  # with the `chrono` and `uuid` features
//         id = models.UUIDField(primary_key=True)
//         day = models.DateField()
//         starts = models.DateTimeField()        # naive (USE_TZ = False)
//         created = models.DateTimeField()       # aware, in UTC (USE_TZ = True)
//         ends = models.DateTimeField(null=True)
#![allow(dead_code)]

use clarion::__private as p;

/// A blog entry: every column type but dates and UUIDs, a unique, an index and defaults.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) id: Option<i64>,
    pub(crate) title: String,
    pub(crate) slug: String,
    pub(crate) body: Option<String>,
    pub(crate) rank: i32,
    pub(crate) rating: f64,
    pub(crate) published: bool,
    pub(crate) cover: Vec<u8>,
    pub(crate) extra: serde_json::Value,
}

fn rank_default() -> p::Value {
    p::Value::Int(0)
}

fn rating_default() -> p::Value {
    p::Value::Float(2.5)
}

fn published_default() -> p::Value {
    p::Value::Bool(true)
}

fn cover_default() -> p::Value {
    p::Value::Bytes(Vec::new())
}

fn extra_default() -> p::Value {
    p::Value::Json(serde_json::json!({}))
}

const _: () = {
    static META: p::ModelMeta = p::ModelMeta::__new(
        "Entry",
        "blog",
        "blog.entry",
        "blog_entry",
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
                Some(50),
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
                "body",
                "body",
                <Option<String> as p::FieldType>::COLUMN,
                "Option<String>",
                <Option<String> as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                false,
                None,
                None,
            ),
            p::FieldMeta::__new(
                "rank",
                "rank",
                <i32 as p::FieldType>::COLUMN,
                "i32",
                <i32 as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                true,
                None,
                Some(rank_default),
            ),
            p::FieldMeta::__new(
                "rating",
                "rating",
                <f64 as p::FieldType>::COLUMN,
                "f64",
                <f64 as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                false,
                None,
                Some(rating_default),
            ),
            p::FieldMeta::__new(
                "published",
                "published",
                <bool as p::FieldType>::COLUMN,
                "bool",
                <bool as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                false,
                None,
                Some(published_default),
            ),
            p::FieldMeta::__new(
                "cover",
                "cover",
                <Vec<u8> as p::FieldType>::COLUMN,
                "Vec<u8>",
                <Vec<u8> as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                false,
                None,
                Some(cover_default),
            ),
            p::FieldMeta::__new(
                "extra",
                "extra",
                <serde_json::Value as p::FieldType>::COLUMN,
                "serde_json::Value",
                <serde_json::Value as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                false,
                None,
                Some(extra_default),
            ),
        ],
        0,
    );

    #[automatically_derived]
    impl clarion::Model for Entry {
        const META: &'static p::ModelMeta = &META;

        fn __get(&self, field: usize) -> p::ValueRef<'_> {
            match field {
                0 => p::FieldType::to_value(&self.id),
                1 => p::FieldType::to_value(&self.title),
                2 => p::FieldType::to_value(&self.slug),
                3 => p::FieldType::to_value(&self.body),
                4 => p::FieldType::to_value(&self.rank),
                5 => p::FieldType::to_value(&self.rating),
                6 => p::FieldType::to_value(&self.published),
                7 => p::FieldType::to_value(&self.cover),
                8 => p::FieldType::to_value(&self.extra),
                _ => p::ValueRef::Null,
            }
        }

        fn __set(&mut self, field: usize, value: p::ValueRef<'_>) -> Result<(), p::FieldError> {
            match field {
                0 => self.id = p::FieldType::from_value(value)?,
                1 => self.title = p::FieldType::from_value(value)?,
                2 => self.slug = p::FieldType::from_value(value)?,
                3 => self.body = p::FieldType::from_value(value)?,
                4 => self.rank = p::FieldType::from_value(value)?,
                5 => self.rating = p::FieldType::from_value(value)?,
                6 => self.published = p::FieldType::from_value(value)?,
                7 => self.cover = p::FieldType::from_value(value)?,
                8 => self.extra = p::FieldType::from_value(value)?,
                _ => {}
            }
            Ok(())
        }

        fn __from_row(row: &dyn p::Row) -> clarion::Result<Self> {
            Ok(Entry {
                id: p::field_from_row::<Self, _>(row, 0)?,
                title: p::field_from_row::<Self, _>(row, 1)?,
                slug: p::field_from_row::<Self, _>(row, 2)?,
                body: p::field_from_row::<Self, _>(row, 3)?,
                rank: p::field_from_row::<Self, _>(row, 4)?,
                rating: p::field_from_row::<Self, _>(row, 5)?,
                published: p::field_from_row::<Self, _>(row, 6)?,
                cover: p::field_from_row::<Self, _>(row, 7)?,
                extra: p::field_from_row::<Self, _>(row, 8)?,
            })
        }
    }

    p::inventory::submit! { p::ModelRegistration::__new::<Entry>() }
};

/// A tag: a text primary key the user chooses.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tag {
    pub(crate) name: String,
    pub(crate) uses: i64,
}

const _: () = {
    static META: p::ModelMeta = p::ModelMeta::__new(
        "Tag",
        "blog",
        "blog.tag",
        "blog_tag",
        &[
            p::FieldMeta::__new(
                "name",
                "name",
                <String as p::FieldType>::COLUMN,
                "String",
                <String as p::FieldType>::NULLABLE,
                true,
                false,
                false,
                false,
                Some(30),
                None,
            ),
            p::FieldMeta::__new(
                "uses",
                "uses",
                <i64 as p::FieldType>::COLUMN,
                "i64",
                <i64 as p::FieldType>::NULLABLE,
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
    impl clarion::Model for Tag {
        const META: &'static p::ModelMeta = &META;

        fn __get(&self, field: usize) -> p::ValueRef<'_> {
            match field {
                0 => p::FieldType::to_value(&self.name),
                1 => p::FieldType::to_value(&self.uses),
                _ => p::ValueRef::Null,
            }
        }

        fn __set(&mut self, field: usize, value: p::ValueRef<'_>) -> Result<(), p::FieldError> {
            match field {
                0 => self.name = p::FieldType::from_value(value)?,
                1 => self.uses = p::FieldType::from_value(value)?,
                _ => {}
            }
            Ok(())
        }

        fn __from_row(row: &dyn p::Row) -> clarion::Result<Self> {
            Ok(Tag {
                name: p::field_from_row::<Self, _>(row, 0)?,
                uses: p::field_from_row::<Self, _>(row, 1)?,
            })
        }
    }

    p::inventory::submit! { p::ModelRegistration::__new::<Tag>() }
};

/// An event: dates, times and a UUID key (the `chrono` and `uuid` features).
#[cfg(all(feature = "chrono", feature = "uuid"))]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event {
    pub(crate) id: uuid::Uuid,
    pub(crate) day: chrono::NaiveDate,
    pub(crate) starts: chrono::NaiveDateTime,
    pub(crate) created: chrono::DateTime<chrono::Utc>,
    pub(crate) ends: Option<chrono::NaiveDateTime>,
}

#[cfg(all(feature = "chrono", feature = "uuid"))]
const _: () = {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    use uuid::Uuid;

    static META: p::ModelMeta = p::ModelMeta::__new(
        "Event",
        "blog",
        "blog.event",
        "blog_event",
        &[
            p::FieldMeta::__new(
                "id",
                "id",
                <Uuid as p::FieldType>::COLUMN,
                "Uuid",
                <Uuid as p::FieldType>::NULLABLE,
                true,
                false,
                false,
                false,
                None,
                None,
            ),
            p::FieldMeta::__new(
                "day",
                "day",
                <NaiveDate as p::FieldType>::COLUMN,
                "NaiveDate",
                <NaiveDate as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                false,
                None,
                None,
            ),
            p::FieldMeta::__new(
                "starts",
                "starts",
                <NaiveDateTime as p::FieldType>::COLUMN,
                "NaiveDateTime",
                <NaiveDateTime as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                false,
                None,
                None,
            ),
            p::FieldMeta::__new(
                "created",
                "created",
                <DateTime<Utc> as p::FieldType>::COLUMN,
                "DateTime<Utc>",
                <DateTime<Utc> as p::FieldType>::NULLABLE,
                false,
                false,
                false,
                false,
                None,
                None,
            ),
            p::FieldMeta::__new(
                "ends",
                "ends",
                <Option<NaiveDateTime> as p::FieldType>::COLUMN,
                "Option<NaiveDateTime>",
                <Option<NaiveDateTime> as p::FieldType>::NULLABLE,
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
    impl clarion::Model for Event {
        const META: &'static p::ModelMeta = &META;

        fn __get(&self, field: usize) -> p::ValueRef<'_> {
            match field {
                0 => p::FieldType::to_value(&self.id),
                1 => p::FieldType::to_value(&self.day),
                2 => p::FieldType::to_value(&self.starts),
                3 => p::FieldType::to_value(&self.created),
                4 => p::FieldType::to_value(&self.ends),
                _ => p::ValueRef::Null,
            }
        }

        fn __set(&mut self, field: usize, value: p::ValueRef<'_>) -> Result<(), p::FieldError> {
            match field {
                0 => self.id = p::FieldType::from_value(value)?,
                1 => self.day = p::FieldType::from_value(value)?,
                2 => self.starts = p::FieldType::from_value(value)?,
                3 => self.created = p::FieldType::from_value(value)?,
                4 => self.ends = p::FieldType::from_value(value)?,
                _ => {}
            }
            Ok(())
        }

        fn __from_row(row: &dyn p::Row) -> clarion::Result<Self> {
            Ok(Event {
                id: p::field_from_row::<Self, _>(row, 0)?,
                day: p::field_from_row::<Self, _>(row, 1)?,
                starts: p::field_from_row::<Self, _>(row, 2)?,
                created: p::field_from_row::<Self, _>(row, 3)?,
                ends: p::field_from_row::<Self, _>(row, 4)?,
            })
        }
    }

    p::inventory::submit! { p::ModelRegistration::__new::<Event>() }
};

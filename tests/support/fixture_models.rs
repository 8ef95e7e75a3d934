// Models for the migrate and fixtures tests, the Django models of an app labelled `blog`:
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
//         starts = models.DateTimeField()        # naive in Rust
//         created = models.DateTimeField()       # aware, in UTC
//         ends = models.DateTimeField(null=True)
#![allow(dead_code)]

use clarion::Model;

/// A blog entry: every column type but dates and UUIDs, a unique, an index and defaults.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "blog_entry", app_label = "blog")]
pub(crate) struct Entry {
    pub(crate) id: Option<i64>,
    #[model(max_length = 50)]
    pub(crate) title: String,
    #[model(unique)]
    pub(crate) slug: String,
    pub(crate) body: Option<String>,
    #[model(index, default = 0)]
    pub(crate) rank: i32,
    #[model(default = 2.5)]
    pub(crate) rating: f64,
    #[model(default = true)]
    pub(crate) published: bool,
    #[model(default = Vec::new())]
    pub(crate) cover: Vec<u8>,
    #[model(default = serde_json::json!({}))]
    pub(crate) extra: serde_json::Value,
}

/// A tag: a text primary key the user chooses.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "blog_tag", app_label = "blog")]
pub(crate) struct Tag {
    #[model(primary_key, max_length = 30)]
    pub(crate) name: String,
    pub(crate) uses: i64,
}

/// An event: dates, times and a UUID key (the `chrono` and `uuid` features).
#[cfg(all(feature = "chrono", feature = "uuid"))]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "blog_event", app_label = "blog")]
pub(crate) struct Event {
    #[model(primary_key)]
    pub(crate) id: uuid::Uuid,
    pub(crate) day: chrono::NaiveDate,
    pub(crate) starts: chrono::NaiveDateTime,
    pub(crate) created: chrono::DateTime<chrono::Utc>,
    pub(crate) ends: Option<chrono::NaiveDateTime>,
}

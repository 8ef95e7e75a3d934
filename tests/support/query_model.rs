// The derived models shared by the query set tests and the derive tests: `Article` is the shape
// of `support/manual_model.rs`'s hand-written model, and `Note` covers the field types `Article`
// lacks (a key the user chooses, nullable text in a column named `text`, bool, a float in a column
// named `order`, an SQL keyword).

use clarion::prelude::*;

/// The query tests' article.
#[derive(Debug, Clone, PartialEq, Model)]
pub(crate) struct Article {
    /// Auto-increment key.
    pub(crate) id: Option<i64>,
    /// At most 20 characters.
    #[model(max_length = 20)]
    pub(crate) title: String,
    /// Unique.
    #[model(unique)]
    pub(crate) slug: String,
    /// Nullable.
    pub(crate) views: Option<i64>,
}

/// A note with a key of its own.
#[derive(Debug, Clone, PartialEq, Model)]
pub(crate) struct Note {
    /// Not auto-increment.
    #[model(primary_key)]
    pub(crate) id: i64,
    /// Nullable text, in the column `text`.
    #[model(max_length = 10, db_column = "text")]
    pub(crate) body: Option<String>,
    /// A bool.
    pub(crate) pinned: bool,
    /// A float, in the column `order` (an SQL keyword).
    #[model(db_column = "order")]
    pub(crate) score: f64,
}

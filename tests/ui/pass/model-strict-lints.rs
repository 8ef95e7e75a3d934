//! The expansion is clean under the strictest lints a user may set, for public and private
//! models and fields alike.

#![deny(
    warnings,
    unused,
    missing_docs,
    unsafe_code,
    rust_2018_idioms,
    unreachable_pub,
    clippy::all
)]

use clarion::prelude::*;

/// A public model.
#[derive(Model, Debug)]
#[model(table = "articles")]
pub struct Article {
    /// The key.
    pub id: Option<i64>,
    /// The title.
    #[model(max_length = 200, index)]
    pub title: String,
    /// Hidden from other modules.
    #[model(default = 0)]
    pub(crate) views: i64,
    /// Private.
    draft: bool,
    /// Set by every save.
    #[model(auto_now)]
    pub updated: Option<chrono::NaiveDateTime>,
    /// Set by the first save.
    #[model(auto_now_add)]
    pub(crate) created: Option<chrono::DateTime<chrono::Utc>>,
}

/// A model private to this crate, with private fields and no `id`.
#[derive(Model)]
struct Tag {
    #[model(primary_key)]
    name: String,
    #[model(unique, db_column = "label")]
    slug: Option<String>,
}

/// A public model with relations to both.
#[derive(Model, Debug)]
#[model(many_to_many(followers = Reader), many_to_many(readers = Reader, through = Reading))]
pub struct Comment {
    /// The key.
    pub id: Option<i64>,
    /// What it comments on.
    #[model(on_delete = cascade)]
    pub article: ForeignKey<Article>,
    /// Private, nullable.
    #[model(on_delete = set_null)]
    reply_to: Option<ForeignKey<Comment>>,
}

/// Someone who read a comment.
#[derive(Model, Debug)]
pub struct Reader {
    /// The key.
    pub id: Option<i64>,
}

/// The through model of `Comment.readers`.
#[derive(Model, Debug)]
pub struct Reading {
    /// The key.
    pub id: Option<i64>,
    /// The comment.
    #[model(on_delete = cascade)]
    pub comment: ForeignKey<Comment>,
    /// The reader.
    #[model(on_delete = cascade)]
    pub reader: ForeignKey<Reader>,
}

/// Reads every field, so that none is unused.
pub fn describe(article: &Article) -> String {
    format!("{:?} {} {} {}", article.id, article.title, article.views, article.draft)
}

fn main() {
    assert_eq!(Article::TITLE.index(), 1);
    assert_eq!(<Tag as Model>::META.pk_field().name, "name");
    let article = Article {
        id: None,
        title: String::new(),
        views: 0,
        draft: true,
        updated: None,
        created: None,
    };
    let _ = describe(&article);
    let comment = Comment {
        id: None,
        article: ForeignKey::new(1),
        reply_to: None,
    };
    assert!(comment.reply_to.is_none() && comment.article.key() == &1);
    assert_eq!(Comment::META.many_to_many().len(), 2);
}

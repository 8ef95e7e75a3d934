//! Generated code must mean the same whatever the user's scope holds: every path the derive
//! emits is absolute (`::clarion`, `::core`), so none of the shadowing items below can capture it.

#![allow(dead_code, non_camel_case_types, unused_macros, unused_imports)]

// Shadow the std prelude, the primitive types and the crates the expansion uses.
struct Result;
struct Option;
struct Some;
struct None;
struct Ok;
struct Err;
struct Box;
struct Vec;
struct String;
struct Send;
struct Sized;
struct usize;
struct bool;
struct i64;
struct str;
struct Value;
struct ValueRef;
struct FieldType;
struct FieldError;
struct ModelMeta;
struct FieldMeta;
struct Column;
struct Row;
struct Error;
struct ModelRegistration;
struct ForeignKey;
struct Related;
struct OnDelete;
struct ManyToManyMeta;
struct ManyToManyRelation;
struct ManyRelated;
struct Sender;
mod core {}
mod std {}
mod alloc {}
mod inventory {}
mod clarion {}
mod __private {}

// Shadow the built-in macros the expansion calls.
macro_rules! env {
    ($($t:tt)*) => {
        0
    };
}
macro_rules! concat {
    ($($t:tt)*) => {
        0
    };
}
macro_rules! stringify {
    ($($t:tt)*) => {
        0
    };
}
macro_rules! unreachable {
    ($($t:tt)*) => {
        0
    };
}

#[derive(::clarion::Model)]
struct Article {
    id: ::core::option::Option<::core::primitive::i64>,
    #[model(max_length = 20, default = ::std::string::String::from("untitled"))]
    title: ::std::string::String,
    #[model(default = ::core::option::Option::Some(1))]
    views: ::core::option::Option<::core::primitive::i64>,
    body: ::std::vec::Vec<::core::primitive::u8>,
    published: ::core::primitive::bool,
    #[model(auto_now)]
    updated: ::chrono::DateTime<::chrono::Utc>,
    #[model(auto_now_add)]
    created: ::core::option::Option<::chrono::NaiveDate>,
}

#[derive(::clarion::Model)]
#[model(table = "tags", app_label = "blog")]
struct Tag {
    #[model(primary_key, unique, index)]
    name: ::std::string::String,
}

#[derive(::clarion::Model)]
#[model(many_to_many(tags = Tag), many_to_many(notes = Note, through = Annotation))]
struct Post {
    id: ::core::option::Option<::core::primitive::i64>,
    #[model(on_delete = cascade)]
    article: ::clarion::models::ForeignKey<Article>,
    #[model(on_delete = set_null)]
    parent: ::core::option::Option<::clarion::models::ForeignKey<Post>>,
}

#[derive(::clarion::Model)]
struct Note {
    id: ::core::option::Option<::core::primitive::i64>,
}

#[derive(::clarion::Model)]
struct Annotation {
    id: ::core::option::Option<::core::primitive::i64>,
    #[model(on_delete = cascade)]
    post: ::clarion::models::ForeignKey<Post>,
    #[model(on_delete = protect)]
    note: ::clarion::models::ForeignKey<Note>,
}

fn main() {
    use ::clarion::Model as _;

    let post = <Post as ::clarion::Model>::META;
    ::std::assert_eq!(post.fields[1].column, "article_id");
    ::std::assert_eq!(post.many_to_many().len(), 2);
    ::std::assert!(<PostTags as ::clarion::models::ManyToManyRelation>::META.through().is_none());

    let meta = <Article as ::clarion::Model>::META;
    ::std::assert_eq!(meta.pk, 0);
    ::std::assert!(meta.fields[0].auto);
    ::std::assert_eq!(meta.fields[1].rust_type, "::std::string::String");
    ::std::assert_eq!(
        (meta.fields[2].default.unwrap())(),
        ::clarion::Value::Int(1)
    );
    ::std::assert_eq!(Article::TITLE.index(), 1);
    ::std::assert_eq!(<Tag as ::clarion::Model>::META.label, "blog.tag");
}

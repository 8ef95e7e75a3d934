use clarion::prelude::*;

#[derive(Model)]
pub struct Author {
    id: Option<i64>,
}

// A reference to another model is a `ForeignKey<Author>`.
#[derive(Model)]
pub struct Book {
    id: Option<i64>,
    author: Author,
}

fn main() {}

use clarion::prelude::*;

#[derive(Model)]
struct Author {
    id: Option<i64>,
}

#[derive(Model)]
struct Book {
    id: Option<i64>,
    author: ForeignKey<Author>,
}

fn main() {}

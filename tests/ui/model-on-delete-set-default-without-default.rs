use clarion::prelude::*;

#[derive(Model)]
struct Author {
    id: Option<i64>,
}

#[derive(Model)]
struct Book {
    id: Option<i64>,
    #[model(on_delete = set_default)]
    author: ForeignKey<Author>,
}

fn main() {}

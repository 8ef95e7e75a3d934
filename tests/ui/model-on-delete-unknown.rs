use clarion::prelude::*;

#[derive(Model)]
struct Author {
    id: Option<i64>,
}

#[derive(Model)]
struct Book {
    id: Option<i64>,
    #[model(on_delete = delete)]
    author: ForeignKey<Author>,
    #[model(on_delete)]
    editor: ForeignKey<Author>,
}

fn main() {}

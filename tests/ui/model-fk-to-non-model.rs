use clarion::prelude::*;

struct Author {
    id: Option<i64>,
}

#[derive(Model)]
struct Book {
    id: Option<i64>,
    #[model(on_delete = cascade)]
    author: ForeignKey<Author>,
}

fn main() {}

use clarion::prelude::*;

#[derive(Model)]
struct Book {
    id: Option<i64>,
    #[model(on_delete = cascade)]
    author_id: i64,
}

fn main() {}

use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    #[model(db_column)]
    slug: String,
}

fn main() {}

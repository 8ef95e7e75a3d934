use clarion::prelude::*;

#[derive(Model)]
#[model(db_table = "articles")]
struct Article {
    id: Option<i64>,
}

fn main() {}

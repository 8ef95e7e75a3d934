use clarion::prelude::*;

#[derive(Model)]
#[model(tables = "articles")]
struct Article {
    id: Option<i64>,
}

fn main() {}

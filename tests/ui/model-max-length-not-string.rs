use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    #[model(max_length = 10)]
    views: i64,
}

fn main() {}

use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    #[model(default)]
    views: i64,
}

fn main() {}

use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    #[model(default = let x = 1)]
    views: i64,
}

fn main() {}

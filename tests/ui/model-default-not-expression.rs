use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    #[model(default = 1 +, unique)]
    views: i64,
}

fn main() {}

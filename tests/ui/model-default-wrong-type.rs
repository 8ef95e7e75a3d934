use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    #[model(default = 5)]
    title: String,
}

fn main() {}

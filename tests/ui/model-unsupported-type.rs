use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    tags: Vec<String>,
}

fn main() {}

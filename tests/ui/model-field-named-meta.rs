use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    meta: String,
}

fn main() {}

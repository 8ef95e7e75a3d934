use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    __: String,
}

fn main() {}

use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: i64,
    title: String,
}

fn main() {}

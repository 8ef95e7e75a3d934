use clarion::prelude::*;

#[derive(Model)]
#[model(table = articles)]
struct Article {
    id: Option<i64>,
}

fn main() {}

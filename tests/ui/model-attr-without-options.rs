use clarion::prelude::*;

#[derive(Model)]
#[model]
struct Article {
    id: Option<i64>,
}

fn main() {}

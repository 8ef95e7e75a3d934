use clarion::prelude::*;

#[derive(Model)]
#[model(unique)]
struct Article {
    id: Option<i64>,
}

fn main() {}

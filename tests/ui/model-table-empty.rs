use clarion::prelude::*;

#[derive(Model)]
#[model(table = "")]
struct Article {
    id: Option<i64>,
}

fn main() {}

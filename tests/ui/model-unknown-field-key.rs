use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    #[model(uniqe)]
    slug: String,
}

fn main() {}

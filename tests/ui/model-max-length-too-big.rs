use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    #[model(max_length = 99999999999999999999999)]
    slug: String,
}

fn main() {}

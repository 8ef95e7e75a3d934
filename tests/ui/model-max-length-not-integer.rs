use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    #[model(max_length = "50")]
    slug: String,
}

fn main() {}

use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    #[model(table = "slugs")]
    slug: String,
}

fn main() {}

use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    #[model(max_length = 50)]
    #[model(unique, max_length = 80)]
    slug: String,
}

fn main() {}

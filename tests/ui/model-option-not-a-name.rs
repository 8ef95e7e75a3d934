use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    #[model("unique")]
    slug: String,
}

fn main() {}

use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    title: String,
    #[model(db_column = "Title")]
    heading: String,
}

fn main() {}

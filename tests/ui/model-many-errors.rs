use clarion::prelude::*;

#[derive(Model)]
#[model(table = "", app_labl = "blog")]
struct Article {
    #[model(primary_key, max_length = 0)]
    code: i64,
    #[model(unique = yes, primary_key)]
    title: String,
    tags: Vec<String>,
}

fn main() {}

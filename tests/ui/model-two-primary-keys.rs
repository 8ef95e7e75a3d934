use clarion::prelude::*;

#[derive(Model)]
struct Article {
    #[model(primary_key)]
    code: String,
    #[model(primary_key)]
    number: i64,
}

fn main() {}

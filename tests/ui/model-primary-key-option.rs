use clarion::prelude::*;

// Only the automatic `Option<i64>` key may be `None` before the first save.
#[derive(Model)]
struct Country {
    #[model(primary_key)]
    code: Option<String>,
    name: String,
}

fn main() {}

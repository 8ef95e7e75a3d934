use clarion::prelude::*;

#[derive(Model)]
#[model(app_label = "blog.posts")]
struct Article {
    id: Option<i64>,
}

fn main() {}

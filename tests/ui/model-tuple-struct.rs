use clarion::prelude::*;

#[derive(Model)]
struct Article(Option<i64>, String);

fn main() {}

use clarion::prelude::*;

#[derive(Model)]
struct Article;

fn main() {}

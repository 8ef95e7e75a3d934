#![allow(non_snake_case)]

use clarion::prelude::*;

#[derive(Model)]
struct Article {
    id: Option<i64>,
    view_count: i64,
    #[model(db_column = "views")]
    viewCount: i64,
}

fn main() {}

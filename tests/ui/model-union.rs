use clarion::prelude::*;

#[derive(Model)]
union Article {
    id: i64,
}

fn main() {}

use clarion::prelude::*;

#[derive(Model)]
pub struct User {
    pub id: Option<i64>,
    pub name: String,
}

#[proxy(of = User)]
pub struct Staff {
    pub badge: u32,
}

fn main() {}

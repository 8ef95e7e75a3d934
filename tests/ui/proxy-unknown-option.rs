use clarion::prelude::*;

#[derive(Model)]
pub struct User {
    pub id: Option<i64>,
    pub name: String,
}

#[proxy(of = User, orderng = User::NAME)]
pub struct Staff;

fn main() {}

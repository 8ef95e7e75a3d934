use clarion::prelude::*;

#[derive(Model)]
pub struct User {
    pub id: Option<i64>,
    pub name: String,
}

#[derive(Model)]
pub struct Group {
    pub id: Option<i64>,
    pub name: String,
}

#[proxy(of = User, filter = Group::NAME.eq("staff"))]
pub struct Staff;

fn main() {}

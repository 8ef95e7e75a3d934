use std::time::SystemTime;

use clarion::prelude::*;

#[derive(Model)]
struct Event {
    id: Option<i64>,
    at: Option<SystemTime>,
}

fn main() {}

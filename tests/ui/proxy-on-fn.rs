use clarion::prelude::*;

#[proxy(of = String)]
fn staff() {}

fn main() {}

use clarion::prelude::*;

#[proxy(of = Staff)]
pub struct Staff;

fn main() {}

use clarion::prelude::*;

pub struct Plain;

#[proxy(of = Plain)]
pub struct Staff;

fn main() {}

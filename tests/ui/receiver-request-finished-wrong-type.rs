// `request_finished` has no status when the service answered nothing, so `status` is an
// `Option<StatusCode>`: a receiver taking a bare `StatusCode` does not compile.
#![allow(unused_variables)]

use clarion::http::StatusCode;
use clarion::prelude::*;

#[receiver(request_finished)]
fn log_status(status: StatusCode) {}

fn main() {}

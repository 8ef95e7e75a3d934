use std::rc::Rc;

use clarion::prelude::*;
use clarion::{FieldError, FieldType, ValueRef};

/// A field type that cannot leave its thread.
struct Shared(Rc<i64>);

impl FieldType for Shared {
    const COLUMN: clarion::ColumnType = clarion::ColumnType::Integer;
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Int(*self.0)
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, FieldError> {
        i64::from_value(value).map(|i| Shared(Rc::new(i)))
    }
}

#[derive(Model)]
struct Counter {
    id: Option<i64>,
    count: Shared,
}

fn main() {}

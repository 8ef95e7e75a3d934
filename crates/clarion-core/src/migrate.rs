//! `migrate()`: creates the tables of every linked model (Django's `migrate`, without migration
//! files: tables that are missing are created, existing ones are left as they are).

use crate::error::Result;

/// What [`migrate`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Migrated {
    /// The tables created, in the order they were created.
    pub created: Vec<&'static str>,
}

/// Creates the missing tables of every linked model on the default database.
pub fn migrate() -> Result<Migrated> {
    migrate_using(crate::db::DEFAULT_ALIAS)
}

/// Creates the missing tables of every linked model on the database registered as `using`.
pub fn migrate_using(using: &str) -> Result<Migrated> {
    let _ = using;
    Err(crate::Error::msg("migrate is not implemented yet"))
}

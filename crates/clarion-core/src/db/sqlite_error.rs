//! Classifies SQLite's errors into the variants of [`Error`] a user can match on.

use rusqlite::ffi;

use crate::Error;
use crate::error::ConstraintKind;

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        let (code, message) = match &error {
            rusqlite::Error::SqliteFailure(code, message) => (*code, message.clone()),
            _ => {
                return Error::Database {
                    source: Box::new(error),
                };
            }
        };
        let message = message.unwrap_or_default();
        if code.code == ffi::ErrorCode::ConstraintViolation {
            let kind = match code.extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE => ConstraintKind::Unique,
                ffi::SQLITE_CONSTRAINT_PRIMARYKEY => ConstraintKind::PrimaryKey,
                ffi::SQLITE_CONSTRAINT_NOTNULL => ConstraintKind::NotNull,
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ConstraintKind::ForeignKey,
                ffi::SQLITE_CONSTRAINT_CHECK => ConstraintKind::Check,
                _ => ConstraintKind::Other,
            };
            // SQLite says "UNIQUE constraint failed: users.email", "CHECK constraint failed:
            // age_positive", and plain "FOREIGN KEY constraint failed".
            let constraint = message
                .split_once("constraint failed: ")
                .map(|(_, what)| what.trim().to_owned())
                .filter(|what| !what.is_empty());
            let detail = if message.is_empty() {
                code.to_string()
            } else {
                message
            };
            return Error::Integrity {
                kind,
                constraint,
                detail,
                source: Box::new(error),
            };
        }
        // The busy handler retried for the whole timeout (or could not wait at all).
        if matches!(
            code.code,
            ffi::ErrorCode::DatabaseBusy | ffi::ErrorCode::DatabaseLocked
        ) {
            return Error::Busy {
                detail: if message.is_empty() {
                    code.to_string()
                } else {
                    message
                },
                source: Box::new(error),
            };
        }
        // A missing table is a plain SQLITE_ERROR; only the message tells it apart.
        if let Some(table) = message.strip_prefix("no such table: ") {
            let table = table.strip_prefix("main.").unwrap_or(table).to_owned();
            return Error::MissingTable {
                table,
                source: Box::new(error),
            };
        }
        Error::Database {
            source: Box::new(error),
        }
    }
}

//! Classifies SQLite's errors into the variants of [`Error`] a user can match on, and waits for
//! another connection's lock as SQLite's own busy timeout does, noting when it gave up.

use std::cell::Cell;
use std::time::{Duration, Instant};

use rusqlite::ffi;

use crate::Error;
use crate::error::ConstraintKind;

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        let (code, message) = match &error {
            rusqlite::Error::SqliteFailure(code, message) => (*code, message.clone()),
            // An error in preparing a statement, with its offset in the SQL.
            rusqlite::Error::SqlInputError { error, msg, .. } => (*error, Some(msg.clone())),
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
        // The busy handler retried for the whole timeout, or SQLite did not call it at all.
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
                waited: gave_up_waiting(),
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
        // So is a missing column, once double-quoted names are never read as strings (see
        // `Database::open`): "no such column: views" when read or updated, "table post has no
        // column named views" when inserted.
        if let Some((table, column)) = missing_column(&message) {
            return Error::MissingColumn {
                table,
                column,
                source: Box::new(error),
            };
        }
        Error::Database {
            source: Box::new(error),
        }
    }
}

/// The table (when named) and column of SQLite's messages for a column that does not exist.
fn missing_column(message: &str) -> Option<(Option<String>, String)> {
    if let Some(column) = message.strip_prefix("no such column: ") {
        // Since SQLite 3.50, a double-quoted name is quoted, with a hint that does not apply to
        // clarion's statements: `no such column: "views" - should this be a string literal in
        // single-quotes?`.
        let column = column
            .split_once(" - ")
            .map_or(column, |(column, _)| column);
        let column = column
            .strip_prefix('"')
            .and_then(|column| column.strip_suffix('"'))
            .map_or_else(|| column.to_owned(), |column| column.replace("\"\"", "\""));
        let column = column.as_str();
        // A qualified name, `post.views`, when the statement qualified it.
        return Some(match column.rsplit_once('.') {
            Some((table, column)) => (Some(table.to_owned()), column.to_owned()),
            None => (None, column.to_owned()),
        });
    }
    let rest = message.strip_prefix("table ")?;
    let (table, column) = rest.split_once(" has no column named ")?;
    let table = table.strip_prefix("main.").unwrap_or(table);
    Some((Some(table.to_owned()), column.to_owned()))
}

/// SQLite's own schedule for waiting on a lock (`sqliteDefaultBusyCallback`), in milliseconds.
const DELAYS: [u64; 12] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

thread_local! {
    /// When [`busy_wait`] last gave up on this thread, and after how long.
    static GAVE_UP: Cell<Option<(Instant, Duration)>> = const { Cell::new(None) };
    /// How long [`busy_wait`] waits on this thread: the busy timeout of the database whose
    /// transaction the thread runs (see [`BusyLimit`]).
    static LIMIT: Cell<Duration> = const { Cell::new(super::BUSY_TIMEOUT) };
}

/// Sets this thread's busy timeout for as long as it lives: a SQLite transaction's statements
/// all run on the thread that opened it, and the busy handler (a plain `fn`) has no other way to
/// know its database's setting.
pub(super) struct BusyLimit(Duration);

impl BusyLimit {
    pub(super) fn set(timeout: Duration) -> BusyLimit {
        BusyLimit(LIMIT.replace(timeout))
    }
}

impl Drop for BusyLimit {
    fn drop(&mut self) {
        LIMIT.set(self.0);
    }
}

/// The busy handler of every SQLite connection: waits for another connection's lock as
/// `busy_timeout` would, for up to the database's busy timeout (by default
/// [`BUSY_TIMEOUT`](super::BUSY_TIMEOUT)), and notes when it gives up. SQLite does not always call it: a transaction that began by reading and then writes
/// while another connection is writing would deadlock if it waited, and is refused at once.
/// The note tells the two apart, so that [`Error::Busy`] says it waited only when it did.
pub(super) fn busy_wait(count: i32) -> bool {
    let count = usize::try_from(count).unwrap_or(0);
    let waited: u64 = match DELAYS.get(..count) {
        Some(delays) => delays.iter().sum(),
        None => DELAYS.iter().sum::<u64>() + 100 * (count - DELAYS.len()) as u64,
    };
    let limit = LIMIT.get();
    let timeout = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
    let delay = DELAYS
        .get(count)
        .copied()
        .unwrap_or(100)
        .min(timeout.saturating_sub(waited));
    if delay == 0 {
        GAVE_UP.set(Some((Instant::now(), limit)));
        return false;
    }
    std::thread::sleep(Duration::from_millis(delay));
    true
}

/// The error of a write whose turn in the process's queue (see
/// [`WriteQueue`](super::write_queue::WriteQueue)) did not come within `timeout`: the one SQLite
/// gives when its busy handler stops waiting for another connection.
pub(super) fn busy_after(timeout: Duration) -> Error {
    let error = rusqlite::Error::SqliteFailure(
        ffi::Error::new(ffi::SQLITE_BUSY),
        Some("database is locked".into()),
    );
    Error::Busy {
        detail: "database is locked".into(),
        waited: Some(timeout),
        source: Box::new(error),
    }
}

/// Whether the busy error being classified on this thread comes after [`busy_wait`] gave up:
/// it did just before SQLite returned the error (the note is taken, and a stale one from a
/// statement whose error was never classified is too old to count).
fn gave_up_waiting() -> Option<Duration> {
    GAVE_UP
        .take()
        .filter(|(at, _)| at.elapsed() < Duration::from_secs(1))
        .map(|(_, waited)| waited)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_columns_are_read_off_both_messages() {
        assert_eq!(
            missing_column("no such column: views"),
            Some((None, "views".to_owned()))
        );
        assert_eq!(
            missing_column("no such column: post.views"),
            Some((Some("post".to_owned()), "views".to_owned()))
        );
        assert_eq!(
            missing_column("table post has no column named views"),
            Some((Some("post".to_owned()), "views".to_owned()))
        );
        assert_eq!(
            missing_column(
                "no such column: \"views\" - should this be a string literal in single-quotes?"
            ),
            Some((None, "views".to_owned()))
        );
        assert_eq!(missing_column("near \"x\": syntax error"), None);
    }

    fn busy() -> Error {
        rusqlite::Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_BUSY),
            Some("database is locked".into()),
        )
        .into()
    }

    #[test]
    fn busy_says_it_waited_only_after_the_handler_gave_up() {
        let refused = busy();
        assert!(
            matches!(refused, Error::Busy { waited: None, .. }),
            "{refused:?}"
        );
        assert!(!refused.to_string().contains("stayed locked"), "{refused}");
        assert!(refused.to_string().contains("db::atomic"), "{refused}");

        GAVE_UP.set(Some((Instant::now(), Duration::from_millis(2500))));
        let waited = busy();
        assert!(
            matches!(waited, Error::Busy { waited: Some(d), .. } if d == Duration::from_millis(2500)),
            "{waited:?}"
        );
        assert!(
            waited.to_string().contains("stayed locked for 2.5 s"),
            "{waited}"
        );
        // The note is used up by the error it explains.
        assert!(matches!(busy(), Error::Busy { waited: None, .. }));
    }
}

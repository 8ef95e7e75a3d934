//! [`connection_created`]: the signal sent when a pool opens a new connection, and the
//! [`Connection`] handle its receivers get to set session options.
#![allow(non_upper_case_globals)]

use std::fmt;

use super::Backend;
use crate::Result;

/// A connection just opened by a pool, as [`connection_created`] receivers see it: enough to set
/// session options (`SET TIME ZONE`, `PRAGMA`, `SET statement_timeout`), which last as long as
/// the connection does.
pub struct Connection<'a> {
    inner: Inner<'a>,
}

enum Inner<'a> {
    Sqlite(&'a mut rusqlite::Connection),
    #[cfg(feature = "postgres")]
    Postgres(&'a mut postgres::Client),
}

impl<'a> Connection<'a> {
    pub(crate) fn sqlite(conn: &'a mut rusqlite::Connection) -> Self {
        Connection {
            inner: Inner::Sqlite(conn),
        }
    }

    #[cfg(feature = "postgres")]
    pub(crate) fn postgres(client: &'a mut postgres::Client) -> Self {
        Connection {
            inner: Inner::Postgres(client),
        }
    }

    /// The engine this connection talks to.
    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            Inner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs `;`-separated statements that take no parameters, outside any transaction.
    pub fn execute_batch(&mut self, sql: &str) -> Result<()> {
        match &mut self.inner {
            Inner::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            #[cfg(feature = "postgres")]
            Inner::Postgres(client) => Ok(client.batch_execute(sql)?),
        }
    }
}

impl fmt::Debug for Connection<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

/// Arguments of [`connection_created`].
#[derive(Debug)]
#[non_exhaustive]
pub struct ConnectionCreated<'a> {
    /// The alias of the database the connection belongs to.
    pub using: &'a str,
    /// The engine (Django passes the backend's wrapper class as the sender).
    pub backend: Backend,
    /// The new connection.
    pub connection: Connection<'a>,
}

crate::model::signals::args!(ConnectionCreated<'a>;);

crate::model::signals::signals! {
    /// Sent when a pool opens a new connection, before any transaction runs on it (Django's
    /// `connection_created`). The sender is `Sender::of::<Backend>()`; receivers can set
    /// session options through `connection`. It runs on the pool's thread that opens the
    /// connection: a receiver must not use a database of its own pool (it would wait for the
    /// connection being opened). A receiver's error fails the connection, and so the operation
    /// that needed it.
    connection_created: ConnectionCreated<'static>;
}

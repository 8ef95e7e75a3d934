//! [`DatabaseBuilder`]: the settings of a database's pool and connections, from code or from the
//! URL's query string.

use std::time::Duration;

use super::database::{BUSY_TIMEOUT, DEFAULT_ALIAS, Database};
use crate::{Error, Result};

/// The settings of a database's pool and connections (Django's `CONN_MAX_AGE`, `OPTIONS`
/// `timeout`, …), made by [`Database::builder`]. What is not set keeps its default.
///
/// The common ones can also be given in the URL's query string, which the builder reads first
/// (a method called on the builder wins over the URL):
///
/// | method | URL key | default |
/// |---|---|---|
/// | [`max_connections`](Self::max_connections) | `max_connections` | 8 for a SQLite file, 1 for `sqlite::memory:` (always), [`POSTGRES_POOL_SIZE`](super::POSTGRES_POOL_SIZE) |
/// | [`min_idle`](Self::min_idle) | `min_idle` | 0 |
/// | [`acquire_timeout`](Self::acquire_timeout) | `acquire_timeout` | [`BUSY_TIMEOUT`] |
/// | [`max_lifetime`](Self::max_lifetime) | `max_lifetime` | 30 minutes (none in memory) |
/// | [`idle_timeout`](Self::idle_timeout) | `idle_timeout` | 10 minutes (none in memory) |
/// | [`busy_timeout`](Self::busy_timeout) (SQLite) | `busy_timeout` | [`BUSY_TIMEOUT`] |
/// | [`session_option`](Self::session_option) (PostgreSQL) | the driver's `options=-c name=value` | none |
///
/// Durations in a URL are whole seconds (`30`), or end in `s` or `ms` (`250ms`); other keys of
/// a PostgreSQL URL are the `postgres` driver's own (`connect_timeout`, `application_name`, …).
///
/// ```
/// use std::time::Duration;
/// use clarion::db::Database;
///
/// let database = Database::builder("sqlite://app.db?busy_timeout=10s&max_connections=4")
///     .alias("app")
///     .acquire_timeout(Duration::from_secs(2))
///     .build()?;
/// assert_eq!(database.alias(), "app");
/// assert_eq!(database.max_connections(), 4);
/// assert_eq!(database.busy_timeout(), Duration::from_secs(10));
/// # drop(database);
/// # std::fs::remove_file("app.db").ok();
/// # Ok::<(), clarion::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder opens nothing until `build` is called"]
pub struct DatabaseBuilder {
    pub(crate) url: String,
    pub(crate) alias: String,
    pub(crate) settings: Settings,
    /// Set from code, to win over the URL's query string.
    explicit: Settings,
}

/// One set of pool and connection settings; `None` is "not set".
#[derive(Clone, Debug, Default)]
pub(crate) struct Settings {
    pub(crate) max_connections: Option<u32>,
    pub(crate) min_idle: Option<u32>,
    pub(crate) acquire_timeout: Option<Duration>,
    pub(crate) max_lifetime: Option<Option<Duration>>,
    pub(crate) idle_timeout: Option<Option<Duration>>,
    pub(crate) busy_timeout: Option<Duration>,
    pub(crate) session: Vec<(String, String)>,
}

impl Settings {
    /// `self`, with what `over` sets replacing it.
    fn overridden_by(mut self, over: Settings) -> Settings {
        self.max_connections = over.max_connections.or(self.max_connections);
        self.min_idle = over.min_idle.or(self.min_idle);
        self.acquire_timeout = over.acquire_timeout.or(self.acquire_timeout);
        self.max_lifetime = over.max_lifetime.or(self.max_lifetime);
        self.idle_timeout = over.idle_timeout.or(self.idle_timeout);
        self.busy_timeout = over.busy_timeout.or(self.busy_timeout);
        self.session.extend(over.session);
        self
    }

    pub(crate) fn acquire_timeout(&self) -> Duration {
        self.acquire_timeout.unwrap_or(BUSY_TIMEOUT)
    }

    pub(crate) fn busy_timeout(&self) -> Duration {
        self.busy_timeout.unwrap_or(BUSY_TIMEOUT)
    }

    /// The pool settings that were set, on top of the engine's defaults in `builder`.
    pub(crate) fn apply<M: r2d2::ManageConnection>(
        &self,
        mut builder: r2d2::Builder<M>,
    ) -> r2d2::Builder<M> {
        if let Some(max) = self.max_connections {
            builder = builder.max_size(max);
        }
        if let Some(min) = self.min_idle {
            builder = builder.min_idle(Some(min));
        }
        if let Some(lifetime) = self.max_lifetime {
            builder = builder.max_lifetime(lifetime);
        }
        if let Some(timeout) = self.idle_timeout {
            builder = builder.idle_timeout(timeout);
        }
        builder
    }
}

impl DatabaseBuilder {
    pub(crate) fn new(url: &str) -> DatabaseBuilder {
        DatabaseBuilder {
            url: url.to_owned(),
            alias: DEFAULT_ALIAS.to_owned(),
            settings: Settings::default(),
            explicit: Settings::default(),
        }
    }

    /// The alias to open it under (default [`DEFAULT_ALIAS`]).
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = alias.into();
        self
    }

    /// How many connections the pool holds at most. An in-memory SQLite database has exactly
    /// one: more is an error.
    pub fn max_connections(mut self, max: u32) -> Self {
        self.explicit.max_connections = Some(max);
        self
    }

    /// How many idle connections the pool keeps open.
    pub fn min_idle(mut self, min: u32) -> Self {
        self.explicit.min_idle = Some(min);
        self
    }

    /// How long taking a connection from the pool may wait before [`Error::Pool`].
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.explicit.acquire_timeout = Some(timeout);
        self
    }

    /// How long a connection lives before the pool replaces it (`None`: forever).
    pub fn max_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.explicit.max_lifetime = Some(lifetime);
        self
    }

    /// How long an idle connection stays open before the pool closes it (`None`: forever).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.explicit.idle_timeout = Some(timeout);
        self
    }

    /// SQLite: how long a statement waits for another connection's lock before
    /// [`Error::Busy`] (Django's `OPTIONS["timeout"]`).
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.explicit.busy_timeout = Some(timeout);
        self
    }

    /// PostgreSQL: a setting of every connection's session, set when the pool opens it
    /// (`statement_timeout`, `search_path`, `TimeZone`, …), as `SET name = 'value'`.
    /// The name is letters, digits, `_` and `.`; anything else is an error from `build`.
    pub fn session_option(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.explicit.session.push((name.into(), value.into()));
        self
    }

    /// Opens the database: no connection is made yet for PostgreSQL; a SQLite file is opened
    /// once, so that a bad path fails here. See [`Database::open_as`] for the URLs.
    pub fn build(mut self) -> Result<Database> {
        let (url, query) = match self.url.split_once('?') {
            Some((url, query)) => (url.to_owned(), Some(query.to_owned())),
            None => (self.url.clone(), None),
        };
        let mut driver_options = Vec::new();
        let mut from_url = Settings::default();
        for pair in query
            .iter()
            .flat_map(|q| q.split('&'))
            .filter(|p| !p.is_empty())
        {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let invalid = |reason| Error::DatabaseUrl {
                url: self.url.clone(),
                reason,
            };
            match key {
                "max_connections" => {
                    from_url.max_connections = Some(
                        value
                            .parse()
                            .map_err(|_| invalid("`max_connections` takes a whole number"))?,
                    )
                }
                "min_idle" => {
                    from_url.min_idle = Some(
                        value
                            .parse()
                            .map_err(|_| invalid("`min_idle` takes a whole number"))?,
                    )
                }
                "acquire_timeout" => from_url.acquire_timeout = Some(duration(value, &invalid)?),
                "max_lifetime" => from_url.max_lifetime = Some(Some(duration(value, &invalid)?)),
                "idle_timeout" => from_url.idle_timeout = Some(Some(duration(value, &invalid)?)),
                "busy_timeout" => from_url.busy_timeout = Some(duration(value, &invalid)?),
                _ => driver_options.push(pair),
            }
        }
        let is_postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        if !driver_options.is_empty() && !is_postgres {
            return Err(Error::DatabaseUrl {
                url: self.url.clone(),
                reason: "a SQLite URL takes `max_connections`, `min_idle`, `acquire_timeout`, \
                         `max_lifetime`, `idle_timeout` and `busy_timeout` in its query string",
            });
        }
        let explicit = std::mem::take(&mut self.explicit);
        self.settings = from_url.overridden_by(explicit);
        for (name, _) in &self.settings.session {
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            if !valid {
                return Err(Error::msg(format!(
                    "`{name}` is not the name of a PostgreSQL setting: letters, digits, `_` and `.`"
                )));
            }
        }
        let driver_url = if driver_options.is_empty() {
            url
        } else {
            format!("{url}?{}", driver_options.join("&"))
        };
        Database::from_builder(self, &driver_url)
    }
}

/// A duration from a URL: whole seconds, or a number ending in `s` or `ms`.
fn duration(value: &str, invalid: &dyn Fn(&'static str) -> Error) -> Result<Duration> {
    let parsed = if let Some(ms) = value.strip_suffix("ms") {
        ms.parse().ok().map(Duration::from_millis)
    } else {
        value
            .strip_suffix('s')
            .unwrap_or(value)
            .parse()
            .ok()
            .map(Duration::from_secs)
    };
    parsed.ok_or_else(|| invalid("a duration in a URL is whole seconds, or ends in `s` or `ms`"))
}

/// `SET name = 'value'`, the value quoted as a literal.
#[cfg(feature = "postgres")]
pub(crate) fn set_statement(name: &str, value: &str) -> String {
    format!("SET {name} = '{}'", value.replace('\'', "''"))
}

// The backend matrix. A suite (`tests/relations.rs`, …) runs on SQLite as its own test binary,
// and on PostgreSQL as `tests/postgres_<suite>.rs`, which includes the same file as a module:
// one test source, two backends. Which one a binary runs on is read off its crate name
// (`module_path!()` starts with it): `postgres_*` binaries use PostgreSQL.
//
// On PostgreSQL each alias gets a schema of its own, dropped and created afresh at its first use
// in a run, so tests running in parallel, and runs one after the other, never see each other's
// rows. The server is `CLARION_TEST_POSTGRES_URL`, by default the local one of the development
// machine and CI (`postgres://postgres@127.0.0.1:5432/test`).
//
// Without a reachable server, the tests of a PostgreSQL binary fail, saying how to point them at
// a server or skip them: a run never passes by not testing. Skipping is explicit:
// `CLARION_TEST_POSTGRES=skip` makes each PostgreSQL binary print a `SKIPPED:` line naming itself
// and exit successfully, whether or not a server is reachable.
#![allow(dead_code)]

use std::sync::OnceLock;

use clarion::db::{self, Backend, Database};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The backend this test binary runs on.
pub(crate) fn backend() -> Backend {
    if module_path!().starts_with("postgres_") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// The server's URL, for PostgreSQL binaries.
pub(crate) fn postgres_url() -> String {
    std::env::var("CLARION_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// A fresh database for `alias` on this binary's backend: a private in-memory SQLite database,
/// or an empty PostgreSQL schema of its own.
pub(crate) fn fresh(alias: &str) -> Database {
    match backend() {
        Backend::Sqlite => Database::open_as(alias, "sqlite::memory:").unwrap(),
        _ => {
            let server = server();
            let schema = schema_name(alias);
            server
                .atomic(|tx| {
                    tx.execute_batch(&format!(
                        "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE; CREATE SCHEMA \"{schema}\""
                    ))
                })
                .unwrap();
            Database::open_as(alias, &schema_url(alias)).unwrap()
        }
    }
}

/// The URL of `alias`'s PostgreSQL schema (see [`fresh`]), for a client of its own.
pub(crate) fn schema_url(alias: &str) -> String {
    let url = postgres_url();
    let separator = if url.contains('?') { "&" } else { "?" };
    format!(
        "{url}{separator}options=-c%20search_path%3D{}",
        schema_name(alias)
    )
}

/// Registers a fresh database (see [`fresh`]) as `alias`.
pub(crate) fn register(alias: &str) -> &str {
    db::register(fresh(alias));
    alias
}

/// The schema of `alias` in this binary: named after both, so that two binaries (which run one
/// after the other, but may use the same aliases) do not share one.
fn schema_name(alias: &str) -> String {
    let binary = module_path!().split("::").next().unwrap_or("tests");
    let clean: String = format!("{binary}_{alias}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    // PostgreSQL cuts identifiers at 63 bytes; keep the end, which tells aliases apart.
    let start = clean.len().saturating_sub(60);
    format!("t_{}", &clean[start..])
}

/// The name of this test binary (`postgres_relations`, …), for messages.
fn binary() -> &'static str {
    module_path!()
        .split("::")
        .next()
        .unwrap_or("this test binary")
}

/// The server, once reachable. Without one, every test that needs it fails, saying how to point
/// the tests at a server or skip them; with `CLARION_TEST_POSTGRES=skip`, the binary says it
/// skipped and exits successfully.
fn server() -> &'static Database {
    // The outcome of the first attempt, failure included: each later test fails at once with
    // the same message instead of waiting for the server again.
    static SERVER: OnceLock<Result<Database, String>> = OnceLock::new();
    let server = SERVER.get_or_init(|| {
        match std::env::var("CLARION_TEST_POSTGRES").as_deref() {
            Ok("skip") => skip(),
            Ok(other) => {
                return Err(format!(
                    "CLARION_TEST_POSTGRES={other:?} is not understood: set it to `skip` to \
                     skip the PostgreSQL tests, or leave it unset to run them"
                ));
            }
            Err(_) => {}
        }
        let url = postgres_url();
        Database::open_as("__matrix_server", &url)
            .and_then(|server| {
                server.atomic(|tx| tx.execute_batch("SELECT 1"))?;
                Ok(server)
            })
            .map_err(|error| {
                format!(
                    "every test of {} needs PostgreSQL, and {url} cannot be reached: {error}. \
                     Point CLARION_TEST_POSTGRES_URL at a server (the default is {DEFAULT_URL}; \
                     `.ci/run` starts one), or skip the PostgreSQL tests explicitly with \
                     CLARION_TEST_POSTGRES=skip.",
                    binary()
                )
            })
    });
    match server {
        Ok(server) => server,
        Err(message) => panic!("{message}"),
    }
}

/// Ends the process successfully, saying that this binary's tests were skipped, as asked.
fn skip() -> ! {
    // Straight to the process's stderr: the test harness captures `eprintln!` in a test's
    // thread, and would drop it on exit.
    let message = format!(
        "\nSKIPPED: {}: the tests on PostgreSQL were not run, as CLARION_TEST_POSTGRES=skip \
         asks; unset it to run them.\n\n",
        binary()
    );
    use std::io::Write;
    let _ = std::io::stderr().write_all(message.as_bytes());
    std::process::exit(0);
}

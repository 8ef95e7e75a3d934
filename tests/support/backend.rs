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
// Without a reachable server, a PostgreSQL binary prints why it skips and exits successfully,
// unless `CI=true`: then it fails, so that CI never passes by skipping.
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

/// The server, once reachable; exits (or, under CI, fails) when it is not.
fn server() -> &'static Database {
    static SERVER: OnceLock<Database> = OnceLock::new();
    SERVER.get_or_init(|| {
        let url = postgres_url();
        let server = Database::open_as("__matrix_server", &url).unwrap();
        if let Err(error) = server.atomic(|tx| tx.execute_batch("SELECT 1")) {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            if ci {
                panic!(
                    "CI=true and the PostgreSQL tests cannot reach {url}: {error}. \
                     .ci/run starts the server; check it is installed and running."
                );
            }
            // Straight to the process's stderr: the test harness captures `eprintln!` in a
            // test's thread, and would drop it on exit.
            let message = format!(
                "\nSKIPPED: every test of {} needs PostgreSQL, and {url} cannot be reached: \
                 {error}.\nSet CLARION_TEST_POSTGRES_URL to a server to run them (under CI=true \
                 this is a failure, not a skip).\n\n",
                module_path!().split("::").next().unwrap_or("this binary"),
            );
            use std::io::Write;
            let _ = std::io::stderr().write_all(message.as_bytes());
            std::process::exit(0);
        }
        server
    })
}

//! TLS to PostgreSQL (feature `postgres-tls`), with libpq's `sslmode` and `sslrootcert` in the
//! URL. The test server is the one of the other PostgreSQL suites; it must have `ssl = on`
//! (Debian's packages turn it on, with a self-signed "snakeoil" certificate for `localhost`,
//! whose file the tests ask the server for and use as the trusted authority).

#[path = "support/backend.rs"]
mod backend;

use clarion::db::Database;
use clarion::{Error, Value};

/// The server's URL, with `host` and the query `query`.
fn url(host: &str, query: &str) -> String {
    let url = backend::postgres_url();
    let url = url
        .replacen("127.0.0.1", host, 1)
        .replacen("@localhost", &format!("@{host}"), 1);
    format!("{url}{}{query}", if url.contains('?') { "&" } else { "?" })
}

/// Whether the connection of `database`'s transaction is encrypted.
fn encrypted(database: &Database) -> clarion::Result<bool> {
    let rows = database.atomic(|tx| {
        tx.query_values(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
    })?;
    Ok(rows == [vec![Value::Bool(true)]])
}

/// The server's certificate file: the test trusts it as an authority.
fn server_certificate() -> String {
    let plain = Database::open_as("tls_probe", &url("127.0.0.1", "sslmode=disable")).unwrap();
    let rows = plain
        .atomic(|tx| {
            tx.query_values(
                "SELECT current_setting('ssl'), current_setting('ssl_cert_file')",
                &[],
            )
        })
        .unwrap();
    match rows.as_slice() {
        [row] => match row.as_slice() {
            [Value::Text(ssl), Value::Text(file)] => {
                assert_eq!(
                    ssl, "on",
                    "the TLS tests need the test server's `ssl = on` (.ci/run turns it on)"
                );
                let path = std::path::Path::new(file);
                if path.is_absolute() {
                    file.clone()
                } else {
                    let rows = plain
                        .atomic(|tx| {
                            tx.query_values("SELECT current_setting('data_directory')", &[])
                        })
                        .unwrap();
                    let Value::Text(data) = &rows[0][0] else {
                        panic!("{rows:?}")
                    };
                    format!("{data}/{file}")
                }
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn require_encrypts_and_disable_does_not() {
    let tls = Database::open_as("tls_require", &url("127.0.0.1", "sslmode=require")).unwrap();
    assert!(encrypted(&tls).unwrap());
    let plain = Database::open_as("tls_disable", &url("127.0.0.1", "sslmode=disable")).unwrap();
    assert!(!encrypted(&plain).unwrap());
}

#[test]
fn verify_full_checks_the_authority_and_the_host() {
    let ca = server_certificate();
    let trusted = format!("sslmode=verify-full&sslrootcert={ca}");
    let named = Database::open_as("tls_full", &url("localhost", &trusted)).unwrap();
    assert!(
        encrypted(&named).unwrap(),
        "the certificate names localhost"
    );

    let by_address = Database::builder(&url("127.0.0.1", &trusted))
        .alias("tls_full_ip")
        .acquire_timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap();
    let error = encrypted(&by_address).unwrap_err();
    assert!(
        matches!(error, Error::Pool { .. })
            && format!("{error:?}").contains("certificate not valid for name \\\"127.0.0.1\\\""),
        "the certificate does not name 127.0.0.1: {error:?}"
    );

    // Mozilla's authorities did not sign the server's self-signed certificate.
    let unknown = Database::builder(&url("localhost", "sslmode=verify-full"))
        .alias("tls_full_roots")
        .acquire_timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap();
    let error = encrypted(&unknown).unwrap_err();
    assert!(
        format!("{error:?}").contains("invalid peer certificate: UnknownIssuer"),
        "{error:?}"
    );
}

#[test]
fn verify_ca_checks_the_authority_only() {
    let ca = server_certificate();
    let database = Database::open_as(
        "tls_ca",
        &url("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}")),
    )
    .unwrap();
    assert!(
        encrypted(&database).unwrap(),
        "127.0.0.1 is not named, and need not be"
    );
}

#[test]
fn bad_tls_settings_are_refused_when_opening() {
    for (query, reason) in [
        ("sslmode=sometimes", "sslmode"),
        ("sslmode=require&sslrootcert=/ca.pem", "verify-ca"),
    ] {
        let error = Database::open_as("tls_bad", &url("127.0.0.1", query)).unwrap_err();
        assert!(
            matches!(&error, Error::DatabaseUrl { reason: r, .. } if r.contains(reason)),
            "{query}: {error}"
        );
    }
    let error = Database::open_as(
        "tls_bad",
        &url(
            "127.0.0.1",
            "sslmode=verify-full&sslrootcert=/no/such/ca.pem",
        ),
    )
    .unwrap_err();
    assert!(error.to_string().contains("/no/such/ca.pem"), "{error}");
}

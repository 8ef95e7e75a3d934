//! An axum service with clarion's request signals and models on an embedded SQLite file:
//! `cargo run --example axum_app`, then curl it (the commands are in docs/http.md).
//!
//! - `SignalLayer` sends `request_started`, `request_finished` and `got_request_exception`
//!   around every request, and receivers print them;
//! - a `request_finished` receiver records how long each request took (`GET /timings`);
//! - `POST /notes` saves a `Note` with `asave().await`, and a `post_save` receiver writes an
//!   `AuditEntry` in the same transaction; `GET /notes` reads both tables in one `aatomic` block
//!   (the awaitable API of the `tokio` feature, docs/async.md: no handler blocks a worker);
//! - `GET /panic` panics: a `got_request_exception` receiver reports it and the client gets a
//!   500.
//!
//! `cargo run --example axum_app -- --self-test` serves on a free port, sends itself a few
//! requests, prints what happened, and exits.

use std::sync::Mutex;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use clarion::db::{self, Database};
use clarion::http::{Exception, Method, SignalLayer, Uri};
use clarion::prelude::*;
use serde_json::{Value, json};

/// A note, saved by `POST /notes`.
#[derive(Model, Debug, Clone)]
pub(crate) struct Note {
    /// Assigned by the database.
    pub(crate) id: Option<i64>,
    /// What the note says.
    #[model(max_length = 200)]
    pub(crate) text: String,
}

/// Written by [`audit_new_note`] for each note created.
#[derive(Model, Debug, Clone)]
pub(crate) struct AuditEntry {
    /// Assigned by the database.
    pub(crate) id: Option<i64>,
    /// What happened.
    pub(crate) message: String,
}

/// One request as [`record_timing`] saw it.
#[derive(Debug, Clone)]
pub(crate) struct Timing {
    pub(crate) method: String,
    pub(crate) path: String,
    /// `None` when the service answered nothing (it failed, or the request was abandoned).
    pub(crate) status: Option<u16>,
    pub(crate) elapsed: Duration,
    pub(crate) completed: bool,
}

pub(crate) static TIMINGS: Mutex<Vec<Timing>> = Mutex::new(Vec::new());

#[receiver(request_started)]
fn log_start(method: &Method, uri: &Uri) {
    println!("request_started        {method} {}", uri.path());
}

// Django: @receiver(request_finished). Runs once per request, after the last byte of the body
// has been handed to the server (or the client went away: `completed` is then false).
#[receiver(request_finished)]
fn record_timing(
    method: &Method,
    uri: &Uri,
    status: Option<clarion::http::StatusCode>,
    elapsed: Duration,
    completed: bool,
) {
    let status = status.map(|s| s.as_u16());
    println!(
        "request_finished       {method} {} -> {} in {elapsed:?}{}",
        uri.path(),
        status.map_or("no response".to_owned(), |s| s.to_string()),
        if completed { "" } else { " (not completed)" },
    );
    TIMINGS.lock().unwrap().push(Timing {
        method: method.to_string(),
        path: uri.path().to_owned(),
        status,
        elapsed,
        completed,
    });
}

// Django: @receiver(post_save, sender=Note). Runs inside the save's transaction: the audit
// entry and the note are committed together, or neither is.
#[receiver(post_save, sender = Note)]
fn audit_new_note(instance: &Note, created: bool) -> clarion::Result<()> {
    if created {
        let id = instance.id.expect("a saved note has an id");
        println!(
            "post_save(Note)        note #{id} created: {:?}",
            instance.text
        );
        AuditEntry {
            id: None,
            message: format!("note #{id} created"),
        }
        .save()?;
    }
    Ok(())
}

#[receiver(got_request_exception)]
fn report_exception(method: &Method, uri: &Uri, exception: Exception) {
    println!(
        "got_request_exception  {method} {}: {exception}",
        uri.path()
    );
}

/// Opens the database at `url` as the default one and creates the tables.
pub(crate) async fn set_up_database(url: &str) -> clarion::Result<()> {
    db::register(Database::open(url)?);
    clarion::amigrate().await?;
    Ok(())
}

/// The application: its routes behind the layer that sends the request signals.
pub(crate) fn app() -> Router {
    Router::new()
        .route("/notes", get(list_notes).post(create_note))
        .route("/timings", get(timings))
        .route("/panic", get(panic))
        .layer(SignalLayer::new())
}

type Reply = (StatusCode, Json<Value>);

fn failure(status: StatusCode, error: impl std::fmt::Display) -> Reply {
    (status, Json(json!({ "error": error.to_string() })))
}

/// `POST /notes` with `{"text": "…"}`: saves a note (the `post_save` receiver audits it).
/// `asave` runs the save on tokio's blocking threads: the server's workers never wait for the
/// database.
async fn create_note(Json(body): Json<Value>) -> Reply {
    let Some(text) = body.get("text").and_then(Value::as_str).map(str::to_owned) else {
        return failure(
            StatusCode::UNPROCESSABLE_ENTITY,
            "expected {\"text\": \"…\"}",
        );
    };
    let mut note = Note { id: None, text };
    match note.asave().await {
        Ok(()) => (
            StatusCode::CREATED,
            Json(json!({ "id": note.id, "text": note.text })),
        ),
        // Too long for `max_length`, for example.
        Err(error @ clarion::Error::Validation { .. }) => {
            failure(StatusCode::UNPROCESSABLE_ENTITY, error)
        }
        Err(error) => failure(StatusCode::INTERNAL_SERVER_ERROR, error),
    }
}

/// `GET /notes`: every note and every audit entry, read in one transaction (`aatomic`): the
/// two lists agree even while other requests write.
async fn list_notes() -> Reply {
    let listed = db::aatomic(|_| async {
        let notes: Vec<Value> = Note::objects()
            .order_by(Note::ID.asc())
            .aall()
            .await?
            .into_iter()
            .map(|note| json!({ "id": note.id, "text": note.text }))
            .collect();
        let audit: Vec<String> = AuditEntry::objects()
            .order_by(AuditEntry::ID.asc())
            .aall()
            .await?
            .into_iter()
            .map(|entry| entry.message)
            .collect();
        Ok(json!({ "notes": notes, "audit": audit }))
    })
    .await;
    match listed {
        Ok(listed) => (StatusCode::OK, Json(listed)),
        Err(error) => failure(StatusCode::INTERNAL_SERVER_ERROR, error),
    }
}

/// `GET /timings`: what [`record_timing`] recorded, oldest first.
async fn timings() -> Json<Value> {
    let timings = TIMINGS.lock().unwrap().clone();
    Json(Value::Array(
        timings
            .iter()
            .map(|t| {
                json!({
                    "method": t.method,
                    "path": t.path,
                    "status": t.status,
                    "micros": t.elapsed.as_micros() as u64,
                    "completed": t.completed,
                })
            })
            .collect(),
    ))
}

/// `GET /panic`: a handler bug.
async fn panic() -> &'static str {
    panic!("a bug in a handler")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let self_test = std::env::args().any(|arg| arg == "--self-test");
    let path = std::env::temp_dir().join("clarion-axum-app.db");
    let _ = std::fs::remove_file(&path);
    set_up_database(&format!("sqlite://{}", path.display())).await?;

    let addr = if self_test {
        "127.0.0.1:0".to_owned()
    } else {
        std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned())
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr} (database {})", path.display());
    if !self_test {
        axum::serve(listener, app()).await?;
        return Ok(());
    }

    tokio::spawn(async move { axum::serve(listener, app()).await });
    for (method, path, body) in [
        ("POST", "/notes", r#"{"text": "signals over HTTP"}"#),
        ("GET", "/notes", ""),
        ("GET", "/panic", ""),
        ("GET", "/timings", ""),
    ] {
        println!("\n{method} {path} {body}");
        let response = self_request(addr, method, path, body).await?;
        println!("  <- {}", response.lines().next().unwrap_or_default());
        println!(
            "  <- {}",
            response.rsplit("\r\n").next().unwrap_or_default()
        );
    }
    // `request_finished` of the last request runs once the server is done with its body.
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(())
}

/// What curl would do, with a plain socket: one HTTP/1.1 request, the whole response back.
async fn self_request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<String> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut socket = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    socket.read_to_string(&mut response).await?;
    Ok(response)
}

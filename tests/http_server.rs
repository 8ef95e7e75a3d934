//! The request signals of an axum server with `SignalLayer`, over real loopback sockets: what a
//! client sees and what the receivers hear, for plain, streamed, abandoned, panicking, failing
//! and concurrent requests.
//!
//! Each test runs its own server on `127.0.0.1:0` and uses a path prefix of its own; see
//! `support/http_events.rs`.

#[path = "support/http_client.rs"]
mod http_client;
#[path = "support/http_events.rs"]
mod http_events;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use clarion::http::{HeaderMap, SignalLayer};
use clarion::prelude::*;
use http_events::{Event, events_of, finished, finished_at, wait_finished};
use tokio::sync::{Barrier, mpsc};

/// Serves `app` behind a `SignalLayer` on a free loopback port.
async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.layer(SignalLayer::new()))
            .await
            .unwrap();
    });
    addr
}

fn exception(what: &str, status: u16) -> Event {
    Event::Exception {
        what: what.to_owned(),
        status: Some(status),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_started_then_finished() {
    let addr = serve(Router::new().route("/socket-order/x", get(|| async { "hi" }))).await;
    let reply = http_client::request(addr, "GET", "/socket-order/x", &[("x-test", "t1")], "").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hi"));
    assert_eq!(
        wait_finished("/socket-order/x").await,
        vec![
            Event::Started {
                method: "GET".into(),
                marker: Some("t1".into()),
            },
            finished(200, true),
        ]
    );
}

/// A route that streams what the test feeds it through a channel; the channel is the test's.
type Feed = Arc<Mutex<Option<mpsc::UnboundedReceiver<Bytes>>>>;

async fn streamed(State(feed): State<Feed>) -> Body {
    let chunks = feed.lock().unwrap().take().unwrap();
    Body::from_stream(futures_util::stream::unfold(chunks, |mut chunks| async {
        let chunk = chunks.recv().await?;
        Some((Ok::<_, Infallible>(chunk), chunks))
    }))
}

async fn serve_stream(path: &str) -> (SocketAddr, mpsc::UnboundedSender<Bytes>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new()
        .route(path, get(streamed))
        .with_state(Arc::new(Mutex::new(Some(rx))));
    (serve(app).await, tx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_response_finishes_only_after_its_last_chunk() {
    let path = "/socket-stream/x";
    let (addr, feed) = serve_stream(path).await;
    let mut stream = http_client::open(addr, "GET", path, &[], "").await;
    let mut buffer = Vec::new();

    feed.send(Bytes::from_static(b"first-chunk")).unwrap();
    http_client::read_until(&mut stream, &mut buffer, "first-chunk").await;
    // The client holds part of the body; give a wrong early signal every chance to show.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(events_of(path), vec![http_events::started("GET")]);

    feed.send(Bytes::from_static(b"last-chunk")).unwrap();
    http_client::read_until(&mut stream, &mut buffer, "last-chunk").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(events_of(path).len(), 1, "finished before the stream ended");

    let ended = Instant::now();
    drop(feed); // end of stream
    let reply = http_client::finish(stream, buffer).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(reply.body, "first-chunklast-chunk");
    assert_eq!(
        wait_finished(path).await,
        vec![http_events::started("GET"), finished(200, true)]
    );
    assert!(finished_at(path).unwrap() >= ended);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_in_the_middle_of_a_stream_finishes_incomplete() {
    let path = "/socket-leave/x";
    let (addr, feed) = serve_stream(path).await;
    let mut stream = http_client::open(addr, "GET", path, &[], "").await;
    let mut buffer = Vec::new();
    feed.send(Bytes::from_static(b"some")).unwrap();
    http_client::read_until(&mut stream, &mut buffer, "some").await;
    drop(stream);

    // The server learns that the client left when it next writes to the connection.
    let deadline = Instant::now() + Duration::from_secs(5);
    while finished_at(path).is_none() {
        assert!(Instant::now() < deadline, "{:?}", events_of(path));
        let _ = feed.send(Bytes::from_static(b"more"));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        events_of(path),
        vec![http_events::started("GET"), finished(200, false)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
    async fn boom() -> &'static str {
        panic!("handler panicked on purpose")
    }
    let app = Router::new()
        .route("/socket-panic/boom", get(boom))
        .route("/socket-panic/fine", get(|| async { "still here" }));
    let addr = serve(app).await;

    let reply = http_client::get(addr, "/socket-panic/boom").await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.body, "");
    assert_eq!(
        wait_finished("/socket-panic/boom").await,
        vec![
            http_events::started("GET"),
            exception("panic: handler panicked on purpose", 500),
            finished(500, true),
        ]
    );

    let reply = http_client::get(addr, "/socket-panic/fine").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "still here"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_answering_a_server_error_is_reported() {
    let app = Router::new().route(
        "/socket-5xx/x",
        get(|| async { (StatusCode::BAD_GATEWAY, "upstream is down") }),
    );
    let addr = serve(app).await;
    let reply = http_client::get(addr, "/socket-5xx/x").await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (502, "upstream is down")
    );
    assert_eq!(
        wait_finished("/socket-5xx/x").await,
        vec![
            http_events::started("GET"),
            exception("5xx: 502", 502),
            finished(502, true),
        ]
    );
}

#[receiver(request_started)]
fn refuses_marked_requests(headers: &HeaderMap) -> clarion::Result<()> {
    if headers.get("x-test").is_some_and(|v| v == "refuse") {
        return Err("this receiver refuses the request".into());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_does_not_change_the_response() {
    let addr = serve(Router::new().route("/socket-refuse/x", get(|| async { "served" }))).await;
    let reply =
        http_client::request(addr, "GET", "/socket-refuse/x", &[("x-test", "refuse")], "").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "served"));
    assert_eq!(
        wait_finished("/socket-refuse/x").await,
        vec![
            Event::Started {
                method: "GET".into(),
                marker: Some("refuse".into()),
            },
            finished(200, true),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_concurrent_requests_are_each_started_and_finished_exactly_once() {
    const REQUESTS: usize = 16;
    // Every handler waits for all the others: the sixteen requests are in flight together.
    let barrier = Arc::new(Barrier::new(REQUESTS));
    let app = Router::new()
        .route(
            "/socket-concurrent/{n}",
            get(
                |State(barrier): State<Arc<Barrier>>,
                 axum::extract::Path(n): axum::extract::Path<usize>| async move {
                    barrier.wait().await;
                    format!("request {n}")
                },
            ),
        )
        .with_state(barrier);
    let addr = serve(app).await;

    let clients: Vec<_> = (0..REQUESTS)
        .map(|n| {
            tokio::spawn(async move {
                let path = format!("/socket-concurrent/{n}");
                let marker = n.to_string();
                http_client::request(addr, "GET", &path, &[("x-test", &marker)], "").await
            })
        })
        .collect();
    let replies = tokio::time::timeout(Duration::from_secs(10), async {
        let mut replies = Vec::new();
        for client in clients {
            replies.push(client.await.unwrap());
        }
        replies
    })
    .await
    .expect("the sixteen requests did not all get through");

    for (n, reply) in replies.iter().enumerate() {
        assert_eq!(
            (reply.status, reply.body.clone()),
            (200, format!("request {n}"))
        );
        let path = format!("/socket-concurrent/{n}");
        assert_eq!(
            wait_finished(&path).await,
            vec![
                Event::Started {
                    method: "GET".into(),
                    marker: Some(n.to_string()),
                },
                finished(200, true),
            ],
            "{path}"
        );
    }
    assert_eq!(
        http_events::events("/socket-concurrent/").len(),
        2 * REQUESTS
    );
}

//! Request signals with `async fn` receivers: the tower layer's sends await them in place on a
//! multi-threaded runtime (the worker first hands its other tasks to another thread); on a
//! single-threaded runtime, where nothing may block, each such receiver is skipped and logged,
//! and the request goes on.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::Bytes;
use clarion::http::{Method, SignalLayer, Uri};
use clarion::prelude::*;
use http::{Request, Response};
use http_body_util::{BodyExt as _, Empty, Full};
use tower::{Layer as _, ServiceExt as _, service_fn};

static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

// Stands for a receiver that reports the request to another service.
#[receiver(request_started)]
async fn report_start(method: &Method, uri: &Uri) {
    tokio::time::sleep(Duration::from_millis(2)).await;
    SEEN.lock()
        .unwrap()
        .push(format!("started {method} {}", uri.path()));
}

#[receiver(request_finished)]
async fn report_finish(uri: &Uri, completed: bool) {
    tokio::task::yield_now().await;
    SEEN.lock()
        .unwrap()
        .push(format!("finished {} {completed}", uri.path()));
}

fn seen(prefix: &str) -> Vec<String> {
    SEEN.lock()
        .unwrap()
        .iter()
        .filter(|event| event.contains(prefix))
        .cloned()
        .collect()
}

async fn request(path: &'static str) -> String {
    let service = SignalLayer::new().layer(service_fn(|_request: Request<Empty<Bytes>>| async {
        Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from_static(b"hi"))))
    }));
    let response = service
        .oneshot(Request::get(path).body(Empty::new()).unwrap())
        .await
        .unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

#[test]
fn on_a_multi_threaded_runtime_async_request_receivers_are_awaited() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let body = runtime.block_on(runtime.spawn(request("/multi"))).unwrap();
    assert_eq!(body, "hi");
    assert_eq!(
        seen("/multi"),
        ["started GET /multi", "finished /multi true"]
    );
}

#[test]
fn on_a_single_threaded_runtime_they_are_skipped_and_the_request_goes_on() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = runtime.block_on(request("/single"));
    assert_eq!(body, "hi");
    assert!(seen("/single").is_empty(), "{:?}", seen("/single"));
}

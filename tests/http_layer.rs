//! The request signals of `SignalLayer`, driven through tower directly (no socket): the order of
//! the signals, when a body counts as finished, errors, panics and 5xx responses, receivers that
//! fail, and the layer's sender.
//!
//! Each test uses a path prefix of its own; see `support/http_events.rs`.

#[path = "support/http_events.rs"]
mod http_events;

use std::convert::Infallible;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use clarion::http::{Exception, SignalLayer, StatusCode, Uri};
use clarion::prelude::*;
use futures_util::FutureExt as _;
use http::{Request, Response};
use http_body::{Body, Frame};
use http_body_util::{BodyExt as _, Empty, Full};
use http_events::{Event, elapsed, events, finished, started};
use tokio::sync::mpsc;
use tower::{Layer as _, Service, ServiceExt as _, service_fn};

fn get(path: &str) -> Request<Empty<Bytes>> {
    Request::get(path).body(Empty::new()).unwrap()
}

fn text(body: &'static str) -> Response<Full<Bytes>> {
    Response::new(Full::new(Bytes::from_static(body.as_bytes())))
}

/// A body fed chunk by chunk through a channel; it ends when the sender is dropped.
struct ChannelBody(mpsc::UnboundedReceiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(Frame::data(c))))
    }
}

/// A body that yields one chunk, then panics.
struct PanickingBody(bool);

impl Body for PanickingBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if std::mem::replace(&mut self.0, true) {
            panic!("the stream broke");
        }
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"first")))))
    }
}

/// The error of a failing service.
#[derive(Debug)]
struct Teapot(u32);

impl fmt::Display for Teapot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "teapot #{}", self.0)
    }
}

impl std::error::Error for Teapot {}

#[tokio::test]
async fn started_is_sent_before_the_service_runs_and_finished_after_the_body_is_read() {
    let seen_by_handler = Arc::new(Mutex::new(Vec::new()));
    let seen = seen_by_handler.clone();
    let service = SignalLayer::new().layer(service_fn(move |request: Request<_>| {
        let seen = seen.clone();
        async move {
            // What the receivers had heard when the handler ran.
            *seen.lock().unwrap() = events(request.uri().path());
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok::<_, Infallible>(text("hello"))
        }
    }));

    let request = Request::post("/ordering/one")
        .header("x-test", "ordering")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(
        *seen_by_handler.lock().unwrap(),
        vec![Event::Started {
            method: "POST".into(),
            marker: Some("ordering".into()),
        }]
    );
    // The service has answered, but the body is not read yet: the request is not finished.
    assert_eq!(events("/ordering/").len(), 1);

    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "hello");
    assert_eq!(
        events("/ordering/"),
        vec![
            Event::Started {
                method: "POST".into(),
                marker: Some("ordering".into()),
            },
            finished(200, true),
        ]
    );
    let elapsed = elapsed("/ordering/");
    assert_eq!(elapsed.len(), 1);
    assert!(elapsed[0] >= Duration::from_millis(20), "{elapsed:?}");
}

#[tokio::test]
async fn a_streaming_body_finishes_only_after_its_last_chunk() {
    let (tx, rx) = mpsc::unbounded_channel();
    let body = Arc::new(Mutex::new(Some(ChannelBody(rx))));
    let service = SignalLayer::new().layer(service_fn(move |_request: Request<_>| {
        let body = body.lock().unwrap().take().unwrap();
        async move { Ok::<_, Infallible>(Response::new(body)) }
    }));

    let mut body = service
        .oneshot(get("/streaming/chunks"))
        .await
        .unwrap()
        .into_body();
    for chunk in ["one", "two", "three"] {
        tx.send(Bytes::from_static(chunk.as_bytes())).unwrap();
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), chunk);
        assert_eq!(
            events("/streaming/"),
            vec![started("GET")],
            "finished after chunk {chunk}"
        );
    }
    drop(tx); // the stream ends
    assert!(body.frame().await.is_none());
    assert_eq!(
        events("/streaming/"),
        vec![started("GET"), finished(200, true)]
    );

    // Reading past the end, or dropping the body now, sends nothing more.
    assert!(body.frame().await.is_none());
    drop(body);
    assert_eq!(events("/streaming/").len(), 2);
}

#[tokio::test]
async fn a_body_that_says_it_is_at_its_end_finishes_with_its_last_frame() {
    // `Full` is at its end once its one frame is out; a server stops polling there.
    let service = SignalLayer::new().layer(service_fn(|_request: Request<_>| async {
        Ok::<_, Infallible>(text("all at once"))
    }));
    let mut body = service
        .oneshot(get("/full-body/x"))
        .await
        .unwrap()
        .into_body();
    assert!(body.frame().await.unwrap().unwrap().is_data());
    assert_eq!(
        events("/full-body/"),
        vec![started("GET"), finished(200, true)]
    );
}

#[tokio::test]
async fn a_body_dropped_before_its_end_finishes_incomplete() {
    let (tx, rx) = mpsc::unbounded_channel();
    let body = Arc::new(Mutex::new(Some(ChannelBody(rx))));
    let service = SignalLayer::new().layer(service_fn(move |_request: Request<_>| {
        let body = body.lock().unwrap().take().unwrap();
        async move { Ok::<_, Infallible>(Response::new(body)) }
    }));
    let mut body = service
        .oneshot(get("/dropped/x"))
        .await
        .unwrap()
        .into_body();
    tx.send(Bytes::from_static(b"partial")).unwrap();
    body.frame().await.unwrap().unwrap();
    assert_eq!(events("/dropped/"), vec![started("GET")]);

    drop(body); // the client went away
    assert_eq!(
        events("/dropped/"),
        vec![started("GET"), finished(200, false)]
    );
}

#[tokio::test]
async fn an_empty_body_never_polled_and_a_head_response_count_as_completed() {
    let service = SignalLayer::new().layer(service_fn(|_request: Request<_>| async {
        Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new()))
    }));
    let response = service.oneshot(get("/empty/x")).await.unwrap();
    assert!(response.body().is_end_stream());
    drop(response);
    assert_eq!(events("/empty/"), vec![started("GET"), finished(200, true)]);

    // A server does not send the body of a HEAD response, so it drops it unread.
    let service = SignalLayer::new().layer(service_fn(|_request: Request<_>| async {
        Ok::<_, Infallible>(text("not sent"))
    }));
    let head = Request::head("/head/x")
        .body(Empty::<Bytes>::new())
        .unwrap();
    drop(service.oneshot(head).await.unwrap());
    assert_eq!(events("/head/"), vec![started("HEAD"), finished(200, true)]);
}

#[tokio::test]
async fn a_service_error_is_lent_to_receivers_and_returned_unchanged() {
    static DOWNCAST: Mutex<Vec<u32>> = Mutex::new(Vec::new());
    // A runtime receiver: the error is the service's own value.
    let id = clarion::http::got_request_exception.connect(
        |_sender, args: &mut clarion::http::GotRequestException| {
            if let Exception::Error(error) = args.exception
                && let Some(teapot) = error.downcast_ref::<Teapot>()
            {
                DOWNCAST.lock().unwrap().push(teapot.0);
            }
        },
    );

    let service = SignalLayer::new().layer(service_fn(|_request: Request<_>| async {
        Err::<Response<Full<Bytes>>, _>(Teapot(418))
    }));
    let error = service.oneshot(get("/error/x")).await.unwrap_err();
    clarion::http::got_request_exception.disconnect(id);

    assert_eq!(error.0, 418);
    assert_eq!(
        events("/error/"),
        vec![
            started("GET"),
            Event::Exception {
                what: "error: teapot #418".into(),
                status: None,
            },
            Event::Finished {
                status: None,
                completed: false,
            },
        ]
    );
    assert!(DOWNCAST.lock().unwrap().contains(&418));
}

#[tokio::test]
async fn a_server_error_response_is_reported_and_still_sent() {
    let service = SignalLayer::new().layer(service_fn(|_request: Request<_>| async {
        let mut response = text("try later");
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        Ok::<_, Infallible>(response)
    }));
    let response = service.oneshot(get("/server-error/x")).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.into_body().collect().await.unwrap().to_bytes(),
        "try later"
    );
    assert_eq!(
        events("/server-error/"),
        vec![
            started("GET"),
            Event::Exception {
                what: "5xx: 503".into(),
                status: Some(503),
            },
            finished(503, true),
        ]
    );

    // A 4xx is the client's error, not the server's: no exception.
    let service = SignalLayer::new().layer(service_fn(|_request: Request<_>| async {
        let mut response = text("no");
        *response.status_mut() = StatusCode::NOT_FOUND;
        Ok::<_, Infallible>(response)
    }));
    let response = service.oneshot(get("/client-error/x")).await.unwrap();
    response.into_body().collect().await.unwrap();
    assert_eq!(
        events("/client-error/"),
        vec![started("GET"), finished(404, true)]
    );
}

#[tokio::test]
async fn a_panic_in_the_handler_becomes_a_500_after_got_request_exception() {
    let service = SignalLayer::new().layer(service_fn(|_request: Request<_>| async {
        if true {
            panic!("handler blew up");
        }
        Ok::<_, Infallible>(text("unreachable"))
    }));
    let response = service.oneshot(get("/panic/future")).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.body().is_end_stream());
    assert_eq!(
        events("/panic/"),
        vec![
            started("GET"),
            Event::Exception {
                what: "panic: handler blew up".into(),
                status: Some(500),
            },
        ]
    );
    assert!(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .is_empty()
    );
    assert_eq!(events("/panic/").last(), Some(&finished(500, true)));
}

/// A service whose `call` panics before it returns a future.
#[derive(Clone)]
struct PanicsInCall;

impl Service<Request<Empty<Bytes>>> for PanicsInCall {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Empty<Bytes>>) -> Self::Future {
        panic!("no route for {}", request.uri().path());
    }
}

#[tokio::test]
async fn a_panic_in_call_is_handled_as_a_panic_of_the_future() {
    let service = SignalLayer::new().layer(PanicsInCall);
    let response = service.oneshot(get("/panic-in-call/x")).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    drop(response);
    assert_eq!(
        events("/panic-in-call/"),
        vec![
            started("GET"),
            Event::Exception {
                what: "panic: no route for /panic-in-call/x".into(),
                status: Some(500),
            },
            finished(500, true),
        ]
    );
}

#[tokio::test]
async fn resume_panics_unwinds_on_after_the_signals() {
    let service =
        SignalLayer::new()
            .resume_panics()
            .layer(service_fn(|_request: Request<_>| async {
                if true {
                    panic!("let it crash");
                }
                Ok::<_, Infallible>(text("unreachable"))
            }));
    let caught = AssertUnwindSafe(service.oneshot(get("/resume/x")))
        .catch_unwind()
        .await;
    let payload = caught.expect_err("the panic was resumed");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"let it crash"));
    assert_eq!(
        events("/resume/"),
        vec![
            started("GET"),
            Event::Exception {
                what: "panic: let it crash".into(),
                status: None,
            },
            Event::Finished {
                status: None,
                completed: false,
            },
        ]
    );
}

#[tokio::test]
async fn a_panic_while_streaming_the_body_is_reported_then_resumed() {
    let service = SignalLayer::new().layer(service_fn(|_request: Request<_>| async {
        Ok::<_, Infallible>(Response::new(PanickingBody(false)))
    }));
    let mut body = service
        .oneshot(get("/body-panic/x"))
        .await
        .unwrap()
        .into_body();
    assert_eq!(
        body.frame().await.unwrap().unwrap().into_data().unwrap(),
        "first"
    );
    let caught = AssertUnwindSafe(body.frame()).catch_unwind().await;
    assert!(caught.is_err(), "the panic was resumed");
    drop(body);
    assert_eq!(
        events("/body-panic/"),
        vec![
            started("GET"),
            Event::Exception {
                what: "panic: the stream broke".into(),
                status: Some(200),
            },
            finished(200, false),
        ]
    );
}

#[tokio::test]
async fn an_abandoned_request_finishes_without_a_status() {
    let service = SignalLayer::new().layer(service_fn(|_request: Request<_>| {
        std::future::pending::<Result<Response<Full<Bytes>>, Infallible>>()
    }));
    let timed_out = tokio::time::timeout(
        Duration::from_millis(10),
        service.oneshot(get("/abandoned/x")),
    )
    .await;
    assert!(timed_out.is_err());
    assert_eq!(
        events("/abandoned/"),
        vec![
            started("GET"),
            Event::Finished {
                status: None,
                completed: false,
            },
        ]
    );
}

// Receivers that fail for the requests of one test only.
#[receiver(request_started)]
fn fails_on_start(uri: &Uri) -> clarion::Result<()> {
    if uri.path().starts_with("/receiver-error/") {
        return Err("start receiver refused".into());
    }
    Ok(())
}

#[receiver(request_finished)]
fn panics_on_finish(uri: &Uri) {
    if uri.path().starts_with("/receiver-error/") {
        panic!("finish receiver panicked");
    }
}

/// A `tracing` subscriber that keeps the fields of every event as `name=value` text.
struct Recorder(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        self.0 += &format!("{}={value:?} ", field.name());
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0 += &format!("{}={value} ", field.name());
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(format!(
            "{} {} ",
            event.metadata().level(),
            event.metadata().target()
        ));
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test] // current-thread: the subscriber is this thread's, and so is every poll
async fn failing_receivers_are_logged_and_do_not_change_the_response() {
    let logged = Arc::new(Mutex::new(Vec::new()));
    let _subscriber = tracing::subscriber::set_default(Recorder(logged.clone()));

    let service = SignalLayer::new().layer(service_fn(|_request: Request<_>| async {
        Ok::<_, Infallible>(text("fine"))
    }));
    let response = service.oneshot(get("/receiver-error/x")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.into_body().collect().await.unwrap().to_bytes(),
        "fine"
    );
    // The other receivers of both signals ran.
    assert_eq!(
        events("/receiver-error/"),
        vec![started("GET"), finished(200, true)]
    );

    let logged = logged.lock().unwrap();
    let failures: Vec<_> = logged
        .iter()
        .filter(|line| line.contains("receiver="))
        .collect();
    assert_eq!(failures.len(), 2, "{logged:#?}");
    assert!(
        failures[0].starts_with("ERROR clarion::dispatch "),
        "{failures:?}"
    );
    assert!(
        failures[0].contains("signal=request_started"),
        "{failures:?}"
    );
    assert!(failures[0].contains("fails_on_start"), "{failures:?}");
    assert!(
        failures[0].contains("start receiver refused"),
        "{failures:?}"
    );
    assert!(
        failures[1].contains("signal=request_finished"),
        "{failures:?}"
    );
    assert!(failures[1].contains("panics_on_finish"), "{failures:?}");
    assert!(
        failures[1].contains("finish receiver panicked"),
        "{failures:?}"
    );
}

/// A sender of its own, for one API's layer.
struct Api;

static API_FINISHED: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[receiver(request_finished, sender = Api)]
fn api_only(sender: Sender, uri: &Uri) {
    assert!(sender.is::<Api>());
    API_FINISHED.lock().unwrap().push(uri.path().to_owned());
}

#[tokio::test]
async fn a_layer_sends_as_its_sender_and_receivers_without_one_hear_every_layer() {
    let handler = service_fn(|_request: Request<_>| async { Ok::<_, Infallible>(text("ok")) });
    let api = SignalLayer::new().sender::<Api>().layer(handler);
    api.oneshot(get("/sender/api"))
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap();
    let plain = SignalLayer::default().layer(handler);
    plain
        .oneshot(get("/sender/plain"))
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap();

    let api_heard: Vec<_> = API_FINISHED
        .lock()
        .unwrap()
        .iter()
        .filter(|path| path.starts_with("/sender/"))
        .cloned()
        .collect();
    assert_eq!(api_heard, ["/sender/api"]);
    // The sender-less receivers heard both.
    assert_eq!(http_events::events_of("/sender/api").len(), 2);
    assert_eq!(http_events::events_of("/sender/plain").len(), 2);
    assert!(clarion::http::request_finished.has_listeners(Sender::of::<SignalLayer>()));
}

#[test]
fn the_signals_are_listed_with_their_receivers() {
    let names: Vec<_> = clarion::signals().iter().map(|s| s.name()).collect();
    for name in [
        "request_started",
        "request_finished",
        "got_request_exception",
    ] {
        assert!(names.contains(&name), "{name} not in {names:?}");
    }
    let receivers = clarion::http::request_finished.receivers();
    assert!(
        receivers
            .iter()
            .any(|r| r.name.ends_with("http_events::record_finished")),
        "{receivers:?}"
    );
}

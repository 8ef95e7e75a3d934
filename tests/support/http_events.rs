//! Link-time receivers of the three request signals that record what they hear, keyed by the
//! request's path.
//!
//! The receivers are global to a test binary and its tests run in parallel, so each test sends
//! its requests under a path prefix of its own (`/ordering/…`) and reads back only the events of
//! that prefix.

#![allow(dead_code)]

use std::sync::Mutex;
use std::time::{Duration, Instant};

use clarion::http::{Exception, HeaderMap, Method, StatusCode, Uri};
use clarion::prelude::*;

/// What one receiver heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    Started {
        method: String,
        /// The `x-test` header, if the request had one.
        marker: Option<String>,
    },
    Exception {
        /// `error: …`, `panic: …` or `5xx: …`.
        what: String,
        status: Option<u16>,
    },
    Finished {
        status: Option<u16>,
        completed: bool,
    },
}

struct Logged {
    path: String,
    event: Event,
    at: Instant,
    elapsed: Option<Duration>,
}

static EVENTS: Mutex<Vec<Logged>> = Mutex::new(Vec::new());

fn log(uri: &Uri, event: Event, elapsed: Option<Duration>) {
    EVENTS.lock().unwrap().push(Logged {
        path: uri.path().to_owned(),
        event,
        at: Instant::now(),
        elapsed,
    });
}

/// The events of the requests whose path starts with `prefix`, in the order they were sent.
pub(crate) fn events(prefix: &str) -> Vec<Event> {
    EVENTS
        .lock()
        .unwrap()
        .iter()
        .filter(|logged| logged.path.starts_with(prefix))
        .map(|logged| logged.event.clone())
        .collect()
}

/// The events of exactly the path `path`.
pub(crate) fn events_of(path: &str) -> Vec<Event> {
    EVENTS
        .lock()
        .unwrap()
        .iter()
        .filter(|logged| logged.path == path)
        .map(|logged| logged.event.clone())
        .collect()
}

/// The `elapsed` of each `request_finished` under `prefix`.
pub(crate) fn elapsed(prefix: &str) -> Vec<Duration> {
    EVENTS
        .lock()
        .unwrap()
        .iter()
        .filter(|logged| logged.path.starts_with(prefix))
        .filter_map(|logged| logged.elapsed)
        .collect()
}

/// When `request_finished` was heard for `path`, if it was.
pub(crate) fn finished_at(path: &str) -> Option<Instant> {
    EVENTS
        .lock()
        .unwrap()
        .iter()
        .find(|logged| logged.path == path && matches!(logged.event, Event::Finished { .. }))
        .map(|logged| logged.at)
}

/// Waits (up to five seconds) until `path` has heard `request_finished`: a server sends it when
/// it drops the body, which may come a moment after the client has read the whole response.
pub(crate) async fn wait_finished(path: &str) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if finished_at(path).is_some() {
            return events_of(path);
        }
        assert!(
            Instant::now() < deadline,
            "no request_finished for {path} within 5 s; heard {:?}",
            events_of(path)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[receiver(request_started)]
fn record_started(method: &Method, uri: &Uri, headers: &HeaderMap) {
    let marker = headers
        .get("x-test")
        .map(|value| value.to_str().unwrap().to_owned());
    log(
        uri,
        Event::Started {
            method: method.to_string(),
            marker,
        },
        None,
    );
}

#[receiver(got_request_exception)]
fn record_exception(uri: &Uri, exception: Exception, status: Option<StatusCode>) {
    let what = match exception {
        Exception::Error(error) => format!("error: {error}"),
        Exception::Panic(message) => format!("panic: {message}"),
        Exception::ServerError(status) => format!("5xx: {}", status.as_u16()),
        other => format!("other: {other}"),
    };
    log(
        uri,
        Event::Exception {
            what,
            status: status.map(|s| s.as_u16()),
        },
        None,
    );
}

#[receiver(request_finished)]
fn record_finished(uri: &Uri, status: Option<StatusCode>, completed: bool, elapsed: Duration) {
    log(
        uri,
        Event::Finished {
            status: status.map(|s| s.as_u16()),
            completed,
        },
        Some(elapsed),
    );
}

pub(crate) fn started(method: &str) -> Event {
    Event::Started {
        method: method.to_owned(),
        marker: None,
    }
}

pub(crate) fn finished(status: u16, completed: bool) -> Event {
    Event::Finished {
        status: Some(status),
        completed,
    }
}

//! Django's request signals for tower services (axum, tonic, hyper): [`request_started`],
//! [`request_finished`] and [`got_request_exception`], sent by [`SignalLayer`] around every
//! request. Available with the `tower` feature.
//!
//! ```
//! use std::time::Duration;
//!
//! use clarion::http::{Exception, Method, SignalLayer, StatusCode, Uri, request_finished};
//! use clarion::prelude::*;
//!
//! // Django: @receiver(request_finished). Parameters by name, as for any signal.
//! #[receiver(request_finished)]
//! fn timing(method: &Method, uri: &Uri, status: Option<StatusCode>, elapsed: Duration) {
//!     println!("{method} {uri} -> {status:?} in {elapsed:?}");
//! }
//!
//! #[receiver(got_request_exception)]
//! fn report(uri: &Uri, exception: Exception) {
//!     eprintln!("{uri} failed: {exception}");
//! }
//!
//! // Wrap a service: `Router::new().route(…).layer(SignalLayer::new())` in axum,
//! // `ServiceBuilder::new().layer(SignalLayer::new()).service(svc)` in plain tower.
//! let layer = SignalLayer::new();
//! assert!(request_finished.has_listeners(Sender::of::<SignalLayer>()));
//! # let _ = layer;
//! ```
//!
//! | signal | arguments | sent |
//! |---|---|---|
//! | [`request_started`] | `method`, `uri`, `version`, `headers` | before the inner service is called |
//! | [`got_request_exception`] | `method`, `uri`, `exception`, `status` | when the inner service returns an error, panics, or answers with a 5xx status |
//! | [`request_finished`] | `method`, `uri`, `status`, `elapsed`, `completed` | once per request, when the response body has yielded its last frame or is dropped |
//!
//! The sender is [`SignalLayer`] unless [`SignalLayer::sender`] names another type, so
//! `#[receiver(request_finished)]` without a sender hears every layer, and
//! `#[receiver(request_finished, sender = Api)]` only the layer built with `.sender::<Api>()`.
//!
//! **Receiver errors never change a response.** The layer sends with
//! [`send_robust`](crate::Signal::send_robust): every receiver runs whatever the others do, and
//! each one that fails or panics is logged, by `send_robust` itself, as a `tracing` event at the
//! `ERROR` level (target `clarion::dispatch`, fields `signal`, `receiver`, `error`), as Django's
//! `send_robust` logs. The request goes on as if the receiver had not been there.
//!
//! **Panics** in the inner service become a `500 Internal Server Error` with an empty body, after
//! [`got_request_exception`] with [`Exception::Panic`] (Django turns an uncaught exception into
//! a 500 the same way); [`SignalLayer::resume_panics`] resumes them instead. The guide,
//! `docs/http.md`, gives the details and an axum application.
#![allow(non_upper_case_globals)]

mod body;
mod service;

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, Instant};

use crate::model::signals::{args, signals};
use crate::sender::Sender;
use crate::signal::{Signal, SignalArgs};

pub use self::body::SignalBody;
pub use self::service::{ResponseFuture, SignalLayer, SignalService};
/// The types of the `http` crate that the signals' arguments use, so that receivers can name
/// them without depending on `http` themselves.
pub use ::http::{HeaderMap, Method, StatusCode, Uri, Version};

/// Arguments of [`request_started`]: the request, before the inner service sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct RequestStarted<'a> {
    /// The request method.
    pub method: &'a Method,
    /// The request URI, as the server received it (for HTTP/1.1, usually only path and query).
    pub uri: &'a Uri,
    /// The HTTP version.
    pub version: Version,
    /// The request headers.
    pub headers: &'a HeaderMap,
}

/// Arguments of [`request_finished`].
#[derive(Debug)]
#[non_exhaustive]
pub struct RequestFinished<'a> {
    /// The request method.
    pub method: &'a Method,
    /// The request URI.
    pub uri: &'a Uri,
    /// The status of the response; `None` when there was none: the inner service returned an
    /// error, a panic was resumed, or the request was abandoned (its future dropped) before the
    /// service answered.
    pub status: Option<StatusCode>,
    /// Time from just before [`request_started`] was sent to this signal.
    pub elapsed: Duration,
    /// Whether the whole response was produced: `true` when the body yielded its last frame, or
    /// when the response has no body by HTTP's rules (a `HEAD` request, a 1xx, 204 or 304
    /// status); `false` when the body was dropped before its end (the client went away, the
    /// server shut down), failed or panicked, and when there was no response.
    pub completed: bool,
}

/// Arguments of [`got_request_exception`].
#[derive(Debug)]
#[non_exhaustive]
pub struct GotRequestException<'a> {
    /// The request method.
    pub method: &'a Method,
    /// The request URI.
    pub uri: &'a Uri,
    /// What went wrong.
    pub exception: Exception<'a>,
    /// The status the client gets: the 5xx of a server-error response, `500` for a panic turned
    /// into a response, the status already sent for a panic while streaming the body; `None`
    /// when the service returned an error or a panic is resumed, where no response is sent.
    pub status: Option<StatusCode>,
}

/// What [`got_request_exception`] reports (Django passes the exception being handled).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Exception<'a> {
    /// The inner service returned this error instead of a response. It is the service's own
    /// error value, so a receiver can `downcast_ref` it to its type.
    Error(&'a (dyn StdError + 'static)),
    /// The inner service, or the response body, panicked with this message (the panic payload
    /// when it was a string).
    Panic(&'a str),
    /// The inner service answered with this server-error (5xx) status.
    ServerError(StatusCode),
}

impl fmt::Display for Exception<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exception::Error(error) => write!(f, "service error: {error}"),
            Exception::Panic(message) => write!(f, "panicked: {message}"),
            Exception::ServerError(status) => write!(f, "server error response: {status}"),
        }
    }
}

args!(RequestStarted<'a>, RequestFinished<'a>, GotRequestException<'a>;);

signals! {
    /// Sent when a request reaches a [`SignalLayer`], before the inner service is called
    /// (Django's `request_started`).
    request_started: RequestStarted<'static>;
    /// Sent once per request when the response is over (Django's `request_finished`, sent when
    /// the response is closed): when its body has yielded its last frame, or is dropped before
    /// that. `completed` tells the two apart.
    request_finished: RequestFinished<'static>;
    /// Sent when the inner service returns an error, panics, or answers with a server-error
    /// (5xx) status (Django's `got_request_exception`), before [`request_finished`].
    got_request_exception: GotRequestException<'static>;
}

/// Sends with `send_robust`, which logs each receiver that failed: a request signal's receivers
/// never change the response (see the module docs).
fn report<A>(signal: &Signal<A>, sender: Sender, args: &mut A::Args<'_>)
where
    A: SignalArgs<Output = ()>,
{
    drop(signal.send_robust(sender, args));
}

/// One request as the signals see it, from `request_started` to `request_finished`. Whoever
/// holds it (the response future, then the response body) sends `request_finished` through it
/// exactly once; dropping it unfinished sends it with `completed: false`.
#[derive(Debug)]
struct Exchange {
    sender: Sender,
    method: Method,
    uri: Uri,
    started: Instant,
    status: Option<StatusCode>,
    finished: bool,
}

impl Exchange {
    /// Sends `request_started` and starts the clock.
    fn start<B>(sender: Sender, request: &::http::Request<B>) -> Exchange {
        let started = Instant::now();
        report(
            &request_started,
            sender,
            &mut RequestStarted {
                method: request.method(),
                uri: request.uri(),
                version: request.version(),
                headers: request.headers(),
            },
        );
        Exchange {
            sender,
            method: request.method().clone(),
            uri: request.uri().clone(),
            started,
            status: None,
            finished: false,
        }
    }

    fn exception(&self, exception: Exception<'_>) {
        report(
            &got_request_exception,
            self.sender,
            &mut GotRequestException {
                method: &self.method,
                uri: &self.uri,
                exception,
                status: self.status,
            },
        );
    }

    /// Whether the response has no body by HTTP's rules, so that a server drops the body without
    /// reading it and the response is complete all the same.
    fn bodyless(&self) -> bool {
        self.method == Method::HEAD
            || self.status.is_some_and(|status| {
                status.is_informational()
                    || status == StatusCode::NO_CONTENT
                    || status == StatusCode::NOT_MODIFIED
            })
    }

    fn finish(mut self, completed: bool) {
        self.send_finished(completed);
    }

    fn send_finished(&mut self, completed: bool) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        report(
            &request_finished,
            self.sender,
            &mut RequestFinished {
                method: &self.method,
                uri: &self.uri,
                status: self.status,
                elapsed: self.started.elapsed(),
                completed,
            },
        );
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        // Only reached unfinished when the response future is dropped before the service
        // answered: the request was abandoned.
        self.send_finished(false);
    }
}

//! The tower layer and service that send the request signals.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_util::FutureExt as _;
use futures_util::future::CatchUnwind;
use http::{Request, Response, StatusCode};
use http_body::Body;
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use super::{Exception, Exchange, SignalBody};
use crate::error::panic_message;
use crate::sender::Sender;

/// A tower [`Layer`] that sends [`request_started`](super::request_started),
/// [`request_finished`](super::request_finished) and
/// [`got_request_exception`](super::got_request_exception) around every request of the service
/// it wraps (Django's request signals, sent by its request handler).
///
/// ```
/// use clarion::http::SignalLayer;
/// use clarion::prelude::*;
///
/// /// The sender of the public API's request signals.
/// pub struct Api;
///
/// #[receiver(request_started, sender = Api)]
/// fn count_api_calls() {}
///
/// let everything = SignalLayer::new(); // sender `SignalLayer`
/// let api = SignalLayer::new().sender::<Api>(); // heard by `sender = Api` receivers too
/// let strict = SignalLayer::new().resume_panics(); // a panic unwinds on after the signals
/// # let _ = (everything, api, strict);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SignalLayer {
    sender: Sender,
    resume_panics: bool,
}

impl SignalLayer {
    /// A layer whose signals are sent by `SignalLayer` and which turns panics into `500`
    /// responses.
    pub const fn new() -> Self {
        SignalLayer {
            sender: Sender::of::<SignalLayer>(),
            resume_panics: false,
        }
    }

    /// Sends the signals as `T`, so that `#[receiver(request_finished, sender = T)]` hears this
    /// layer only. Receivers without a sender hear every layer.
    pub const fn sender<T: ?Sized + 'static>(self) -> Self {
        self.for_sender(Sender::of::<T>())
    }

    /// Sends the signals as `sender`, which may have parents (see [`Sender::with_parents`]).
    pub const fn for_sender(mut self, sender: Sender) -> Self {
        self.sender = sender;
        self
    }

    /// Resumes a panic of the inner service after sending `got_request_exception` (with no
    /// status) and `request_finished` (with no status, not completed), instead of answering
    /// `500 Internal Server Error`. Use it when a layer outside this one handles panics, such as
    /// tower-http's `CatchPanicLayer`, or when a panic should take the connection down.
    pub const fn resume_panics(mut self) -> Self {
        self.resume_panics = true;
        self
    }
}

impl Default for SignalLayer {
    fn default() -> Self {
        SignalLayer::new()
    }
}

impl<S> Layer<S> for SignalLayer {
    type Service = SignalService<S>;

    fn layer(&self, inner: S) -> SignalService<S> {
        SignalService {
            inner,
            layer: *self,
        }
    }
}

/// The service of a [`SignalLayer`]: calls the inner service `S` and sends the request signals
/// around it. Its response body is a [`SignalBody`], which sends `request_finished`; its error
/// is `S`'s, unchanged.
///
/// The inner service's error must implement [`std::error::Error`], so that
/// `got_request_exception` can lend it to receivers as `&dyn Error`. axum's and tonic's routers
/// have `Infallible`; a service whose error is a `Box<dyn Error + Send + Sync>` (which does not
/// implement `Error`) can be mapped to a type that does, for example with tower's `map_err`.
#[derive(Debug, Clone)]
pub struct SignalService<S> {
    inner: S,
    layer: SignalLayer,
}

impl<S> SignalService<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SignalService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: std::error::Error + 'static,
    ResBody: Body,
{
    type Response = Response<SignalBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let exchange = Exchange::start(self.layer.sender, &request);
        // `call` itself may panic (a router that runs code before returning its future); it
        // is handled as a panic of the future.
        let state = match catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
            Ok(future) => State::Running {
                future: AssertUnwindSafe(future).catch_unwind(),
            },
            Err(payload) => State::CallPanicked {
                payload: Some(payload),
            },
        };
        ResponseFuture {
            state,
            exchange: Some(exchange),
            resume_panics: self.layer.resume_panics,
        }
    }
}

pin_project! {
    /// The future of a [`SignalService`]'s response. Dropping it before it completes (the
    /// request was abandoned) sends `request_finished` with no status.
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
        // Taken when the future completes.
        exchange: Option<Exchange>,
        resume_panics: bool,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Running { #[pin] future: CatchUnwind<AssertUnwindSafe<F>> },
        CallPanicked { payload: Option<Box<dyn Any + Send>> },
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    E: std::error::Error + 'static,
    ResBody: Body,
{
    type Output = Result<Response<SignalBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = match this.state.project() {
            StateProj::Running { future } => ready!(future.poll(cx)),
            StateProj::CallPanicked { payload } => Err(payload
                .take()
                .expect("ResponseFuture polled after it completed")),
        };
        let mut exchange = this
            .exchange
            .take()
            .expect("ResponseFuture polled after it completed");
        Poll::Ready(match outcome {
            Ok(Ok(response)) => {
                let (parts, body) = response.into_parts();
                exchange.status = Some(parts.status);
                if parts.status.is_server_error() {
                    exchange.exception(Exception::ServerError(parts.status));
                }
                Ok(Response::from_parts(parts, SignalBody::new(body, exchange)))
            }
            Ok(Err(error)) => {
                exchange.exception(Exception::Error(&error));
                exchange.finish(false);
                Err(error)
            }
            Err(payload) if *this.resume_panics => {
                exchange.exception(Exception::Panic(panic_message(&*payload)));
                exchange.finish(false);
                resume_unwind(payload)
            }
            Err(payload) => {
                exchange.status = Some(StatusCode::INTERNAL_SERVER_ERROR);
                exchange.exception(Exception::Panic(panic_message(&*payload)));
                let mut response = Response::new(SignalBody::empty(exchange));
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                Ok(response)
            }
        })
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("exchange", &self.exchange)
            .field("resume_panics", &self.resume_panics)
            .finish_non_exhaustive()
    }
}

//! The response body that sends `request_finished` when the response is over.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use super::{Exception, Exchange};
use crate::error::panic_message;

pin_project! {
    /// The response body of a [`SignalService`](super::SignalService): the inner service's body
    /// `B`, frame for frame, which sends [`request_finished`](super::request_finished) once,
    /// when the response is over:
    ///
    /// - with `completed: true` as soon as `B` has yielded its last frame: `poll_frame` returned
    ///   `None`, or `B::is_end_stream()` is `true` after a frame;
    /// - with `completed: false` when the body fails (`poll_frame` returns an error) or is dropped
    ///   before its end, as when the client disconnects in the middle of a stream. A body that
    ///   is at its end when dropped (an empty body the server never had to poll), or that has no
    ///   content by HTTP's rules (`HEAD`, 1xx, 204, 304), counts as completed.
    ///
    /// A panic in `B::poll_frame` sends [`got_request_exception`](super::got_request_exception)
    /// with [`Exception::Panic`] and the status already sent, then `request_finished` with
    /// `completed: false`, and resumes: the headers are out, so no other response can replace
    /// it.
    pub struct SignalBody<B> {
        #[pin]
        kind: Kind<B>,
        // `None` once `request_finished` has been sent.
        exchange: Option<Exchange>,
        // `B::is_end_stream`, kept because `Drop` cannot require `B: Body` of a struct that
        // does not, and the struct does not so that it stays usable as a plain type parameter.
        is_end_stream: fn(&B) -> bool,
    }

    impl<B> PinnedDrop for SignalBody<B> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(exchange) = this.exchange.take() {
                let at_end = match this.kind.project() {
                    KindProj::Inner { body } => (this.is_end_stream)(&body),
                    KindProj::Empty => true,
                };
                let completed = at_end || exchange.bodyless();
                exchange.finish(completed);
            }
        }
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        // The inner service's body.
        Inner { #[pin] body: B },
        // The empty body of the 500 that replaces a panic.
        Empty,
    }
}

impl<B: Body> SignalBody<B> {
    pub(super) fn new(body: B, exchange: Exchange) -> Self {
        SignalBody {
            kind: Kind::Inner { body },
            exchange: Some(exchange),
            is_end_stream: B::is_end_stream,
        }
    }

    pub(super) fn empty(exchange: Exchange) -> Self {
        SignalBody {
            kind: Kind::Empty,
            exchange: Some(exchange),
            is_end_stream: B::is_end_stream,
        }
    }
}

impl<B: Body> Body for SignalBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let mut body = match this.kind.project() {
            KindProj::Inner { body } => body,
            KindProj::Empty => {
                finish(this.exchange, true);
                return Poll::Ready(None);
            }
        };
        // The body is not touched again after a panic: the panic is resumed once reported.
        let polled = match catch_unwind(AssertUnwindSafe(|| body.as_mut().poll_frame(cx))) {
            Ok(polled) => polled,
            Err(payload) => {
                if let Some(exchange) = this.exchange.take() {
                    exchange.exception(Exception::Panic(panic_message(&*payload)));
                    exchange.finish(false);
                }
                resume_unwind(payload);
            }
        };
        match &polled {
            Poll::Ready(None) => finish(this.exchange, true),
            Poll::Ready(Some(Ok(_))) if body.is_end_stream() => finish(this.exchange, true),
            Poll::Ready(Some(Err(_))) => finish(this.exchange, false),
            Poll::Ready(Some(Ok(_))) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Empty => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Empty => SizeHint::with_exact(0),
        }
    }
}

impl<B> std::fmt::Debug for SignalBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignalBody")
            .field("empty", &matches!(self.kind, Kind::Empty))
            .field("exchange", &self.exchange)
            .finish_non_exhaustive()
    }
}

fn finish(exchange: &mut Option<Exchange>, completed: bool) {
    if let Some(exchange) = exchange.take() {
        exchange.finish(completed);
    }
}

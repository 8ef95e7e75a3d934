//! What a receiver is: its identity, its metadata and how it is called.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;
use crate::sender::Sender;

/// Identifies one connected receiver; returned by `connect` and accepted by `disconnect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReceiverId(u64);

impl ReceiverId {
    pub(crate) fn next() -> ReceiverId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ReceiverId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl fmt::Display for ReceiverId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// How a receiver was connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// Registered at link time by `#[receiver]`.
    Linked,
    /// Connected at run time with `Signal::connect*`.
    Runtime,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Linked => "link-time",
            Origin::Runtime => "runtime",
        })
    }
}

/// Everything known about one connected receiver, for introspection.
///
/// Returned by [`Signal::receivers`](crate::Signal::receivers) and [`crate::receivers`], in the
/// order the receivers run.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReceiverInfo {
    /// Its id, for `disconnect` and for muting in tests.
    pub id: ReceiverId,
    /// The signal it is connected to.
    pub signal: &'static str,
    /// The sender it listens to; `None` for every sender.
    pub sender: Option<Sender>,
    /// The receiver's path (`crate::module::fn`) or, for a closure, its type name.
    pub name: &'static str,
    /// Source file of the `#[receiver]` fn or of the `connect` call.
    pub file: &'static str,
    /// Source line of the `#[receiver]` fn or of the `connect` call.
    pub line: u32,
    /// The `dispatch_uid` it was connected with; `None` for none, or an empty one.
    pub dispatch_uid: Option<Cow<'static, str>>,
    /// Higher runs earlier; 0 by default.
    pub priority: i32,
    /// Link-time or runtime.
    pub origin: Origin,
    /// Whether it is tied to an `Arc` and dropped with it.
    pub weak: bool,
    /// For a link-time receiver, the crate that declared it.
    pub krate: Option<&'static str>,
    pub(crate) seq: u64,
}

impl ReceiverInfo {
    /// The key that orders receivers: priority (high first), then link-time before runtime, then
    /// link-time receivers by path and runtime ones by connection order.
    pub(crate) fn order_key(&self) -> (std::cmp::Reverse<i32>, Origin, u64) {
        (std::cmp::Reverse(self.priority), self.origin, self.seq)
    }
}

/// Turns what a receiver returns into `Result<O, Error>`.
///
/// A receiver returns the signal's output type `O` (usually `()`) or `Result<O, E>` with
/// `E: Into<clarion::Error>`. The error comes back boxed so that a receiver's result fits in
/// registers: dispatch stays cheap on the success path.
#[diagnostic::on_unimplemented(
    message = "a receiver of this signal must return `{O}` or `Result<{O}, E>` with `E: Into<clarion::Error>`, not `{Self}`",
    label = "this return type does not fit the signal",
    note = "implement `From<YourError> for clarion::Error` to return your own error type"
)]
pub trait IntoReceiverResult<O> {
    /// Performs the conversion.
    fn into_receiver_result(self) -> Result<O, Box<Error>>;
}

impl<O> IntoReceiverResult<O> for O {
    #[inline]
    fn into_receiver_result(self) -> Result<O, Box<Error>> {
        Ok(self)
    }
}

#[diagnostic::do_not_recommend]
impl<O, E: Into<Error>> IntoReceiverResult<O> for std::result::Result<O, E> {
    #[inline]
    fn into_receiver_result(self) -> Result<O, Box<Error>> {
        self.map_err(|e| Box::new(e.into()))
    }
}

//! The one error type of clarion.

use std::borrow::Cow;
use std::fmt;

/// Everything that can go wrong in clarion.
///
/// Receivers return `Result<_, E>` with `E: Into<Error>`; a failing receiver reaches the caller of
/// [`Signal::send`](crate::Signal::send) wrapped in [`Error::Receiver`], which names the receiver and
/// the signal. Match on the variants; the set grows (it is `#[non_exhaustive]`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A receiver returned an error or panicked while a signal was being sent.
    #[error("receiver `{receiver}` of signal `{signal}` failed: {source}")]
    Receiver {
        /// The signal that was being sent.
        signal: &'static str,
        /// The receiver's path (`crate::module::fn`) or, for a closure, its type name.
        receiver: &'static str,
        /// What the receiver returned (or [`Error::Panic`] if it panicked).
        source: Box<Error>,
    },
    /// A receiver panicked; `message` is the panic payload when it was a string.
    #[error("panicked: {message}")]
    Panic {
        /// The panic message.
        message: String,
    },
    /// A plain message, e.g. from `Err("out of stock".into())` in a receiver.
    #[error("{0}")]
    Message(Cow<'static, str>),
    /// Receivers of a crate that declared them are not linked into this binary.
    #[error(
        "no receivers of crate(s) {} are linked into this binary; reference each crate (for example \
         `use {} as _;`) so the linker keeps it",
        .crates.join(", "),
        .crates.first().map(String::as_str).unwrap_or("my_receivers")
    )]
    NotLinked {
        /// The crates that were expected but contributed no receiver.
        crates: Vec<String>,
    },
    /// Any other error, boxed.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl Error {
    /// Wraps any error type as [`Error::Other`].
    pub fn other<E>(error: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Error::Other(Box::new(error))
    }

    /// Builds an [`Error::Message`].
    pub fn msg(message: impl Into<Cow<'static, str>>) -> Self {
        Error::Message(message.into())
    }

    /// If this is an [`Error::Receiver`], the receiver's name.
    pub fn receiver(&self) -> Option<&'static str> {
        match self {
            Error::Receiver { receiver, .. } => Some(receiver),
            _ => None,
        }
    }

    /// Builds the [`Error::Panic`] for a caught panic payload.
    pub(crate) fn from_panic(payload: Box<dyn std::any::Any + Send>) -> Self {
        let message = if let Some(s) = payload.downcast_ref::<&'static str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "a non-string panic payload".to_owned()
        };
        Error::Panic { message }
    }
}

impl From<&'static str> for Error {
    fn from(message: &'static str) -> Self {
        Error::Message(Cow::Borrowed(message))
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error::Message(Cow::Owned(message))
    }
}

impl From<Box<dyn std::error::Error + Send + Sync + 'static>> for Error {
    fn from(error: Box<dyn std::error::Error + Send + Sync + 'static>) -> Self {
        Error::Other(error)
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::other(error)
    }
}

impl From<fmt::Error> for Error {
    fn from(error: fmt::Error) -> Self {
        Error::other(error)
    }
}

impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// `Result` with [`Error`] as the error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! What clarion runs, as tests and operators see it: every statement is counted by
//! [`testing::capture_queries`](crate::testing::capture_queries) on the thread that runs it, and,
//! with the `tracing` feature, statements and transactions are `tracing` spans.
//!
//! Nobody watching costs one relaxed atomic load for the test aid and, with `tracing`, the
//! callsite's level check: a branch each, before the statement runs.

use super::Backend;
use crate::Result;

/// Runs one statement through `run`, observed (see the module's documentation). `rows` reads
/// the number of rows the statement changed or returned, for the span.
#[inline(always)]
pub(crate) fn statement<T>(
    alias: &str,
    backend: Backend,
    sql: &str,
    rows: impl FnOnce(&T) -> Option<u64>,
    run: impl FnOnce() -> Result<T>,
) -> Result<T> {
    if !watched() {
        return run();
    }
    observed(alias, backend, sql, rows, run)
}

/// Whether anything watches statements: a capture of queries on some thread, or a `tracing`
/// subscriber that wants statement spans.
#[inline(always)]
pub(crate) fn watched() -> bool {
    crate::testing::queries_active() || traced()
}

#[cold]
#[inline(never)]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
fn observed<T>(
    alias: &str,
    backend: Backend,
    sql: &str,
    rows: impl FnOnce(&T) -> Option<u64>,
    run: impl FnOnce() -> Result<T>,
) -> Result<T> {
    crate::testing::record_query(alias, sql);
    #[cfg(feature = "tracing")]
    {
        let span = tracing::debug_span!(
            target: "clarion::sql",
            "statement",
            db.system = backend.vendor(),
            db.name = alias,
            db.statement = sql,
            rows = tracing::field::Empty,
            elapsed_us = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        if !span.is_disabled() {
            let _entered = span.enter();
            let started = std::time::Instant::now();
            let outcome = run();
            span.record(
                "elapsed_us",
                u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            );
            match &outcome {
                Ok(value) => {
                    if let Some(rows) = rows(value) {
                        span.record("rows", rows);
                    }
                }
                Err(error) => {
                    span.record("error", tracing::field::display(error));
                }
            }
            return outcome;
        }
    }
    run()
}

/// Whether a `tracing` subscriber wants statement spans.
#[inline(always)]
fn traced() -> bool {
    #[cfg(feature = "tracing")]
    {
        tracing::enabled!(target: "clarion::sql", tracing::Level::DEBUG)
    }
    #[cfg(not(feature = "tracing"))]
    {
        false
    }
}

/// A transaction's span (the outermost one, or a savepoint's at `level`): entered for the block's
/// duration, with its outcome recorded when it ends.
pub(crate) struct TransactionSpan {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
    #[cfg(feature = "tracing")]
    _entered: Option<tracing::span::EnteredSpan>,
}

impl TransactionSpan {
    #[inline]
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn begin(alias: &str, backend: Backend, level: usize) -> TransactionSpan {
        #[cfg(feature = "tracing")]
        {
            let span = tracing::debug_span!(
                target: "clarion::transaction",
                "transaction",
                db.system = backend.vendor(),
                db.name = alias,
                level,
                outcome = tracing::field::Empty,
            );
            let _entered = (!span.is_disabled()).then(|| span.clone().entered());
            TransactionSpan { span, _entered }
        }
        #[cfg(not(feature = "tracing"))]
        TransactionSpan {}
    }

    /// Records how the block ended: `commit` (or `release`, for a savepoint), `rollback`.
    #[inline]
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn end(&self, outcome: &'static str) {
        #[cfg(feature = "tracing")]
        self.span.record("outcome", outcome);
    }
}

//! Dispatch cost of [`Signal::asend`] against a hand-written baseline.
//!
//! **What is measured.** 1,000 `asend`s of a custom signal carrying `Tick { n: u64 }`, with the
//! receivers already connected, each send polled to completion on this thread by a minimal
//! executor (a no-op waker: every receiver's future is ready at its first poll, so what is timed
//! is dispatch, not a runtime's scheduling). Every async receiver is a closure whose future adds a
//! constant to `tick.n`. The baseline awaits the *same* closures through a
//! `Vec<Box<dyn Fn(Sender, &mut Tick) -> BoxFuture<'_, Result<()>>>>` in a loop, polled the
//! same way: the least a dynamic list of async receivers can cost (one boxed future per
//! receiver, as in clarion).
//!
//! | case | what runs |
//! |---|---|
//! | `asend/one_async` | one `connect_async` closure |
//! | `asend/ten_async` | ten of them |
//! | `asend/ten_mixed` | five sync closures and five async ones, alternating (the baseline's sync ones are boxed futures too) |
//!
//! No goal is set: the ratios are reported. Shared with the other paired benchmarks:
//! `benches/support/paired.rs`.

#[path = "support/paired.rs"]
mod paired;

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use clarion::BoxFuture;
use clarion::prelude::*;
use paired::{Case, Run, timed};

/// Sends per timed run.
const SENDS: u64 = 1_000;

/// The arguments of the benchmark signals.
#[derive(SignalArgs)]
pub struct Tick {
    /// What every receiver adds to.
    pub n: u64,
}

signal! {
    /// One async closure.
    pub static ONE: Signal<Tick>;
    /// Ten async closures.
    pub static TEN: Signal<Tick>;
    /// Five sync and five async closures, alternating.
    pub static MIXED: Signal<Tick>;
}

/// The sender of every send.
pub struct App;

type AsyncReceiver =
    Box<dyn for<'b> Fn(Sender, &'b mut Tick) -> BoxFuture<'b, clarion::Result<()>>>;

/// The async receiver closure, identical for clarion and the baseline.
fn bump(
    k: u64,
) -> impl for<'b> Fn(Sender, &'b mut Tick) -> BoxFuture<'b, clarion::Result<()>> + Send + Sync + 'static
{
    move |_sender, tick: &mut Tick| {
        Box::pin(async move {
            tick.n = tick.n.wrapping_add(k);
            Ok(())
        })
    }
}

/// The sync receiver closure of the mixed case.
fn bump_sync(k: u64) -> impl Fn(Sender, &mut Tick) + Send + Sync + 'static {
    move |_sender, tick: &mut Tick| tick.n = tick.n.wrapping_add(k)
}

/// Polls `future` on this thread until it is ready; the receivers here never wait.
fn poll_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

/// The baseline's `asend`: await every receiver in order.
async fn asend_baseline(
    receivers: &[AsyncReceiver],
    sender: Sender,
    tick: &mut Tick,
) -> clarion::Result<()> {
    for receiver in receivers {
        receiver(sender, tick).await?;
    }
    Ok(())
}

fn connect() {
    ONE.connect_async(bump(1));
    for k in 1..=10 {
        TEN.connect_async(bump(k));
        if k % 2 == 0 {
            MIXED.connect_async(bump(k));
        } else {
            MIXED.connect(bump_sync(k));
        }
    }
}

fn baseline(count: u64) -> Vec<AsyncReceiver> {
    (1..=count)
        .map(|k| Box::new(bump(k)) as AsyncReceiver)
        .collect()
}

/// Checks that every signal and baseline adds what it should.
fn check() {
    for (signal, expected) in [(&ONE, 1), (&TEN, 55), (&MIXED, 55)] {
        let mut tick = Tick { n: 0 };
        poll_ready(signal.asend(Sender::of::<App>(), &mut tick)).expect("receivers do not fail");
        assert_eq!(tick.n, expected, "{}", signal.name());
    }
    let mut tick = Tick { n: 0 };
    poll_ready(asend_baseline(
        &baseline(10),
        Sender::of::<App>(),
        &mut tick,
    ))
    .unwrap();
    assert_eq!(tick.n, 55);
}

fn clarion_run(signal: &'static Signal<Tick>) -> Run {
    let mut tick = Tick { n: 0 };
    Box::new(move || {
        timed(|| {
            for _ in 0..SENDS {
                let sent =
                    poll_ready(signal.asend(black_box(Sender::of::<App>()), black_box(&mut tick)));
                black_box(sent.is_ok());
            }
        })
    })
}

fn baseline_run(count: u64) -> Run {
    let receivers = baseline(count);
    let mut tick = Tick { n: 0 };
    Box::new(move || {
        timed(|| {
            for _ in 0..SENDS {
                let sent = poll_ready(asend_baseline(
                    black_box(&receivers),
                    black_box(Sender::of::<App>()),
                    black_box(&mut tick),
                ));
                black_box(sent.is_ok());
            }
        })
    })
}

fn cases() -> Vec<Case> {
    let case = |name, signal, count| Case {
        group: "asend",
        name,
        goal: None,
        limit: None,
        clarion: clarion_run(signal),
        baseline: baseline_run(count),
    };
    vec![
        case("one_async", &ONE, 1),
        case("ten_async", &TEN, 10),
        case("ten_mixed", &MIXED, 10),
    ]
}

/// Connects, checks, then runs the cases (see [`paired::main`]).
fn main() {
    connect();
    check();
    paired::main(&format!("asend: median ms per {SENDS} sends"), cases);
}

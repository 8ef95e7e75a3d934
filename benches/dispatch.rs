//! Dispatch cost of [`Signal::send`] against a hand-written baseline (issue #2).
//!
//! **What is measured.** One `send` of a custom signal carrying `Tick { n: u64 }`, on one
//! thread, with the receivers already connected (the snapshot cache is warm, as it is for every
//! send after a thread's first). The baseline calls the *same* closures through a
//! `Vec<Box<dyn Fn(Sender, &mut Tick)>>`: the least a dynamic list of receivers can cost. Every
//! receiver, closure or `#[receiver]` fn, does the same trivial work: it adds a constant to
//! `tick.n`. The sender and the arguments go through [`black_box`], and so does whether `send`
//! returned `Ok`.
//!
//! | benchmark | what runs |
//! |---|---|
//! | `dispatch/no_receivers/{clarion,baseline}` | a signal nobody listens to; an empty `Vec` |
//! | `dispatch/one_receiver/{clarion,linked,baseline,linked_baseline}` | one runtime-connected closure; one `#[receiver]` fn; one boxed closure; one boxed closure calling the `#[receiver]` fn |
//! | `dispatch/ten_receivers/{clarion,linked,baseline,linked_baseline}` | the same with ten (the ten fns are ten distinct call targets) |
//! | `dispatch/other_sender/clarion` | a send from `Quiet` while ten closures listen to `sender = Busy` only |
//!
//! The goals: no receivers at most 5 ns; one receiver at most 5 ns above the baseline; ten
//! receivers at most 1.5x the baseline; other sender at most 10 ns.
//!
//! Before timing, `main` checks that every signal reaches the receivers it should and, with a
//! counting global allocator, that 1,000 warm sends of each case allocate nothing.
//!
//! After criterion's report (only under `cargo bench`, not `cargo test --benches`), `main` prints
//! a compact table of its own: each case timed in alternating batches with its baseline, so both
//! see the same machine load, with the ratio and the verdict for each goal. `docs/performance.md`
//! records the numbers.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clarion::prelude::*;
use criterion::Criterion;

/// The system allocator, counting allocations so that `setup` can check sends allocate nothing.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to `System`, which upholds the `GlobalAlloc` contract.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's guarantees for `layout` are passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The arguments of the benchmark signals.
#[derive(SignalArgs)]
pub struct Tick {
    /// What every receiver adds to.
    pub n: u64,
}

signal! {
    /// Never connected: the cost of a send nobody hears.
    pub static EMPTY: Signal<Tick>;
    /// One runtime-connected closure.
    pub static ONE: Signal<Tick>;
    /// Ten runtime-connected closures.
    pub static TEN: Signal<Tick>;
    /// Ten runtime-connected closures, all for `sender = Busy`.
    pub static OTHER: Signal<Tick>;
    /// One `#[receiver]` fn.
    pub static LINKED_ONE: Signal<Tick>;
    /// Ten `#[receiver]` fns.
    pub static LINKED_TEN: Signal<Tick>;
}

/// The sender of every send except `other_sender`'s.
pub struct App;
/// The sender `OTHER`'s receivers listen to.
pub struct Busy;
/// The sender of `other_sender`'s sends, which no receiver listens to.
pub struct Quiet;

/// The receiver closure, identical for clarion and the baseline.
fn bump(k: u64) -> impl Fn(Sender, &mut Tick) + Clone + Send + Sync + 'static {
    move |_sender, tick: &mut Tick| tick.n = tick.n.wrapping_add(k)
}

#[receiver(LINKED_ONE)]
fn linked_one(n: &mut u64) {
    *n = n.wrapping_add(1);
}

/// Ten `#[receiver]` fns for `LINKED_TEN`, each adding its own constant like the closures.
macro_rules! linked_ten {
    ($($name:ident = $k:literal),+) => {$(
        #[receiver(LINKED_TEN)]
        fn $name(n: &mut u64) {
            *n = n.wrapping_add($k);
        }
    )+};
}

linked_ten!(
    l1 = 1,
    l2 = 2,
    l3 = 3,
    l4 = 4,
    l5 = 5,
    l6 = 6,
    l7 = 7,
    l8 = 8,
    l9 = 9,
    l10 = 10
);

type Baseline = Vec<Box<dyn Fn(Sender, &mut Tick)>>;

/// `count` boxed closures from [`bump`], the list the baseline iterates.
fn baseline(count: u64) -> Baseline {
    (1..=count)
        .map(|k| Box::new(bump(k)) as Box<dyn Fn(Sender, &mut Tick)>)
        .collect()
}

/// The baseline of the `#[receiver]` cases: boxed closures calling the same fns. Unlike
/// [`baseline`], whose closures share one type (one indirect-call target), these are ten distinct
/// call targets, as ten `#[receiver]` fns are: the CPU's branch predictor pays for that in both.
fn linked_baseline(count: u64) -> Baseline {
    macro_rules! boxed {
        ($($name:ident),+) => {
            vec![$(Box::new(|_sender: Sender, tick: &mut Tick| $name(&mut tick.n))
                as Box<dyn Fn(Sender, &mut Tick)>),+]
        };
    }
    let mut all: Baseline = if count == 1 {
        boxed!(linked_one)
    } else {
        boxed!(l1, l2, l3, l4, l5, l6, l7, l8, l9, l10)
    };
    all.truncate(count as usize);
    all
}

/// The baseline's `send`: call every closure in order.
fn send_baseline(receivers: &Baseline, sender: Sender, tick: &mut Tick) {
    for receiver in receivers {
        receiver(sender, tick);
    }
}

/// Connects the runtime receivers and checks every signal reaches what it should.
fn setup() {
    ONE.connect(bump(1));
    for k in 1..=10 {
        TEN.connect(bump(k));
        OTHER.connect_with(Connect::new().sender::<Busy>(), bump(k));
    }
    let app = Sender::of::<App>();
    let check = |signal: &Signal<Tick>, sender: Sender, expected: u64| {
        let mut tick = Tick { n: 0 };
        signal
            .send(sender, &mut tick)
            .expect("receivers do not fail");
        assert_eq!(tick.n, expected, "{}", signal.name());
    };
    check(&EMPTY, app, 0);
    check(&ONE, app, 1);
    check(&TEN, app, 55);
    check(&OTHER, Sender::of::<Quiet>(), 0);
    check(&OTHER, Sender::of::<Busy>(), 55);
    check(&LINKED_ONE, app, 1);
    check(&LINKED_TEN, app, 55);
    for list in [baseline(10), linked_baseline(10)] {
        let mut tick = Tick { n: 0 };
        send_baseline(&list, app, &mut tick);
        assert_eq!(tick.n, 55);
    }

    // With the caches warm (above), a send allocates nothing: it takes no lock that could
    // allocate, and `Vec<()>` needs no buffer.
    let mut cases = cases();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for (_, _, case) in &mut cases {
        case(1_000);
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(allocations, 0, "sends allocated {allocations} times");
}

/// A benchmark case: `n` sends in a loop, monomorphic in the send so that only the batch, not each
/// send, goes through the `dyn` call.
type Case = Box<dyn FnMut(u64)>;

fn case(mut send: impl FnMut() + 'static) -> Case {
    Box::new(move |n| {
        for _ in 0..n {
            send();
        }
    })
}

fn clarion_case(signal: &'static Signal<Tick>, sender: Sender) -> Case {
    let mut tick = Tick { n: 0 };
    case(move || {
        // Only whether it succeeded leaves the loop: black-boxing the whole `Result` would time a
        // 40-byte copy that the baseline, which returns nothing, does not pay.
        let sent = signal.send(black_box(sender), black_box(&mut tick));
        black_box(sent.is_ok());
    })
}

fn baseline_case(count: u64) -> Case {
    list_case(baseline(count))
}

fn list_case(receivers: Baseline) -> Case {
    let mut tick = Tick { n: 0 };
    case(move || {
        send_baseline(
            black_box(&receivers),
            black_box(Sender::of::<App>()),
            black_box(&mut tick),
        );
    })
}

/// Every case as `(group, function, case)`.
fn cases() -> Vec<(&'static str, &'static str, Case)> {
    let app = Sender::of::<App>();
    vec![
        ("no_receivers", "clarion", clarion_case(&EMPTY, app)),
        ("no_receivers", "baseline", baseline_case(0)),
        ("one_receiver", "clarion", clarion_case(&ONE, app)),
        ("one_receiver", "linked", clarion_case(&LINKED_ONE, app)),
        ("one_receiver", "baseline", baseline_case(1)),
        (
            "one_receiver",
            "linked_baseline",
            list_case(linked_baseline(1)),
        ),
        ("ten_receivers", "clarion", clarion_case(&TEN, app)),
        ("ten_receivers", "linked", clarion_case(&LINKED_TEN, app)),
        ("ten_receivers", "baseline", baseline_case(10)),
        (
            "ten_receivers",
            "linked_baseline",
            list_case(linked_baseline(10)),
        ),
        (
            "other_sender",
            "clarion",
            clarion_case(&OTHER, Sender::of::<Quiet>()),
        ),
    ]
}

/// Runs `n` sends of `case`; how long they took.
fn time(case: &mut Case, n: u64) -> Duration {
    let start = Instant::now();
    case(n);
    start.elapsed()
}

fn criterion_benches(c: &mut Criterion) {
    let mut cases = cases();
    let mut groups: Vec<&str> = cases.iter().map(|(group, _, _)| *group).collect();
    groups.dedup();
    for name in groups {
        let mut group = c.benchmark_group(format!("dispatch/{name}"));
        group
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        for (_, function, case) in cases.iter_mut().filter(|(g, _, _)| *g == name) {
            group.bench_function(*function, |b| b.iter_custom(|n| time(case, n)));
        }
        group.finish();
    }
}

/// Nanoseconds per call of each case, from batches that alternate between the cases so that all
/// of them see the same machine load; the median over the batches.
fn quick_times(cases: &mut [&mut Case]) -> Vec<f64> {
    const BATCHES: usize = 41;
    const BATCH: Duration = Duration::from_millis(4);
    let iterations: Vec<u64> = cases
        .iter_mut()
        .map(|case| {
            let mut n = 1_u64;
            loop {
                if time(case, n) >= BATCH / 4 {
                    return n * 4;
                }
                n *= 2;
            }
        })
        .collect();
    let mut samples = vec![Vec::with_capacity(BATCHES); cases.len()];
    for _ in 0..BATCHES {
        for ((case, &n), samples) in cases.iter_mut().zip(&iterations).zip(&mut samples) {
            samples.push(time(case, n).as_nanos() as f64 / n as f64);
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect()
}

/// The compact table: each goal, its numbers, and whether it holds.
fn ratio_table() {
    let mut all = cases();
    let mut take = |group: &str, function: &str| -> Case {
        let at = all
            .iter()
            .position(|(g, f, _)| *g == group && *f == function)
            .expect("known case");
        all.swap_remove(at).2
    };
    let (mut empty, mut empty_base) = (
        take("no_receivers", "clarion"),
        take("no_receivers", "baseline"),
    );
    let mut one = take("one_receiver", "clarion");
    let mut one_linked = take("one_receiver", "linked");
    let mut one_base = take("one_receiver", "baseline");
    let mut one_linked_base = take("one_receiver", "linked_baseline");
    let mut ten = take("ten_receivers", "clarion");
    let mut ten_linked = take("ten_receivers", "linked");
    let mut ten_base = take("ten_receivers", "baseline");
    let mut ten_linked_base = take("ten_receivers", "linked_baseline");
    let mut other = take("other_sender", "clarion");

    let t = quick_times(&mut [&mut empty, &mut empty_base, &mut other]);
    let (empty, empty_base, other) = (t[0], t[1], t[2]);
    let t = quick_times(&mut [
        &mut one,
        &mut one_linked,
        &mut one_base,
        &mut one_linked_base,
    ]);
    let (one, one_linked, one_base, one_linked_base) = (t[0], t[1], t[2], t[3]);
    let t = quick_times(&mut [
        &mut ten,
        &mut ten_linked,
        &mut ten_base,
        &mut ten_linked_base,
    ]);
    let (ten, ten_linked, ten_base, ten_linked_base) = (t[0], t[1], t[2], t[3]);

    let verdict = |ok: bool| if ok { "PASS" } else { "FAIL" };
    println!();
    println!("dispatch: quick timing, median ns per send (alternating batches)");
    println!(
        "{:<26} {:>9} {:>9} {:>8}  {:<24} verdict",
        "case", "clarion", "baseline", "ratio", "goal"
    );
    let row = |case: &str, ns: f64, base: Option<f64>, goal: &str, ok: bool| {
        let (base, ratio) = match base {
            Some(b) => (format!("{b:.2}"), format!("{:.2}x", ns / b)),
            None => ("-".into(), "-".into()),
        };
        println!(
            "{case:<26} {ns:>9.2} {base:>9} {ratio:>8}  {goal:<24} {}",
            verdict(ok)
        );
    };
    row(
        "no_receivers",
        empty,
        Some(empty_base),
        "<= 5 ns",
        empty <= 5.0,
    );
    row(
        "one_receiver",
        one,
        Some(one_base),
        "<= baseline + 5 ns",
        one <= one_base + 5.0,
    );
    row(
        "one_receiver (linked)",
        one_linked,
        Some(one_linked_base),
        "<= baseline + 5 ns",
        one_linked <= one_linked_base + 5.0,
    );
    row(
        "ten_receivers",
        ten,
        Some(ten_base),
        "<= 1.5x baseline",
        ten <= 1.5 * ten_base,
    );
    row(
        "ten_receivers (linked)",
        ten_linked,
        Some(ten_linked_base),
        "<= 1.5x baseline",
        ten_linked <= 1.5 * ten_linked_base,
    );
    row("other_sender", other, None, "<= 10 ns", other <= 10.0);
}

fn main() {
    setup();
    let mut criterion = Criterion::default().configure_from_args();
    criterion_benches(&mut criterion);
    criterion.final_summary();
    // Criterion runs each benchmark once without `--bench` (`cargo test --benches`), and lists
    // them with `--list`: the table is for real benchmark runs only.
    let args: Vec<String> = std::env::args().collect();
    let benchmarking = args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| a == "--test" || a == "--list" || a.starts_with("--profile-time"));
    if benchmarking {
        ratio_table();
    }
}

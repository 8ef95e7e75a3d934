//! The comparison the benchmarks against raw `rusqlite` share (`benches/save.rs`,
//! `benches/relations.rs`): each case is a clarion run and a baseline run, timed first by
//! criterion, then in alternating rounds for a table of paired ratios that the goals are judged
//! by.

use std::time::{Duration, Instant};

use criterion::Criterion;

/// One timed run: returns how long its timed part took; sets up and cleans up untimed.
pub(crate) type Run = Box<dyn FnMut() -> Duration>;

/// How long `f` takes.
pub(crate) fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// A clarion case and its baseline: the same statements on the same table through raw
/// `rusqlite`.
pub(crate) struct Case {
    /// Criterion's group, the first half of the case's name.
    pub(crate) group: &'static str,
    /// The case within its group.
    pub(crate) name: &'static str,
    /// The most clarion may take, as a multiple of the baseline; `None` when the case is only
    /// reported.
    pub(crate) goal: Option<f64>,
    /// The most clarion's run may take, whatever the baseline takes (judged by the median of
    /// the rounds); `None` when only the ratio is judged.
    pub(crate) limit: Option<Duration>,
    /// clarion's run.
    pub(crate) clarion: Run,
    /// The baseline's run.
    pub(crate) baseline: Run,
}

impl Case {
    /// `group/name`, as the table shows it.
    fn label(&self) -> String {
        format!("{}/{}", self.group, self.name)
    }
}

/// Runs a benchmark binary's cases: criterion's report (each case and its baseline as two
/// benchmarks of the case's group), then, under `cargo bench` only, the paired table headed by
/// `title` (what the milliseconds are per). `cases` is called once for each, so that each
/// starts from fresh runs.
pub(crate) fn main(title: &str, cases: impl Fn() -> Vec<Case>) {
    let mut criterion = Criterion::default().configure_from_args();
    for mut case in cases() {
        let mut g = criterion.benchmark_group(case.group);
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(3));
        g.bench_function(case.name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| (case.clarion)()).sum())
        });
        g.bench_function(format!("{}_baseline", case.name), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| (case.baseline)()).sum())
        });
        g.finish();
    }
    criterion.final_summary();
    // Without `--bench` (as under `cargo test --benches`) criterion runs each case once; the
    // table is for real benchmark runs only.
    if std::env::args().any(|a| a == "--bench") {
        ratio_table(title, cases());
    }
}

/// The compact table: each case timed in alternating rounds with its baseline. Which of the two
/// goes first switches every round (whichever runs second tends to pay a little for the first's
/// effect on the caches), and the ratio is the median of the rounds' own ratios, so that each
/// compares two runs made moments apart, under the same load.
fn ratio_table(title: &str, cases: Vec<Case>) {
    const ROUNDS: usize = 40;
    let width = cases
        .iter()
        .map(|case| case.label().len())
        .max()
        .unwrap_or(0)
        .max(22);
    println!();
    println!("{title}, median of {ROUNDS} paired rounds' ratios");
    println!(
        "{:<width$} {:>9} {:>9} {:>8}  {:<16} verdict",
        "case", "clarion", "baseline", "ratio", "goal"
    );
    for mut case in cases {
        let mut clarion = Vec::new();
        let mut baseline = Vec::new();
        for round in 0..ROUNDS {
            if round % 2 == 0 {
                baseline.push((case.baseline)());
                clarion.push((case.clarion)());
            } else {
                clarion.push((case.clarion)());
                baseline.push((case.baseline)());
            }
        }
        let mut ratios: Vec<f64> = clarion
            .iter()
            .zip(&baseline)
            .map(|(c, b)| c.as_secs_f64() / b.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        let ratio = ratios[ratios.len() / 2];
        let (ms, base) = (median(clarion), median(baseline));
        let mut goals = Vec::new();
        let mut met = true;
        if let Some(goal) = case.goal {
            goals.push(format!("<= {goal}x"));
            met &= ratio <= goal;
        }
        if let Some(limit) = case.limit {
            let limit = limit.as_secs_f64() * 1e3;
            goals.push(format!("<= {limit} ms"));
            met &= ms <= limit;
        }
        let (goal, verdict) = match (goals.is_empty(), met) {
            (true, _) => ("(reported)".to_owned(), "-"),
            (false, true) => (goals.join(", "), "PASS"),
            (false, false) => (goals.join(", "), "FAIL"),
        };
        println!(
            "{:<width$} {ms:>9.2} {base:>9.2} {ratio:>7.2}x  {goal:<16} {verdict}",
            case.label()
        );
    }
}

/// The median of `samples`, in milliseconds.
fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1e3
}

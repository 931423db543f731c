//! The runner: worker threads (each a current-thread tokio runtime) run the users of the
//! closed model or the arrivals of the open model; the calling thread merges their seconds,
//! shows progress and builds the [`Report`](super::report::Report).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use futures_util::FutureExt;

use super::LoadError;
use super::metrics::{Histograms, Interval, Key, Kind, Second, micros};
use super::report::{self, Report};
use super::scenario::{Scenario, Step, apportion, interleave};
use super::session::{Recorder, Session};
use super::threshold::Threshold;

/// An iteration of the open model that starts this much after its intended time is late.
pub const LATE: Duration = Duration::from_millis(5);

/// A value (users, or arrivals per second) over time: a start, then linear stages.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The value at time 0.
    pub start: f64,
    /// Each stage goes linearly from the previous value to its target over its duration.
    pub stages: Vec<(Duration, f64)>,
}

impl Profile {
    /// The same value for a duration.
    pub fn constant(value: f64, duration: Duration) -> Profile {
        Profile { start: value, stages: vec![(duration, value)] }
    }

    /// Parses `DURATION:TARGET,...` (k6's stages), starting from `start`.
    pub fn parse(start: f64, text: &str) -> Result<Profile, String> {
        let mut stages = Vec::new();
        for (i, part) in text.split(',').enumerate() {
            let accepted = "accepted: DURATION:TARGET[,DURATION:TARGET...], as 10s:64,30s:64,5s:0";
            let (d, t) = part
                .trim()
                .split_once(':')
                .ok_or_else(|| format!("stage {} {part:?} has no `:`; {accepted}", i + 1))?;
            let duration = parse_duration(d).map_err(|e| format!("stage {} {part:?}: {e}", i + 1))?;
            let target: f64 =
                t.trim().parse().ok().filter(|v: &f64| v.is_finite() && *v >= 0.0).ok_or_else(|| {
                    format!("stage {} {part:?}: {t:?} is not a target >= 0; {accepted}", i + 1)
                })?;
            stages.push((duration, target));
        }
        Ok(Profile { start, stages })
    }

    /// How long the profile lasts.
    pub fn duration(&self) -> Duration {
        self.stages.iter().map(|(d, _)| *d).sum()
    }

    /// The largest value it reaches.
    pub fn peak(&self) -> f64 {
        self.stages.iter().map(|(_, t)| *t).fold(self.start, f64::max)
    }

    /// The value at `t` after the start (the last target after the end).
    pub fn at(&self, t: Duration) -> f64 {
        let mut from = self.start;
        let mut begin = Duration::ZERO;
        for &(d, to) in &self.stages {
            if t < begin + d {
                let f = (t - begin).as_secs_f64() / d.as_secs_f64().max(f64::MIN_POSITIVE);
                return from + (to - from) * f;
            }
            begin += d;
            from = to;
        }
        from
    }
}

/// `250ms`, `10s`, `2m`, `1h`, or a number of seconds; more than zero.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    match crate::config::parse_timeout(text) {
        Ok(Some(d)) => Ok(d),
        _ => Err(format!("{text:?} is not a duration; accepted: 250ms, 10s, 2m, 1h, a number of seconds")),
    }
}

/// How users arrive.
#[derive(Debug, Clone, PartialEq)]
pub enum Executor {
    /// Closed model: this many users, each running iterations back to back.
    Users(Profile),
    /// Open model: iterations start at this rate per second whatever the answers, each
    /// measured from its intended start; at most `max_users` run at once (the rest are dropped
    /// and reported).
    Rate {
        /// Arrivals per second over time.
        profile: Profile,
        /// The most iterations in flight at once.
        max_users: u64,
    },
}

impl Executor {
    fn profile(&self) -> &Profile {
        match self {
            Executor::Users(p) | Executor::Rate { profile: p, .. } => p,
        }
    }
}

/// A load test: scenarios, how users arrive, thresholds.
#[derive(Debug, Clone)]
pub struct LoadTest {
    /// The scenarios and their shares.
    pub scenarios: Vec<Scenario>,
    /// The closed or open model, with its profile.
    pub executor: Executor,
    /// Worker threads (default: the machine's cores).
    pub threads: usize,
    /// How long iterations in flight at the end may take to finish before they are abandoned.
    pub grace: Duration,
    /// Pass/fail criteria on the merged results.
    pub thresholds: Vec<Threshold>,
    /// Show a live progress line on stderr.
    pub progress: bool,
}

impl LoadTest {
    /// A closed-model test: `users` users for `duration`.
    pub fn new(scenarios: Vec<Scenario>, users: u64, duration: Duration) -> LoadTest {
        LoadTest {
            scenarios,
            executor: Executor::Users(Profile::constant(users as f64, duration)),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            grace: Duration::from_secs(5),
            thresholds: Vec::new(),
            progress: false,
        }
    }

    /// Checks the test can run: scenarios, users or rate above zero, a duration.
    pub fn validate(&self) -> Result<(), LoadError> {
        if self.scenarios.is_empty() {
            return Err(LoadError::new("no scenario to run".to_string()));
        }
        let profile = self.executor.profile();
        let what = match self.executor {
            Executor::Users(_) => "users",
            Executor::Rate { .. } => "rate",
        };
        if profile.peak() <= 0.0 {
            return Err(LoadError::new(format!("{what} must be more than 0 at some point of the run")));
        }
        if profile.duration().is_zero() {
            return Err(LoadError::new("the duration must be more than 0".to_string()));
        }
        if let Executor::Rate { max_users: 0, .. } = self.executor {
            return Err(LoadError::new("max users must be more than 0".to_string()));
        }
        if self.threads == 0 {
            return Err(LoadError::new("threads must be more than 0".to_string()));
        }
        if self.scenarios.iter().all(|s| s.weight == 0 && s.users.unwrap_or(0) == 0) {
            return Err(LoadError::new("every scenario has weight 0".to_string()));
        }
        Ok(())
    }

    /// Runs the test and returns its report (thresholds evaluated).
    pub fn run(&self) -> Result<Report, LoadError> {
        self.validate()?;
        quiet_worker_panics();
        let threads = self.threads;
        let duration = self.executor.profile().duration();
        let start = Instant::now() + Duration::from_millis(20);
        let end = start + duration;
        let (tx, rx) = mpsc::channel::<Interval>();
        let plan = Arc::new(Plan::of(self));
        let active = Arc::new(AtomicU64::new(0));
        let interrupted = Arc::new(AtomicU64::new(0));
        let cpu_before = cpu_seconds();
        let mut workers = Vec::new();
        for w in 0..threads {
            let run = Run {
                threads,
                start,
                end,
                grace: self.grace,
                plan: Arc::clone(&plan),
                active: Arc::clone(&active),
                interrupted: Arc::clone(&interrupted),
            };
            let tx = tx.clone();
            let handle = std::thread::Builder::new()
                .name(format!("chaos-load-{w}"))
                .spawn(move || worker(w, &run, tx))
                .map_err(|e| LoadError::new(format!("cannot start a worker thread: {e}")))?;
            workers.push(handle);
        }
        drop(tx);
        let mut merged = Merge::default();
        let mut last_progress = Instant::now();
        loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(interval) => merged.add(interval),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            let now = Instant::now();
            merged.settle(now.saturating_duration_since(start).as_secs().saturating_sub(2));
            if self.progress && now.duration_since(last_progress) >= Duration::from_secs(1) {
                last_progress = now;
                progress_line(&merged, now.saturating_duration_since(start).min(duration), duration, &active);
            }
        }
        for w in workers {
            let _ = w.join();
        }
        merged.settle(u64::MAX);
        if self.progress {
            eprintln!();
        }
        let cpu = match (cpu_before, cpu_seconds()) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        Ok(report::build(self, duration, merged.into_parts(interrupted.load(Ordering::Relaxed)), cpu))
    }
}

/// What the workers share: the scenarios and which user (or arrival) runs which.
struct Plan {
    scenarios: Vec<Scenario>,
    executor: Executor,
    /// Closed model: the scenario of user `i`.
    users: Vec<usize>,
    /// Open model: the scenario of arrival `i` is `cycle[i % cycle.len()]`.
    cycle: Vec<usize>,
}

impl Plan {
    fn of(test: &LoadTest) -> Plan {
        let scenarios = test.scenarios.clone();
        let (users, cycle) = match &test.executor {
            Executor::Users(profile) => {
                let total = profile.peak().ceil() as u64;
                let fixed: u64 = scenarios.iter().filter_map(|s| s.users).sum();
                let weights: Vec<u32> =
                    scenarios.iter().map(|s| if s.users.is_some() { 0 } else { s.weight }).collect();
                let shares = apportion(total.saturating_sub(fixed), &weights);
                let counts: Vec<u64> =
                    scenarios.iter().zip(&shares).map(|(s, share)| s.users.unwrap_or(*share)).collect();
                (interleave(&counts), Vec::new())
            }
            Executor::Rate { .. } => {
                let weights: Vec<u64> =
                    scenarios.iter().map(|s| s.users.unwrap_or(u64::from(s.weight))).collect();
                (Vec::new(), interleave(&weights))
            }
        };
        Plan { scenarios, executor: test.executor.clone(), users, cycle }
    }
}

/// The merged seconds and totals, as the intervals arrive.
#[derive(Default)]
struct Merge {
    total: Histograms,
    errors: BTreeMap<String, u64>,
    open: BTreeMap<u64, Interval>,
    seconds: Vec<Second>,
    iterations: u64,
    late: u64,
    dropped: u64,
}

/// What the runner hands the report.
#[derive(Debug, Default)]
pub struct Merged {
    /// Histograms of the whole run.
    pub total: Histograms,
    /// Error messages and counts.
    pub errors: BTreeMap<String, u64>,
    /// One summary per second.
    pub seconds: Vec<Second>,
    /// Iterations started.
    pub iterations: u64,
    /// Open model: iterations started late.
    pub late: u64,
    /// Open model: iterations that could not start.
    pub dropped: u64,
    /// Iterations abandoned at the end of the grace period.
    pub interrupted: u64,
}

impl Merge {
    fn add(&mut self, interval: Interval) {
        self.total.merge(&interval.histograms);
        for (m, n) in &interval.errors {
            *self.errors.entry(m.clone()).or_insert(0) += n;
        }
        self.iterations += interval.iterations;
        self.late += interval.late;
        self.dropped += interval.dropped;
        match self.open.get_mut(&interval.second) {
            Some(open) => {
                open.histograms.merge(&interval.histograms);
                open.iterations += interval.iterations;
            }
            None => {
                let mut keep = Interval::new(interval.second);
                keep.histograms = interval.histograms;
                keep.iterations = interval.iterations;
                self.open.insert(interval.second, keep);
            }
        }
    }

    /// Summarises (and frees) every second before `before`.
    fn settle(&mut self, before: u64) {
        while let Some(entry) = self.open.first_entry() {
            if *entry.key() >= before {
                break;
            }
            let interval = entry.remove();
            self.seconds.push(Second::of(&interval));
        }
    }

    fn into_parts(self, interrupted: u64) -> Merged {
        let mut seconds = self.seconds;
        // Seconds with nothing recorded still show, as zero (a stalled server, say).
        if let Some(last) = seconds.last().map(|s| s.t) {
            let mut filled = Vec::with_capacity(last as usize + 1);
            let mut it = std::mem::take(&mut seconds).into_iter().peekable();
            for t in 0..=last {
                match it.peek() {
                    Some(s) if s.t == t => filled.push(it.next().unwrap_or_default()),
                    _ => filled.push(Second { t, ..Second::default() }),
                }
            }
            seconds = filled;
        }
        Merged {
            total: self.total,
            errors: self.errors,
            seconds,
            iterations: self.iterations,
            late: self.late,
            dropped: self.dropped,
            interrupted,
        }
    }
}

fn progress_line(merged: &Merge, elapsed: Duration, duration: Duration, active: &AtomicU64) {
    use std::io::IsTerminal;
    let requests: u64 =
        merged.total.by_key.iter().filter(|(k, _)| k.kind == Kind::Request).map(|(_, h)| h.len()).sum();
    let line = format!(
        "[{:>4}s/{}s] users {:>5}  requests {:>9} ({:>8.0}/s)  p99 last second {:>9}  errors {}",
        elapsed.as_secs(),
        duration.as_secs(),
        active.load(Ordering::Relaxed),
        requests,
        requests as f64 / elapsed.as_secs_f64().max(0.001),
        report::fmt_us(merged.seconds.last().map_or(0, |s| s.p99_us)),
        merged.errors.values().sum::<u64>(),
    );
    if std::io::stderr().is_terminal() {
        eprint!("\r{line}");
    } else {
        eprintln!("{line}");
    }
}

/// The worker threads' panics are failed iterations, reported once in the results: the
/// default hook would print each of them.
fn quiet_worker_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let worker = std::thread::current().name().is_some_and(|n| n.starts_with("chaos-load-"));
            if !worker {
                previous(info);
            }
        }));
    });
}

/// User CPU + system CPU of this process, in seconds (Linux: /proc/self/stat, USER_HZ 100).
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// What every worker thread of a run shares.
struct Run {
    threads: usize,
    start: Instant,
    end: Instant,
    grace: Duration,
    plan: Arc<Plan>,
    /// Users started (closed) or iterations in flight (open), for the progress line.
    active: Arc<AtomicU64>,
    /// Iterations abandoned at the end of the grace period.
    interrupted: Arc<AtomicU64>,
}

/// One worker thread's view of the run: which share is its own, and its recorder.
struct Worker<'r> {
    w: usize,
    run: &'r Run,
    recorder: Rc<RefCell<Recorder>>,
    in_flight: Rc<std::cell::Cell<u64>>,
}

fn worker(w: usize, run: &Run, tx: mpsc::Sender<Interval>) {
    let (plan, start, end, grace) = (&*run.plan, run.start, run.end, run.grace);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let mut i = Interval::new(0);
            i.error(&format!("worker {w}: cannot start a runtime: {e}"));
            let _ = tx.send(i);
            return;
        }
    };
    let me = Worker {
        w,
        run,
        recorder: Rc::new(RefCell::new(Recorder::new(start, tx))),
        in_flight: Rc::new(std::cell::Cell::new(0u64)),
    };
    let recorder = &me.recorder;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let ticker = {
            let recorder = Rc::clone(recorder);
            tokio::task::spawn_local(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(250));
                loop {
                    tick.tick().await;
                    recorder.borrow_mut().tick(Instant::now());
                }
            })
        };
        let work = match &plan.executor {
            Executor::Users(profile) => closed(&me, profile).boxed_local(),
            Executor::Rate { profile, max_users } => {
                let cap = max_users.div_ceil(run.threads as u64).max(1);
                open(&me, profile, cap).boxed_local()
            }
        };
        let sessions = tokio::time::timeout_at((end + grace).into(), work).await;
        if let Ok(sessions) = sessions {
            // Cleanup is bounded too: a hung cleanup does not hang the run.
            let cleanups = futures_util::future::join_all(
                sessions
                    .iter()
                    .map(|(s, session)| run_step(&plan.scenarios[*s].cleanup, session, recorder, "cleanup")),
            );
            let _ = tokio::time::timeout(grace, cleanups).await;
        }
        ticker.abort();
    });
    run.interrupted.fetch_add(me.in_flight.get(), Ordering::Relaxed);
    drop(local);
    drop(runtime);
    me.recorder.borrow_mut().flush();
}

/// Counts an iteration in flight for as long as it lives (abandoned ones stay counted).
struct InFlight(Rc<std::cell::Cell<u64>>);

impl InFlight {
    fn new(counter: &Rc<std::cell::Cell<u64>>) -> InFlight {
        counter.set(counter.get() + 1);
        InFlight(Rc::clone(counter))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

type Sessions = Vec<(usize, Rc<Session>)>;

fn new_session(
    plan: &Plan,
    scenario: usize,
    user: u64,
    recorder: &Rc<RefCell<Recorder>>,
) -> Result<Session, String> {
    let s = &plan.scenarios[scenario];
    Session::new(&s.name, user, Rc::new(s.config.clone()), Rc::clone(recorder)).map_err(|e| e.to_string())
}

/// Runs a step (init, cleanup, or a smoke run's iteration), counting its failure (an `Err`
/// or a panic) as an error; true when it succeeded.
pub(crate) async fn run_step(
    step: &Option<Step>,
    session: &Session,
    recorder: &Rc<RefCell<Recorder>>,
    what: &str,
) -> bool {
    let Some(step) = step else { return true };
    let result = AssertUnwindSafe(step(session)).catch_unwind().await;
    match outcome_message(result) {
        None => true,
        Some(message) => {
            recorder
                .borrow_mut()
                .error(Instant::now(), &format!("{}: {what} failed: {message}", session.scenario()));
            false
        }
    }
}

fn outcome_message(result: std::thread::Result<crate::Result>) -> Option<String> {
    match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(payload) => Some(crate::walk::payload_text(payload.as_ref())),
    }
}

/// One iteration: timed as a whole (kind `iteration`), failures counted with their message.
async fn iterate(
    s: &Scenario,
    session: &Session,
    recorder: &Rc<RefCell<Recorder>>,
    intended: Option<Instant>,
) {
    let began = Instant::now();
    let from = intended.unwrap_or(began);
    recorder.borrow_mut().iteration(began, began.saturating_duration_since(from) > LATE);
    session.begin(intended);
    let result = AssertUnwindSafe((s.run)(session)).catch_unwind().await;
    session.end_iteration();
    let end = Instant::now();
    let message = outcome_message(result);
    let key = Key {
        scenario: s.name.clone(),
        kind: Kind::Iteration,
        name: "iteration".into(),
        outcome: if message.is_none() { "ok" } else { "error" },
    };
    let mut r = recorder.borrow_mut();
    r.record(&key, end, micros(end.saturating_duration_since(from)));
    if let Some(m) = message {
        r.error(end, &format!("{}: iteration failed: {m}", s.name));
    }
}

async fn closed(me: &Worker<'_>, profile: &Profile) -> Sessions {
    let (w, threads, plan, start, end) = (me.w, me.run.threads, &*me.run.plan, me.run.start, me.run.end);
    let (recorder, active, in_flight) = (&me.recorder, &me.run.active, &me.in_flight);
    tokio::time::sleep_until(start.into()).await;
    let mine: Vec<(u64, usize)> = plan
        .users
        .iter()
        .enumerate()
        .filter(|(i, _)| i % threads == w)
        .map(|(i, &s)| (i as u64, s))
        .collect();
    let users = mine.into_iter().map(|(user, scenario)| {
        let recorder = Rc::clone(recorder);
        let active = Arc::clone(active);
        let in_flight = Rc::clone(in_flight);
        async move {
            let session = match new_session(plan, scenario, user, &recorder) {
                Ok(s) => Rc::new(s),
                Err(e) => {
                    recorder.borrow_mut().error(Instant::now(), &e);
                    return None;
                }
            };
            let mut started = false;
            let mut ok = true;
            while Instant::now() < end {
                let now = Instant::now();
                if (user as f64) >= profile.at(now.saturating_duration_since(start)) {
                    // Not this user's turn yet (ramping up) or any more (ramping down).
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                if !started {
                    started = true;
                    active.fetch_add(1, Ordering::Relaxed);
                    ok = run_step(&plan.scenarios[scenario].init, &session, &recorder, "init").await;
                }
                if !ok {
                    break;
                }
                let _guard = InFlight::new(&in_flight);
                iterate(&plan.scenarios[scenario], &session, &recorder, None).await;
            }
            started.then_some((scenario, session))
        }
    });
    futures_util::future::join_all(users).await.into_iter().flatten().collect()
}

async fn open(me: &Worker<'_>, profile: &Profile, cap: u64) -> Sessions {
    let (w, threads, plan, start, end) = (me.w, me.run.threads, &*me.run.plan, me.run.start, me.run.end);
    let (recorder, active, in_flight) = (&me.recorder, &me.run.active, &me.in_flight);
    // Idle sessions per scenario (a virtual user keeps its connections between iterations).
    let idle: Rc<RefCell<Vec<Vec<Rc<Session>>>>> =
        Rc::new(RefCell::new(vec![Vec::new(); plan.scenarios.len()]));
    let all: Rc<RefCell<Sessions>> = Rc::default();
    let busy = Rc::new(std::cell::Cell::new(0u64));
    let mut tasks = tokio::task::JoinSet::new();
    let mut next_user = w as u64;
    for (i, at) in Arrivals::new(profile).enumerate() {
        if i % threads != w {
            continue;
        }
        let intended = start + at;
        if intended >= end {
            break;
        }
        tokio::time::sleep_until(intended.into()).await;
        while tasks.try_join_next().is_some() {}
        if busy.get() >= cap {
            recorder.borrow_mut().dropped(Instant::now());
            continue;
        }
        let scenario = plan.cycle[(i / threads * threads + w) % plan.cycle.len()];
        let reuse = idle.borrow_mut()[scenario].pop();
        let session = match reuse {
            Some(s) => s,
            None => {
                let user = next_user;
                next_user += threads as u64;
                match new_session(plan, scenario, user, recorder) {
                    Ok(s) => {
                        let s = Rc::new(s);
                        all.borrow_mut().push((scenario, Rc::clone(&s)));
                        s
                    }
                    Err(e) => {
                        recorder.borrow_mut().error(Instant::now(), &e);
                        continue;
                    }
                }
            }
        };
        busy.set(busy.get() + 1);
        active.store(busy.get(), Ordering::Relaxed);
        let (recorder, idle, busy, in_flight) =
            (Rc::clone(recorder), Rc::clone(&idle), Rc::clone(&busy), Rc::clone(in_flight));
        // spawn_local needs 'static: the scenario (a few Arcs) is cloned in.
        let s = plan.scenarios[scenario].clone();
        tasks.spawn_local(async move {
            let _guard = InFlight::new(&in_flight);
            let ok = !session.first_use() || run_step(&s.init, &session, &recorder, "init").await;
            if ok {
                iterate(&s, &session, &recorder, Some(intended)).await;
            }
            busy.set(busy.get() - 1);
            idle.borrow_mut()[scenario].push(session);
        });
    }
    tokio::time::sleep_until(end.into()).await;
    while tasks.join_next().await.is_some() {}
    all.take()
}

/// The intended start times of the open model's arrivals: arrival `k` comes when the
/// integral of the rate reaches `k` (integrated in 1 ms steps, linear inside a step), so ramps
/// from zero and constant rates both come out exact.
struct Arrivals<'p> {
    profile: &'p Profile,
    /// Start of the current step, in seconds.
    step: f64,
    /// Arrivals due before `step`.
    due: f64,
    /// The next arrival's index.
    next: u64,
    end: f64,
}

impl<'p> Arrivals<'p> {
    const STEP: f64 = 0.001;

    fn new(profile: &'p Profile) -> Self {
        Arrivals { profile, step: 0.0, due: 0.0, next: 0, end: profile.duration().as_secs_f64() }
    }
}

impl Iterator for Arrivals<'_> {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        while self.step < self.end {
            let rate = self.profile.at(Duration::from_secs_f64(self.step + Self::STEP / 2.0));
            let due_after = self.due + rate * Self::STEP;
            if rate > 0.0 && (self.next as f64) < due_after {
                let t = self.step + (self.next as f64 - self.due).max(0.0) / rate;
                self.next += 1;
                // A float hair before the end is the end.
                return (t < self.end - 1e-6).then(|| Duration::from_secs_f64(t));
            }
            self.step += Self::STEP;
            self.due = due_after;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_interpolate_stages() {
        let p = Profile::parse(0.0, "10s:100, 10s:100,5s:0").unwrap();
        assert_eq!(p.duration(), Duration::from_secs(25));
        assert_eq!(p.peak(), 100.0);
        assert_eq!(p.at(Duration::from_secs(5)), 50.0);
        assert_eq!(p.at(Duration::from_secs(15)), 100.0);
        assert_eq!(p.at(Duration::from_secs(30)), 0.0);
        let e = Profile::parse(0.0, "10s:x").unwrap_err();
        assert!(e.contains("stage 1") && e.contains("accepted"), "{e}");
        assert!(Profile::parse(0.0, "10s").unwrap_err().contains("no `:`"));
    }

    #[test]
    fn arrivals_follow_the_rate() {
        let constant = Profile::constant(100.0, Duration::from_secs(2));
        assert_eq!(Arrivals::new(&constant).count(), 200);
        let times: Vec<Duration> = Arrivals::new(&constant).collect();
        assert_eq!((times[0], times[1]), (Duration::ZERO, Duration::from_millis(10)));
        // From 0 to 100/s in 2 s: 100 arrivals, denser at the end.
        let ramp = Profile::parse(0.0, "2s:100").unwrap();
        let times: Vec<Duration> = Arrivals::new(&ramp).collect();
        assert!((99..=101).contains(&times.len()), "{}", times.len());
        assert!(times.iter().filter(|t| t.as_secs_f64() < 1.0).count() < 30, "a quarter in the first half");
        let stepped = Profile::parse(0.0, "1s:0,1s:0,1s:50").unwrap();
        assert!(Arrivals::new(&stepped).all(|t| t >= Duration::from_secs(2)));
    }
}

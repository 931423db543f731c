//! The report of a run: built from the merged histograms, with the thresholds' verdicts;
//! written as `results.json`, a terminal table, and a self-contained HTML page.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::metrics::{Key, Kind, Second, decode, encode, is_error, new_histogram};
use super::runner::{Executor, LoadTest, Merged};
use super::threshold::{Stat, Threshold};

/// The quantiles of the percentile spectrum.
pub const SPECTRUM: [f64; 11] = [0.0, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 1.0];

/// One (scenario, kind, name, outcome) of the run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Row {
    /// The scenario that recorded it.
    pub scenario: String,
    /// `request`, `step`, `custom` or `iteration`.
    pub kind: String,
    /// The bounded name.
    pub name: String,
    /// `2xx`..`5xx`, `ok`, `error`.
    pub outcome: String,
    /// Values recorded.
    pub count: u64,
    /// Per second of the run.
    pub rps: f64,
    /// Microseconds.
    pub min_us: u64,
    /// Microseconds.
    pub mean_us: f64,
    /// Microseconds.
    pub p50_us: u64,
    /// Microseconds.
    pub p90_us: u64,
    /// Microseconds.
    pub p95_us: u64,
    /// Microseconds.
    pub p99_us: u64,
    /// Microseconds.
    pub p999_us: u64,
    /// Microseconds.
    pub max_us: u64,
    /// The histogram, HdrHistogram V2 + DEFLATE, base64: merge shards with it.
    pub histogram: String,
}

/// A (scenario, kind, name) with its outcomes merged.
#[derive(Debug)]
pub struct NameRow {
    /// The scenario.
    pub scenario: String,
    /// `request`, `step`, `custom` or `iteration`.
    pub kind: String,
    /// The bounded name.
    pub name: String,
    /// Values recorded, every outcome.
    pub count: u64,
    /// Of which errors.
    pub errors: u64,
    /// Every outcome's histogram merged.
    pub histogram: Histogram<u64>,
}

/// A threshold and what the run showed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Verdict {
    /// As written.
    pub threshold: String,
    /// What was observed, in the threshold's units (µs, fraction, per second); `None` when
    /// nothing was recorded under its name.
    pub observed: Option<f64>,
    /// Whether it passed.
    pub passed: bool,
    /// The observed value as shown, in the threshold's unit (`12.35ms`, `0.500%`, `7.0/s`).
    #[serde(default)]
    pub shown: String,
}

/// The generator's own use of the machine.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Generator {
    /// Worker threads.
    pub threads: usize,
    /// CPU seconds used by the whole process during the run.
    pub cpu_seconds: Option<f64>,
    /// CPU used as a share of the machine's cores, in percent.
    pub cpu_percent_of_machine: Option<f64>,
    /// Peak resident memory (VmHWM), in MiB.
    pub peak_rss_mb: Option<f64>,
    /// Set when the generator may have been the bottleneck.
    pub warning: Option<String>,
}

/// The results of a load test.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// Format version of this file.
    pub version: u32,
    /// Always `load`.
    pub kind: String,
    /// `closed` (users) or `open` (arrival rate).
    pub model: String,
    /// The scenarios run.
    pub scenarios: Vec<String>,
    /// The planned duration, in seconds.
    pub duration_s: f64,
    /// Requests (HTTP and WebSocket) completed.
    pub requests: u64,
    /// Requests that failed: transport errors, timeouts, 4xx, 5xx.
    pub errors: u64,
    /// Requests per second over the planned duration.
    pub rps: f64,
    /// Iterations started.
    pub iterations: u64,
    /// Iterations that failed (an `Err` or a panic).
    pub failed_iterations: u64,
    /// Open model: iterations that started more than 5 ms after their intended time.
    pub late_iterations: u64,
    /// Open model: iterations that could not start (every user busy).
    pub dropped_iterations: u64,
    /// Iterations still running when the grace period ended.
    pub interrupted_iterations: u64,
    /// Latency of every request: the quantiles of [`SPECTRUM`], microseconds.
    pub spectrum: Vec<(f64, u64)>,
    /// One row per (scenario, kind, name, outcome).
    pub rows: Vec<Row>,
    /// One summary per second.
    pub seconds: Vec<Second>,
    /// Error messages with their counts, most frequent first.
    pub error_messages: Vec<(String, u64)>,
    /// The thresholds' verdicts.
    pub thresholds: Vec<Verdict>,
    /// Whether every threshold passed.
    pub passed: bool,
    /// The generator's own CPU and memory.
    pub generator: Generator,
}

/// Builds the report of a finished run.
pub fn build(test: &LoadTest, duration: Duration, merged: Merged, cpu: Option<f64>) -> Report {
    let secs = duration.as_secs_f64().max(1e-9);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let cpu_percent = cpu.map(|c| 100.0 * c / secs / cores);
    let warning = cpu_percent.filter(|&p| p >= 80.0).map(|p| {
        format!(
            "the generator used {p:.0}% of the machine's CPU: it may be the bottleneck; \
             run it on another machine or with fewer users"
        )
    });
    let model = match test.executor {
        Executor::Users(_) => "closed",
        Executor::Rate { .. } => "open",
    };
    let generator = Generator {
        threads: test.threads,
        cpu_seconds: cpu,
        cpu_percent_of_machine: cpu_percent,
        peak_rss_mb: peak_rss_mb(),
        warning,
    };
    let scenarios = test.scenarios.iter().map(|s| s.name.clone()).collect();
    assemble(model, scenarios, duration.as_secs_f64(), merged, &test.thresholds, generator)
}

/// The report of merged histograms and counts.
fn assemble(
    model: &str,
    scenarios: Vec<String>,
    duration_s: f64,
    merged: Merged,
    thresholds: &[Threshold],
    generator: Generator,
) -> Report {
    let secs = duration_s.max(1e-9);
    let mut requests = new_histogram();
    let mut errors = 0;
    let mut failed_iterations = 0;
    let mut rows = Vec::new();
    for (key, h) in &merged.total.by_key {
        if key.kind == Kind::Request {
            let _ = requests.add(h);
            if is_error(key.outcome) {
                errors += h.len();
            }
        }
        if key.kind == Kind::Iteration && key.outcome == "error" {
            failed_iterations += h.len();
        }
        rows.push(row(&key.scenario, key.kind.as_str(), &key.name, key.outcome, h, secs));
    }
    let thresholds: Vec<Verdict> = thresholds.iter().map(|t| verdict(t, &merged, secs)).collect();
    let mut error_messages: Vec<(String, u64)> = merged.errors.into_iter().collect();
    error_messages.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Report {
        version: 1,
        kind: "load".into(),
        model: model.into(),
        scenarios,
        duration_s,
        requests: requests.len(),
        errors,
        rps: requests.len() as f64 / secs,
        iterations: merged.iterations,
        failed_iterations,
        late_iterations: merged.late,
        dropped_iterations: merged.dropped,
        interrupted_iterations: merged.interrupted,
        spectrum: SPECTRUM.iter().map(|&q| (q, requests.value_at_quantile(q))).collect(),
        rows,
        seconds: merged.seconds,
        error_messages,
        passed: thresholds.iter().all(|v| v.passed),
        thresholds,
        generator,
    }
}

/// Merges the results of shards that ran side by side (each with its share of the users or
/// of the rate): histograms add exactly (per request name and per second), counts add, and
/// the thresholds are evaluated on the merged histograms. Never average percentiles.
pub fn merge(parts: &[(String, Report)], thresholds: &[Threshold]) -> Result<Report, String> {
    if parts.is_empty() {
        return Err("nothing to merge: give the results.json of each shard".into());
    }
    let mut merged = Merged::default();
    let mut seconds: BTreeMap<u64, (Second, Histogram<u64>)> = BTreeMap::new();
    let mut scenarios: Vec<String> = Vec::new();
    let mut duration_s: f64 = 0.0;
    let mut generator = Generator {
        threads: 0,
        cpu_seconds: Some(0.0),
        cpu_percent_of_machine: None,
        peak_rss_mb: None,
        warning: None,
    };
    let model = parts[0].1.model.clone();
    for (file, r) in parts {
        if r.kind != "load" || r.version != 1 {
            return Err(format!(
                "{file}: not load results of version 1 (kind {:?}, version {})",
                r.kind, r.version
            ));
        }
        if r.model != model {
            return Err(format!("{file}: a {} model run cannot merge with {} model runs", r.model, model));
        }
        for row in &r.rows {
            let h = decode(&row.histogram)
                .map_err(|e| format!("{file}: the histogram of {:?}: {e}", row.name))?;
            let kind =
                Kind::parse(&row.kind).ok_or_else(|| format!("{file}: unknown kind {:?}", row.kind))?;
            let outcome = outcome_of(&row.outcome)
                .ok_or_else(|| format!("{file}: unknown outcome {:?}", row.outcome))?;
            let key = Key { scenario: row.scenario.clone(), kind, name: row.name.clone(), outcome };
            let _ = merged.total.by_key.entry(key).or_insert_with(new_histogram).add(&h);
        }
        for s in &r.seconds {
            let h =
                decode(&s.histogram).map_err(|e| format!("{file}: the histogram of second {}: {e}", s.t))?;
            let (sum, all) = seconds
                .entry(s.t)
                .or_insert_with(|| (Second { t: s.t, ..Second::default() }, new_histogram()));
            sum.requests += s.requests;
            sum.errors += s.errors;
            sum.iterations += s.iterations;
            let _ = all.add(&h);
        }
        for (m, n) in &r.error_messages {
            *merged.errors.entry(m.clone()).or_insert(0) += n;
        }
        merged.iterations += r.iterations;
        merged.late += r.late_iterations;
        merged.dropped += r.dropped_iterations;
        merged.interrupted += r.interrupted_iterations;
        duration_s = duration_s.max(r.duration_s);
        for s in &r.scenarios {
            if !scenarios.contains(s) {
                scenarios.push(s.clone());
            }
        }
        generator.threads += r.generator.threads;
        generator.cpu_seconds = generator.cpu_seconds.zip(r.generator.cpu_seconds).map(|(a, b)| a + b);
        generator.peak_rss_mb = match (generator.peak_rss_mb, r.generator.peak_rss_mb) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    merged.seconds = seconds
        .into_values()
        .map(|(sum, all)| Second {
            p50_us: all.value_at_quantile(0.5),
            p95_us: all.value_at_quantile(0.95),
            p99_us: all.value_at_quantile(0.99),
            histogram: encode(&all),
            ..sum
        })
        .collect();
    Ok(assemble(&model, scenarios, duration_s, merged, thresholds, generator))
}

/// The static outcome class of a name read back from JSON.
fn outcome_of(text: &str) -> Option<super::metrics::Outcome> {
    ["1xx", "2xx", "3xx", "4xx", "5xx", "ok", "error"].into_iter().find(|o| *o == text)
}

fn row(scenario: &str, kind: &str, name: &str, outcome: &str, h: &Histogram<u64>, secs: f64) -> Row {
    Row {
        scenario: scenario.into(),
        kind: kind.into(),
        name: name.into(),
        outcome: outcome.into(),
        count: h.len(),
        rps: h.len() as f64 / secs,
        min_us: h.min(),
        mean_us: h.mean(),
        p50_us: h.value_at_quantile(0.5),
        p90_us: h.value_at_quantile(0.9),
        p95_us: h.value_at_quantile(0.95),
        p99_us: h.value_at_quantile(0.99),
        p999_us: h.value_at_quantile(0.999),
        max_us: h.max(),
        histogram: encode(h),
    }
}

fn verdict(t: &Threshold, merged: &Merged, secs: f64) -> Verdict {
    let mut all = new_histogram();
    let mut failed = 0;
    for (key, h) in &merged.total.by_key {
        let selected = match &t.name {
            Some(name) => &key.name == name,
            None => key.kind == Kind::Request,
        };
        if selected {
            let _ = all.add(h);
            if is_error(key.outcome) {
                failed += h.len();
            }
        }
    }
    let observed = (!all.is_empty()).then(|| match t.stat {
        Stat::Percentile(q) => all.value_at_quantile(q / 100.0) as f64,
        Stat::Mean => all.mean(),
        Stat::Max => all.max() as f64,
        Stat::Min => all.min() as f64,
        Stat::Errors => failed as f64 / all.len() as f64,
        Stat::Rps => all.len() as f64 / secs,
    });
    Verdict {
        threshold: t.text.clone(),
        observed,
        passed: observed.is_some_and(|o| t.passes(o)),
        shown: fmt_observed(t.stat, observed),
    }
}

/// VmHWM of this process, in MiB (Linux).
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Microseconds as `850us`, `12.3ms`, `1.50s`.
pub fn fmt_us(us: u64) -> String {
    match us {
        0..=999 => format!("{us}us"),
        1_000..=999_999 => format!("{:.2}ms", us as f64 / 1e3),
        _ => format!("{:.2}s", us as f64 / 1e6),
    }
}

fn fmt_observed(stat: Stat, observed: Option<f64>) -> String {
    let Some(o) = observed else { return "nothing recorded".into() };
    match stat {
        Stat::Errors => format!("{:.3}%", o * 100.0),
        Stat::Rps => format!("{o:.1}/s"),
        _ => fmt_us(o.round() as u64),
    }
}

impl Report {
    /// The rows of each (scenario, kind, name) with every outcome merged: the tables' rows.
    pub fn by_name(&self) -> Vec<NameRow> {
        let mut merged: BTreeMap<(&str, &str, &str), NameRow> = BTreeMap::new();
        for r in &self.rows {
            let entry = merged.entry((&r.scenario, &r.kind, &r.name)).or_insert_with(|| NameRow {
                scenario: r.scenario.clone(),
                kind: r.kind.clone(),
                name: r.name.clone(),
                count: 0,
                errors: 0,
                histogram: new_histogram(),
            });
            entry.count += r.count;
            if is_error(&r.outcome) {
                entry.errors += r.count;
            }
            if let Ok(h) = super::metrics::decode(&r.histogram) {
                let _ = entry.histogram.add(&h);
            }
        }
        merged.into_values().collect()
    }

    /// The table shown at the end of a run.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<12} {:<9} {:<32} {:>9} {:>7} {:>10} {:>9} {:>9} {:>9} {:>9}",
            "scenario", "kind", "name", "count", "errors", "rate/s", "p50", "p95", "p99", "max"
        );
        for NameRow { scenario, kind, name, count, errors, histogram: h } in self.by_name() {
            let _ = writeln!(
                out,
                "{:<12} {:<9} {:<32} {:>9} {:>7} {:>10.1} {:>9} {:>9} {:>9} {:>9}",
                clip(&scenario, 12),
                kind,
                clip(&name, 32),
                count,
                errors,
                count as f64 / self.duration_s.max(1e-9),
                fmt_us(h.value_at_quantile(0.5)),
                fmt_us(h.value_at_quantile(0.95)),
                fmt_us(h.value_at_quantile(0.99)),
                fmt_us(h.max()),
            );
        }
        let _ = writeln!(
            out,
            "\n{} requests in {:.1}s: {:.1}/s, {} errors; {} iterations ({} failed, {} late, {} dropped, {} interrupted)",
            self.requests,
            self.duration_s,
            self.rps,
            self.errors,
            self.iterations,
            self.failed_iterations,
            self.late_iterations,
            self.dropped_iterations,
            self.interrupted_iterations
        );
        for (message, count) in self.error_messages.iter().take(10) {
            let _ = writeln!(out, "  error x{count}: {message}");
        }
        for v in &self.thresholds {
            let mark = if v.passed { "pass" } else { "FAIL" };
            let _ = writeln!(out, "  threshold {mark}: {} (observed {})", v.threshold, v.shown);
        }
        let g = &self.generator;
        let _ = writeln!(
            out,
            "generator: {} threads, CPU {}, peak RSS {}",
            g.threads,
            g.cpu_percent_of_machine.map_or("unknown".into(), |p| format!("{p:.0}% of the machine")),
            g.peak_rss_mb.map_or("unknown".into(), |m| format!("{m:.1} MiB")),
        );
        if let Some(w) = &g.warning {
            let _ = writeln!(out, "warning: {w}");
        }
        out
    }

    /// Writes `results.json` and `report.html` into `dir` (an existing `dir` is first moved
    /// to `dir.old`). Returns the report's path.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        if dir.exists() {
            let old = dir.with_extension("old");
            if old.exists() {
                std::fs::remove_dir_all(&old)?;
            }
            std::fs::rename(dir, &old)?;
        }
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("results.json"), json + "\n")?;
        let html = dir.join("report.html");
        std::fs::write(&html, super::html::render(self))?;
        Ok(html)
    }
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut s: String = text.chars().take(width - 1).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_show_in_the_best_unit() {
        assert_eq!(fmt_us(850), "850us");
        assert_eq!(fmt_us(12_345), "12.35ms");
        assert_eq!(fmt_us(1_500_000), "1.50s");
        assert_eq!(fmt_observed(Stat::Errors, Some(0.005)), "0.500%");
        assert_eq!(fmt_observed(Stat::Rps, Some(7.0)), "7.0/s");
        assert_eq!(fmt_observed(Stat::Percentile(99.0), None), "nothing recorded");
    }
}

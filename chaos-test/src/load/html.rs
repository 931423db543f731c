//! The HTML report: one self-contained page (inline CSS and SVG, no script, no CDN) with
//! throughput and p50/p95/p99 over time, the percentile spectrum, the per-request table, the
//! errors and the thresholds' verdicts.

use std::fmt::Write as _;

use super::report::{Report, fmt_us};

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A series of a chart: its label, its colour, its points.
struct Series<'a> {
    label: &'a str,
    color: &'a str,
    points: Vec<(f64, f64)>,
}

const W: f64 = 760.0;
const H: f64 = 260.0;
const LEFT: f64 = 64.0;
const BOTTOM: f64 = 36.0;
const TOP: f64 = 28.0;

/// An SVG line chart with axes, five ticks each way and a legend. `x_ticks` labels the x axis
/// at the given values (or evenly when empty).
fn line_chart(
    id: &str,
    title: &str,
    series: &[Series<'_>],
    y_unit: &str,
    x_ticks: &[(f64, String)],
) -> String {
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (x_min, x_max) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let (x_min, x_max) = if x_min.is_finite() { (x_min, x_max.max(x_min + 1e-9)) } else { (0.0, 1.0) };
    let y_max = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(0.0, f64::max);
    let y_max = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    let px = |x: f64| LEFT + (x - x_min) / (x_max - x_min) * (W - LEFT - 16.0);
    let py = |y: f64| H - BOTTOM - y / y_max * (H - BOTTOM - TOP);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg id="{id}" class="chart" role="img" aria-label="{t}" viewBox="0 0 {W} {H}" width="{W}" height="{H}" xmlns="http://www.w3.org/2000/svg">"#,
        t = esc(title)
    );
    let _ = write!(svg, r#"<text x="{LEFT}" y="18" class="title">{}</text>"#, esc(title));
    for i in 0..=4 {
        let y = y_max * f64::from(i) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{py}" y2="{py}" stroke="#ddd"/><text x="{}" y="{}" text-anchor="end">{}{y_unit}</text>"##,
            W - 16.0,
            LEFT - 6.0,
            py(y) + 4.0,
            short(y),
            py = py(y),
        );
    }
    let ticks: Vec<(f64, String)> = if x_ticks.is_empty() {
        (0..=4)
            .map(|i| x_min + (x_max - x_min) * f64::from(i) / 4.0)
            .map(|x| (x, format!("{}s", short(x))))
            .collect()
    } else {
        x_ticks.to_vec()
    };
    for (x, label) in ticks {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            px(x),
            H - BOTTOM + 16.0,
            esc(&label)
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{b}" stroke="#888"/><line x1="{LEFT}" x2="{r}" y1="{b}" y2="{b}" stroke="#888"/>"##,
        b = H - BOTTOM,
        r = W - 16.0
    );
    for (i, s) in series.iter().enumerate() {
        let points: Vec<String> =
            s.points.iter().map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y))).collect();
        let _ = write!(
            svg,
            r#"<polyline class="series" data-label="{l}" fill="none" stroke="{c}" stroke-width="2" points="{p}"/>"#,
            l = esc(s.label),
            c = s.color,
            p = points.join(" ")
        );
        let lx = LEFT + 10.0 + 120.0 * i as f64;
        let _ = write!(
            svg,
            r#"<rect x="{lx}" y="{ly}" width="10" height="10" fill="{c}"/><text x="{tx}" y="{ty}">{l}</text>"#,
            ly = H - 12.0,
            c = s.color,
            tx = lx + 14.0,
            ty = H - 3.0,
            l = esc(s.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn short(v: f64) -> String {
    if v >= 100.0 || v == v.trunc() { format!("{v:.0}") } else { format!("{v:.2}") }
}

/// Renders the whole page.
pub fn render(r: &Report) -> String {
    let secs: Vec<f64> = r.seconds.iter().map(|s| s.t as f64).collect();
    let throughput = line_chart(
        "chart-throughput",
        "Throughput (requests per second)",
        &[
            Series {
                label: "requests/s",
                color: "#1f77b4",
                points: secs.iter().zip(&r.seconds).map(|(&t, s)| (t, s.requests as f64)).collect(),
            },
            Series {
                label: "errors/s",
                color: "#d62728",
                points: secs.iter().zip(&r.seconds).map(|(&t, s)| (t, s.errors as f64)).collect(),
            },
        ],
        "",
        &[],
    );
    let ms = |us: u64| us as f64 / 1000.0;
    let latency = line_chart(
        "chart-latency",
        "Latency over time (ms)",
        &[
            Series {
                label: "p50",
                color: "#2ca02c",
                points: r.seconds.iter().map(|s| (s.t as f64, ms(s.p50_us))).collect(),
            },
            Series {
                label: "p95",
                color: "#ff7f0e",
                points: r.seconds.iter().map(|s| (s.t as f64, ms(s.p95_us))).collect(),
            },
            Series {
                label: "p99",
                color: "#d62728",
                points: r.seconds.iter().map(|s| (s.t as f64, ms(s.p99_us))).collect(),
            },
        ],
        "",
        &[],
    );
    // The spectrum's x axis is log(1 / (1 - q)), as HdrHistogram's plots: tails get room.
    let x_of = |q: f64| (1.0 / (1.0 - q.min(0.99999))).log10();
    let spectrum = line_chart(
        "chart-spectrum",
        "Latency by percentile (ms)",
        &[Series {
            label: "latency",
            color: "#9467bd",
            points: r.spectrum.iter().map(|&(q, us)| (x_of(q), ms(us))).collect(),
        }],
        "",
        &[0.0, 0.9, 0.99, 0.999, 0.9999]
            .iter()
            .map(|&q| (x_of(q), format!("{}%", q * 100.0)))
            .collect::<Vec<_>>(),
    );
    let mut table = String::new();
    for row in r.by_name() {
        let h = &row.histogram;
        let _ = write!(
            table,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&row.scenario),
            esc(&row.kind),
            esc(&row.name),
            row.count,
            row.errors,
            fmt_us(h.value_at_quantile(0.5)),
            fmt_us(h.value_at_quantile(0.95)),
            fmt_us(h.value_at_quantile(0.99)),
            fmt_us(h.max())
        );
    }
    let mut errors = String::new();
    for (message, count) in &r.error_messages {
        let _ = write!(errors, "<tr><td>{count}</td><td>{}</td></tr>", esc(message));
    }
    if errors.is_empty() {
        errors.push_str("<tr><td colspan=2>none</td></tr>");
    }
    let mut thresholds = String::new();
    for v in &r.thresholds {
        let (class, word) = if v.passed { ("pass", "pass") } else { ("fail", "FAIL") };
        let _ = write!(
            thresholds,
            r#"<tr class="{class}"><td>{word}</td><td>{}</td><td>{}</td></tr>"#,
            esc(&v.threshold),
            esc(&v.shown)
        );
    }
    if thresholds.is_empty() {
        thresholds.push_str("<tr><td colspan=3>no thresholds</td></tr>");
    }
    let verdict = if r.passed { "passed" } else { "failed" };
    let warning =
        r.generator.warning.as_deref().map(|w| format!("<p class=warn>{}</p>", esc(w))).unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>chaos-test load report</title>
<style>
body{{font:14px system-ui,sans-serif;margin:24px;color:#222}} h1{{font-size:20px}} h2{{font-size:16px;margin-top:28px}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}} td:nth-child(-n+3),th:nth-child(-n+3){{text-align:left}}
.chart text{{font-size:11px;fill:#444}} .chart .title{{font-size:13px;fill:#222}} .pass{{color:#176c17}} .fail{{color:#b00;font-weight:bold}}
.summary span{{margin-right:18px}} .warn{{color:#a05a00}}
</style></head><body>
<h1>Load test: {scenarios} <span id="verdict" class="{vclass}">{verdict}</span></h1>
<p class="summary"><span>model: {model}</span><span>duration: {duration:.1}s</span><span>requests: {requests}</span>
<span>rate: {rps:.1}/s</span><span>errors: {errs}</span><span>iterations: {iters} ({failed} failed, {late} late, {dropped} dropped)</span></p>
{warning}
<h2>Thresholds</h2><table id="thresholds"><tr><th>verdict</th><th>threshold</th><th>observed</th></tr>{thresholds}</table>
<h2>Over time</h2>{throughput}
{latency}
<h2>Percentile spectrum</h2>{spectrum}
<h2>Requests</h2><table id="requests"><tr><th>scenario</th><th>kind</th><th>name</th><th>count</th><th>errors</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>{table}</table>
<h2>Errors</h2><table id="errors"><tr><th>count</th><th>message</th></tr>{errors}</table>
</body></html>
"#,
        scenarios = esc(&r.scenarios.join(", ")),
        vclass = if r.passed { "pass" } else { "fail" },
        model = r.model,
        duration = r.duration_s,
        requests = r.requests,
        rps = r.rps,
        errs = r.errors,
        iters = r.iterations,
        failed = r.failed_iterations,
        late = r.late_iterations,
        dropped = r.dropped_iterations,
    )
}

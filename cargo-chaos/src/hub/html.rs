//! HTML building blocks for the pages: escaping, the layout, status badges, durations and
//! the SVG bar chart of a load histogram. No templates, no scripts: plain forms and links.

use std::fmt::Write;

use serde_json::Value;

/// `s` safe inside HTML text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` safe inside a URL query value.
pub fn url(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}
header{background:#22313f;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center}
header a{color:#fff}main{padding:16px}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
.badge{padding:1px 6px;border-radius:3px;color:#fff;background:#777}.completed,.passed,.caught{background:#2e7d32}
.failed,.missed,.survived{background:#c62828}.running{background:#1565c0}.interrupted,.aborted,.deviated,.timeout{background:#ef6c00}
pre{background:#f6f6f6;padding:6px;overflow:auto;max-width:1100px;margin:0}.diff-add{color:#2e7d32}.diff-del{color:#c62828}
form.inline{display:inline}.switch{font-size:15px;padding:6px 12px}.note{color:#555}.frozen{color:#c62828;font-weight:bold}";

/// A whole page; `who` is the signed-in organization and team, with the CSRF token for sign-out.
pub fn page(title: &str, who: Option<(&str, &str, &str)>, body: &str) -> String {
    let mut nav = String::new();
    if let Some((org, team, csrf)) = who {
        let _ = write!(
            nav,
            "<a href=\"/executions\">Executions</a><a href=\"/policies\">Policies</a><a href=\"/tokens\">Tokens</a>\
             <span style=\"margin-left:auto\">{} / {}</span>\
             <form class=\"inline\" method=\"post\" action=\"/signout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\">Sign out</button></form>",
            esc(org),
            esc(team),
            esc(csrf)
        );
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} - chaos hub</title>\
         <style>{STYLE}</style></head><body><header><strong>chaos hub</strong>{nav}</header><main><h1>{}</h1>{body}</main></body></html>",
        esc(title),
        esc(title)
    )
}

pub fn badge(status: &str) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", esc(status))
}

/// `ms` as `1.234 s`, `2 min 03 s`.
pub fn duration(ms: i64) -> String {
    if ms < 60_000 {
        format!("{:.3} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {:02} s", ms / 60_000, ms % 60_000 / 1000)
    }
}

/// A unified diff with added and removed lines coloured.
pub fn diff(text: &str) -> String {
    let mut out = String::from("<pre>");
    for line in text.lines() {
        let class = if line.starts_with('+') && !line.starts_with("+++") {
            "diff-add"
        } else if line.starts_with('-') && !line.starts_with("---") {
            "diff-del"
        } else {
            ""
        };
        let _ = writeln!(out, "<span class=\"{class}\">{}</span>", esc(line));
    }
    out.push_str("</pre>");
    out
}

/// A load histogram `{name, unit?, buckets: [[upper, count], ...]}` as an SVG bar chart.
pub fn histogram(h: &Value) -> String {
    let name = h.get("name").and_then(Value::as_str).unwrap_or("histogram");
    let unit = h.get("unit").and_then(Value::as_str).unwrap_or("ms");
    let buckets: Vec<(f64, f64)> = h
        .get("buckets")
        .and_then(Value::as_array)
        .map(|b| b.iter().filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?))).collect())
        .unwrap_or_default();
    let (w, hgt, pad) = (600.0, 180.0, 24.0);
    let max = buckets.iter().map(|b| b.1).fold(0.0, f64::max).max(1.0);
    let bw = if buckets.is_empty() { 0.0 } else { (w - 2.0 * pad) / buckets.len() as f64 };
    let mut svg = format!(
        "<figure><figcaption>{} ({} buckets, {})</figcaption><svg class=\"chart\" width=\"{w}\" height=\"{}\" \
         xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\">",
        esc(name),
        buckets.len(),
        esc(unit),
        hgt + pad,
        esc(name)
    );
    for (i, (upper, count)) in buckets.iter().enumerate() {
        let bh = (count / max) * (hgt - pad);
        let x = pad + i as f64 * bw;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#1565c0\"><title>&lt;= {upper} {}: {count}</title></rect>",
            hgt - bh,
            (bw - 2.0).max(1.0),
            esc(unit)
        );
        if buckets.len() <= 12 || i % (buckets.len() / 12 + 1) == 0 {
            let _ = write!(svg, "<text x=\"{x:.1}\" y=\"{}\" font-size=\"10\">{upper}</text>", hgt + 14.0);
        }
    }
    svg.push_str("</svg></figure>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(url("a b&c"), "a%20b%26c");
    }

    #[test]
    fn a_histogram_draws_one_bar_per_bucket() {
        let h = serde_json::json!({"name": "GET /", "buckets": [[1, 5], [2, 10], [4, 0]]});
        assert_eq!(histogram(&h).matches("<rect").count(), 3);
    }
}

//! What the hub reads out of a journal to list and show it: status, times, title, kind and
//! failures. The journal itself is stored as sent; this is only the index.
//!
//! Our own result kinds travel as ordinary Chaos Toolkit journals with one extension,
//! `{"name": "chaos-test", "kind": "walks" | "mutants" | "load", ...}`:
//! walks carry `walks: [{name, status, duration?, failure?}]`, mutants carry
//! `mutants: [{name, outcome, diff?}]` (outcome `caught`, `missed`, `timeout`, `unviable`),
//! load runs carry `histograms: [{name, unit?, buckets: [[upper, count], ...]}]`.

use serde_json::{Map, Value};

/// The index of one journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub status: String,
    pub kind: String,
    pub title: String,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub failures: i64,
}

/// Kinds of our own results, and the list each carries.
const KINDS: &[(&str, &str)] = &[("walks", "walks"), ("mutants", "mutants"), ("load", "histograms")];

/// Indexes `journal` (already known to be an object), or says what is wrong with it.
pub fn summarize(journal: &Map<String, Value>) -> Result<Summary, String> {
    let status = match journal.get("status") {
        None | Some(Value::Null) => "running".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("`journal.status` must be a string".into()),
    };
    let time = |key: &str| -> Result<Option<i64>, String> {
        match journal.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => parse_time(s).map(Some).ok_or_else(|| {
                format!(
                    "`journal.{key}` is not an ISO-8601 timestamp (like 2026-11-21T23:06:13.46+00:00): {s:?}"
                )
            }),
            Some(_) => Err(format!("`journal.{key}` must be a string")),
        }
    };
    let start_ms = time("start")?;
    let mut end_ms = time("end")?;
    if let (Some(s), None, Some(d)) = (start_ms, end_ms, journal.get("duration").and_then(Value::as_f64)) {
        end_ms = Some(s.saturating_add((d * 1000.0) as i64));
    }
    let title = journal
        .get("experiment")
        .and_then(|e| e.get("title"))
        .and_then(Value::as_str)
        .unwrap_or("(untitled)")
        .to_owned();
    let (kind, ours) = ours(journal)?;
    let failed_runs = journal
        .get("run")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter(|a| a.get("status").and_then(Value::as_str) == Some("failed")).count())
        .unwrap_or(0) as i64;
    let failures = match (kind.as_str(), ours) {
        ("walks", Some(ext)) => count(&ext["walks"], "status", &["failed"]),
        ("mutants", Some(ext)) => count(&ext["mutants"], "outcome", &["missed", "survived"]),
        _ => failed_runs,
    };
    // `chaos publish` overwrites the status with "running"; an `end` says it finished.
    let status = if status == "running" && journal.get("end").is_some_and(|e| !e.is_null()) {
        if journal.get("deviated") == Some(&Value::Bool(true)) {
            "deviated".to_owned()
        } else if failures > 0 {
            "failed".to_owned()
        } else {
            "completed".to_owned()
        }
    } else if status == "completed" && journal.get("deviated") == Some(&Value::Bool(true)) {
        "deviated".to_owned()
    } else {
        status
    };
    Ok(Summary { status, kind, title, start_ms, end_ms, failures })
}

fn count(list: &Value, key: &str, bad: &[&str]) -> i64 {
    list.as_array()
        .map(|l| {
            l.iter().filter(|w| w.get(key).and_then(Value::as_str).is_some_and(|s| bad.contains(&s))).count()
        })
        .unwrap_or(0) as i64
}

/// Our extension of a journal, when it has one.
pub type Ours<'a> = Option<&'a Map<String, Value>>;

/// The kind of a journal (`experiment` or one of ours) and our extension, checked.
pub fn ours(journal: &Map<String, Value>) -> Result<(String, Ours<'_>), String> {
    let Some(exts) = journal.get("extensions") else { return Ok(("experiment".into(), None)) };
    let Some(exts) = exts.as_array() else { return Err("`journal.extensions` must be an array".into()) };
    let Some(ext) = exts.iter().find(|e| e.get("name").and_then(Value::as_str) == Some("chaos-test")) else {
        return Ok(("experiment".into(), None));
    };
    let ext = ext.as_object().expect("found by a key, so an object");
    let kind = ext.get("kind").and_then(Value::as_str).unwrap_or("");
    let Some((_, list)) = KINDS.iter().find(|(k, _)| *k == kind) else {
        return Err(format!(
            "the chaos-test extension's `kind` must be walks, mutants or load, not {kind:?}"
        ));
    };
    match ext.get(*list) {
        Some(Value::Array(items)) => {
            if let Some(i) = items.iter().position(|w| !w.get("name").is_some_and(Value::is_string)) {
                return Err(format!("the chaos-test extension's `{list}[{i}]` needs a string `name`"));
            }
        }
        _ => return Err(format!("the chaos-test extension of kind {kind} needs an array `{list}`")),
    }
    Ok((kind.to_owned(), Some(ext)))
}

/// Milliseconds since the epoch of an ISO-8601 timestamp, with or without an offset
/// (without one it is UTC, as chaostoolkit-lib before 1.28 wrote them).
pub fn parse_time(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if part.iter().all(u8::is_ascii_digit) { std::str::from_utf8(part).ok()?.parse().ok() } else { None }
    };
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        let digits = &s[start..i.min(start + 3)];
        ms = digits.parse::<i64>().ok()? * 10i64.pow(3 - digits.len() as u32);
    }
    let offset_min = match b.get(i) {
        None => 0,
        Some(b'Z') | Some(b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
            let o = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    Some(((days * 86_400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `ms` since the epoch as `2026-11-21 23:06:13` (UTC), for pages.
pub fn format_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_with_and_without_an_offset_are_read() {
        let utc = parse_time("2026-11-21T23:06:33.091954").unwrap();
        assert_eq!(parse_time("2026-11-21T23:06:33.091954+00:00"), Some(utc));
        assert_eq!(parse_time("2026-11-22T01:06:33.091+02:00"), Some(utc));
        assert_eq!(parse_time("2026-11-21T23:06:33.091Z"), Some(utc));
        assert_eq!(format_time(utc), "2026-11-21 23:06:33");
        assert_eq!(parse_time("1970-01-01T00:00:00"), Some(0));
        for bad in ["", "yesterday", "2026-13-01T00:00:00", "2026-11-21T23:06:33+0", "2026-11-21T23:06:33."] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_running_journal_with_an_end_is_finished() {
        let j = json!({"status": "running", "start": "2026-11-21T23:06:33", "end": "2026-11-21T23:06:34",
                       "experiment": {"title": "t"}, "run": []});
        let s = summarize(j.as_object().unwrap()).unwrap();
        assert_eq!((s.status.as_str(), s.end_ms.unwrap() - s.start_ms.unwrap()), ("completed", 1000));
        let j = json!({"status": "running", "end": "2026-11-21T23:06:34", "deviated": true});
        assert_eq!(summarize(j.as_object().unwrap()).unwrap().status, "deviated");
        let j = json!({"status": "running", "start": "2026-11-21T23:06:33"});
        assert_eq!(summarize(j.as_object().unwrap()).unwrap().status, "running");
        // Absurd numbers are not a crash.
        let j = json!({"start": "9999-12-31T23:59:59", "duration": 1e300});
        assert!(summarize(j.as_object().unwrap()).unwrap().end_ms.is_some());
    }

    #[test]
    fn walk_runs_count_their_failed_walks() {
        let j = json!({"status": "failed", "extensions": [{"name": "chaos-test", "kind": "walks",
            "walks": [{"name": "a", "status": "passed"}, {"name": "b", "status": "failed"}]}]});
        let s = summarize(j.as_object().unwrap()).unwrap();
        assert_eq!((s.kind.as_str(), s.failures), ("walks", 1));
        let j = json!({"extensions": [{"name": "chaos-test", "kind": "walks", "walks": [{"status": "x"}]}]});
        assert!(summarize(j.as_object().unwrap()).unwrap_err().contains("walks[0]"));
        let j = json!({"extensions": [{"name": "chaos-test", "kind": "races"}]});
        assert!(summarize(j.as_object().unwrap()).unwrap_err().contains("races"));
    }
}

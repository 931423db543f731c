//! Thresholds: `p99 < 200ms`, `errors < 1%`, `rps > 1000`, optionally for one request name
//! (`GET /items/{id}: p95 <= 50ms`), evaluated on the merged histograms of the whole run.

use std::fmt;

/// What a threshold reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    /// A percentile (0 < q < 100) of the latency.
    Percentile(f64),
    /// The mean latency.
    Mean,
    /// The largest latency.
    Max,
    /// The smallest latency.
    Min,
    /// The share of requests that failed (transport error, 4xx, 5xx), as a fraction.
    Errors,
    /// Requests per second over the run.
    Rps,
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A pass/fail criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// As written.
    pub text: String,
    /// The request name it is about; `None` for every request.
    pub name: Option<String>,
    /// What it reads.
    pub stat: Stat,
    /// How it compares.
    pub op: Op,
    /// The limit: microseconds for latencies, a fraction for errors, a rate for rps.
    pub limit: f64,
}

const ACCEPTED: &str = "accepted: [NAME:] STAT OP VALUE, STAT one of p50 p90 p95 p99 p99.9 (any pNN), mean, min, \
                        max, errors, rps; OP one of < <= > >=; VALUE with us, ms or s for latencies, % for errors \
                        (as `p99 < 200ms`, `errors < 1%`, `GET /items/{id}: p95 <= 50ms`)";

impl Threshold {
    /// Parses a threshold; the error names the expression and what is accepted.
    pub fn parse(text: &str) -> Result<Threshold, String> {
        let bad = |why: &str| format!("threshold {text:?}: {why}; {ACCEPTED}");
        let (name, expr) = match text.rsplit_once(':') {
            Some((n, e)) if !n.trim().is_empty() => (Some(n.trim().to_string()), e),
            Some((_, _)) => return Err(bad("the name before `:` is empty")),
            None => (None, text),
        };
        let expr = expr.trim();
        let at = expr.find(['<', '>']).ok_or_else(|| bad("no comparison"))?;
        let (stat, rest) = expr.split_at(at);
        let (op, value) = if let Some(v) = rest.strip_prefix("<=") {
            (Op::Le, v)
        } else if let Some(v) = rest.strip_prefix(">=") {
            (Op::Ge, v)
        } else if let Some(v) = rest.strip_prefix('<') {
            (Op::Lt, v)
        } else {
            (Op::Gt, &rest[1..])
        };
        let stat = match stat.trim() {
            "mean" | "avg" => Stat::Mean,
            "max" => Stat::Max,
            "min" => Stat::Min,
            "errors" | "error_rate" => Stat::Errors,
            "rps" => Stat::Rps,
            p if p.starts_with('p') => match p[1..].parse::<f64>() {
                Ok(q) if q > 0.0 && q < 100.0 => Stat::Percentile(q),
                _ => return Err(bad(&format!("`{p}` is not a percentile between p0 and p100"))),
            },
            other => return Err(bad(&format!("unknown statistic `{other}`"))),
        };
        let value = value.trim();
        let split = value.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(value.len());
        let (number, unit) = value.split_at(split);
        let number: f64 = number.parse().map_err(|_| bad(&format!("`{value}` is not a number")))?;
        let unit = unit.trim();
        let limit = match stat {
            Stat::Errors => match unit {
                "%" => number / 100.0,
                "" => number,
                u => return Err(bad(&format!("errors take % or a fraction, not `{u}`"))),
            },
            Stat::Rps => match unit {
                "" | "/s" => number,
                u => return Err(bad(&format!("rps takes a plain number, not `{u}`"))),
            },
            _ => match unit {
                "us" | "µs" => number,
                "ms" => number * 1_000.0,
                "s" => number * 1_000_000.0,
                "" => return Err(bad("a latency needs a unit (us, ms or s)")),
                u => return Err(bad(&format!("unknown unit `{u}`"))),
            },
        };
        Ok(Threshold { text: text.trim().to_string(), name, stat, op, limit })
    }

    /// Whether `observed` (in the threshold's units) passes.
    pub fn passes(&self, observed: f64) -> bool {
        match self.op {
            Op::Lt => observed < self.limit,
            Op::Le => observed <= self.limit,
            Op::Gt => observed > self.limit,
            Op::Ge => observed >= self.limit,
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_units_names_and_operators() {
        let t = Threshold::parse("p99 < 200ms").unwrap();
        assert_eq!(
            (t.name.clone(), t.stat, t.op, t.limit),
            (None, Stat::Percentile(99.0), Op::Lt, 200_000.0)
        );
        assert!(t.passes(199_999.0) && !t.passes(200_000.0));
        let t = Threshold::parse("errors < 1%").unwrap();
        assert_eq!((t.stat, t.limit), (Stat::Errors, 0.01));
        let t = Threshold::parse("GET /items/{id}: p99.9 >= 1.5s").unwrap();
        assert_eq!(t.name.as_deref(), Some("GET /items/{id}"));
        assert_eq!((t.stat, t.op, t.limit), (Stat::Percentile(99.9), Op::Ge, 1_500_000.0));
        assert_eq!(Threshold::parse("rps > 1000").unwrap().limit, 1000.0);
    }

    #[test]
    fn malformed_thresholds_name_the_problem_and_the_accepted_forms() {
        for (text, why) in [
            ("p99 200ms", "no comparison"),
            ("p100 < 1ms", "percentile"),
            ("median < 1ms", "unknown statistic"),
            ("p99 < 200", "unit"),
            ("p99 < fast", "not a number"),
            ("errors < 1ms", "errors take"),
            (": p99 < 1ms", "name"),
        ] {
            let e = Threshold::parse(text).unwrap_err();
            assert!(e.contains(why) && e.contains("accepted") && e.contains(text), "{text}: {e}");
        }
    }
}

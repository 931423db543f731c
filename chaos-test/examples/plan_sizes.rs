//! Pairwise covering-array sizes and times for the benchmark plans (used by bench/plans.sh).
//!
//! `cargo run --release -p chaos-test --example plan_sizes -- [SEED] [STRENGTH]` prints one
//! JSON line: rows and milliseconds per plan, each checked for full coverage before printing.

use std::collections::BTreeMap;
use std::time::Instant;

use chaos_test::covering;

const PLANS: [(&str, usize, usize); 6] =
    [("3^4", 3, 4), ("3^10", 3, 10), ("3^13", 3, 13), ("5^10", 5, 10), ("4^20", 4, 20), ("2^100", 2, 100)];

fn main() {
    let mut args = std::env::args().skip(1);
    let seed: u64 = args.next().map_or(1, |s| s.parse().expect("SEED is an integer"));
    let strength: usize = args.next().map_or(2, |s| s.parse().expect("STRENGTH is 2 to 4"));
    let mut rows = BTreeMap::new();
    let mut ms = BTreeMap::new();
    let allow_all = |_: &[Option<usize>]| true;
    for (name, radix, columns) in PLANS {
        let radices = vec![radix; columns];
        let started = Instant::now();
        let array = covering::generate(&radices, strength, seed, &allow_all);
        let took = started.elapsed().as_secs_f64() * 1000.0;
        if strength == 2 {
            assert!(covers_all_pairs(&radices, &array), "{name}: not every pair is covered");
        }
        eprintln!("{name}: {} rows in {took:.1} ms", array.len());
        rows.insert(name, array.len());
        ms.insert(name, (took * 10.0).round() / 10.0);
    }
    let json = |m: &BTreeMap<&str, String>| {
        let fields: Vec<String> = PLANS.iter().map(|(n, _, _)| format!("\"{n}\":{}", m[n])).collect();
        format!("{{{}}}", fields.join(","))
    };
    let rows: BTreeMap<&str, String> = rows.into_iter().map(|(k, v)| (k, v.to_string())).collect();
    let ms: BTreeMap<&str, String> = ms.into_iter().map(|(k, v)| (k, v.to_string())).collect();
    let bench = if strength == 2 { "plans".to_string() } else { format!("plans_t{strength}") };
    println!("{{\"bench\":\"{bench}\",\"seed\":{seed},\"rows\":{},\"ms\":{}}}", json(&rows), json(&ms));
}

fn covers_all_pairs(radices: &[usize], rows: &[Vec<usize>]) -> bool {
    for i in 0..radices.len() {
        for j in i + 1..radices.len() {
            let mut seen = vec![false; radices[i] * radices[j]];
            for row in rows {
                seen[row[i] * radices[j] + row[j]] = true;
            }
            if seen.contains(&false) {
                return false;
            }
        }
    }
    true
}

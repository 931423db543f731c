#!/usr/bin/env bash
# Benchmark: 10^4 combinations as chaos-test walks vs the same matrix in rstest #[values],
# and 10^4 trivial walks vs 10^4 plain #[test] functions, measured in one run.
# Prints one JSON line last:
# {"bench":"walks","combinations":10000,"compile_s":..,"compile_s_rstest":..,
#  "compile_ratio_vs_rstest":..,"run_s":..,"run_s_libtest":..,"run_ratio_vs_libtest":..}
# Compile time: a full compile of the test target (its incremental cache deleted), median of
# ROUNDS; dependencies are built beforehand and not counted. Run time: median of RUNS runs of
# the built test binary with default threads.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/target/bench/walks"
rounds="${ROUNDS:-3}"
runs="${RUNS:-5}"
mkdir -p "$work/tests" "$work/src"
export CARGO_TARGET_DIR="$work/target"

cat > "$work/Cargo.toml" <<TOML
[package]
name = "walks-bench"
version = "0.1.0"
edition = "2024"
publish = false

[workspace]

[dev-dependencies]
chaos-test = { path = "$root/chaos-test" }
rstest = { version = "0.28", default-features = false }

[[test]]
name = "chaos_walks"
harness = false
TOML
echo "" > "$work/src/lib.rs"
cp "$root/Cargo.lock" "$work/Cargo.lock" 2>/dev/null || true

python3 - "$work/tests" <<'PY'
import sys
d = sys.argv[1]
values = ", ".join(str(i) for i in range(10))
with open(f"{d}/chaos_walks.rs", "w") as f:
    f.write("use chaos_test::prelude::*;\n\n#[derive(Clone, Debug, Default)]\nstruct S { sum: u32 }\n\n")
    for name in "abcd":
        f.write(f"#[chaos_action(options = [{values}])]\nfn {name}(s: &mut S, x: u32) -> chaos_test::Result {{ s.sum += x; Ok(()) }}\n\n")
    f.write("chaos_test::main!();\n")
with open(f"{d}/rstest_matrix.rs", "w") as f:
    f.write("use rstest::rstest;\n\n#[rstest]\nfn matrix(")
    f.write(", ".join(f"#[values({values})] {n}: u32" for n in "abcd"))
    f.write(") {\n    let _sum = a + b + c + d;\n}\n")
with open(f"{d}/plain.rs", "w") as f:
    for i in range(10000):
        f.write(f"#[test]\nfn t{i}() {{}}\n")
PY

echo "building dependencies..." >&2
cargo test --manifest-path "$work/Cargo.toml" --no-run --tests -q 2>&1 | tail -3 >&2

# Median seconds of a full compile of one test target.
compile() {
  local target="$1" times=()
  for _ in $(seq "$rounds"); do
    touch "$work/tests/$target.rs"
    rm -rf "$CARGO_TARGET_DIR"/debug/incremental/"$target"-*
    local t0 t1
    t0=$(date +%s.%N)
    cargo test --manifest-path "$work/Cargo.toml" --no-run --test "$target" -q 2>/dev/null
    t1=$(date +%s.%N)
    times+=("$(awk "BEGIN {print $t1 - $t0}")")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

binary() {
  cargo test --manifest-path "$work/Cargo.toml" --no-run --test "$1" --message-format=json -q 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable"): print(m["executable"])' | tail -1
}

# Median seconds of running a built test binary.
run() {
  local bin="$1" times=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s.%N)
    CHAOS_TRACE_DIR="$work/trace" "$bin" -q >/dev/null 2>&1
    t1=$(date +%s.%N)
    times+=("$(awk "BEGIN {print $t1 - $t0}")")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

echo "compiling 10^4 walks (chaos-test)..." >&2
compile_s=$(compile chaos_walks)
echo "compiling 10^4 cases (rstest #[values])..." >&2
compile_rstest=$(compile rstest_matrix)
walks_bin=$(binary chaos_walks)
plain_bin=$(binary plain)
count=$("$walks_bin" --list | grep -c ': test$')
[ "$count" = 10000 ] || { echo "expected 10000 walks, listed $count" >&2; exit 1; }
echo "running 10^4 walks and 10^4 plain tests..." >&2
run_s=$(run "$walks_bin")
run_libtest=$(run "$plain_bin")

python3 - "$compile_s" "$compile_rstest" "$run_s" "$run_libtest" <<'PY'
import json, sys
c, cr, r, rl = map(float, sys.argv[1:])
print(json.dumps({"bench": "walks", "combinations": 10000,
                  "compile_s": round(c, 3), "compile_s_rstest": round(cr, 3),
                  "compile_ratio_vs_rstest": round(c / cr, 4),
                  "run_s": round(r, 3), "run_s_libtest": round(rl, 3),
                  "run_ratio_vs_libtest": round(r / rl, 3)}))
PY

#!/usr/bin/env bash
# Benchmark: pairwise covering-array sizes and times for 3^4, 3^10, 3^13, 5^10, 4^20, 2^100
# with seed 1 (release build). Targets: rows <= 9, 15, 17, 45, 37, 15 (the best of PICT,
# allpairspy and covertable on these plans), each under 1 s. Prints one JSON line last:
# {"bench":"plans","seed":1,"rows":{...},"ms":{...}}
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p chaos-test --example plan_sizes
exec target/release/examples/plan_sizes "${SEED:-1}" 2

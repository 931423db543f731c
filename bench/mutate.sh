#!/usr/bin/env bash
# Benchmark: `cargo chaos mutate` against cargo-mutants on real crates from crates.io (pinned
# versions, sources as the registry serves them), both with -j 2, measured in one run.
# Installs cargo-mutants with `cargo install cargo-mutants --locked` when missing.
# Prints one JSON line last:
# {"bench":"mutate","crates":[{"name":..,"version":..,"mutants_ours":..,"mutants_theirs":..,
#   "common":..,"agreement":..,"wall_s_ours":..,"wall_s_theirs":..,"wall_ratio":..}]}
# agreement = share of the mutants both tools list whose verdicts agree.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
crates="${CRATES:-hex@0.4.3 itoa@1.0.18}"
jobs="${JOBS:-2}"

if ! command -v cargo-mutants >/dev/null 2>&1; then
  cargo install cargo-mutants --locked
fi
cargo build -q --release -p cargo-chaos --manifest-path "$root/Cargo.toml"
chaos="$root/target/release/cargo-chaos"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The registry's source of NAME@VERSION, fetched through cargo itself.
fetch() {
  local name="${1%@*}" version="${1#*@}" probe="$work/fetch-$name"
  mkdir -p "$probe/src"
  printf '[package]\nname = "probe"\nversion = "0.0.0"\nedition = "2021"\n[workspace]\n[dependencies]\n%s = "=%s"\n' \
    "$name" "$version" > "$probe/Cargo.toml"
  : > "$probe/src/lib.rs"
  cargo fetch -q --manifest-path "$probe/Cargo.toml"
  ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$name-$version" | head -1
}

results=()
for spec in $crates; do
  name="${spec%@*}"; version="${spec#*@}"
  src="$(fetch "$spec")"
  for side in ours theirs; do
    rm -rf "$work/$side-$name"
    cp -r "$src" "$work/$side-$name"
    rm -rf "$work/$side-$name/target"
  done
  echo "$name $version: cargo-mutants" >&2
  t0=$(date +%s.%N)
  (cd "$work/theirs-$name" && cargo mutants -j "$jobs" --no-shuffle >/dev/null 2>&1) || true
  t1=$(date +%s.%N)
  echo "$name $version: cargo chaos mutate" >&2
  "$chaos" chaos mutate -j "$jobs" --dir "$work/ours-$name" >/dev/null 2>&1 || true
  t2=$(date +%s.%N)
  results+=("$(python3 - "$name" "$version" "$work/ours-$name/chaos.out/mutate/outcomes.json" \
      "$work/theirs-$name/mutants.out/outcomes.json" "$t0" "$t1" "$t2" <<'PY'
import json, sys
name, version, ours_path, theirs_path, t0, t1, t2 = sys.argv[1:]
def verdicts(path):
    doc = json.load(open(path))
    out = {}
    for o in doc["outcomes"]:
        scenario = o["scenario"]
        if isinstance(scenario, dict) and "Mutant" in scenario:
            out[scenario["Mutant"]["name"]] = o["summary"]
    return out
ours, theirs = verdicts(ours_path), verdicts(theirs_path)
common = sorted(set(ours) & set(theirs))
agree = sum(ours[n] == theirs[n] for n in common)
wall_ours, wall_theirs = float(t2) - float(t1), float(t1) - float(t0)
print(json.dumps({"name": name, "version": version, "mutants_ours": len(ours), "mutants_theirs": len(theirs),
                  "common": len(common), "agreement": round(agree / len(common), 3) if common else None,
                  "wall_s_ours": round(wall_ours, 1), "wall_s_theirs": round(wall_theirs, 1),
                  "wall_ratio": round(wall_ours / wall_theirs, 3)}))
PY
)")
done
python3 -c 'import json, sys; print(json.dumps({"bench": "mutate", "crates": [json.loads(r) for r in sys.argv[1:]]}))' "${results[@]}"

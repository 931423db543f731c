#!/usr/bin/env bash
# Benchmark: `cargo chaos load URL` against wrk, on nginx (one worker) serving a 600-byte file
# on loopback, same connections and duration, run alternately. Installs nginx and wrk from
# Debian when missing. Peak RSS is the generator's own VmHWM (results.json).
# Prints one JSON line last:
# {"bench":"load","wrk_rps":..,"ours_rps":..,"ratio_vs_wrk":..,"ours_peak_rss_mb":..}
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${ROUNDS:-3}"
duration="${DURATION:-10}"
connections="${CONNECTIONS:-64}"
threads="${THREADS:-1}"

. "$root/bench/nginx.sh"
need_nginx_and_wrk

work="$(mktemp -d)"
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/www"
head -c 600 /dev/zero | tr '\0' 'x' > "$work/www/index.html"
start_nginx "$work"
pids+=("$NGINX_PID")
web_port="$NGINX_PORT"

cargo build -q --release -p cargo-chaos --manifest-path "$root/Cargo.toml"
chaos="$root/target/release/cargo-chaos"
url="http://127.0.0.1:$web_port/index.html"
for _ in $(seq 50); do curl -s -o /dev/null "$url" && break; sleep 0.1; done

wrk_rps() {
  wrk -t1 -c"$connections" -d"${duration}s" "$url" | sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p'
}
ours() {
  "$chaos" chaos load "$url" -c "$connections" -z "${duration}s" --threads "$threads" --quiet \
    --threshold 'errors < 0.1%' --out "$work/out" > "$work/ours.txt"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["rps"], r["generator"]["peak_rss_mb"], r["errors"])' \
    "$work/out/results.json"
}

w_sum=0; o_sum=0; rss_max=0
for r in $(seq "$rounds"); do
  echo "round $r/$rounds" >&2
  w=$(wrk_rps)
  read -r o rss errors < <(ours)
  echo "  wrk $w req/s, ours $o req/s (errors $errors), peak RSS $rss MiB" >&2
  w_sum=$(python3 -c "print($w_sum+$w)"); o_sum=$(python3 -c "print($o_sum+$o)")
  rss_max=$(python3 -c "print(max($rss_max,$rss))")
done

python3 - "$rounds" "$w_sum" "$o_sum" "$rss_max" <<'PY'
import json, sys
rounds = int(sys.argv[1])
w, o = float(sys.argv[2]) / rounds, float(sys.argv[3]) / rounds
print(json.dumps({"bench": "load", "wrk_rps": round(w), "ours_rps": round(o),
                  "ratio_vs_wrk": round(o / w, 3), "ours_peak_rss_mb": round(float(sys.argv[4]), 1)}))
PY

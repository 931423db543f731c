#!/usr/bin/env bash
# Benchmark: pass-through cost of the fault proxy against nginx (one worker) on loopback,
# with wrk; direct and proxied runs alternate within one run. Also the p50 with a 5 ms
# downstream latency fault. Installs nginx and wrk from Debian when missing.
# Prints one JSON line last:
# {"bench":"proxy","direct_1k_rps":..,"proxy_1k_rps":..,"passthrough_1k_ratio":..,
#  "direct_64k_rps":..,"proxy_64k_rps":..,"passthrough_64k_ratio":..,"latency_5ms_p50_ms":..}
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${ROUNDS:-3}"
duration="${DURATION:-5s}"
connections="${CONNECTIONS:-32}"

. "$root/bench/nginx.sh"
need_nginx_and_wrk

work="$(mktemp -d)"
pids=()
cleanup() {
  set +e
  for f in "$work"/proxy-*.pid; do kill "$(cat "$f")" 2>/dev/null; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/www"
head -c 1024 /dev/urandom > "$work/www/1k.bin"
head -c 65536 /dev/urandom > "$work/www/64k.bin"
start_nginx "$work" "sendfile on; tcp_nodelay on;"
pids+=("$NGINX_PID")
web_port="$NGINX_PORT"

cargo build -q --release -p cargo-chaos --manifest-path "$root/Cargo.toml"
chaos="$root/target/release/cargo-chaos"
start_proxy() {
  local out="$work/proxy-$RANDOM"
  "$chaos" chaos proxy --upstream "127.0.0.1:$web_port" --seed 1 "$@" > "$out" &
  echo $! > "$out.pid"   # this runs in a subshell: the pid goes through a file
  for _ in $(seq 100); do
    if grep -q "listening on" "$out" 2>/dev/null; then break; fi
    sleep 0.05
  done
  sed -n 's/^listening on \([0-9.:]*\).*/\1/p' "$out"
}
plain="$(start_proxy)"
slow="$(start_proxy --latency-ms 5)"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$web_port/1k.bin" && break; sleep 0.1; done
# Every target must serve the real files (wrk counts error responses as requests too).
for target in "127.0.0.1:$web_port" "$plain" "$slow"; do
  for file in 1k.bin 64k.bin; do
    got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "http://$target/$file")
    want="200 $(stat -c %s "$work/www/$file")"
    [ "$got" = "$want" ] || { echo "http://$target/$file answered '$got', expected '$want'" >&2; exit 1; }
  done
done

# requests/s and p50 (ms) of one wrk run
measure() {
  wrk -t1 -c"$connections" -d"$duration" --latency "$1" | python3 -c '
import re, sys
text = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
m = re.search(r"50%\s+([0-9.]+)(us|ms|s)\b", text)
p50 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
print(rps, p50)'
}

declare -A sum
for key in d1 p1 d64 p64; do sum[$key]=0; done
p50s=()
for r in $(seq "$rounds"); do
  echo "round $r/$rounds" >&2
  read -r v _ < <(measure "http://127.0.0.1:$web_port/1k.bin"); sum[d1]=$(python3 -c "print(${sum[d1]}+$v)")
  read -r v _ < <(measure "http://$plain/1k.bin"); sum[p1]=$(python3 -c "print(${sum[p1]}+$v)")
  read -r v _ < <(measure "http://127.0.0.1:$web_port/64k.bin"); sum[d64]=$(python3 -c "print(${sum[d64]}+$v)")
  read -r v _ < <(measure "http://$plain/64k.bin"); sum[p64]=$(python3 -c "print(${sum[p64]}+$v)")
  read -r _ p < <(measure "http://$slow/1k.bin"); p50s+=("$p")
done

python3 - "$rounds" "${sum[d1]}" "${sum[p1]}" "${sum[d64]}" "${sum[p64]}" "${p50s[@]}" <<'PY'
import json, statistics, sys
rounds = int(sys.argv[1])
d1, p1, d64, p64 = (float(x) / rounds for x in sys.argv[2:6])
p50 = statistics.median(float(x) for x in sys.argv[6:])
print(json.dumps({"bench": "proxy",
                  "direct_1k_rps": round(d1), "proxy_1k_rps": round(p1), "passthrough_1k_ratio": round(p1 / d1, 3),
                  "direct_64k_rps": round(d64), "proxy_64k_rps": round(p64), "passthrough_64k_ratio": round(p64 / d64, 3),
                  "latency_5ms_p50_ms": round(p50, 2)}))
PY

#!/usr/bin/env bash
# The real Python Chaos Toolkit client against `cargo chaos hub`, end to end:
#   bash tests/hub-python-client.sh
# Creates a Python 3.9 virtualenv (chaosiq-cloud 0.16 does not install on 3.11; set PYTHON to
# another 3.9), installs chaostoolkit and chaosiq-cloud from PyPI, starts a hub on loopback
# with a fresh SQLite file, signs in with `chaos signin`, runs a small experiment with
# `chaos run`, and checks the hub holds the experiment, the execution, its events and the
# final journal. Then it freezes the team and checks the same run is interrupted by the
# safeguard. Prints one line per check and `N passed, N failed` last; exits 1 on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
python=${PYTHON:-}
if [ -z "$python" ]; then
  # pyenv's shim may exist without 3.9 selected: take the first that really runs.
  for p in /root/.pyenv/versions/3.9.*/bin/python3.9 "$HOME"/.pyenv/versions/3.9.*/bin/python3.9 python3.9; do
    if "$p" -c 'import sys; assert sys.version_info[:2] == (3, 9)' >/dev/null 2>&1; then python=$p; break; fi
  done
fi
[ -n "$python" ] || { echo "no Python 3.9 found: set PYTHON=/path/to/python3.9" >&2; exit 1; }

venv=$target/hub-python/venv
if [ ! -x "$venv/bin/chaos" ]; then
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check chaostoolkit 'chaosiq-cloud==0.16.0'
fi
cargo build -q -p cargo-chaos
hub_bin=$target/debug/cargo-chaos

work=$(mktemp -d)
hub_pid=
cleanup() {
  if [ -n "$hub_pid" ]; then kill "$hub_pid" 2>/dev/null || true; wait "$hub_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

db=$work/hub.db
token=$("$hub_bin" hub token create --db "$db" --org myorg --team myteam 2>/dev/null)
"$hub_bin" hub --listen 127.0.0.1:0 --db "$db" >"$work/hub.out" 2>"$work/hub.err" &
hub_pid=$!
for _ in $(seq 100); do grep -q listening "$work/hub.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^chaos hub listening on //p' "$work/hub.out")
[ -n "$url" ] || { echo "the hub did not start:" >&2; cat "$work/hub.err" >&2; exit 1; }
echo "hub at $url"

passed=0; failed=0
check() { # check NAME COMMAND...
  if "${@:2}"; then echo "ok: $1"; passed=$((passed + 1)); else echo "FAILED: $1"; failed=$((failed + 1)); fi
}

api() { # api METHOD PATH [JSON]
  "$venv/bin/python" - "$url" "$token" "$@" <<'PY'
import json, sys, urllib.request
url, token, method, path = sys.argv[1:5]
data = sys.argv[5].encode() if len(sys.argv) > 5 else None
req = urllib.request.Request(url + path, data=data, method=method, headers={
    "Authorization": "Bearer " + token, "Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=10).read().decode())
PY
}

settings=$work/settings.yaml
cd "$work"
cp "$root/cargo-chaos/testdata/ctk-cloud/experiment.json" experiment.json
export PYTHONWARNINGS=ignore

# Sign in as a user would: the URL and the token at the prompts (one organization and one
# team, so no choice is asked).
printf '%s\n%s\n' "$url" "$token" | "$venv/bin/chaos" --settings "$settings" signin >signin.log 2>&1 || true
check "chaos signin saved the hub's URL and token" grep -q "$token" "$settings"

"$venv/bin/chaos" --settings "$settings" run experiment.json >run.log 2>&1 || true
check "chaos run completed" grep -q '"status": "completed"' journal.json

summary=$("$venv/bin/python" - "$url" "$token" <<'PY'
import json, sys, urllib.request
url, token = sys.argv[1:3]
def get(path):
    req = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + token})
    return json.loads(urllib.request.urlopen(req, timeout=10).read())
base = "/api/v1/organizations/myorg/teams/myteam"
exps = get(base + "/experiments")
execs = get(base + "/executions")
e = execs["items"][0]
full = get(f"{base}/experiments/{e['experiment_id']}/executions/{e['id']}")
events = get(f"{base}/experiments/{e['experiment_id']}/executions/{e['id']}/events?limit=500")
local = json.load(open("journal.json"))
hub = full["journal"]
same = all(hub.get(k) == local.get(k) for k in ("status", "start", "end", "run", "rollbacks", "steady_states"))
types = [ev["type"] for ev in events["items"]]
print(json.dumps({"experiments": exps["total"], "executions": execs["total"], "status": e["status"],
                  "events": events["total"], "first": types[0] if types else None,
                  "last": types[-1] if types else None, "journal_matches": same}))
PY
)
echo "hub holds: $summary"
field() { "$venv/bin/python" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$summary" "$1"; }
check "the hub has the experiment" test "$(field experiments)" = 1
check "the hub has the execution, completed" test "$(field executions)/$(field status)" = "1/completed"
check "the hub has its events, starting-experiment to experiment-finished" \
  test "$(field first)/$(field last)" = "starting-experiment/experiment-finished"
check "the hub's final journal is the one chaos wrote" test "$(field journal_matches)" = True

# Freeze the team: the next run is interrupted by the safeguard.
api PUT /api/v1/organizations/myorg/teams/myteam/policies/freeze '{"frozen": true, "reason": "release day"}' >/dev/null
rm -f journal.json
"$venv/bin/chaos" --settings "$settings" run experiment.json >run-frozen.log 2>&1 || true
check "the frozen run's journal is interrupted" grep -q '"status": "interrupted"' journal.json
check "chaos names the safeguard" grep -q "team-freeze" run-frozen.log
latest=$(api GET "/api/v1/organizations/myorg/teams/myteam/executions?limit=1")
echo "hub's latest execution: $latest"
check "the hub shows the execution interrupted by the freeze" \
  "$venv/bin/python" -c 'import json,sys; e=json.loads(sys.argv[1])["items"][0]; sys.exit(not (e["status"]=="interrupted" and e["interrupted_by"]=="team-freeze"))' "$latest"

if [ "$failed" -gt 0 ]; then
  for f in signin.log run.log run-frozen.log; do echo "--- $f"; cat "$f"; done
  echo "--- hub.err"; cat "$work/hub.err"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

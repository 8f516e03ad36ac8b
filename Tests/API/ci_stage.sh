#!/usr/bin/env bash
# CI's OpenAPI stage: schemathesis (PyPI) generates requests from the OpenAPI document the
# server serves (GET /openapi.json) and checks every answer against it: no 5xx, only documented
# statuses, content types and headers, response bodies that match their schemas, schema-invalid
# requests refused, keys enforced, wrong methods refused (Tests/API/schemathesis.toml). The
# server runs on a scratch models folder of synthetic voices made by speakerid-dev, with an
# admin key; the stage fails on any failure schemathesis reports. Tests/API/conformance.py
# first sends real recordings to every route (schemathesis's bodies are never audio) and
# validates each answer against the document.
# BUILD (default .build/debug) must hold speakerid, speakerid-dev and speakerid-server.
#   bash Tests/API/ci_stage.sh [BUILD] [EXAMPLES PER OPERATION (default 30)]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=$(cd "${1:-.build/debug}" && pwd)
N=${2:-30}
# schemathesis 4 (its configuration keys are version 4's), and what conformance.py imports.
python3 -c "import schemathesis, jsonschema, referencing" 2>/dev/null \
  || python3 -m pip install -q "schemathesis==4.32.5" jsonschema referencing
python3 -m schemathesis.cli --version | grep -q "version 4\." || { echo "schemathesis 4 is needed: $(python3 -m schemathesis.cli --version)"; exit 1; }
W=$(mktemp -d)
server=
stop() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$W"
}
trap stop EXIT
trap 'exit 130' INT TERM
"$B/speakerid-dev" synthetic-corpus --out "$W/corpus" --speakers 4 --files 3 --seconds 4 >/dev/null
"$B/speakerid" train-ubm --corpus "$W/corpus:all" --components 16 --out "$W/ubm.gmm" -q
SPEAKERID_ENCODER=/nonexistent "$B/speakerid" enroll --models "$W/models" --corpus "$W/corpus" --split all --ubm "$W/ubm.gmm" -q >/dev/null
"$B/speakerid-server" new-key --scope admin >"$W/admin"
sed -n 2p "$W/admin" >"$W/keys"
SPEAKERID_API_KEY=$(sed -n 's/^key: //p' "$W/admin")
export SPEAKERID_API_KEY
SPEAKERID_ENCODER=/nonexistent "$B/speakerid-server" --models "$W/models" --ubm "$W/ubm.gmm" --keys "$W/keys" --port 0 \
  --max-audio-seconds 60 --track-job-seconds 10 >"$W/ready" 2>"$W/server.log" &
server=$!
for _ in $(seq 600); do
  grep -q http "$W/ready" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
url=$(grep -o 'http://[^ ]*' "$W/ready" | head -1 || true)
[ -n "$url" ] || { echo "the server did not start:"; cat "$W/ready" "$W/server.log"; exit 1; }
failed() { echo "$1; the server's log ends:"; tail -30 "$W/server.log"; exit 1; }
# Real recordings on every route, their answers validated against the document (first:
# schemathesis's stateful phase renames and removes the speakers it finds).
python3 Tests/API/conformance.py "$url" "$SPEAKERID_API_KEY" "$W/corpus" || failed "conformance.py failed"
# --seed: the same requests every run (a failure reproduces); the phases are every one
# schemathesis has (examples, coverage, fuzzing, stateful).
python3 -m schemathesis.cli --config-file Tests/API/schemathesis.toml run "$url/openapi.json" --checks all --max-examples "$N" \
  --seed 27 --workers 2 --request-timeout 30 --report junit --report-junit-path "$W/junit.xml" || failed "schemathesis reported failures"
kill -0 "$server" 2>/dev/null || failed "the server died under schemathesis"
python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/healthz', timeout=10)" "$url" \
  || failed "the server no longer answers /healthz"
echo "schemathesis: no failures; the server answers /healthz after $(grep -o 'tests="[0-9]*"' "$W/junit.xml" | head -1)"

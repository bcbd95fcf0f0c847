#!/usr/bin/env bash
# The dashboard in the real Config UI X + Chromium: the Withings simulator with the demo people
# (months of history), a real Homebridge that links and syncs them, then test/ui/dashboard-steps.mjs
# checks the charts and their aria-labels and takes light and dark screenshots. Needs the Config UI X
# harness (HARNESS, default ../shared/harness/ui, set up with its setup.sh); not part of npm test.
#   tools/ui-dashboard.sh [screenshots-dir]        (default: ui-shots/dashboard)
set -euo pipefail
cd "$(dirname "$0")/.."
HARNESS=${HARNESS:-../shared/harness/ui}
OUT=${1:-ui-shots/dashboard}
npm run build >/dev/null
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
export WITHINGS_API_BASE=http://127.0.0.1:$PORT WITHINGS_AUTH_BASE=http://127.0.0.1:$PORT
STORAGE=
SIM_PID=
cleanup() { [ -n "$STORAGE" ] && bash "$HARNESS/stop-ui.sh" "$STORAGE" --rm >/dev/null 2>&1; [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true; }
trap cleanup EXIT
eval "$(bash "$HARNESS/start-ui.sh" --plugin-dir . --plugin-config \
  '{"platform":"Withings","client_id":"demo-client","client_secret":"demo-secret","profiles":["Alice","Bob"],"update_interval":30}')"
SIM_LOG=$(mktemp)
node tools/sim-linked.mjs --port "$PORT" --storage "$STORAGE" > "$SIM_LOG" 2>&1 &
SIM_PID=$!
# The plugin picks up the grants from the token folder and syncs; wait for both histories.
for _ in $(seq 1 120); do
  [ -f "$STORAGE/withings/1001001.history.json" ] && [ -f "$STORAGE/withings/1001002.history.json" ] && break
  sleep 0.5
done
ls -l "$STORAGE/withings/"
node "$HARNESS/custom-ui-flow.mjs" --env-file "$STORAGE/harness.env" --steps test/ui/dashboard-steps.mjs --out "$OUT"
grep -E '\[Withings\]' "$STORAGE/homebridge.log" | tail -n 20 || true

#!/usr/bin/env bash
# Links two profiles end to end in the real Config UI X + Chromium against the Withings simulator,
# with screenshots of each step. Needs the Config UI X harness (HARNESS, default ../shared/harness/ui,
# set up with its setup.sh); not part of npm test. Usage:
#   tools/ui-flow.sh [screenshots-dir]        (default: ui-shots, which .gitignore keeps out of git)
#   STEPS=test/ui/hosted-callback-steps.mjs tools/ui-flow.sh   the callback page on a second origin
#   STEPS=test/ui/alerts-steps.mjs tools/ui-flow.sh            the alerts form round trip
# docs/callback.html is served from a second loopback origin (http://localhost:<port>, the UI being
# http://127.0.0.1:<port>) as CALLBACK_TEST_URL, standing in for the hosted callback page.
set -euo pipefail
cd "$(dirname "$0")/.."
HARNESS=${HARNESS:-../shared/harness/ui}
OUT=${1:-ui-shots}
npm run build >/dev/null
SIM_LOG=$(mktemp)
node tools/simulator/cli.mjs > "$SIM_LOG" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 50); do grep -q '^listening' "$SIM_LOG" && break; sleep 0.1; done
SIM_URL=$(sed -n 's/^listening //p' "$SIM_LOG")
export WITHINGS_API_BASE=$SIM_URL WITHINGS_AUTH_BASE=$SIM_URL
STATIC_PORT=$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
python3 -m http.server "$STATIC_PORT" --bind 127.0.0.1 --directory docs >/dev/null 2>&1 &
STATIC_PID=$!
export CALLBACK_TEST_URL="http://localhost:$STATIC_PORT/callback.html"
STORAGE=
cleanup() { [ -n "$STORAGE" ] && bash "$HARNESS/stop-ui.sh" "$STORAGE" --rm >/dev/null 2>&1; kill "$SIM_PID" "$STATIC_PID" 2>/dev/null || true; }
trap cleanup EXIT
DEFAULT_CONFIG='{"platform":"Withings","client_id":"demo-client","client_secret":"demo-secret","profiles":["Alice","Bob"]}'
eval "$(bash "$HARNESS/start-ui.sh" --plugin-dir . --plugin-config "${PLUGIN_CONFIG:-$DEFAULT_CONFIG}")"
node "$HARNESS/custom-ui-flow.mjs" --env-file "$STORAGE/harness.env" --steps ${STEPS:-test/ui/link-steps.mjs} --out "$OUT"
grep -E '\[Withings\]' "$STORAGE/homebridge.log" | tail -n 20 || true
echo "settings-page requests logged by plugin-ui-utils: $(grep -c 'Incoming Request' "$STORAGE/homebridge.log" || true) ($(grep -c 'Incoming Request: /status' "$STORAGE/homebridge.log" || true) of them /status)"

#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance, which needs Node 22) against
# deckhand's Streamable HTTP server: started here on a free loopback port with a throwaway DECKHAND_HOME and no
# token (allowed on loopback; the suite sends none). Exits non-zero if any scenario fails; always stops the server.
#
#   scripts/conformance.sh                 # the scenarios below
#   scripts/conformance.sh ping tools-list # just these
#
# CONFORMANCE_VERSION pins the suite (default below); CONFORMANCE_NODE the Node used to run it (default node@22).
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIOS=(
  server-initialize
  ping
  tools-list
  logging-set-level
  resources-list
  resources-subscribe
  resources-unsubscribe
  server-sse-multiple-streams
  dns-rebinding-protection
)
if [ $# -gt 0 ]; then SCENARIOS=("$@"); fi
SUITE="@modelcontextprotocol/conformance@${CONFORMANCE_VERSION:-0.1.16}"
RUNNER_NODE="${CONFORMANCE_NODE:-node@22}"

npx tsc -b tsconfig.build.json

# The suite and Node 22 come from the npm registry (or the npx cache): when they cannot be had, say so, not "0 ran".
if ! npx -y -p "$RUNNER_NODE" -p "$SUITE" -c 'command -v conformance >/dev/null' >/tmp/conformance-fetch.$$ 2>&1; then
  echo "conformance: cannot get $SUITE and $RUNNER_NODE with npx: they come from the npm registry (or the npx cache)." >&2
  echo "conformance: allow access to the registry, or run this once where it can be reached. npx said:" >&2
  grep -E 'npm error (code|errno|request to|network)' /tmp/conformance-fetch.$$ >&2 || tail -5 /tmp/conformance-fetch.$$ >&2
  rm -f /tmp/conformance-fetch.$$
  exit 1
fi
rm -f /tmp/conformance-fetch.$$

home=$(mktemp -d)
work=$(mktemp -d)
pid=
cleanup() {
  status=$?
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$home" "$work"
  exit "$status"
}
trap cleanup EXIT INT TERM

env -u DECKHAND_HTTP_TOKEN DECKHAND_HOME="$home" DECKHAND_LOG_LEVEL=warn \
  node dist/cli.js serve --http --host 127.0.0.1 --port 0 2>"$work/server.log" &
pid=$!

url=
for _ in $(seq 1 200); do
  url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/mcp' "$work/server.log" | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "conformance: deckhand did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
echo "conformance: deckhand at $url; suite $SUITE on $RUNNER_NODE"

# One npx for all scenarios: the suite and Node 22 are fetched (or found in the npx cache) once.
export CONFORMANCE_URL="$url" CONFORMANCE_SCENARIOS="${SCENARIOS[*]}" CONFORMANCE_OUT="$work"
set +e
npx -y -p "$RUNNER_NODE" -p "$SUITE" -c '
  failed=0
  for s in $CONFORMANCE_SCENARIOS; do
    echo "=== $s"
    if conformance server --url "$CONFORMANCE_URL" --scenario "$s" >"$CONFORMANCE_OUT/$s.txt" 2>&1; then
      echo "PASS $s" | tee -a "$CONFORMANCE_OUT/summary"
    else
      echo "FAIL $s" | tee -a "$CONFORMANCE_OUT/summary"
      cat "$CONFORMANCE_OUT/$s.txt"
      failed=1
    fi
  done
  exit $failed
'
rc=$?
set -e

echo "--- conformance summary"
cat "$work/summary" 2>/dev/null || echo "(no scenario ran)"
if ! kill -0 "$pid" 2>/dev/null; then
  echo "conformance: deckhand exited during the run:" >&2
  cat "$work/server.log" >&2
  rc=1
fi
ran=$(grep -c . "$work/summary" 2>/dev/null || true)
if [ "${ran:-0}" -ne "${#SCENARIOS[@]}" ]; then
  echo "conformance: ${ran:-0} of ${#SCENARIOS[@]} scenarios ran" >&2
  rc=1
fi
exit "$rc"

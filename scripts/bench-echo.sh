#!/usr/bin/env bash
# Echo benchmark: cmd/wsbench against the project's cmd/echoserver on
# 127.0.0.1, the anchors' four settings, COUNT runs each (a fresh server per
# run). Prints one key=value line per run, prefixed with the setting.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${COUNT:-6}"
bin="$(mktemp -d)"
trap 'rm -rf "$bin"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
go build -o "$bin/echoserver" ./cmd/echoserver
go build -o "$bin/wsbench" ./cmd/wsbench
settings=(
  "s1|-conns 1 -msgs 20000 -size 32 -window 1"
  "s2|-conns 1 -msgs 20000 -size 32 -window 64"
  "s3|-conns 100 -msgs 2000 -size 32 -window 8"
  "s4|-conns 10 -msgs 500 -size 65536 -window 4 -binary"
)
for s in "${settings[@]}"; do
  name="${s%%|*}"; args="${s#*|}"
  for _ in $(seq "$COUNT"); do
    # Without -d: the example's debug mode logs every message.
    scripts/quiet-echoserver.sh "$bin/echoserver" >"$bin/out" 2>&1 &
    pid=$!
    port=""
    for _ in $(seq 200); do
      port="$(grep -oE 'port=[0-9]+' "$bin/out" | head -1 | grep -oE '[0-9]+' || true)"
      [ -n "$port" ] && break
      sleep 0.05
    done
    [ -n "$port" ] || { echo "echoserver did not start" >&2; exit 1; }
    # shellcheck disable=SC2086
    echo "setting=$name $("$bin/wsbench" -url "ws://127.0.0.1:$port/" $args -timeout 120s)"
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  done
done

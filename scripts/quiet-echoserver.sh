#!/usr/bin/env bash
# Runs an echoserver binary ($1, built from cmd/echoserver) without -d, so
# that it logs nothing per message (as the Qt anchor's echo server), on a
# free port of 127.0.0.1's wildcard, and prints "port=N" once it listens.
# The server keeps this script's PID, so CPU time can be read from it:
#   PROJECT_CMD="scripts/quiet-echoserver.sh /tmp/echoserver-go" (anchors)
set -euo pipefail
bin="$1"
port=""
# Below the kernel's ephemeral range (32768 up), which the clients' own
# ports come from.
for _ in $(seq 50); do
  p=$((20000 + RANDOM % 12000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "no free port found" >&2; exit 1; }
(
  for _ in $(seq 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port=$port"; exit 0; fi
    sleep 0.05
  done
  echo "echoserver did not listen on $port" >&2
) &
exec "$bin" -p "$port"

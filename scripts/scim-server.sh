#!/usr/bin/env bash
# Start a real, third-party SCIM 2.0 server (PyPI: scim2-server, python-scim project)
# on 127.0.0.1, in memory, for the invite-scim tests and for trying the SCIM adapter.
#
#   scripts/scim-server.sh [PORT] [--daemon] [--exit-on-stdin-eof] [scim2-server options...]
#
#   PORT                 a TCP port, or 0 / auto (the default) to pick a free one.
#   --daemon             start in the background, print the base URL and exit
#                        (the PID goes to stderr and to $SCIM_PIDFILE if set).
#   --exit-on-stdin-eof  stop the server when this script's stdin reaches end of file:
#                        a test harness keeps a pipe open and the server dies with it,
#                        even if the harness is killed.
#   any other option is passed to scim2-server, e.g.
#     --bearer-token TOKEN   (repeatable; without it every request is accepted)
#     --dump-resources FILE  (writes the store as JSON on stop)
#
# Stdout gets exactly one line once GET /ServiceProviderConfig answers: the base URL,
# e.g. http://127.0.0.1:18080/v2. The server's own log goes to stderr, or to $SCIM_LOG.
# Without --daemon the script stays in the foreground; SIGTERM/SIGINT stop the server.
#
# The virtualenv ($SCIM_VENV, default ${XDG_CACHE_HOME:-$HOME/.cache}/invite/scim-venv)
# is created on first use from PyPI (needs python3 with venv and pip, ~15 s), with the
# versions pinned below (scripts/lib/pinned-venv.sh).
set -euo pipefail

SCIM2_SERVER_VERSION=0.8.3
SCIM2_MODELS_VERSION=0.12.3

venv="${SCIM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/invite/scim-venv}"

die() { echo "scim-server.sh: $*" >&2; exit 1; }
usage() { sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

port=auto
case "${1:-}" in
  -h|--help) usage ;;
  ''|-*) ;;
  *) port="$1"; shift ;;
esac

daemon=0
watch_stdin=0
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --daemon) daemon=1 ;;
    --exit-on-stdin-eof) watch_stdin=1 ;;
    --hostname|--hostname=*|--reverse-proxy)
      die "refusing $1: the server only listens on 127.0.0.1" ;;
    --tenant|--tenant=*|--dynamic-tenants)
      die "refusing $1: the printed base URL assumes no tenant" ;;
    --port|--port=*) die "give the port as the first argument" ;;
    *) args+=("$1") ;;
  esac
  shift
done

# shellcheck source=lib/pinned-venv.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/pinned-venv.sh"
ensure_venv "$venv" scim2_server.testserver.cli \
  "scim2-server==$SCIM2_SERVER_VERSION" "scim2-models==$SCIM2_MODELS_VERSION"
py="$venv/bin/python"

if [ "$port" = 0 ] || [ "$port" = auto ]; then
  port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
fi
case "$port" in ''|*[!0-9]*) die "bad port '$port'" ;; esac

if "$py" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)' "$port" 2>/dev/null; then
  die "port $port is already in use on 127.0.0.1"
fi

base="http://127.0.0.1:$port/v2"
log="${SCIM_LOG:-/dev/stderr}"

# scim2-server prints "Serving SCIM on ..." on its stdout: keep ours for the URL.
# SIGTERM/SIGINT become KeyboardInterrupt, which scim2-server handles by stopping cleanly.
"$py" -c '
import signal, sys
def stop(*_):
    raise KeyboardInterrupt
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
from scim2_server.testserver.cli import main
sys.argv[0] = "scim2-server"
main()
' --hostname 127.0.0.1 --port "$port" "${args[@]+"${args[@]}"}" </dev/null >>"$log" 2>&1 &
pid=$!

stop_server() { kill -TERM "$pid" 2>/dev/null || true; }

ready=0
for _ in $(seq 1 300); do
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" || true
    die "scim2-server exited early (port $port taken?)"
  fi
  if "$py" - "$base/ServiceProviderConfig" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=1).read()
PY
  then ready=1; break; fi
  sleep 0.05
done
if [ "$ready" != 1 ]; then
  stop_server
  die "scim2-server did not answer within 15 s"
fi

echo "$base"
if [ "$daemon" = 1 ]; then
  echo "scim-server.sh: pid $pid" >&2
  [ -z "${SCIM_PIDFILE:-}" ] || echo "$pid" >"$SCIM_PIDFILE"
  exit 0
fi

trap stop_server TERM INT HUP EXIT
if [ "$watch_stdin" = 1 ]; then
  # Drain stdin; end of file (the harness closed the pipe or died) stops the server.
  # (explicit `<&0`: bash gives background jobs /dev/null as stdin otherwise)
  ( cat >/dev/null; kill -TERM "$pid" 2>/dev/null || true ) <&0 &
fi
# A trapped signal ends the first wait; the second waits for the server to stop.
wait "$pid" || true
wait "$pid" 2>/dev/null || true

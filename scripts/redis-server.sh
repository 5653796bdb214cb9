#!/usr/bin/env bash
# Start a throwaway Redis on 127.0.0.1 (no persistence) for the invite-redis tests and for
# trying several workers locally.
#
#   scripts/redis-server.sh [PORT] [--daemon] [--exit-on-stdin-eof]
#
#   PORT                 a TCP port, or 0 / auto (the default) to pick a free one.
#   --daemon             start in the background, print the URL and exit (the PID goes to
#                        stderr and to $REDIS_PIDFILE if set).
#   --exit-on-stdin-eof  stop the server when this script's stdin reaches end of file: a
#                        test harness keeps a pipe open and the server dies with it, even if
#                        the harness is killed.
#
# Installs Redis with apt-get when redis-server is missing (running apt-get update first
# when the package is unknown; needs root). Stdout gets exactly one line once
# `redis-cli -p PORT ping` answers: the URL, e.g. redis://127.0.0.1:16379. The server's own
# log goes to stderr, or to $REDIS_LOG. Without --daemon the script stays in the
# foreground; SIGTERM/SIGINT/HUP stop the server.
set -euo pipefail

die() { echo "redis-server.sh: $*" >&2; exit 1; }
usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

port=auto
case "${1:-}" in
  -h|--help) usage ;;
  ''|-*) ;;
  *) port="$1"; shift ;;
esac

daemon=0
watch_stdin=0
while [ $# -gt 0 ]; do
  case "$1" in
    --daemon) daemon=1 ;;
    --exit-on-stdin-eof) watch_stdin=1 ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "redis-server is not installed and apt-get is not available"
  [ "$(id -u)" = 0 ] || die "redis-server is not installed; installing it needs root (apt-get install redis-server)"
  echo "redis-server.sh: installing redis-server with apt-get" >&2
  # Serialize concurrent first runs (several test binaries start at once).
  exec 9>/tmp/invite-redis-install.lock
  flock 9
  if ! command -v redis-server >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q redis-server >&2; then
      apt-get update -q >&2 || die "apt-get update failed"
      apt-get install -y -q redis-server >&2 || die "apt-get install redis-server failed"
    fi
  fi
  flock -u 9
  exec 9>&-
  command -v redis-server >/dev/null 2>&1 || die "redis-server is still missing after apt-get install"
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Auto ports come from below the kernel's ephemeral range, so that no outgoing connection
# holds them; a port another process takes between our check and Redis's bind is retried.
auto=0
if [ "$port" = 0 ] || [ "$port" = auto ]; then auto=1; fi
case "$port" in auto|0) ;; ''|*[!0-9]*) die "bad port '$port'" ;; esac
ephemeral_low="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
case "$ephemeral_low" in ''|*[!0-9]*) ephemeral_low=32768 ;; esac
[ "$ephemeral_low" -gt 12000 ] || ephemeral_low=32768

pick_port() {
  local candidate
  for _ in $(seq 1 100); do
    candidate=$((10000 + (RANDOM * 32768 + RANDOM) % (ephemeral_low - 10000)))
    if ! port_in_use "$candidate"; then echo "$candidate"; return 0; fi
  done
  return 1
}

log="${REDIS_LOG:-/dev/stderr}"
dir="$(mktemp -d "${TMPDIR:-/tmp}/invite-redis.XXXXXX")"
pid=""
stop_server() { [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true; }
cleanup_dir() { rm -rf "$dir"; }

ready=0
for attempt in 1 2 3 4 5; do
  if [ "$auto" = 1 ]; then
    port="$(pick_port)" || { cleanup_dir; die "found no free port on 127.0.0.1"; }
  elif port_in_use "$port"; then
    cleanup_dir
    die "port $port is already in use on 127.0.0.1"
  fi
  redis-server --save "" --appendonly no --port "$port" --bind 127.0.0.1 \
    --daemonize no --dir "$dir" --protected-mode yes </dev/null >>"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" || true
      pid=""
      break
    fi
    if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then ready=1; break; fi
    sleep 0.05
  done
  [ "$ready" = 1 ] && break
  if [ -n "$pid" ]; then
    stop_server
    cleanup_dir
    die "redis-server did not answer within 10 s"
  fi
  [ "$auto" = 1 ] || { cleanup_dir; die "redis-server exited early (port $port taken?)"; }
  echo "redis-server.sh: redis-server exited early on port $port (attempt $attempt), trying another port" >&2
done
if [ "$ready" != 1 ]; then
  cleanup_dir
  die "redis-server kept exiting early; see its log above"
fi

echo "redis://127.0.0.1:$port"
if [ "$daemon" = 1 ]; then
  echo "redis-server.sh: pid $pid" >&2
  [ -z "${REDIS_PIDFILE:-}" ] || echo "$pid" >"$REDIS_PIDFILE"
  exit 0
fi

trap 'stop_server' TERM INT HUP
trap 'stop_server; cleanup_dir' EXIT
if [ "$watch_stdin" = 1 ]; then
  # Drain stdin; end of file (the harness closed the pipe or died) stops the server.
  # (Stdin is passed explicitly: a background job of a non-interactive shell would
  # otherwise read /dev/null and stop the server at once.)
  ( cat >/dev/null; kill -TERM "$pid" 2>/dev/null || true ) <&0 &
fi
# A trapped signal ends the first wait; the second waits for the server to stop.
wait "$pid" || true
wait "$pid" 2>/dev/null || true

#!/usr/bin/env bash
# A Socket.IO cluster on loopback: one redis-server, three conformance_server --redis nodes
# and nginx in front of them. Builds nothing; see README.md.
#
#   examples/cluster/cluster.sh start|stop|status
#
# Environment (defaults in brackets):
#   SOCKETIO_SERVER   the conformance_server binary [build/examples/conformance_server/conformance_server]
#   CLUSTER_PORT      nginx's port, where clients connect [8080]
#   REDIS_PORT        redis-server's port [6379]
#   NODE_PORTS        the three nodes' ports ["3001 3002 3003"]
#   NODE_KINDS        kind of each node, cpp or node ["cpp cpp cpp"]; a "node" node runs
#                     tests/cluster/node-server.mjs (Node's socket.io + @socket.io/redis-adapter)
#   RUN_DIR           pid files, logs, nginx config [${TMPDIR:-/tmp}/socketio-cluster]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"

HOST=127.0.0.1
SOCKETIO_SERVER="${SOCKETIO_SERVER:-$repo_root/build/examples/conformance_server/conformance_server}"
CLUSTER_PORT="${CLUSTER_PORT:-8080}"
REDIS_PORT="${REDIS_PORT:-6379}"
read -r -a node_ports <<<"${NODE_PORTS:-3001 3002 3003}"
read -r -a node_kinds <<<"${NODE_KINDS:-cpp cpp cpp}"
RUN_DIR="${RUN_DIR:-${TMPDIR:-/tmp}/socketio-cluster}"
NGINX="${NGINX:-/usr/sbin/nginx}"
NODE_SERVER="$repo_root/tests/cluster/node-server.mjs"

# Components in start order. RUN_DIR/NAME.pid holds "PID WORD": WORD is a word of the
# process's command line, so a pid file whose process is gone, or whose pid was reused by
# another program, counts as not running.
components=(redis node-1 node-2 node-3 nginx)

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

# The pid in RUN_DIR/NAME.pid if that process is alive and is what we started, else nothing.
live_pid() {
  local pidfile="$RUN_DIR/$1.pid" pid word
  [ -f "$pidfile" ] || return 1
  read -r pid word <"$pidfile" || true
  [ -n "$pid" ] && [ -n "$word" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$word" || return 1
  echo "$pid"
}

port_open() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

wait_for() { # description, seconds, command...
  local what=$1 seconds=$2
  shift 2
  for ((i = 0; i < seconds * 10; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  die "$what: not ready after ${seconds}s (logs in $RUN_DIR)"
}

# A node is ready once its log has the contract's line; one that exited fails the start.
node_ready() {
  grep -q "^listening on http://" "$RUN_DIR/$1.log" && return 0
  live_pid "$1" >/dev/null || die "$1 exited: $(tail -n 5 "$RUN_DIR/$1.log")"
  return 1
}

# launch NAME WORD COMMAND...: runs COMMAND in the background, logging to RUN_DIR/NAME.log;
# RUN_DIR/NAME.pid gets "PID WORD".
launch() {
  local name=$1 word=$2
  shift 2
  nohup "$@" >"$RUN_DIR/$name.log" 2>&1 </dev/null &
  echo "$! $word" >"$RUN_DIR/$name.pid"
}

start() {
  [ "${#node_ports[@]}" -eq 3 ] || die "NODE_PORTS needs three ports"
  [ "${#node_kinds[@]}" -eq 3 ] || die "NODE_KINDS needs three kinds"
  for name in "${components[@]}"; do
    if pid="$(live_pid "$name")"; then
      die "$name is already running (pid $pid): run '$0 stop' first"
    fi
  done
  command -v redis-server >/dev/null || die "redis-server not found (Debian: redis-server)"
  [ -x "$NGINX" ] || die "no nginx at $NGINX (Debian: nginx)"
  for kind in "${node_kinds[@]}"; do
    case "$kind" in
      cpp) [ -x "$SOCKETIO_SERVER" ] || die "no conformance_server at $SOCKETIO_SERVER: build it, or set SOCKETIO_SERVER" ;;
      node) [ -d "$repo_root/tests/cluster/node_modules" ] || die "node nodes need 'npm ci' in tests/cluster" ;;
      *) die "NODE_KINDS: unknown kind $kind (cpp or node)" ;;
    esac
  done
  for port in "$REDIS_PORT" "${node_ports[@]}" "$CLUSTER_PORT"; do
    port_open "$port" && die "port $port on $HOST is already taken"
  done
  mkdir -p "$RUN_DIR"
  # A failed start leaves nothing running.
  trap 'echo "cluster.sh: start failed, stopping what was started" >&2; stop >/dev/null' ERR EXIT

  launch redis redis-server redis-server --bind "$HOST" --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$RUN_DIR" --daemonize no
  wait_for "redis-server on $HOST:$REDIS_PORT" 10 port_open "$REDIS_PORT"
  local redis_url="redis://$HOST:$REDIS_PORT"

  for i in 1 2 3; do
    local name="node-$i" port="${node_ports[$((i - 1))]}" kind="${node_kinds[$((i - 1))]}"
    # Heartbeats of socket.io's defaults (the contract's defaults suit its test suites).
    local args=(--redis "$redis_url" --host "$HOST" --port "$port" --name "$name"
      --ping-interval 25000 --ping-timeout 20000)
    if [ "$kind" = cpp ]; then
      launch "$name" "$(basename "$SOCKETIO_SERVER")" "$SOCKETIO_SERVER" "${args[@]}"
    else
      launch "$name" node-server.mjs node "$NODE_SERVER" "${args[@]}"
    fi
    wait_for "$name ($kind) on $HOST:$port" 15 node_ready "$name"
  done

  local user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user root;" # workers must be able to write to RUN_DIR
  sed -e "s|@USER@|$user_line|" -e "s|@PREFIX@|$RUN_DIR|g" -e "s|@LISTEN@|$HOST:$CLUSTER_PORT|" \
    -e "s|@NODE1@|$HOST:${node_ports[0]}|" -e "s|@NODE2@|$HOST:${node_ports[1]}|" \
    -e "s|@NODE3@|$HOST:${node_ports[2]}|" "$here/nginx.conf.template" >"$RUN_DIR/nginx.conf"
  launch nginx nginx "$NGINX" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/nginx-error.log" -g "daemon off;"
  wait_for "nginx on $HOST:$CLUSTER_PORT" 10 port_open "$CLUSTER_PORT"
  trap - ERR EXIT

  echo "cluster up: connect Socket.IO clients to http://$HOST:$CLUSTER_PORT (logs and pids in $RUN_DIR)"
}

# SIGTERM by pid, SIGKILL after 5 s; in reverse start order.
stop() {
  local stopped=0
  for ((c = ${#components[@]} - 1; c >= 0; c--)); do
    local name="${components[$c]}" pid
    if pid="$(live_pid "$name")"; then
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$pid" 2>/dev/null; then
        echo "$name (pid $pid) ignored SIGTERM: killed" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
      echo "stopped $name (pid $pid)"
      stopped=$((stopped + 1))
    fi
    rm -f "$RUN_DIR/$name.pid"
  done
  [ "$stopped" -gt 0 ] || echo "nothing was running"
}

status() {
  local down=0
  for name in "${components[@]}"; do
    if pid="$(live_pid "$name")"; then
      echo "$name: running (pid $pid)"
    else
      echo "$name: not running"
      down=1
    fi
  done
  return "$down"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac

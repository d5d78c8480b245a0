#!/usr/bin/env bash
# Runs an official protocol compliance suite against a server.
#
#   run-protocol-suites.sh engine   <server command...>   # Engine.IO suite (expects --engine-echo)
#   run-protocol-suites.sh socketio <server command...>   # Socket.IO suite
#
# e.g.  run-protocol-suites.sh engine build/examples/conformance_server/conformance_server --engine-echo
#       run-protocol-suites.sh engine node benchmarks/node-reference/engine-echo.mjs --engine-echo
#       run-protocol-suites.sh socketio node benchmarks/node-reference/conformance-server.mjs
#
# The suites hard-wire http://localhost:3000: the server is started on port 3000 (and
# `--port 3000` is appended unless the command already has --port), so port 3000 must be
# free. It is stopped by PID (SIGTERM, SIGKILL after 5 s); a server that does not exit with
# code 0 on SIGTERM counts as one failure.
#
# The suites come from the mirrored repositories (git dirs without a work tree) and are
# extracted into tests/interop/protocol-suites/ (git-ignored: never commit them). Their
# lockfiles pin the `ws` client 8.5.0, which loses frames that arrive in one TCP read;
# ws@8.16.0 (inside the suites' own ^8.5.0 range) is installed on top.
#
# Environment:
#   SUITE_RUNS=N                 run the suite N times (fresh server each time; default 1)
#   ENGINEIO_PROTOCOL_GIT=DIR    default /work/.mirror/socketio+engine.io-protocol/repo
#   SOCKETIO_PROTOCOL_GIT=DIR    default /work/.mirror/socketio+socket.io-protocol/repo
#   PROTOCOL_SUITES_DIR=DIR      where to extract (default tests/interop/protocol-suites)
#
# Prints one line per run, then `N passed, M failed` (all runs added up) alone on the last
# line; exits non-zero on any failure.

set -euo pipefail

usage() {
  echo "usage: $0 engine|socketio <server command...>" >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
kind=$1
shift
case "$kind" in
  engine)
    git_dir=${ENGINEIO_PROTOCOL_GIT:-/work/.mirror/socketio+engine.io-protocol/repo}
    ;;
  socketio)
    git_dir=${SOCKETIO_PROTOCOL_GIT:-/work/.mirror/socketio+socket.io-protocol/repo}
    ;;
  *) usage ;;
esac
server_cmd=("$@")
has_port=0
for arg in "${server_cmd[@]}"; do
  [[ $arg == --port ]] && has_port=1
done
[[ $has_port == 1 ]] || server_cmd+=(--port 3000)

runs=${SUITE_RUNS:-1}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "SUITE_RUNS must be a positive integer" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suites_root=${PROTOCOL_SUITES_DIR:-$here/protocol-suites}
suite_dir=$suites_root/$kind/test-suite
WS_VERSION=8.16.0

command -v node >/dev/null || { echo "node not found" >&2; exit 2; }
command -v npm >/dev/null || { echo "npm not found" >&2; exit 2; }
git --git-dir="$git_dir" rev-parse --verify -q HEAD >/dev/null ||
  { echo "no protocol suite repository at $git_dir" >&2; exit 2; }

# --- extract and install (reused while the suite's commit and ws version are unchanged)
commit=$(git --git-dir="$git_dir" rev-parse HEAD)
stamp="$commit ws@$WS_VERSION node $(node --version)"
if [[ ! -f $suite_dir/.installed || "$(cat "$suite_dir/.installed")" != "$stamp" ]]; then
  echo "extracting $kind suite ($commit) into $suite_dir"
  rm -rf "$suites_root/$kind"
  mkdir -p "$suites_root/$kind"
  git --git-dir="$git_dir" archive "$commit" test-suite | tar -x -C "$suites_root/$kind"
  (
    cd "$suite_dir"
    npm ci --no-audit --no-fund --loglevel=error
    npm install --no-save --no-audit --no-fund --loglevel=error "ws@$WS_VERSION"
  )
  actual_ws=$(node -p "require('$suite_dir/node_modules/ws/package.json').version")
  [[ $actual_ws == "$WS_VERSION" ]] || { echo "ws $actual_ws installed, wanted $WS_VERSION" >&2; exit 2; }
  echo "$stamp" >"$suite_dir/.installed"
fi

# --- one run
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/protocol-suite.XXXXXX")
server_pid=
stop_server() {
  # Stops the server started by this script (by PID). Returns 0 only on a clean exit 0.
  local pid=$server_pid rc
  server_pid=
  [[ -n $pid ]] || return 0
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null && rc=0 || rc=$?
    echo "server (pid $pid) had already exited with code $rc" >&2
    return 1
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "server (pid $pid) did not exit within 5 s of SIGTERM: killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 1
  fi
  wait "$pid" 2>/dev/null && rc=0 || rc=$?
  if [[ $rc != 0 ]]; then
    echo "server (pid $pid) exited with code $rc on SIGTERM (expected 0)" >&2
    return 1
  fi
  return 0
}
cleanup() {
  stop_server >/dev/null 2>&1 || true
  rm -rf "$log_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() {
  node -e '
    const s = require("net").connect(3000, process.argv[1]);
    s.on("connect", () => { s.destroy(); process.exit(0); });
    s.on("error", () => process.exit(1));
  ' "$1"
}

start_server() {
  local log=$1
  if port_in_use 127.0.0.1 || port_in_use ::1; then
    echo "port 3000 is already in use: the protocol suites need it" >&2
    return 1
  fi
  "${server_cmd[@]}" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do
    if grep -q '^listening on http://' "$log"; then
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "server exited before listening:" >&2
      cat "$log" >&2
      server_pid=
      return 1
    fi
    sleep 0.1
  done
  echo "server printed no 'listening on http://HOST:PORT' line within 15 s:" >&2
  cat "$log" >&2
  stop_server || true
  return 1
}

total_passed=0
total_failed=0
for run in $(seq 1 "$runs"); do
  server_log=$log_dir/server-$run.log
  mocha_log=$log_dir/mocha-$run.log
  if ! start_server "$server_log"; then
    echo "run $run of $runs: server did not start"
    total_failed=$((total_failed + 1))
    continue
  fi
  set +e
  (cd "$suite_dir" && npx --no-install mocha --color=false test-suite.js) 2>&1 | tee "$mocha_log"
  mocha_rc=${PIPESTATUS[0]}
  set -e
  passing=$(sed -n 's/^ *\([0-9][0-9]*\) passing.*/\1/p' "$mocha_log" | tail -1)
  failing=$(sed -n 's/^ *\([0-9][0-9]*\) failing.*/\1/p' "$mocha_log" | tail -1)
  passing=${passing:-0}
  failing=${failing:-0}
  if [[ $mocha_rc != 0 && $failing == 0 ]]; then
    echo "mocha exited with code $mocha_rc without reporting a failing test" >&2
    failing=1
  fi
  if ! grep -q 'passing' "$mocha_log"; then
    failing=$((failing > 0 ? failing : 1))
  fi
  if ! stop_server; then
    failing=$((failing + 1))
    echo "--- server output ---" >&2
    tail -50 "$server_log" >&2
  fi
  echo "run $run of $runs ($kind suite): $passing passing, $failing failing"
  total_passed=$((total_passed + passing))
  total_failed=$((total_failed + failing))
done

echo
echo "$total_passed passed, $total_failed failed"
[[ $total_failed == 0 ]]

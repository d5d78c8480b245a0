#!/usr/bin/env bash
# Runs the benchmarks side by side: the C++ conformance_server and the Node.js
# socket.io 4.8 reference (benchmarks/node-reference/conformance-server.mjs),
# every scenario against both, alternating them, REPS times each, then prints
# one table (median, min–max, ratio C++/Node) and the codec micro-benchmarks.
#
#   benchmarks/run.sh                 full run (~15 min)
#   QUICK=1 benchmarks/run.sh         smoke run with small N (< 3 min)
#
# Environment:
#   BUILD_DIR    build directory (default build/bench), configured Release
#   REPS         repetitions per scenario and server (default 3)
#   SCENARIOS    subset to run, e.g. "connect echo" (default: connect fanout echo polling)
#   SERVERS      subset of "cpp node" (default both)
#   SERVER_CPU   CPU the server is pinned to (default 0)
#   LOADGEN_CPU  CPU the load generator is pinned to (default 1)
#   OUT_DIR      where logs and results.tsv go (default $BUILD_DIR/results-<time>)
#   CODEC=0      skip the codec micro-benchmarks
#   NO_BUILD=1   use the binaries already in BUILD_DIR
#   NICE         when set (e.g. -10) and run as root: run.sh moves itself into a
#                session of its own and gives that session's scheduler autogroup
#                this nice value, so other sessions' jobs on a shared machine take
#                less of the pinned CPUs (with autogroups a plain `nice` is only
#                relative to one's own session). Default 0: no change. Ctrl-C
#                does not reach a run moved into its own session; stop it with
#                kill -TERM <pid of run.sh>.
#
# Servers listen on 127.0.0.1 port 0 (the kernel picks a free port; both print
# it) and are stopped by PID. Every load-generator run has its own deadline and
# is additionally wrapped in timeout(1).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

QUICK="${QUICK:-0}"
REPS="${REPS:-3}"
BUILD_DIR="${BUILD_DIR:-$root/build/bench}"
SCENARIOS="${SCENARIOS:-connect fanout echo polling}"
SERVERS="${SERVERS:-cpp node}"
SERVER_CPU="${SERVER_CPU:-0}"
LOADGEN_CPU="${LOADGEN_CPU:-1}"
OUT_DIR="${OUT_DIR:-$BUILD_DIR/results-$(date +%Y%m%d-%H%M%S)}"
CODEC="${CODEC:-1}"
NICE="${NICE:-0}"
if [ "$NICE" != 0 ] && [ "$(id -u)" = 0 ] && [ -r /proc/self/autogroup ]; then
  if [ -z "${RUN_SH_OWN_SESSION:-}" ]; then
    export RUN_SH_OWN_SESSION=1
    exec setsid -w "$0" "$@"
  fi
  echo "$NICE" >/proc/self/autogroup
fi

log() { printf 'run.sh: %s\n' "$*" >&2; }

# ------------------------------------------------------------------ build
if [ "${NO_BUILD:-0}" != 1 ]; then
  log "building Release in $BUILD_DIR"
  mkdir -p "$BUILD_DIR"
  cmake -S "$root" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DSOCKETIO_BUILD_BENCHMARKS=ON \
    -DSOCKETIO_BUILD_TESTS=OFF >"$BUILD_DIR/configure.log" 2>&1 ||
    { cat "$BUILD_DIR/configure.log" >&2; exit 1; }
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target conformance_server loadgen codec_bench >&2
fi
CPP_SERVER="$BUILD_DIR/examples/conformance_server/conformance_server"
LOADGEN="$BUILD_DIR/benchmarks/loadgen"
CODEC_BENCH="$BUILD_DIR/benchmarks/codec_bench"
NODE_DIR="$here/node-reference"
for f in "$CPP_SERVER" "$LOADGEN"; do
  [ -x "$f" ] || { log "missing $f"; exit 1; }
done
if [[ " $SERVERS " == *" node "* ]] && [ ! -d "$NODE_DIR/node_modules/socket.io" ]; then
  log "installing the Node reference's dependencies (npm ci)"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund >&2)
fi

# Tens of thousands of sockets: raise the descriptor limit for both processes.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

mkdir -p "$OUT_DIR"
RESULTS="$OUT_DIR/results.tsv"
: >"$RESULTS"
log "results in $OUT_DIR"

# ---------------------------------------------------------------- servers
SERVER_PID=""
SERVER_PORT=""

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

# start_server KIND LOG ping-interval
start_server() {
  local kind="$1" logfile="$2" ping_interval="$3"
  local -a cmd
  case "$kind" in
    cpp) cmd=("$CPP_SERVER" --threads 1) ;;
    node) cmd=(node "$NODE_DIR/conformance-server.mjs") ;;
  esac
  : >"$logfile"  # truncate before starting: the background child may do so too late
  taskset -c "$SERVER_CPU" "${cmd[@]}" --host 127.0.0.1 --port 0 --ping-interval "$ping_interval" \
    --ping-timeout 20000 --connect-timeout 45000 >"$logfile" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 150); do
    SERVER_PORT="$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$logfile")"
    [ -n "$SERVER_PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$SERVER_PORT" ]; then
    log "$kind server did not start:"
    cat "$logfile" >&2
    stop_server
    return 1
  fi
  sleep 1  # let it settle (Node finishes compiling and collecting) before the baseline sample
}

# ------------------------------------------------------------- scenarios
# One line each: label | loadgen arguments | ping interval (ms) | time limit (s)
# connect uses pingInterval 5 s so its 10 s idle hold contains two heartbeat
# rounds; everything else uses socket.io's default 25 s.
if [ "$QUICK" = 1 ]; then
  PLAN="connect n=1000|--scenario connect --n 1000 --duration 2 --warmup-conns 200|5000|60
fanout n=1000|--scenario fanout --n 1000 --duration 2 --msg-window 8|25000|60
echo n=1|--scenario echo --n 1 --duration 2 --warmup 0.5|25000|30
echo n=100|--scenario echo --n 100 --duration 2 --warmup 0.5|25000|30
polling n=20|--scenario polling --n 20 --duration 2 --warmup 0.5|25000|40"
else
  PLAN="connect n=1000|--scenario connect --n 1000 --duration 10 --warmup-conns 300|5000|90
connect n=5000|--scenario connect --n 5000 --duration 10 --warmup-conns 300|5000|120
connect n=10000|--scenario connect --n 10000 --duration 10 --warmup-conns 300|5000|150
fanout n=1000|--scenario fanout --n 1000 --duration 10 --msg-window 8|25000|120
fanout n=10000|--scenario fanout --n 10000 --duration 10 --msg-window 2|25000|180
echo n=1|--scenario echo --n 1 --duration 8 --warmup 2|25000|60
echo n=100|--scenario echo --n 100 --duration 8 --warmup 2|25000|60
echo n=1000|--scenario echo --n 1000 --duration 8 --warmup 2|25000|90
polling n=50|--scenario polling --n 50 --duration 8 --warmup 2|25000|60"
fi

run_one() {
  local kind="$1" label="$2" args="$3" ping="$4" limit="$5" rep="$6"
  local tag
  tag="$(echo "$label" | tr ' =' '__')-$kind-$rep"
  start_server "$kind" "$OUT_DIR/server-$tag.log" "$ping" || return 0
  local rc=0
  # shellcheck disable=SC2086  # args is a word list
  timeout --kill-after=5 "$limit" taskset -c "$LOADGEN_CPU" "$LOADGEN" $args --label "$label" \
    --port "$SERVER_PORT" --server-pid "$SERVER_PID" --timeout "$((limit - 10))" \
    >"$OUT_DIR/loadgen-$tag.out" 2>"$OUT_DIR/loadgen-$tag.err" || rc=$?
  stop_server
  awk -v k="$kind" -v r="$rep" -F'\t' '$1 == "RESULT" { print k "\t" r "\t" $2 "\t" $3 "\t" $4 "\t" $5 }' \
    "$OUT_DIR/loadgen-$tag.out" >>"$RESULTS"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$rep" "$label" "loadgen_exit_status" "$rc" "code" >>"$RESULTS"
  if [ "$rc" != 0 ]; then
    log "  $kind $label: loadgen exit status $rc (see $OUT_DIR/loadgen-$tag.err)"
    tail -3 "$OUT_DIR/loadgen-$tag.err" >&2 || true
  fi
}

start_time=$(date +%s)
for rep in $(seq "$REPS"); do
  while IFS='|' read -r label args ping limit; do
    scenario="${label%% *}"
    [[ " $SCENARIOS " == *" $scenario "* ]] || continue
    # Alternate which server goes first from one repetition to the next.
    if [ $((rep % 2)) = 1 ]; then order="cpp node"; else order="node cpp"; fi
    for kind in $order; do
      [[ " $SERVERS " == *" $kind "* ]] || continue
      log "rep $rep/$REPS: $label on $kind ($(($(date +%s) - start_time)) s elapsed)"
      run_one "$kind" "$label" "$args" "$ping" "$limit" "$rep"
    done
  done <<<"$PLAN"
done
log "load scenarios took $(($(date +%s) - start_time)) s"

# ------------------------------------------------------------------ report
{
  echo "# socketio-cpp vs Node socket.io 4.8"
  echo
  echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)," \
    "node $(node --version), load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "server pinned to CPU $SERVER_CPU, loadgen to CPU $LOADGEN_CPU; autogroup: $(cat /proc/self/autogroup 2>/dev/null || echo none); $REPS repetitions; QUICK=$QUICK"
  echo
  node "$here/report.mjs" "$RESULTS"
} | tee "$OUT_DIR/report.md"

if [ "$CODEC" = 1 ] && [ -x "$CODEC_BENCH" ]; then
  echo
  echo "## Codec micro-benchmarks (codec_bench, pinned to CPU $LOADGEN_CPU)"
  echo
  taskset -c "$LOADGEN_CPU" "$CODEC_BENCH" --benchmark_min_time=0.2 \
    --benchmark_repetitions=3 --benchmark_report_aggregates_only=true 2>&1 | tee "$OUT_DIR/codec.txt"
fi

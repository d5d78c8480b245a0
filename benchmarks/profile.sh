#!/usr/bin/env bash
# Profiles the C++ conformance_server with `perf record` (DWARF call graphs:
# the Release build has no frame pointers) during the measurement window of
# one load-generator scenario, then prints the hottest functions, self and
# inclusive.
#
#   benchmarks/profile.sh [SECONDS] -- LOADGEN-ARGS...
#   benchmarks/profile.sh 8 -- --scenario fanout --n 10000 --duration 12 --msg-window 2
#
# SECONDS (default 8) must be shorter than the scenario's --duration. Uses the
# binaries of BUILD_DIR (default build/bench, see run.sh); output in OUT_DIR
# (default $BUILD_DIR/profile-<time>). The server is pinned to CPU 0 and the
# loadgen to CPU 1, as in run.sh. FREQ sets the sampling rate (default 499 Hz).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$root/build/bench}"
OUT_DIR="${OUT_DIR:-$BUILD_DIR/profile-$(date +%Y%m%d-%H%M%S)}"
seconds=8
if [ "${1:-}" != "--" ]; then seconds="$1"; shift; fi
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: $0 [SECONDS] -- LOADGEN-ARGS..." >&2; exit 2; }
ping=25000
[[ " $* " == *" connect "* ]] && ping=5000

mkdir -p "$OUT_DIR"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
: >"$OUT_DIR/server.log"  # truncate here: the background child may do so too late
taskset -c 0 "$BUILD_DIR/examples/conformance_server/conformance_server" --host 127.0.0.1 --port 0 \
  --ping-interval "$ping" --ping-timeout 20000 --connect-timeout 45000 >"$OUT_DIR/server.log" 2>&1 &
server=$!
lg=""
cleanup() {
  [ -n "$lg" ] && kill "$lg" 2>/dev/null || true
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
trap cleanup EXIT
port=""
for _ in $(seq 100); do
  port="$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$OUT_DIR/server.log")"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$OUT_DIR/server.log" >&2; exit 1; }
sleep 1

: >"$OUT_DIR/loadgen.err"
timeout 300 taskset -c 1 "$BUILD_DIR/benchmarks/loadgen" "$@" --port "$port" --server-pid "$server" \
  >"$OUT_DIR/loadgen.out" 2>"$OUT_DIR/loadgen.err" &
lg=$!
for _ in $(seq 1200); do
  grep -q "measurement window starts" "$OUT_DIR/loadgen.err" && break
  kill -0 "$lg" 2>/dev/null || break
  sleep 0.1
done
grep -q "measurement window starts" "$OUT_DIR/loadgen.err" || { cat "$OUT_DIR/loadgen.err" >&2; exit 1; }
perf record -q -F "${FREQ:-499}" --call-graph dwarf,16384 -p "$server" -o "$OUT_DIR/perf.data" -- sleep "$seconds" 2>/dev/null
wait "$lg" || echo "profile.sh: loadgen exit status $?" >&2
lg=""
grep RESULT "$OUT_DIR/loadgen.out" | cut -f3-5

report() {
  perf report -i "$OUT_DIR/perf.data" --stdio "$@" 2>/dev/null | grep -E '^ +[0-9]' | sed 's/ \+$//' | cut -c1-170
}
echo; echo "== self time by binary"; report --no-children --sort dso -g none | head -6
echo; echo "== self time by function (top 30)"; report --no-children --sort dso,symbol -g none | head -30
echo; echo "== inclusive time (children) by function (top 45)"; report --children --sort symbol -g none | head -45
echo; echo "perf data: $OUT_DIR/perf.data"

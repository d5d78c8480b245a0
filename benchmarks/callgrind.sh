#!/usr/bin/env bash
# Counts the instructions the C++ conformance_server executes per operation
# during one load-generator scenario, under valgrind's callgrind. Instruction
# counts do not depend on the machine's load, so they are the repeatable
# before/after figure for user-space changes (kernel work is not counted).
#
#   benchmarks/callgrind.sh -- LOADGEN-ARGS...
#   benchmarks/callgrind.sh -- --scenario fanout --n 1000 --duration 10 --msg-window 8
#   benchmarks/callgrind.sh -- --scenario echo --n 100 --duration 8 --warmup 2
#
# Instrumentation is switched on when the loadgen announces its measurement
# window and off when the loadgen exits, so it also covers the tail of the
# window (the fan-out drain, the first part of closing the connections).
# Prints instructions (Ir) per delivery or per round trip, and the top
# functions inclusive and self. Uses the binaries of BUILD_DIR (default
# build/bench, see run.sh); output in OUT_DIR (default
# $BUILD_DIR/callgrind-<time>). Needs valgrind.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$root/build/bench}"
OUT_DIR="${OUT_DIR:-$BUILD_DIR/callgrind-$(date +%Y%m%d-%H%M%S)}"
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: $0 -- LOADGEN-ARGS..." >&2; exit 2; }

mkdir -p "$OUT_DIR"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
: >"$OUT_DIR/server.log"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT_DIR/callgrind.out" \
  "$BUILD_DIR/examples/conformance_server/conformance_server" --host 127.0.0.1 --port 0 \
  --ping-interval 25000 --ping-timeout 20000 --connect-timeout 45000 >"$OUT_DIR/server.log" 2>&1 &
server=$!
lg=""
cleanup() {
  [ -n "$lg" ] && kill "$lg" 2>/dev/null || true
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
trap cleanup EXIT
port=""
for _ in $(seq 300); do
  port="$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$OUT_DIR/server.log")"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$OUT_DIR/server.log" >&2; exit 1; }

: >"$OUT_DIR/loadgen.err"
timeout 600 "$BUILD_DIR/benchmarks/loadgen" "$@" --port "$port" --timeout 500 \
  >"$OUT_DIR/loadgen.out" 2>"$OUT_DIR/loadgen.err" &
lg=$!
for _ in $(seq 6000); do
  grep -q "measurement window starts" "$OUT_DIR/loadgen.err" && break
  kill -0 "$lg" 2>/dev/null || break
  sleep 0.1
done
grep -q "measurement window starts" "$OUT_DIR/loadgen.err" || { cat "$OUT_DIR/loadgen.err" >&2; exit 1; }
callgrind_control -i on "$server" >/dev/null
status=0
wait "$lg" || status=$?
lg=""
callgrind_control -i off "$server" >/dev/null
callgrind_control -d "$server" >/dev/null
[ "$status" = 0 ] || echo "callgrind.sh: loadgen exit status $status" >&2
grep RESULT "$OUT_DIR/loadgen.out" | cut -f3-5

out="$(ls -t "$OUT_DIR"/callgrind.out* | head -1)"
total="$(callgrind_annotate "$out" 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)"
value() { grep -P "\t$1\t" "$OUT_DIR/loadgen.out" | cut -f4; }
n_arg="$(printf '%s\n' "$@" | awk 'p { print; exit } $0 == "--n" { p = 1 }')"
if grep -q "messages_published" "$OUT_DIR/loadgen.out"; then
  ops="$(awk -v m="$(value messages_published)" -v n="$n_arg" 'BEGIN { printf "%.0f", m * n }')"
  unit="delivery"
else
  ops="$(awk -v r="$(value round_trips_per_s)" -v d="$(printf '%s\n' "$@" | awk 'p { print; exit } $0 == "--duration" { p = 1 }')" \
    'BEGIN { printf "%.0f", r * d }')"
  unit="round trip"
fi
echo
echo "instructions: $total over $ops operations: $(awk -v t="$total" -v o="$ops" 'BEGIN { printf "%.0f", t / o }') per $unit"
echo
echo "== inclusive (top 40)"
callgrind_annotate --inclusive=yes "$out" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n 3,42p | cut -c1-200
echo
echo "== self (top 30)"
callgrind_annotate "$out" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n 3,32p | cut -c1-200
echo
echo "callgrind data: $out"

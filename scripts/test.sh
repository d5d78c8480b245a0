#!/usr/bin/env bash
# The test command (README, CI): installs dependencies, builds, runs ctest.
#   bash scripts/test.sh             ASan+UBSan, Debug, in build/test
#   SANITIZE=0 bash scripts/test.sh  no sanitizers, RelWithDebInfo, in build/test-nosan
# Extra arguments go to ctest, e.g. `bash scripts/test.sh -R unit`.
# The exit code is ctest's.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

if [ "${SANITIZE:-1}" = 0 ]; then
  build_dir=build/test-nosan
  config=(-DSOCKETIO_SANITIZE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo)
else
  build_dir=build/test
  config=(-DSOCKETIO_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
fi

# Any sanitizer report fails the test that triggered it: abort instead of
# carrying on, and report leaks at exit. Callers may override.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

echo "test: configuring $build_dir (${config[*]})" >&2
cmake -S . -B "$build_dir" "${config[@]}"

echo "test: building with $(nproc) jobs" >&2
cmake --build "$build_dir" -j"$(nproc)"

# --timeout is the default for tests that set no TIMEOUT of their own: a hung
# test fails instead of eating CI's time limit. Tests run one at a time unless
# CTEST_PARALLEL_LEVEL is set (some bind fixed ports).
echo "test: running ctest" >&2
exec ctest --test-dir "$build_dir" --output-on-failure --timeout 300 "$@"

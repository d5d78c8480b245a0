#!/usr/bin/env bash
# Builds the example server (Release, in build/release) and runs it.
#   bash scripts/run-example.sh              listens on port 3000
#   PORT=8080 bash scripts/run-example.sh    another port
# Extra arguments are passed to the server.
set -euo pipefail

# Which example runs, and how. Change these three lines to switch examples.
EXAMPLE_TARGET=chat
EXAMPLE_BINARY=build/release/examples/chat/chat
EXAMPLE_ARGS=(--port "${PORT:-3000}")

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

# Tests off: the example needs neither Catch2 nor the test targets.
echo "run-example: building $EXAMPLE_TARGET in build/release" >&2
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DSOCKETIO_BUILD_EXAMPLES=ON -DSOCKETIO_BUILD_TESTS=OFF
cmake --build build/release -j"$(nproc)" --target "$EXAMPLE_TARGET"

echo "run-example: starting $EXAMPLE_BINARY ${EXAMPLE_ARGS[*]} $*" >&2
exec "$EXAMPLE_BINARY" "${EXAMPLE_ARGS[@]}" "$@"

#!/usr/bin/env bash
# Builds and runs tests/cmake/consumer the way a user of the library would:
#   consumer_test.sh find_package      `cmake --install` the outer build into a
#                                      fresh prefix, then find_package(socketio)
#                                      and pkg-config against that prefix
#   consumer_test.sh add_subdirectory  the consumer builds the library itself
# tests/cmake/CMakeLists.txt passes the outer build's settings in the
# environment, so a sanitized outer build also gives a sanitized consumer (a
# static library built with -fsanitize does not link without it).
set -euo pipefail

mode="$1"
: "${SOCKETIO_SOURCE_DIR:?}" "${SOCKETIO_BUILD_DIR:?}" "${SOCKETIO_INSTALL_LIBDIR:?}"
: "${SOCKETIO_VERSION:?}" "${CONSUMER_WORK_DIR:?}" "${CONSUMER_CXX:?}"
: "${CONSUMER_BUILD_TYPE=}" "${CONSUMER_CXX_FLAGS=}" "${CONSUMER_LINK_FLAGS=}"
: "${CONSUMER_SHARED_LIBS:=OFF}"

consumer_src="$SOCKETIO_SOURCE_DIR/tests/cmake/consumer"
# One folder per mode, emptied first: the two tests may run in parallel, and
# a leftover install or cache from an earlier run must not make this one pass.
work="$CONSUMER_WORK_DIR/$mode"
rm -rf "$work"
mkdir -p "$work"

step() { printf '\n== consumer (%s): %s\n' "$mode" "$*"; }

configure_args=(
  -DCMAKE_CXX_COMPILER="$CONSUMER_CXX"
  -DCMAKE_BUILD_TYPE="$CONSUMER_BUILD_TYPE"
  -DCMAKE_CXX_FLAGS="$CONSUMER_CXX_FLAGS"
  -DCMAKE_EXE_LINKER_FLAGS="$CONSUMER_LINK_FLAGS"
  -DCMAKE_SHARED_LINKER_FLAGS="$CONSUMER_LINK_FLAGS"
  -DBUILD_SHARED_LIBS="$CONSUMER_SHARED_LIBS"
)

# The program prints "ok" and exits 0 when listen/port/close all worked.
run_consumer() {
  step "running $1"
  local output
  output="$("$1")"
  printf '%s\n' "$output"
  if [ "$output" != ok ]; then
    echo "consumer printed '$output', expected 'ok'" >&2
    exit 1
  fi
}

# The Redis adapter consumer exists when the library was built with it.
run_redis_consumer() {
  if [ -x "$work/build/redis_consumer" ]; then
    run_consumer "$work/build/redis_consumer"
  else
    step "no socketio::redis in this build: redis_consumer not built"
  fi
}

case "$mode" in
  find_package)
    prefix="$work/prefix"
    step "cmake --install $SOCKETIO_BUILD_DIR --prefix $prefix"
    cmake --install "$SOCKETIO_BUILD_DIR" --prefix "$prefix"

    step "configure with find_package(socketio $SOCKETIO_VERSION)"
    cmake -S "$consumer_src" -B "$work/build" "${configure_args[@]}" \
      -DCMAKE_PREFIX_PATH="$prefix" -DSOCKETIO_EXPECTED_VERSION="$SOCKETIO_VERSION"
    # A socketio installed elsewhere on the machine must not be the one found.
    found_dir="$(sed -n 's/^socketio_DIR:[A-Z]*=//p' "$work/build/CMakeCache.txt")"
    case "$found_dir" in
      "$prefix"/*) echo "found socketio in $found_dir" ;;
      *) echo "find_package found socketio in '$found_dir', not under $prefix" >&2; exit 1 ;;
    esac

    step "build"
    cmake --build "$work/build" -j"$(nproc)"
    run_consumer "$work/build/consumer"
    run_redis_consumer

    step "pkg-config --cflags --libs socketio"
    export PKG_CONFIG_PATH="$prefix/$SOCKETIO_INSTALL_LIBDIR/pkgconfig"
    pc_flags="$(pkg-config --cflags --libs socketio)"
    echo "$pc_flags"
    case " $pc_flags " in
      *" -DASIO_STANDALONE "*) ;;
      *) echo "pkg-config flags lack -DASIO_STANDALONE" >&2; exit 1 ;;
    esac
    step "build with the pkg-config flags"
    # Word splitting of the flag strings is intended.
    # shellcheck disable=SC2086
    "$CONSUMER_CXX" -std=c++17 $CONSUMER_CXX_FLAGS "$consumer_src/main.cpp" \
      -o "$work/consumer-pkgconfig" $pc_flags $CONSUMER_LINK_FLAGS
    # A shared libsocketio has no RPATH from pkg-config.
    export LD_LIBRARY_PATH="$prefix/$SOCKETIO_INSTALL_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    run_consumer "$work/consumer-pkgconfig"
    ;;

  add_subdirectory)
    step "configure with add_subdirectory($SOCKETIO_SOURCE_DIR)"
    cmake -S "$consumer_src" -B "$work/build" "${configure_args[@]}" \
      -DSOCKETIO_CONSUMER_SUBDIRECTORY=ON -DSOCKETIO_SOURCE_DIR="$SOCKETIO_SOURCE_DIR" \
      -DSOCKETIO_BUILD_TESTS=OFF -DSOCKETIO_BUILD_EXAMPLES=OFF
    step "build (the library too)"
    cmake --build "$work/build" -j"$(nproc)"
    run_consumer "$work/build/consumer"
    run_redis_consumer
    ;;

  *)
    echo "usage: $0 find_package|add_subdirectory" >&2
    exit 2
    ;;
esac

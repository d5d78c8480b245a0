# Header-only libraries used inside src/ only. They never appear in a public
# header, so consumers do not need them (not even for a static build).

# The WebSocket handshake's SHA-1 comes from OpenSSL's libcrypto, linked
# privately (a static build's consumers find it through socketioConfig).
# websocketpp is no longer needed by the library (our own HTTP/WebSocket
# front end replaced it); the integration tests still use it as a client.
find_package(OpenSSL REQUIRED COMPONENTS Crypto)

# RapidJSON's config sets only RAPIDJSON_INCLUDE_DIRS, no target.
find_package(RapidJSON CONFIG QUIET)
find_path(SOCKETIO_RAPIDJSON_INCLUDE_DIR rapidjson/document.h
  HINTS ${RAPIDJSON_INCLUDE_DIRS})
if(NOT SOCKETIO_RAPIDJSON_INCLUDE_DIR)
  message(FATAL_ERROR "socketio: RapidJSON not found; install rapidjson-dev")
endif()

# The Redis adapter (target socketio_redis) needs hiredis and msgpack-cxx.
# Debian's HiredisConfigVersion.cmake breaks find_package(Hiredis CONFIG)
# without a version, so hiredis comes through pkg-config. msgpack-cxx's
# CMake target drags in Boost::boost; we need only its headers, built with
# MSGPACK_NO_BOOST. Without them the core library still builds, without
# socketio::redis.
if(SOCKETIO_WITH_REDIS)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(SOCKETIO_HIREDIS QUIET IMPORTED_TARGET hiredis)
  endif()
  find_path(SOCKETIO_MSGPACK_INCLUDE_DIR msgpack.hpp)
  if(NOT SOCKETIO_HIREDIS_FOUND OR NOT SOCKETIO_MSGPACK_INCLUDE_DIR)
    message(WARNING "socketio: hiredis or msgpack-cxx not found (Debian: libhiredis-dev libmsgpack-cxx-dev); "
                    "building without the Redis adapter")
    set(SOCKETIO_WITH_REDIS OFF)
  endif()
endif()

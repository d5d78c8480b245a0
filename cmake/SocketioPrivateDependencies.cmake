# Header-only libraries used inside src/ only. They never appear in a public
# header, so consumers do not need them (not even for a static build).

find_package(websocketpp CONFIG QUIET)
find_path(SOCKETIO_WEBSOCKETPP_INCLUDE_DIR websocketpp/server.hpp
  HINTS ${WEBSOCKETPP_INCLUDE_DIR})
if(NOT SOCKETIO_WEBSOCKETPP_INCLUDE_DIR)
  message(FATAL_ERROR "socketio: websocketpp not found; install libwebsocketpp-dev")
endif()

# RapidJSON's config sets only RAPIDJSON_INCLUDE_DIRS, no target.
find_package(RapidJSON CONFIG QUIET)
find_path(SOCKETIO_RAPIDJSON_INCLUDE_DIR rapidjson/document.h
  HINTS ${RAPIDJSON_INCLUDE_DIRS})
if(NOT SOCKETIO_RAPIDJSON_INCLUDE_DIR)
  message(FATAL_ERROR "socketio: RapidJSON not found; install rapidjson-dev")
endif()

#pragma once
// What the server knew about a socket when it connected (Node's
// `socket.handshake`). Immutable after the connection; safe to read from any
// thread while the socket is alive.

#include <cstdint>
#include <string>

#include "socketio/json.hpp"
#include "socketio/string_map.hpp"

namespace socketio {

struct Handshake {
  StringMap headers;                           ///< names lower-cased (shared with the session's request)
  std::string time;                            ///< when it connected, as JS Date.toString()
  std::string address;                         ///< the client's IP address
  bool xdomain = false;                        ///< an Origin header was sent
  bool secure = false;                         ///< over TLS
  std::int64_t issued = 0;                     ///< when it connected, ms since the epoch
  std::string url;                             ///< the request target of the first request
  StringMap query;                             ///< its query parameters (shared likewise)
  Json auth;                                   ///< the CONNECT packet's payload ({} if none)
};

}  // namespace socketio

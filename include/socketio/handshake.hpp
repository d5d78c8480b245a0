#pragma once
// What the server knew about a socket when it connected (Node's
// `socket.handshake`). Immutable after the connection; safe to read from any
// thread while the socket is alive.

#include <cstdint>
#include <map>
#include <string>

#include "socketio/json.hpp"

namespace socketio {

struct Handshake {
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string time;                            ///< when it connected, as JS Date.toString()
  std::string address;                         ///< the client's IP address
  bool xdomain = false;                        ///< an Origin header was sent
  bool secure = false;                         ///< over TLS
  std::int64_t issued = 0;                     ///< when it connected, ms since the epoch
  std::string url;                             ///< the request target of the first request
  std::map<std::string, std::string> query;    ///< its query parameters
  Json auth;                                   ///< the CONNECT packet's payload ({} if none)
};

}  // namespace socketio

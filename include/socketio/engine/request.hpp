#pragma once
// What the engine knows about the HTTP request that opened a session (or the
// WebSocket upgrade request, for a session opened over WebSocket directly).
// Socket.IO builds `socket.handshake` from it.
//
// Value type; immutable once the session exists, so it is safe to read from
// any thread for as long as the session (or a copy) is alive.

#include <chrono>
#include <string>

#include "socketio/string_map.hpp"

namespace socketio::engine {

struct RequestInfo {
  std::string method;  ///< "GET", "POST", ...
  std::string url;     ///< path and query as sent, e.g. "/socket.io/?EIO=4&transport=polling"
  std::string path;    ///< the path, percent-decoded
  /// Header names lower-cased (as Node does); a repeated header keeps the last value.
  /// Shared (not copied) by every socket handshake of the session.
  StringMap headers;
  /// Query parameters, percent-decoded; a repeated parameter keeps the last value.
  StringMap query;
  std::string remote_address;  ///< peer IP address, e.g. "127.0.0.1"
  bool secure = false;         ///< true over TLS
  std::chrono::system_clock::time_point time;  ///< when the request arrived

  /// The header's value, or nullptr. `name` must be lower-case.
  const std::string* header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? nullptr : &it->second;
  }
  /// The query parameter's value, or nullptr.
  const std::string* query_param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? nullptr : &it->second;
  }
};

}  // namespace socketio::engine

#pragma once
// Why an Engine.IO session ended. The strings are Node's, which the
// Socket.IO layer passes on to users as disconnect reasons.

#include <string_view>

namespace socketio::engine {

enum class CloseReason {
  transport_close,   ///< the client closed the transport (or sent a CLOSE packet)
  transport_error,   ///< the transport failed (connection lost, protocol violation)
  ping_timeout,      ///< no PONG within pingTimeout
  parse_error,       ///< the client sent something that does not decode
  forced_close,      ///< the server closed the session (Session::close)
  server_shutdown,   ///< the whole server is closing (Server::close)
};

constexpr std::string_view to_string(CloseReason reason) noexcept {
  switch (reason) {
    case CloseReason::transport_close: return "transport close";
    case CloseReason::transport_error: return "transport error";
    case CloseReason::ping_timeout: return "ping timeout";
    case CloseReason::parse_error: return "parse error";
    case CloseReason::forced_close: return "forced close";
    case CloseReason::server_shutdown: return "forced server close";
  }
  return "unknown";
}

}  // namespace socketio::engine

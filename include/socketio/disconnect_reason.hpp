#pragma once
// Why a socket left its namespace, with Node's reason strings.

#include <string_view>

namespace socketio {

enum class DisconnectReason {
  transport_error,              ///< the connection failed
  transport_close,              ///< the client closed the connection
  forced_close,                 ///< the engine session was closed by the server
  ping_timeout,                 ///< the client stopped answering heartbeats
  parse_error,                  ///< the client sent a malformed packet
  server_shutting_down,         ///< Server::close()
  forced_server_close,          ///< the engine server closed the session
  client_namespace_disconnect,  ///< the client left the namespace
  server_namespace_disconnect,  ///< Socket::disconnect()
};

constexpr std::string_view to_string(DisconnectReason reason) noexcept {
  switch (reason) {
    case DisconnectReason::transport_error: return "transport error";
    case DisconnectReason::transport_close: return "transport close";
    case DisconnectReason::forced_close: return "forced close";
    case DisconnectReason::ping_timeout: return "ping timeout";
    case DisconnectReason::parse_error: return "parse error";
    case DisconnectReason::server_shutting_down: return "server shutting down";
    case DisconnectReason::forced_server_close: return "forced server close";
    case DisconnectReason::client_namespace_disconnect: return "client namespace disconnect";
    case DisconnectReason::server_namespace_disconnect: return "server namespace disconnect";
  }
  return "unknown";
}

}  // namespace socketio

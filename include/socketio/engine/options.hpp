#pragma once
// Engine.IO server options, with the names and defaults of Node's engine.io 6.6.
// Plain value type: copy it, change it, hand it to engine::Server.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace socketio::engine {

/// Cross-origin resource sharing for the HTTP long-polling requests. Off by
/// default, as in Node (no CORS header is sent). When enabled, `origins`
/// lists the allowed origins; empty means any origin ("*", or the request's
/// own origin echoed back when `credentials` is true, since browsers refuse
/// "*" with credentials).
struct CorsOptions {
  bool enabled = false;
  std::vector<std::string> origins;
  bool credentials = false;
  std::vector<std::string> methods{"GET", "POST", "OPTIONS"};
  /// Headers allowed in preflighted requests; empty reflects the request's
  /// Access-Control-Request-Headers (as the `cors` npm package does).
  std::vector<std::string> allowed_headers;
  int max_age_seconds = -1;  ///< Access-Control-Max-Age; -1 sends none
};

struct Options {
  /// Where the engine is mounted. A trailing slash is added if missing.
  std::string path = "/engine.io/";
  /// How often the server sends a PING.
  std::chrono::milliseconds ping_interval{25000};
  /// How long the server waits for the PONG before closing the session.
  std::chrono::milliseconds ping_timeout{20000};
  /// How long a client may take to finish a polling-to-WebSocket upgrade.
  std::chrono::milliseconds upgrade_timeout{10000};
  /// Largest message or polling request body accepted, in bytes
  /// (advertised to clients as `maxPayload`).
  std::size_t max_http_buffer_size = 1000000;
  /// Allowed transports: "polling" and/or "websocket".
  std::vector<std::string> transports{"polling", "websocket"};
  /// Whether clients may upgrade from polling to WebSocket.
  bool allow_upgrades = true;
  CorsOptions cors;
};

}  // namespace socketio::engine

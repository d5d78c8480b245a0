#pragma once
// The HTTP front end's view of requests, free of socket and parser types, so that
// transports and the engine server can be written and tested without it.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engineio/packet.hpp"
#include "socketio/engine/request.hpp"

namespace socketio::transport {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;
};

/// One HTTP request (not a WebSocket upgrade) whose response may be sent
/// later: long-polling GETs are parked until there is something to send.
/// Thread-safety: respond() may be called from any thread, and only the
/// first call has an effect.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual const engine::RequestInfo& request() const noexcept = 0;
  virtual const std::string& body() const noexcept = 0;
  virtual void respond(HttpResponse response) = 0;

  /// Headers added to whatever response is eventually sent (CORS).
  HttpHeaders extra_headers;
};
using HttpExchangePtr = std::shared_ptr<HttpExchange>;

/// A WebSocket connection as the transports see it. Thread-safe.
/// A peer that reads slower than we write is closed (1008) once its send
/// queue passes the front end's limit; that close reports as an error.
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  /// Queues `count` packets, one frame each, in order. A packet's bytes and
  /// frame are shared (a broadcast's one encoding) and never copied.
  virtual void send(const engine::EncodedPacket* packets, std::size_t count) = 0;
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
};
using WsConnectionPtr = std::shared_ptr<WsConnection>;

/// An outgoing packet of `bytes` whose WebSocket frame is prepared here, once,
/// for every connection it will be sent on: its header is computed and its
/// payload is `bytes` itself (moved, not copied), so a broadcast hands the
/// same immutable frame to every recipient. A text packet that is not valid
/// UTF-8 gets no frame (WebSocket connections refuse to send it, as before).
/// Thread-safe. Defined by the front end (the only code that knows the
/// WebSocket framing).
engine::EncodedPacket make_ws_packet(std::string bytes, bool binary);

/// Receives what arrives on one WebSocket connection (on the connection's
/// own thread; implementations hop onto their session's strand).
class WsListener {
 public:
  virtual ~WsListener() = default;
  virtual void on_ws_message(std::string payload, bool binary) = 0;
  /// The connection ended; `error` is true if it failed rather than closed
  /// cleanly (an oversize frame counts as an error).
  virtual void on_ws_closed(bool error) = 0;
};

}  // namespace socketio::transport

#pragma once
// The HTTP/WebSocket front end: one listening port serving plain HTTP
// requests (long-polling GET/POST, anything else the host wants) and
// WebSocket upgrades. Our own HTTP/1.1 and RFC 6455 code on standalone Asio
// (http_connection.hpp and the parsers it uses); this class only listens.
//
// Threading: runs on a caller-supplied io_context, any number of threads.
// Handler calls for one TCP connection come one at a time, but calls for
// different connections may run in parallel.
// Lifetime: open connections keep the front end alive after its owner drops
// it; call stop() first so no new ones arrive.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "socketio/log.hpp"
#include "transport/http.hpp"

namespace asio {
class io_context;
}

namespace socketio::transport {

/// The first message of an accepted WebSocket, if its handler wants one
/// sent at once: the front end writes it as a text frame in the same write
/// as the 101 response (one send instead of two; the peer sees the same
/// bytes in the same order).
struct WsGreeting {
  std::string text;     ///< the frame's payload; empty: no greeting
  std::string context;  ///< the handler's own, given back to on_websocket_open
};

class HttpFrontendHandler {
 public:
  virtual ~HttpFrontendHandler() = default;
  /// A plain HTTP request; answer through the exchange, now or later.
  virtual void on_http_request(HttpExchangePtr exchange) = 0;
  /// A WebSocket upgrade request: nullopt accepts it, a response refuses it.
  /// On acceptance the handler may fill `greeting`.
  virtual std::optional<HttpResponse> validate_websocket(const engine::RequestInfo& request,
                                                         WsGreeting& greeting) = 0;
  /// An accepted WebSocket is open (its greeting, if any, was sent). Return
  /// who receives its frames, or nullptr to close it right away.
  virtual std::shared_ptr<WsListener> on_websocket_open(WsConnectionPtr connection, engine::RequestInfo request,
                                                        WsGreeting greeting) = 0;
};

struct HttpFrontendOptions {
  std::size_t max_message_size = 1000000;  ///< WebSocket frames above this close with 1009
  std::size_t max_body_size = 2000000;     ///< HTTP bodies above this get 413 from the parser
  std::size_t max_buffered_bytes = 16000000;  ///< a WebSocket send queue above this closes it (1008)
  LogHook log;
};

class HttpFrontend {
 public:
  /// The handler is held weakly: requests arriving after it is gone are dropped.
  HttpFrontend(asio::io_context& io, std::weak_ptr<HttpFrontendHandler> handler, HttpFrontendOptions options);
  ~HttpFrontend();
  HttpFrontend(const HttpFrontend&) = delete;
  HttpFrontend& operator=(const HttpFrontend&) = delete;

  void listen(const std::string& host, std::uint16_t port, std::error_code& ec);
  std::uint16_t port() const noexcept;
  /// Stops accepting new connections (existing ones carry on). Thread-safe.
  void stop();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace socketio::transport

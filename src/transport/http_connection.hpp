#pragma once
// One accepted TCP connection of the HTTP front end: HTTP/1.1 requests one
// at a time (persistent unless the client asks otherwise), then, after an
// accepted upgrade, an RFC 6455 WebSocket. The type itself is private to
// http_connection.cpp; the front end only starts connections.
//
// Threading: everything a connection does runs on its own strand; the
// objects it hands upward (HttpExchange, WsConnection) may be used from any
// thread. Lifetime: a connection lives while an operation of its own is
// pending on its socket or timer, or a parked HttpExchange refers to it;
// handed-out WsConnection objects refer to it weakly.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "transport/http_frontend.hpp"

namespace socketio::transport {

/// A connection as the front end sees it while it speaks HTTP (WebSockets
/// are closed by the engine, not the front end).
class HttpConnectionBase {
 public:
  virtual ~HttpConnectionBase() = default;
  /// The front end stopped: close now unless a request is being answered
  /// (that one closes after its response). Thread-safe.
  virtual void close_if_idle() = 0;
};

/// What every connection of one front end shares. Options and handler are
/// immutable after listen().
struct FrontendShared {
  std::weak_ptr<HttpFrontendHandler> handler;
  HttpFrontendOptions options;
  /// Set by HttpFrontend::stop(): responses from then on close their
  /// connection instead of keeping it alive, so the io_context can run out
  /// of work (a persistent connection would otherwise linger until its
  /// keep-alive timeout).
  std::atomic<bool> stopped{false};
  /// Connections still speaking HTTP, so stop() can close the idle ones
  /// (an open WebSocket is not in here and costs nothing).
  std::mutex mutex;
  std::map<const void*, std::weak_ptr<HttpConnectionBase>> http_connections;
};

/// A TCP socket bound to the io_context's own executor type rather than
/// asio::any_io_executor: each pending operation on it carries an 8-byte
/// executor instead of a type-erased one (about 100 bytes less per idle
/// connection, whose read is always pending).
using TcpSocket = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;

/// Takes over an accepted socket and serves it until it closes.
void start_connection(asio::io_context& io, TcpSocket socket, std::shared_ptr<FrontendShared> shared);

}  // namespace socketio::transport

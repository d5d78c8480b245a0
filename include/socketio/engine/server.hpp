#pragma once
// The Engine.IO v4 server: HTTP long-polling and WebSocket on one port, the
// upgrade between them, heartbeats. Usable on its own (it echoes nothing and
// knows nothing of Socket.IO); socketio::Server is built on it.
//
// Threading: the server runs on a caller-supplied asio::io_context, which any
// number of threads may run; it starts no threads of its own. All member
// functions are thread-safe. Handlers set here must be set before listen().
//
// Lifetime: the io_context must outlive the server. Destroying the server
// closes it (see close()); run the io_context until it returns afterwards
// so that pending operations finish.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "socketio/engine/options.hpp"
#include "socketio/engine/session.hpp"
#include "socketio/http.hpp"
#include "socketio/log.hpp"

namespace asio {
class io_context;
}

namespace socketio::engine {

class Server {
 public:
  using ConnectionHandler = std::function<void(SessionPtr)>;

  Server(asio::io_context& io, Options options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Called on the new session's strand for every accepted session, before
  /// any of its messages is delivered. Set handlers on the session there.
  void on_connection(ConnectionHandler handler);
  /// Answers HTTP requests outside the engine path (default: 404).
  void on_http_request(HttpHandler handler);
  /// Diagnostics; may be called from any io_context thread.
  void set_log_hook(LogHook hook);

  /// Binds and starts accepting. Port 0 picks a free port (see port()).
  void listen(const std::string& host, std::uint16_t port, std::error_code& ec);
  /// Throwing form: std::system_error on failure.
  void listen(const std::string& host, std::uint16_t port);
  /// The bound port, or 0 before listen().
  std::uint16_t port() const noexcept;

  /// Stops accepting and closes every session (reason server_shutdown).
  /// Thread-safe and idempotent; returns without waiting.
  void close();

  /// Number of open sessions.
  std::size_t clients_count() const noexcept;

  const Options& options() const noexcept;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace socketio::engine

#pragma once
// socketio::Server: Socket.IO v5 over Engine.IO v4 (WebSocket and
// long-polling on one port), with the API of Node's socket.io 4.8.
//
//   asio::io_context io;
//   socketio::Server io_server(io);
//   io_server.on_connection([](const socketio::SocketPtr& socket) {
//     socket->on("chat", [socket](std::string text, socketio::Ack ack) {
//       socket->broadcast().emit("chat", text);
//       ack("ok");
//     });
//   });
//   io_server.listen("0.0.0.0", 3000);
//   io.run();
//
// Threading: runs on the caller's io_context (any number of threads may run
// it; each client connection is serialized on its own strand). It starts no
// threads. Set up namespaces, middleware and handlers before listen();
// everything else is thread-safe.
// Lifetime: the io_context must outlive the server; destroying the server
// closes it.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <regex>
#include <string>
#include <system_error>

#include "socketio/adapter.hpp"
#include "socketio/broadcast_operator.hpp"
#include "socketio/http.hpp"
#include "socketio/log.hpp"
#include "socketio/namespace.hpp"
#include "socketio/options.hpp"

namespace asio {
class io_context;
}

namespace socketio {

namespace detail {
class ServerCore;
}

class Server {
 public:
  /// An exception escaped a user handler (it was caught; the server goes on).
  using ErrorHook = std::function<void(const std::string& where, const std::string& what)>;
  /// Decides whether a dynamic namespace may be created for this name.
  using NamespacePredicate = std::function<bool(const std::string& name, const Json& auth)>;

  explicit Server(asio::io_context& io, ServerOptions options = {});
  /// Like the default constructor, with a custom adapter for every namespace.
  Server(asio::io_context& io, ServerOptions options, AdapterFactory adapter);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The namespace with this name, created on first use ("/" exists).
  Namespace& of(const std::string& name);
  /// A parent for dynamic namespaces: any name matching `pattern` is
  /// created on demand and gets the parent's middleware and handlers.
  Namespace& of(const std::regex& pattern);
  Namespace& of(NamespacePredicate predicate);

  /// Shorthands for the main namespace "/".
  void use(Namespace::Middleware middleware) { of("/").use(std::move(middleware)); }
  void on_connection(Namespace::ConnectionHandler handler) { of("/").on_connection(std::move(handler)); }
  template <class... T>
  void emit(std::string event, T&&... args) {
    of("/").emit(std::move(event), std::forward<T>(args)...);
  }
  void emit_args(std::string event, Args args) { of("/").emit_args(std::move(event), std::move(args)); }
  BroadcastOperator to(const Room& room) { return of("/").to(room); }
  BroadcastOperator to(const std::vector<Room>& rooms) { return of("/").to(rooms); }
  BroadcastOperator to(std::initializer_list<Room> rooms) { return of("/").to(rooms); }
  BroadcastOperator in(const Room& room) { return of("/").in(room); }
  BroadcastOperator in(const std::vector<Room>& rooms) { return of("/").in(rooms); }
  BroadcastOperator in(std::initializer_list<Room> rooms) { return of("/").in(rooms); }
  BroadcastOperator except(const Room& room) { return of("/").except(room); }
  BroadcastOperator except(const std::vector<Room>& rooms) { return of("/").except(rooms); }
  BroadcastOperator except(std::initializer_list<Room> rooms) { return of("/").except(rooms); }
  BroadcastOperator local() { return of("/").local(); }
  BroadcastOperator timeout(std::chrono::milliseconds t) { return of("/").timeout(t); }
  void fetch_sockets(Adapter::FetchCallback callback) { of("/").fetch_sockets(std::move(callback)); }
  /// Server-side events between the servers of a cluster ("/"; see Namespace).
  template <class F>
  void on(const std::string& event, F&& handler) {
    of("/").on(event, std::forward<F>(handler));
  }
  template <class... T>
  void server_side_emit(std::string event, T&&... args) {
    of("/").server_side_emit(std::move(event), std::forward<T>(args)...);
  }
  void server_side_emit_with_ack(std::string event, Args args, Adapter::ServerAckCallback callback) {
    of("/").server_side_emit_with_ack(std::move(event), std::move(args), std::move(callback));
  }
  void sockets_join(const std::vector<Room>& rooms) { of("/").sockets_join(rooms); }
  void sockets_join(std::initializer_list<Room> rooms) { of("/").sockets_join(rooms); }
  void sockets_leave(const std::vector<Room>& rooms) { of("/").sockets_leave(rooms); }
  void sockets_leave(std::initializer_list<Room> rooms) { of("/").sockets_leave(rooms); }
  void disconnect_sockets(bool close = false) { of("/").disconnect_sockets(close); }

  /// Answers HTTP requests outside the Socket.IO path on the same port
  /// (pages, an API; see http.hpp). Set before listen(). Default: 404.
  void on_http_request(HttpHandler handler);

  void on_error(ErrorHook hook);
  void set_log_hook(LogHook hook);

  void listen(const std::string& host, std::uint16_t port, std::error_code& ec);
  /// Throwing form: std::system_error on failure.
  void listen(const std::string& host, std::uint16_t port);
  std::uint16_t port() const noexcept;

  /// Disconnects every socket (reason "server shutting down"), closes every
  /// connection and stops accepting. Thread-safe, idempotent, non-blocking.
  void close();

  const ServerOptions& options() const noexcept;

 private:
  std::shared_ptr<detail::ServerCore> core_;
};

}  // namespace socketio

#pragma once
// Namespace: a communication channel multiplexed over client connections,
// with its own middleware, connection handlers, sockets and rooms (Node's
// Namespace). The main namespace is "/".
//
// Lifetime: owned by the Server; references stay valid until it is destroyed.
// Threading: use() and on_connection() must be called before clients
// connect (typically before listen()). Everything else is thread-safe.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "socketio/adapter.hpp"
#include "socketio/broadcast_operator.hpp"
#include "socketio/fwd.hpp"
#include "socketio/json.hpp"

namespace socketio {

/// Refusal of a connection by a middleware: the client gets CONNECT_ERROR
/// with this message (and data, when not null).
struct ConnectError {
  std::string message;
  Json data;
};

namespace detail {
class Client;
class ServerCore;
}  // namespace detail

class Namespace {
 public:
  /// Calls next() to admit the socket, next(ConnectError{...}) to refuse
  /// it. May call next later, from any thread.
  using Next = std::function<void(std::optional<ConnectError> error)>;
  using Middleware = std::function<void(const SocketPtr& socket, Next next)>;
  using ConnectionHandler = std::function<void(const SocketPtr& socket)>;

  Namespace(detail::ServerCore& server, std::string name);
  ~Namespace();
  Namespace(const Namespace&) = delete;
  Namespace& operator=(const Namespace&) = delete;

  const std::string& name() const noexcept { return name_; }
  Adapter& adapter() noexcept { return *adapter_; }

  void use(Middleware middleware);
  void on_connection(ConnectionHandler handler);

  template <class... T>
  void emit(std::string event, T&&... args) {
    BroadcastOperator(*this).emit(std::move(event), std::forward<T>(args)...);
  }
  void emit_args(std::string event, Args args) { BroadcastOperator(*this).emit_args(std::move(event), std::move(args)); }
  BroadcastOperator to(const Room& room) { return BroadcastOperator(*this).to(room); }
  BroadcastOperator in(const Room& room) { return to(room); }
  BroadcastOperator except(const Room& room) { return BroadcastOperator(*this).except(room); }
  BroadcastOperator local() { return BroadcastOperator(*this).local(); }
  BroadcastOperator as_volatile() { return BroadcastOperator(*this).as_volatile(); }
  BroadcastOperator timeout(std::chrono::milliseconds t) { return BroadcastOperator(*this).timeout(t); }
  void fetch_sockets(std::function<void(std::vector<SocketPtr>)> callback) {
    BroadcastOperator(*this).fetch_sockets(std::move(callback));
  }
  void sockets_join(const std::vector<Room>& rooms) { BroadcastOperator(*this).sockets_join(rooms); }
  void sockets_leave(const std::vector<Room>& rooms) { BroadcastOperator(*this).sockets_leave(rooms); }
  void disconnect_sockets(bool close = false) { BroadcastOperator(*this).disconnect_sockets(close); }

  /// The connected socket with this id on this server, or nullptr.
  SocketPtr socket(const SocketId& id) const;
  /// A fresh acknowledgement id; broadcasts with acknowledgements use one
  /// id for every target (for adapters).
  std::uint64_t next_ack_id() noexcept { return ack_ids_.fetch_add(1); }
  /// Every connected socket of this namespace on this server.
  std::vector<SocketPtr> sockets() const;
  std::size_t size() const;

 private:
  friend class detail::Client;
  friend class detail::ServerCore;
  friend class BroadcastOperator;
  friend class Socket;

  /// Admits a socket of `client` (runs the middleware, then CONNECT).
  /// Client strand only.
  void add(const std::shared_ptr<detail::Client>& client, Json auth);
  void remove(const SocketId& id);
  /// Copies a parent's (dynamic namespace) middleware and handlers.
  void inherit(const Namespace& parent);

  detail::ServerCore& server_;
  std::string name_;
  std::unique_ptr<Adapter> adapter_;
  std::vector<Middleware> middlewares_;
  std::vector<ConnectionHandler> connection_handlers_;
  mutable std::mutex mutex_;
  std::map<SocketId, SocketPtr> sockets_;
  std::atomic<std::uint64_t> ack_ids_{0};
};

}  // namespace socketio

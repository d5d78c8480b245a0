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
#include <string_view>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "socketio/adapter.hpp"
#include "socketio/broadcast_operator.hpp"
#include "socketio/detail/handler_traits.hpp"
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
struct SocketAccess;
}  // namespace detail

class Namespace {
 public:
  /// Calls next() to admit the socket, next(ConnectError{...}) to refuse
  /// it. May call next later, from any thread.
  using Next = std::function<void(std::optional<ConnectError> error)>;
  using Middleware = std::function<void(const SocketPtr& socket, Next next)>;
  using ConnectionHandler = std::function<void(const SocketPtr& socket)>;

  /// A parent (Server::of(regex)) only lends its handlers to the dynamic
  /// namespaces it creates: it has no sockets and a local adapter.
  enum class Kind { regular, parent };
  Namespace(detail::ServerCore& server, std::string name, Kind kind = Kind::regular);
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
  BroadcastOperator to(const std::vector<Room>& rooms) { return BroadcastOperator(*this).to(rooms); }
  BroadcastOperator to(std::initializer_list<Room> rooms) { return BroadcastOperator(*this).to(rooms); }
  BroadcastOperator in(const Room& room) { return to(room); }
  BroadcastOperator in(const std::vector<Room>& rooms) { return to(rooms); }
  BroadcastOperator in(std::initializer_list<Room> rooms) { return to(rooms); }
  BroadcastOperator except(const Room& room) { return BroadcastOperator(*this).except(room); }
  BroadcastOperator except(const std::vector<Room>& rooms) { return BroadcastOperator(*this).except(rooms); }
  BroadcastOperator except(std::initializer_list<Room> rooms) { return BroadcastOperator(*this).except(rooms); }
  BroadcastOperator local() { return BroadcastOperator(*this).local(); }
  BroadcastOperator as_volatile() { return BroadcastOperator(*this).as_volatile(); }
  BroadcastOperator timeout(std::chrono::milliseconds t) { return BroadcastOperator(*this).timeout(t); }
  void fetch_sockets(Adapter::FetchCallback callback) { BroadcastOperator(*this).fetch_sockets(std::move(callback)); }
  void sockets_join(const std::vector<Room>& rooms) { BroadcastOperator(*this).sockets_join(rooms); }
  void sockets_join(std::initializer_list<Room> rooms) { BroadcastOperator(*this).sockets_join(rooms); }
  void sockets_leave(const std::vector<Room>& rooms) { BroadcastOperator(*this).sockets_leave(rooms); }
  void sockets_leave(std::initializer_list<Room> rooms) { BroadcastOperator(*this).sockets_leave(rooms); }
  void disconnect_sockets(bool close = false) { BroadcastOperator(*this).disconnect_sockets(close); }

  // ---- between the servers of a cluster (Node's serverSideEmit) ----------

  /// Handles `event` sent by another server with server_side_emit. The
  /// handler's parameters pick what it gets as for Socket::on (Json, Args,
  /// Ack, any T with from_json; a SocketPtr parameter gets nullptr). It
  /// runs on an io_context thread (the adapter's), concurrently with socket
  /// handlers: it must be thread-safe. Register before listen().
  template <class F>
  void on(const std::string& event, F&& handler) {
    add_server_handler(event, detail::adapt_handler(std::forward<F>(handler)));
  }
  /// Sends an event to every OTHER server of the cluster (not to this one,
  /// as in Node); a no-op without a cluster adapter.
  template <class... T>
  void server_side_emit(std::string event, T&&... args) {
    server_side_emit_args(std::move(event), Args{Json(std::forward<T>(args))...});
  }
  void server_side_emit_args(std::string event, Args args);
  /// As server_side_emit, collecting the first argument of every other
  /// server's acknowledgement; errc::timeout (with the replies that came)
  /// after the adapter's requests timeout. Without other servers the
  /// callback gets no error and no replies.
  void server_side_emit_with_ack(std::string event, Args args, Adapter::ServerAckCallback callback);
  /// Every room with members on any server of the cluster.
  void all_rooms(Adapter::RoomsCallback callback) { adapter_->all_rooms(std::move(callback)); }
  /// How many servers share this namespace.
  void server_count(std::function<void(std::size_t)> callback) { adapter_->server_count(std::move(callback)); }
  /// For adapters: runs the handlers of a server-side event [event, ...args]
  /// that came from another server; `reply` (may be empty) gets the first
  /// handler's acknowledgement.
  void dispatch_server_side_emit(Args packet, std::function<void(Args)> reply);

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
  friend struct detail::SocketAccess;
  friend class InMemoryAdapter;

  /// Admits a socket of `client` (runs the middleware, then CONNECT).
  /// Client strand only.
  void add(const std::shared_ptr<detail::Client>& client, Json auth);
  void remove(const SocketId& id);
  /// Copies a parent's (dynamic namespace) middleware and handlers.
  void inherit(const Namespace& parent);
  void add_server_handler(const std::string& event, detail::EventHandler handler);

  detail::ServerCore& server_;
  std::string name_;
  std::unique_ptr<Adapter> adapter_;
  std::vector<Middleware> middlewares_;
  std::vector<ConnectionHandler> connection_handlers_;
  std::map<std::string, std::vector<detail::EventHandler>> server_handlers_;
  mutable std::mutex mutex_;
  /// Keyed by a view of the socket's own id (the entry's socket keeps it
  /// alive): no second copy of every id.
  std::map<std::string_view, SocketPtr, std::less<>> sockets_;
  std::atomic<std::uint64_t> ack_ids_{0};
};

}  // namespace socketio

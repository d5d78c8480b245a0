#pragma once
// Socket: one client connected to one namespace (Node's server-side Socket).
//
// Lifetime: created by the server when a client's CONNECT is accepted and
// handed out as SocketPtr. Handler maps are cleared when it disconnects, so
// handlers may capture their own SocketPtr without leaking. A SocketPtr held
// afterwards keeps a disconnected object whose calls do nothing.
//
// Threading: each client connection has a strand; the socket's handlers run
// there, one at a time, in order (as in Node). emit, join, leave, disconnect,
// to/except/broadcast and Ack::send are safe from any thread. Registering
// handlers (on, once, off, on_any, use, on_disconnect, ...) and data() are
// for the socket's strand: do it in the connection handler or in another
// handler of the same socket.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "socketio/ack.hpp"
#include "socketio/args.hpp"
#include "socketio/broadcast_operator.hpp"
#include "socketio/detail/handler_table.hpp"
#include "socketio/disconnect_reason.hpp"
#include "socketio/error.hpp"
#include "socketio/fwd.hpp"
#include "socketio/handshake.hpp"
#include "socketio/json.hpp"

namespace socketio {

namespace detail {
class Client;
struct SocketAccess;
}  // namespace detail

class Socket : public std::enable_shared_from_this<Socket> {
 public:
  /// Result of an acknowledged emit: an error (errc::timeout,
  /// errc::not_connected) or the client's answer.
  using AckCallback = std::function<void(std::error_code error, Args reply)>;
  using DisconnectHandler = std::function<void(DisconnectReason reason)>;
  using AnyHandler = std::function<void(const std::string& event, const Args& args)>;
  /// Per-packet middleware: sees [event, ...args] (and may change it); calls
  /// next() to go on or next("message") to drop the packet and report the
  /// error to the socket's error handler.
  using Next = std::function<void(std::optional<std::string> error)>;
  using PacketMiddleware = std::function<void(Args& packet, Next next)>;
  using ErrorHandler = std::function<void(const std::string& message)>;

  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  /// The socket's id, also the name of its own room.
  const SocketId& id() const noexcept { return id_; }
  const Handshake& handshake() const noexcept { return handshake_; }
  /// The namespace this socket belongs to.
  Namespace& nsp() const noexcept { return nsp_; }
  /// Arbitrary data carried with the socket (fetch_sockets returns it).
  /// Strand only.
  Json& data() noexcept { return data_; }
  /// The rooms the socket is in, in the order it joined them, its own id
  /// first (the order Node's socket.rooms iterates in). Thread-safe.
  std::vector<Room> rooms() const;
  /// False once disconnected. Thread-safe.
  bool connected() const noexcept;
  /// The engine transport in use: "polling" or "websocket". Strand only.
  std::string transport_name() const;

  void join(const Room& room);
  void join(const std::vector<Room>& rooms);
  void join(std::initializer_list<Room> rooms) { join(std::vector<Room>(rooms)); }
  void leave(const Room& room);

  /// Handles `event`. The handler's parameters pick what it gets (see
  /// detail/handler_traits.hpp): SocketPtr, Ack, Args, Json, or any type
  /// with from_json. Several handlers for one event run in order.
  template <class F>
  void on(const std::string& event, F&& handler) {
    handlers_.add(detail::make_handler_node(event, false, std::forward<F>(handler)));
  }
  /// As on(), removed after the first call.
  template <class F>
  void once(const std::string& event, F&& handler) {
    handlers_.add(detail::make_handler_node(event, true, std::forward<F>(handler)));
  }
  /// Removes every handler of `event`.
  void off(const std::string& event);
  /// Sees every incoming event before its handlers.
  void on_any(AnyHandler handler);
  /// Sees every outgoing event (emits and broadcasts reaching this socket).
  void on_any_outgoing(AnyHandler handler);
  void use(PacketMiddleware middleware);
  /// Before the socket leaves its rooms.
  void on_disconnecting(DisconnectHandler handler);
  void on_disconnect(DisconnectHandler handler);
  /// Errors from per-packet middleware.
  void on_error(ErrorHandler handler);

  /// Sends an event to this client: `emit("chat", "hi", 42)`.
  template <class... T>
  void emit(std::string event, T&&... args) {
    emit_args(std::move(event), Args{Json(std::forward<T>(args))...});
  }
  void emit_args(std::string event, Args args);
  /// Sends an event and waits for the client's acknowledgement, forever
  /// unless timeout() was used.
  void emit_with_ack(std::string event, Args args, AckCallback callback);

  /// `socket->timeout(5s).emit_with_ack("q", {...}, callback)`: the callback
  /// gets errc::timeout if the client has not answered in time.
  class TimedEmitter {
   public:
    void emit_with_ack(std::string event, Args args, AckCallback callback) {
      socket_->emit_with_ack_impl(std::move(event), std::move(args), std::move(callback), timeout_);
    }

   private:
    friend class Socket;
    TimedEmitter(SocketPtr socket, std::chrono::milliseconds timeout) : socket_(std::move(socket)), timeout_(timeout) {}
    SocketPtr socket_;
    std::chrono::milliseconds timeout_;
  };
  TimedEmitter timeout(std::chrono::milliseconds timeout) { return TimedEmitter(shared_from_this(), timeout); }

  /// Broadcasts from this socket: to a room (sender excluded), to everyone
  /// but the sender.
  BroadcastOperator to(const Room& room) const;
  BroadcastOperator to(const std::vector<Room>& rooms) const;
  BroadcastOperator to(std::initializer_list<Room> rooms) const { return to(std::vector<Room>(rooms)); }
  BroadcastOperator in(const Room& room) const { return to(room); }
  BroadcastOperator in(const std::vector<Room>& rooms) const { return to(rooms); }
  BroadcastOperator in(std::initializer_list<Room> rooms) const { return to(rooms); }
  BroadcastOperator except(const Room& room) const;
  BroadcastOperator except(const std::vector<Room>& rooms) const;
  BroadcastOperator except(std::initializer_list<Room> rooms) const { return except(std::vector<Room>(rooms)); }
  BroadcastOperator broadcast() const;

  /// Leaves the namespace (the client sees "io server disconnect"); with
  /// close = true, closes the whole connection (every namespace).
  void disconnect(bool close = false);

 private:
  friend class detail::Client;
  friend struct detail::SocketAccess;
  friend class Ack;
  friend class Namespace;

  Socket(Namespace& nsp, std::shared_ptr<detail::Client> client, SocketId id, Handshake handshake);

  void emit_with_ack_impl(std::string event, Args args, AckCallback callback,
                          std::optional<std::chrono::milliseconds> timeout);
  void send_ack(std::uint64_t id, const Args& args);
  void send_ack(std::uint64_t id, Args&& args);

  // Strand only (called by the client):
  void on_event(Args args, std::optional<std::uint64_t> ack_id);
  void on_ack(std::uint64_t id, Args args);
  void on_close(DisconnectReason reason);
  void dispatch(Args packet, std::optional<std::uint64_t> ack_id);
  void notify_outgoing(const Args& packet);
  bool has_outgoing_listeners() const noexcept { return hooks_ && !hooks_->outgoing_any.empty(); }
  void register_ack(std::uint64_t id, AckCallback callback, std::optional<std::chrono::milliseconds> timeout);
  template <class F>
  void run_on_strand(F&& f);

  struct PendingAck;

  Namespace& nsp_;
  std::shared_ptr<detail::Client> client_;
  SocketId id_;
  Handshake handshake_;
  Json data_ = Json::object();  // Node: socket.data starts as {}
  std::atomic<bool> connected_{true};
  /// on / once / off. A dispatch holds the handlers it runs, so a handler
  /// may add or remove handlers meanwhile.
  detail::HandlerTable handlers_;
  /// The handlers other than on/once, allocated by the first of them to
  /// be registered: many sockets have none (six empty vectors were 144
  /// bytes of every socket).
  struct Hooks {
    std::vector<AnyHandler> any;
    std::vector<AnyHandler> outgoing_any;
    std::vector<PacketMiddleware> middlewares;
    std::vector<DisconnectHandler> disconnecting;
    std::vector<DisconnectHandler> disconnect;
    std::vector<ErrorHandler> error;
  };
  Hooks& hooks();
  std::unique_ptr<Hooks> hooks_;
  /// Acknowledgements this socket waits for, by id; allocated by the first
  /// emit that asks for one (an empty std::map is 48 bytes of every socket).
  using PendingAcks = std::map<std::uint64_t, std::shared_ptr<PendingAck>>;
  std::unique_ptr<PendingAcks> acks_;
};

}  // namespace socketio

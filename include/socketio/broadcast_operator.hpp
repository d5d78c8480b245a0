#pragma once
// BroadcastOperator: a selection of sockets in one namespace (rooms to
// include, rooms to exclude, flags), then an action on all of them: emit
// (optionally collecting acknowledgements), fetch, join, leave, disconnect.
//
// Value type: every modifier returns a new operator, so a selection can be
// kept and reused. Thread-safe: all actions may be called from any thread.
// Lifetime: refers to its namespace, which lives as long as the Server.

#include <chrono>
#include <initializer_list>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "socketio/adapter.hpp"
#include "socketio/args.hpp"
#include "socketio/error.hpp"
#include "socketio/fwd.hpp"

namespace socketio {

class BroadcastOperator {
 public:
  /// Acknowledgements of a broadcast: errc::timeout if some clients did not
  /// answer in time (with the replies that did arrive), else every reply
  /// (the first argument of each client's acknowledgement).
  using AckCallback = std::function<void(std::error_code error, std::vector<Json> replies)>;

  BroadcastOperator(Namespace& nsp, BroadcastOptions options = {}) : nsp_(&nsp), options_(std::move(options)) {}

  BroadcastOperator to(const Room& room) const;
  BroadcastOperator to(const std::vector<Room>& rooms) const;
  // Braced lists of rooms, `to({"a", "b"})`, take the initializer_list
  // overloads (without them such a list could also build one std::string
  // from two unrelated pointers).
  BroadcastOperator to(std::initializer_list<Room> rooms) const { return to(std::vector<Room>(rooms)); }
  BroadcastOperator in(const Room& room) const { return to(room); }
  BroadcastOperator in(const std::vector<Room>& rooms) const { return to(rooms); }
  BroadcastOperator in(std::initializer_list<Room> rooms) const { return to(rooms); }
  BroadcastOperator except(const Room& room) const;
  BroadcastOperator except(const std::vector<Room>& rooms) const;
  BroadcastOperator except(std::initializer_list<Room> rooms) const { return except(std::vector<Room>(rooms)); }
  /// Only this server's sockets (no cluster forwarding).
  BroadcastOperator local() const;
  /// Dropped for clients that cannot take it right now.
  BroadcastOperator as_volatile() const;
  BroadcastOperator compress(bool value) const;
  /// For emit_with_ack: how long to wait for every client.
  BroadcastOperator timeout(std::chrono::milliseconds timeout) const;

  template <class... T>
  void emit(std::string event, T&&... args) const {
    emit_args(std::move(event), Args{Json(std::forward<T>(args))...});
  }
  /// Encodes once, then sends to every selected socket.
  void emit_args(std::string event, Args args) const;
  /// As emit_args, collecting one reply per client. Needs timeout(): without
  /// one, a client that never answers would hold the callback forever.
  void emit_with_ack(std::string event, Args args, AckCallback callback) const;

  /// The selected sockets on every server of the cluster (Node's
  /// fetchSockets). The callback runs on an io_context thread, never inside
  /// this call; with a cluster adapter it gets errc::timeout (and the
  /// sockets of the servers that answered) when a server did not answer.
  void fetch_sockets(Adapter::FetchCallback callback) const;
  void sockets_join(const std::vector<Room>& rooms) const;
  void sockets_join(const Room& room) const { sockets_join(std::vector<Room>{room}); }
  void sockets_join(std::initializer_list<Room> rooms) const { sockets_join(std::vector<Room>(rooms)); }
  void sockets_leave(const std::vector<Room>& rooms) const;
  void sockets_leave(const Room& room) const { sockets_leave(std::vector<Room>{room}); }
  void sockets_leave(std::initializer_list<Room> rooms) const { sockets_leave(std::vector<Room>(rooms)); }
  /// Disconnects the selected sockets (close = true closes their whole
  /// connections).
  void disconnect_sockets(bool close = false) const;

  const BroadcastOptions& options() const noexcept { return options_; }

 private:
  Namespace* nsp_;
  BroadcastOptions options_;
};

}  // namespace socketio

#pragma once
// RemoteSocket: what fetch_sockets returns, one per selected socket on any
// server of the cluster (Node's RemoteSocket). A snapshot of the socket's id,
// handshake, rooms and data taken when it was fetched, plus actions that
// reach the live socket wherever it is connected: on this server directly,
// on another server through the adapter (as io.in(id) would).
//
// Value type. Thread-safe: the actions may be called from any thread.
// Lifetime: refers to its namespace, which lives as long as the Server.

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "socketio/args.hpp"
#include "socketio/fwd.hpp"
#include "socketio/handshake.hpp"
#include "socketio/json.hpp"

namespace socketio {

class RemoteSocket {
 public:
  RemoteSocket(Namespace& nsp, SocketId id, Handshake handshake, std::vector<Room> rooms, Json data,
               SocketPtr local = nullptr)
      : nsp_(&nsp),
        id_(std::move(id)),
        handshake_(std::move(handshake)),
        rooms_(std::move(rooms)),
        data_(std::move(data)),
        local_(std::move(local)) {}

  const SocketId& id() const noexcept { return id_; }
  const Handshake& handshake() const noexcept { return handshake_; }
  /// Its rooms when fetched, in joining order, its own id first.
  const std::vector<Room>& rooms() const noexcept { return rooms_; }
  /// A copy of socket.data() when fetched.
  const Json& data() const noexcept { return data_; }
  /// The live socket when it is connected to this server, else nullptr.
  const SocketPtr& local() const noexcept { return local_; }
  Namespace& nsp() const noexcept { return *nsp_; }

  template <class... T>
  void emit(std::string event, T&&... args) const {
    emit_args(std::move(event), Args{Json(std::forward<T>(args))...});
  }
  void emit_args(std::string event, Args args) const;
  void join(const Room& room) const { join(std::vector<Room>{room}); }
  void join(const std::vector<Room>& rooms) const;
  void join(std::initializer_list<Room> rooms) const { join(std::vector<Room>(rooms)); }
  void leave(const Room& room) const { leave(std::vector<Room>{room}); }
  void leave(const std::vector<Room>& rooms) const;
  void leave(std::initializer_list<Room> rooms) const { leave(std::vector<Room>(rooms)); }
  /// As Socket::disconnect.
  void disconnect(bool close = false) const;

 private:
  Namespace* nsp_;
  SocketId id_;
  Handshake handshake_;
  std::vector<Room> rooms_;
  Json data_;
  SocketPtr local_;
};

/// The handshake as Node's RemoteSocket carries it across servers
/// ({headers, time, address, xdomain, secure, issued, url, query, auth}).
Json handshake_to_json(const Handshake& handshake);
Handshake handshake_from_json(const Json& json);

}  // namespace socketio

#pragma once
// Adapter: owns the rooms of one namespace and carries broadcasts to their
// sockets. InMemoryAdapter (the default) serves one process; a cluster
// adapter (Redis) derives from it and overrides what must cross servers, as
// Node's adapters do.
//
// Threading: every member may be called from any thread; implementations
// lock their own state and must not hold a lock while sending.
// Lifetime: one adapter per namespace, owned by it.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <system_error>
#include <vector>

#include "socketio/args.hpp"
#include "socketio/fwd.hpp"
#include "socketio/json.hpp"
#include "socketio/remote_socket.hpp"

namespace socketio {

struct BroadcastFlags {
  bool is_volatile = false;  ///< drop for clients that cannot take it now
  bool compress = true;
  bool local = false;        ///< do not forward to other servers
  std::optional<std::chrono::milliseconds> timeout;  ///< for acknowledgements
};

/// Which sockets: members of any of `rooms` (every socket when empty) that
/// are in none of `except`.
struct BroadcastOptions {
  std::set<Room> rooms;
  std::set<Room> except;
  BroadcastFlags flags;
};

class Adapter {
 public:
  /// fetch_sockets: errc::timeout (with the sockets of the servers that did
  /// answer) when some server did not answer in time.
  using FetchCallback = std::function<void(std::error_code error, std::vector<RemoteSocket> sockets)>;
  /// server_side_emit_with_ack: one reply (the first argument of each
  /// server's acknowledgement) per other server; errc::timeout with the
  /// replies so far when some did not answer in time.
  using ServerAckCallback = std::function<void(std::error_code error, std::vector<Json> replies)>;
  using RoomsCallback = std::function<void(std::error_code error, std::set<Room> rooms)>;

  explicit Adapter(Namespace& nsp) : nsp_(nsp) {}
  virtual ~Adapter() = default;
  Adapter(const Adapter&) = delete;
  Adapter& operator=(const Adapter&) = delete;

  Namespace& nsp() const noexcept { return nsp_; }

  virtual void add_all(const SocketId& id, const std::set<Room>& rooms) = 0;
  virtual void del(const SocketId& id, const Room& room) = 0;
  virtual void del_all(const SocketId& id) = 0;
  /// Rooms of a local socket in the order it joined them, its own id first
  /// (as Node's Set); empty if unknown.
  virtual std::vector<Room> socket_rooms(const SocketId& id) const = 0;
  /// Ids of the local sockets selected by `rooms` (all when empty).
  virtual std::set<SocketId> sockets(const std::set<Room>& rooms) const = 0;
  /// Every room that has members here.
  virtual std::set<Room> rooms() const = 0;

  /// Sends EVENT `packet` ([event, ...args]) to the selected sockets.
  virtual void broadcast(const Args& packet, const BroadcastOptions& options) = 0;
  /// As broadcast, asking each client for an acknowledgement:
  /// `on_client_count` is called once per server with how many clients it
  /// reached, `on_reply` once per answering client with the first argument.
  virtual void broadcast_with_ack(const Args& packet, const BroadcastOptions& options,
                                  std::function<void(std::size_t client_count)> on_client_count,
                                  std::function<void(Json reply)> on_reply) = 0;

  /// The selected sockets of every server. The callback runs on an
  /// io_context thread, never inside this call.
  virtual void fetch_sockets(const BroadcastOptions& options, FetchCallback callback) = 0;
  virtual void add_sockets(const BroadcastOptions& options, const std::vector<Room>& rooms) = 0;
  virtual void del_sockets(const BroadcastOptions& options, const std::vector<Room>& rooms) = 0;
  virtual void disconnect_sockets(const BroadcastOptions& options, bool close) = 0;
  /// How many servers share this namespace (1 without a cluster, and when
  /// the cluster cannot be reached).
  virtual void server_count(std::function<void(std::size_t)> callback) { callback(1); }
  /// Every room with members on any server.
  virtual void all_rooms(RoomsCallback callback) { callback({}, rooms()); }
  /// Sends [event, ...args] to the other servers of the cluster, whose
  /// Namespace::on handlers get it (nothing to do without a cluster).
  virtual void server_side_emit(const Args& /*packet*/) {}
  virtual void server_side_emit_with_ack(const Args& /*packet*/, ServerAckCallback callback) {
    callback({}, {});
  }
  /// The server is closing: stop talking to the cluster. Idempotent.
  virtual void close() {}

 private:
  Namespace& nsp_;
};

/// Builds the adapter of each namespace (ServerOptions::adapter).
using AdapterFactory = std::function<std::unique_ptr<Adapter>(Namespace&)>;

/// The default adapter: rooms in memory, broadcasts encoded once and handed
/// to every local target.
class InMemoryAdapter : public Adapter {
 public:
  explicit InMemoryAdapter(Namespace& nsp) : Adapter(nsp) {}

  void add_all(const SocketId& id, const std::set<Room>& rooms) override;
  void del(const SocketId& id, const Room& room) override;
  void del_all(const SocketId& id) override;
  std::vector<Room> socket_rooms(const SocketId& id) const override;
  std::set<SocketId> sockets(const std::set<Room>& rooms) const override;
  std::set<Room> rooms() const override;
  void broadcast(const Args& packet, const BroadcastOptions& options) override;
  void broadcast_with_ack(const Args& packet, const BroadcastOptions& options,
                          std::function<void(std::size_t client_count)> on_client_count,
                          std::function<void(Json reply)> on_reply) override;
  void fetch_sockets(const BroadcastOptions& options, FetchCallback callback) override;
  void add_sockets(const BroadcastOptions& options, const std::vector<Room>& rooms) override;
  void del_sockets(const BroadcastOptions& options, const std::vector<Room>& rooms) override;
  void disconnect_sockets(const BroadcastOptions& options, bool close) override;

 protected:
  /// The local sockets `options` selects.
  std::vector<SocketPtr> select(const BroadcastOptions& options) const;
  /// Snapshots of the local sockets `options` selects (data is copied on
  /// each socket's strand); `callback` runs on an io_context thread.
  void fetch_local_sockets(const BroadcastOptions& options,
                           std::function<void(std::vector<RemoteSocket>)> callback) const;

 private:
  /// A local socket: its rooms in joining order (few per socket: a
  /// vector), and the socket itself, looked up in the namespace once when
  /// the id is first added (weak: the namespace owns sockets). A broadcast
  /// then reaches its targets without copying or looking up their ids.
  /// The socket's own room (named by its id, joined on connect) is only a
  /// flag: it is not in `rooms` nor in rooms_, which saves every connected
  /// socket a room of its own (about 300 bytes). Other sockets that join a
  /// room named after it are in rooms_ as usual.
  struct Member {
    std::vector<Room> rooms;
    std::weak_ptr<Socket> socket;
    bool in_own_room = false;
  };
  using Members = std::map<SocketId, Member>;
  using MemberNode = Members::value_type;  // map nodes never move
  /// One socket of a room: its node in sids_ and a copy of its socket.
  struct Entry {
    const MemberNode* member;
    std::weak_ptr<Socket> socket;
  };
  /// Orders a room's entries by socket id, as the id sets did before.
  struct ById {
    using is_transparent = void;
    bool operator()(const Entry& a, const Entry& b) const { return a.member->first < b.member->first; }
    bool operator()(const Entry& a, const SocketId& b) const { return a.member->first < b; }
    bool operator()(const SocketId& a, const Entry& b) const { return a < b.member->first; }
  };
  using RoomMembers = std::set<Entry, ById>;

  /// Calls fn(member node, socket) for every member of `room`, in id order:
  /// its entries in rooms_ and the socket whose own room it is. Under the lock.
  template <class Fn>
  void for_each_member(const Room& room, Fn&& fn) const;

  mutable std::shared_mutex mutex_;
  std::map<Room, RoomMembers> rooms_;
  Members sids_;
};

}  // namespace socketio

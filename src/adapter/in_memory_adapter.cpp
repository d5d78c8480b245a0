#include <algorithm>
#include <asio/post.hpp>
#include <mutex>

#include "socketio/adapter.hpp"
#include "socketio/core.hpp"
#include "socketio/namespace.hpp"
#include "socketio/socket.hpp"

namespace socketio {

template <class Fn>
void InMemoryAdapter::for_each_member(const Room& room, Fn&& fn) const {
  const MemberNode* owner = nullptr;
  if (auto own = sids_.find(room); own != sids_.end() && own->second.in_own_room) owner = &*own;
  if (auto it = rooms_.find(room); it != rooms_.end()) {
    for (const auto& entry : it->second) {
      if (owner && owner->first < entry.member->first) {
        fn(owner, owner->second.socket);
        owner = nullptr;
      }
      fn(entry.member, entry.socket);
    }
  }
  if (owner) fn(owner, owner->second.socket);
}

void InMemoryAdapter::add_all(const SocketId& id, const std::set<Room>& rooms) {
  // Resolved before taking our lock: never hold it while calling out.
  SocketPtr socket = nsp().socket(id);
  std::unique_lock lock(mutex_);
  auto& node = *sids_.try_emplace(id).first;
  auto& member = node.second;
  if (socket && member.socket.expired()) member.socket = socket;
  for (const auto& room : rooms) {
    if (room == id) {
      member.in_own_room = true;
      continue;
    }
    if (std::find(member.rooms.begin(), member.rooms.end(), room) == member.rooms.end()) member.rooms.push_back(room);
    rooms_[room].insert(Entry{&node, member.socket});
  }
}

void InMemoryAdapter::del(const SocketId& id, const Room& room) {
  std::unique_lock lock(mutex_);
  if (room == id) {
    if (auto it = sids_.find(id); it != sids_.end()) it->second.in_own_room = false;
    return;
  }
  if (auto it = sids_.find(id); it != sids_.end()) {
    auto& mine = it->second.rooms;
    mine.erase(std::remove(mine.begin(), mine.end(), room), mine.end());
  }
  if (auto it = rooms_.find(room); it != rooms_.end()) {
    if (auto entry = it->second.find(id); entry != it->second.end()) it->second.erase(entry);
    if (it->second.empty()) rooms_.erase(it);
  }
}

void InMemoryAdapter::del_all(const SocketId& id) {
  std::unique_lock lock(mutex_);
  auto it = sids_.find(id);
  if (it == sids_.end()) return;
  for (const auto& room : it->second.rooms) {
    if (auto r = rooms_.find(room); r != rooms_.end()) {
      if (auto entry = r->second.find(id); entry != r->second.end()) r->second.erase(entry);
      if (r->second.empty()) rooms_.erase(r);
    }
  }
  sids_.erase(it);
}

std::vector<Room> InMemoryAdapter::socket_rooms(const SocketId& id) const {
  std::shared_lock lock(mutex_);
  auto it = sids_.find(id);
  if (it == sids_.end()) return {};
  const Member& member = it->second;
  if (!member.in_own_room) return member.rooms;
  // The own room first: it is joined on connect, before any other. (After
  // a leave and a rejoin of its own room, Node would list it last.)
  std::vector<Room> rooms;
  rooms.reserve(1 + member.rooms.size());
  rooms.push_back(id);
  rooms.insert(rooms.end(), member.rooms.begin(), member.rooms.end());
  return rooms;
}

std::set<SocketId> InMemoryAdapter::sockets(const std::set<Room>& rooms) const {
  std::shared_lock lock(mutex_);
  std::set<SocketId> ids;
  if (rooms.empty()) {
    for (const auto& [id, _] : sids_) ids.insert(ids.end(), id);
  } else {
    for (const auto& room : rooms) {
      for_each_member(room, [&](const MemberNode* member, const std::weak_ptr<Socket>&) { ids.insert(member->first); });
    }
  }
  return ids;
}

std::set<Room> InMemoryAdapter::rooms() const {
  std::shared_lock lock(mutex_);
  std::set<Room> result;
  for (const auto& [room, _] : rooms_) result.insert(result.end(), room);
  for (const auto& [id, member] : sids_) {
    if (member.in_own_room) result.insert(id);
  }
  return result;
}

std::vector<SocketPtr> InMemoryAdapter::select(const BroadcastOptions& options) const {
  std::vector<SocketPtr> result;
  // Ids whose socket was not known yet when they were added (rare: the
  // namespace registers a socket before adding it to its rooms), with
  // their place in `result`; resolved through the namespace below.
  std::vector<std::pair<std::size_t, SocketId>> unresolved;
  {
    std::shared_lock lock(mutex_);
    // Members of the excluded rooms, by identity (sorted, for lookups).
    std::vector<const MemberNode*> excluded;
    for (const auto& room : options.except) {
      for_each_member(room, [&](const MemberNode* member, const std::weak_ptr<Socket>&) { excluded.push_back(member); });
    }
    std::sort(excluded.begin(), excluded.end());
    auto take = [&](const MemberNode* member, const std::weak_ptr<Socket>& weak) {
      if (!excluded.empty() && std::binary_search(excluded.begin(), excluded.end(), member)) return;
      if (auto socket = weak.lock()) {
        result.push_back(std::move(socket));
      } else {
        unresolved.emplace_back(result.size(), member->first);
        result.emplace_back();
      }
    };
    if (options.rooms.empty()) {
      result.reserve(sids_.size());
      for (const auto& node : sids_) take(&node, node.second.socket);
    } else if (options.rooms.size() == 1) {
      const Room& room = *options.rooms.begin();
      if (auto it = rooms_.find(room); it != rooms_.end()) result.reserve(it->second.size());
      for_each_member(room, take);
    } else {
      std::vector<const MemberNode*> seen;
      for (const auto& room : options.rooms) {
        for_each_member(room, [&](const MemberNode* member, const std::weak_ptr<Socket>&) { seen.push_back(member); });
      }
      std::sort(seen.begin(), seen.end());
      seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
      // Rooms in order, each socket where it first appears, as before.
      std::vector<bool> taken(seen.size(), false);
      result.reserve(seen.size());
      for (const auto& room : options.rooms) {
        for_each_member(room, [&](const MemberNode* member, const std::weak_ptr<Socket>& socket) {
          auto index = static_cast<std::size_t>(std::lower_bound(seen.begin(), seen.end(), member) - seen.begin());
          if (taken[index]) return;
          taken[index] = true;
          take(member, socket);
        });
      }
    }
  }
  if (unresolved.empty()) return result;
  // Outside our lock: never hold it while calling out.
  for (auto& [index, id] : unresolved) result[index] = nsp().socket(id);
  result.erase(std::remove(result.begin(), result.end(), nullptr), result.end());
  return result;
}

void InMemoryAdapter::broadcast(const Args& packet, const BroadcastOptions& options) {
  auto targets = select(options);
  if (targets.empty()) return;
  // Encoded once (straight from `packet`), shared by every target down to
  // the WebSocket frame.
  auto message = detail::encode_event_message(nsp().name(), packet, std::nullopt);
  auto shared_packet = std::make_shared<const Args>(packet);
  for (const auto& socket : targets) {
    detail::SocketAccess::deliver(socket, message, shared_packet, options.flags.is_volatile);
  }
}

void InMemoryAdapter::broadcast_with_ack(const Args& packet, const BroadcastOptions& options,
                                         std::function<void(std::size_t)> on_client_count,
                                         std::function<void(Json)> on_reply) {
  auto targets = select(options);
  auto id = nsp().next_ack_id();
  auto message = detail::encode_event_message(nsp().name(), packet, id);
  auto shared_packet = std::make_shared<const Args>(packet);
  on_client_count(targets.size());
  for (const auto& socket : targets) {
    detail::SocketAccess::deliver_with_ack(socket, message, shared_packet, id,
                                           [on_reply](std::error_code error, Args reply) {
                                             if (error) return;
                                             on_reply(reply.empty() ? Json() : std::move(reply[0]));
                                           });
  }
}

void InMemoryAdapter::fetch_local_sockets(const BroadcastOptions& options,
                                          std::function<void(std::vector<RemoteSocket>)> callback) const {
  auto targets = select(options);
  if (targets.empty()) {
    asio::post(nsp().server_.io(), [callback = std::move(callback)] { callback({}); });
    return;
  }
  // One snapshot per socket, each on its own strand (socket.data() belongs
  // to it); the last one to finish hands the whole list over.
  struct Gather {
    std::mutex mutex;
    std::vector<std::optional<RemoteSocket>> slots;
    std::size_t remaining;
    std::function<void(std::vector<RemoteSocket>)> callback;
  };
  auto gather = std::make_shared<Gather>();
  gather->slots.resize(targets.size());
  gather->remaining = targets.size();
  gather->callback = std::move(callback);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    detail::SocketAccess::snapshot(targets[i], [gather, i](std::optional<RemoteSocket> socket) {
      {
        std::lock_guard<std::mutex> lock(gather->mutex);
        gather->slots[i] = std::move(socket);
        if (--gather->remaining != 0) return;
      }
      std::vector<RemoteSocket> result;
      result.reserve(gather->slots.size());
      for (auto& slot : gather->slots) {
        if (slot) result.push_back(std::move(*slot));
      }
      gather->callback(std::move(result));
    });
  }
}

void InMemoryAdapter::fetch_sockets(const BroadcastOptions& options, FetchCallback callback) {
  fetch_local_sockets(options, [callback = std::move(callback)](std::vector<RemoteSocket> sockets) {
    callback({}, std::move(sockets));
  });
}

void InMemoryAdapter::add_sockets(const BroadcastOptions& options, const std::vector<Room>& rooms) {
  std::set<Room> set(rooms.begin(), rooms.end());
  for (const auto& socket : select(options)) add_all(socket->id(), set);
}

void InMemoryAdapter::del_sockets(const BroadcastOptions& options, const std::vector<Room>& rooms) {
  for (const auto& socket : select(options)) {
    for (const auto& room : rooms) del(socket->id(), room);
  }
}

void InMemoryAdapter::disconnect_sockets(const BroadcastOptions& options, bool close) {
  for (const auto& socket : select(options)) socket->disconnect(close);
}

}  // namespace socketio

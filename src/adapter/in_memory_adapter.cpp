#include <algorithm>
#include <asio/post.hpp>
#include <mutex>

#include "socketio/adapter.hpp"
#include "socketio/core.hpp"
#include "socketio/namespace.hpp"
#include "socketio/socket.hpp"

namespace socketio {

void InMemoryAdapter::add_all(const SocketId& id, const std::set<Room>& rooms) {
  std::unique_lock lock(mutex_);
  auto& mine = sids_[id];
  for (const auto& room : rooms) {
    if (std::find(mine.begin(), mine.end(), room) == mine.end()) mine.push_back(room);
    rooms_[room].insert(id);
  }
}

void InMemoryAdapter::del(const SocketId& id, const Room& room) {
  std::unique_lock lock(mutex_);
  if (auto it = sids_.find(id); it != sids_.end()) {
    auto& mine = it->second;
    mine.erase(std::remove(mine.begin(), mine.end(), room), mine.end());
  }
  if (auto it = rooms_.find(room); it != rooms_.end()) {
    it->second.erase(id);
    if (it->second.empty()) rooms_.erase(it);
  }
}

void InMemoryAdapter::del_all(const SocketId& id) {
  std::unique_lock lock(mutex_);
  auto it = sids_.find(id);
  if (it == sids_.end()) return;
  for (const auto& room : it->second) {
    if (auto r = rooms_.find(room); r != rooms_.end()) {
      r->second.erase(id);
      if (r->second.empty()) rooms_.erase(r);
    }
  }
  sids_.erase(it);
}

std::vector<Room> InMemoryAdapter::socket_rooms(const SocketId& id) const {
  std::shared_lock lock(mutex_);
  auto it = sids_.find(id);
  return it == sids_.end() ? std::vector<Room>{} : it->second;
}

std::set<SocketId> InMemoryAdapter::sockets(const std::set<Room>& rooms) const {
  std::shared_lock lock(mutex_);
  std::set<SocketId> ids;
  if (rooms.empty()) {
    for (const auto& [id, _] : sids_) ids.insert(id);
  } else {
    for (const auto& room : rooms) {
      if (auto it = rooms_.find(room); it != rooms_.end()) ids.insert(it->second.begin(), it->second.end());
    }
  }
  return ids;
}

std::set<Room> InMemoryAdapter::rooms() const {
  std::shared_lock lock(mutex_);
  std::set<Room> result;
  for (const auto& [room, _] : rooms_) result.insert(room);
  return result;
}

std::vector<SocketPtr> InMemoryAdapter::select(const BroadcastOptions& options) const {
  std::vector<SocketId> ids;
  {
    std::shared_lock lock(mutex_);
    auto excluded = [&](const SocketId& id) {
      if (options.except.empty()) return false;
      auto it = sids_.find(id);
      if (it == sids_.end()) return false;
      for (const auto& room : it->second) {
        if (options.except.count(room)) return true;
      }
      return false;
    };
    if (options.rooms.empty()) {
      for (const auto& [id, _] : sids_) {
        if (!excluded(id)) ids.push_back(id);
      }
    } else {
      std::set<SocketId> seen;
      for (const auto& room : options.rooms) {
        auto it = rooms_.find(room);
        if (it == rooms_.end()) continue;
        for (const auto& id : it->second) {
          if (seen.insert(id).second && !excluded(id)) ids.push_back(id);
        }
      }
    }
  }
  // Resolve outside our lock: never hold it while touching sockets.
  std::vector<SocketPtr> result;
  result.reserve(ids.size());
  for (const auto& id : ids) {
    if (auto socket = nsp().socket(id)) result.push_back(std::move(socket));
  }
  return result;
}

namespace {

sio::Packet event_packet(const std::string& nsp, const Args& packet) {
  sio::Packet out;
  out.type = sio::PacketType::event;
  out.nsp = nsp;
  out.data = Json(static_cast<const Json::Array&>(packet));
  return out;
}

}  // namespace

void InMemoryAdapter::broadcast(const Args& packet, const BroadcastOptions& options) {
  auto targets = select(options);
  if (targets.empty()) return;
  // Encoded once, shared by every target.
  auto message = detail::encode_message(event_packet(nsp().name(), packet));
  auto shared_packet = std::make_shared<const Args>(packet);
  for (const auto& socket : targets) {
    detail::SocketAccess::deliver(socket, message, shared_packet, options.flags.is_volatile);
  }
}

void InMemoryAdapter::broadcast_with_ack(const Args& packet, const BroadcastOptions& options,
                                         std::function<void(std::size_t)> on_client_count,
                                         std::function<void(Json)> on_reply) {
  auto targets = select(options);
  auto out = event_packet(nsp().name(), packet);
  auto id = nsp().next_ack_id();
  out.id = id;
  auto message = detail::encode_message(out);
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

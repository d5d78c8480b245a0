// The Redis adapter: Node's @socket.io/redis-adapter 8.3 (lib/index.ts)
// message for message, so C++ and Node servers can share one cluster.
//
// Channels (K = key, NSP = namespace name):
//   K#NSP#  and  K#NSP#ROOM#    broadcasts, msgpack [uid, packet, opts]
//                                (PSUBSCRIBE K#NSP#*)
//   K-request#NSP#               requests, JSON (msgpack for BROADCAST)
//   K-response#NSP#[UID#]        responses
// Server count = PUBSUB NUMSUB K-request#NSP#.

#include "socketio/redis_adapter.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <utility>

#include "redis/msgpack_codec.hpp"
#include "redis/redis_client.hpp"
#include "socketio/namespace.hpp"
#include "socketio/socket.hpp"

namespace socketio {

namespace {

using detail::RedisClient;
using detail::RedisReply;

// Request types (lib/index.ts RequestType).
enum RequestType : int {
  kSockets = 0,
  kAllRooms = 1,
  kRemoteJoin = 2,
  kRemoteLeave = 3,
  kRemoteDisconnect = 4,
  kRemoteFetch = 5,
  kServerSideEmit = 6,
  kBroadcast = 7,
  kBroadcastClientCount = 8,
  kBroadcastAck = 9,
};

/// uid2(6): random characters from [A-Za-z0-9].
std::string random_uid(std::size_t length = 6) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 engine{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
  std::string uid(length, ' ');
  for (auto& c : uid) c = kAlphabet[pick(engine)];
  return uid;
}

/// A room name as Node sees it: strings as they are, numbers printed.
std::optional<Room> room_name(const Json& value) {
  if (const auto* text = value.if_string()) return *text;
  if (value.is_number()) return value.dump();
  return std::nullopt;
}

std::set<Room> room_set(const Json& value) {
  std::set<Room> rooms;
  if (const auto* array = value.if_array()) {
    for (const auto& element : *array) {
      if (auto room = room_name(element)) rooms.insert(std::move(*room));
    }
  }
  return rooms;
}

std::vector<Room> room_list(const Json& value) {
  std::vector<Room> rooms;
  if (const auto* array = value.if_array()) {
    for (const auto& element : *array) {
      if (auto room = room_name(element)) rooms.push_back(std::move(*room));
    }
  }
  return rooms;
}

Json rooms_json(const std::set<Room>& rooms) {
  Json::Array array;
  array.reserve(rooms.size());
  for (const auto& room : rooms) array.emplace_back(room);
  return Json(std::move(array));
}

Json rooms_json(const std::vector<Room>& rooms) {
  Json::Array array(rooms.begin(), rooms.end());
  return Json(std::move(array));
}

/// {rooms, except} of a request.
Json selection_json(const BroadcastOptions& options) {
  return Json::object({{"rooms", rooms_json(options.rooms)}, {"except", rooms_json(options.except)}});
}

/// {rooms, except, flags} of a broadcast, flags holding only what is set
/// (as Node's BroadcastOperator flags object).
Json broadcast_opts_json(const BroadcastOptions& options) {
  Json flags = Json::object();
  if (options.flags.is_volatile) flags["volatile"] = true;
  if (!options.flags.compress) flags["compress"] = false;
  if (options.flags.timeout) flags["timeout"] = static_cast<std::int64_t>(options.flags.timeout->count());
  Json opts = selection_json(options);
  opts["flags"] = std::move(flags);
  return opts;
}

BroadcastOptions options_from_json(const Json& opts) {
  BroadcastOptions options;
  options.rooms = room_set(opts["rooms"]);
  options.except = room_set(opts["except"]);
  const Json& flags = opts["flags"];
  if (const auto* is_volatile = flags["volatile"].if_bool()) options.flags.is_volatile = *is_volatile;
  if (const auto* compress = flags["compress"].if_bool()) options.flags.compress = *compress;
  return options;
}

/// {type: 2, data: [event, ...args], nsp} — binary stays inline (msgpack bin).
Json packet_json(const Args& packet, const std::string& nsp) {
  return Json::object({{"type", 2}, {"data", Json(static_cast<const Json::Array&>(packet))}, {"nsp", nsp}});
}

/// JSON when the first byte is '{' (lib/index.ts onrequest), else msgpack.
std::optional<Json> decode_message(const std::string& payload) {
  if (!payload.empty() && payload[0] == '{') {
    std::error_code ec;
    Json json = Json::parse(payload, ec);
    if (ec) return std::nullopt;
    return json;
  }
  return detail::msgpack::decode(payload);
}

std::optional<std::string> string_field(const Json& object, std::string_view key) {
  if (const auto* text = object[key].if_string()) return *text;
  return std::nullopt;
}

std::optional<std::int64_t> int_field(const Json& object, std::string_view key) {
  if (const auto* value = object[key].if_int()) return *value;
  if (const auto* value = object[key].if_double()) return static_cast<std::int64_t>(*value);
  return std::nullopt;
}

Json remote_socket_json(const RemoteSocket& socket) {
  return Json::object({{"id", socket.id()},
                       {"handshake", handshake_to_json(socket.handshake())},
                       {"rooms", rooms_json(socket.rooms())},
                       {"data", socket.data()}});
}

}  // namespace

// ---------------------------------------------------------------------------
// RedisHub: the Redis connections shared by the adapters of one factory.

class RedisHub {
 public:
  RedisHub(asio::io_context& io, RedisAdapterOptions options) : io_(io), options_(std::move(options)) {
    detail::RedisClientOptions client;
    client.host = options_.host;
    client.port = options_.port;
    client.reconnect_min = options_.reconnect_min;
    client.reconnect_max = options_.reconnect_max;
    client.command_timeout = options_.requests_timeout;
    client.log = options_.log;
    client_ = RedisClient::make(io, std::move(client));
  }

  asio::io_context& io() noexcept { return io_; }
  const RedisAdapterOptions& options() const noexcept { return options_; }
  RedisClient& client() noexcept { return *client_; }

  /// An adapter starts using the connections (they open with the first).
  void acquire() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (users_++ == 0 && !started_) {
      started_ = true;
      client_->start();
    }
  }
  /// An adapter is done; the last one closes the connections.
  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (users_ > 0 && --users_ == 0) client_->stop();
  }

 private:
  asio::io_context& io_;
  RedisAdapterOptions options_;
  std::shared_ptr<RedisClient> client_;
  std::mutex mutex_;
  std::size_t users_ = 0;
  bool started_ = false;
};

// ---------------------------------------------------------------------------

class RedisAdapter final : public InMemoryAdapter {
 public:
  RedisAdapter(Namespace& nsp, std::shared_ptr<RedisHub> hub);
  ~RedisAdapter() override;

  void broadcast(const Args& packet, const BroadcastOptions& options) override;
  void broadcast_with_ack(const Args& packet, const BroadcastOptions& options,
                          std::function<void(std::size_t)> on_client_count,
                          std::function<void(Json)> on_reply) override;
  void fetch_sockets(const BroadcastOptions& options, FetchCallback callback) override;
  void add_sockets(const BroadcastOptions& options, const std::vector<Room>& rooms) override;
  void del_sockets(const BroadcastOptions& options, const std::vector<Room>& rooms) override;
  void disconnect_sockets(const BroadcastOptions& options, bool close) override;
  void server_count(std::function<void(std::size_t)> callback) override;
  void all_rooms(RoomsCallback callback) override;
  void server_side_emit(const Args& packet) override;
  void server_side_emit_with_ack(const Args& packet, ServerAckCallback callback) override;
  void close() override;

 private:
  /// What Redis callbacks and timers reach the adapter through: the
  /// destructor clears `adapter` under the exclusive lock, so a callback
  /// either finishes first or finds nothing.
  struct Link {
    std::shared_mutex mutex;
    RedisAdapter* adapter = nullptr;
  };
  template <class F>
  static auto guarded(const std::weak_ptr<Link>& weak, F&& f) {
    return [weak, f = std::forward<F>(f)](auto&&... args) mutable {
      auto link = weak.lock();
      if (!link) return;
      std::shared_lock<std::shared_mutex> lock(link->mutex);
      if (link->adapter) f(*link->adapter, std::forward<decltype(args)>(args)...);
    };
  }

  /// A cluster query waiting for the other servers.
  struct Request {
    int type = 0;
    std::size_t expected = 0;  ///< answers awaited (servers, self included for fetch/rooms)
    std::size_t received = 0;
    std::vector<RemoteSocket> sockets;
    std::set<Room> rooms;
    std::vector<Json> replies;
    FetchCallback on_sockets;
    RoomsCallback on_rooms;
    ServerAckCallback on_replies;
    std::shared_ptr<asio::steady_timer> timer;
  };
  /// A broadcast with acknowledgements sent to the other servers.
  struct AckRequest {
    std::function<void(std::size_t)> on_client_count;
    std::function<void(Json)> on_reply;
    std::shared_ptr<asio::steady_timer> timer;
  };

  void on_broadcast_message(const std::string& channel, const std::string& payload);
  void on_request_channel(const std::string& channel, const std::string& payload);
  void on_request(const Json& request);
  void on_response(const Json& response);
  void publish_response(const Json& request, std::string payload);
  void publish_request(const Json& request) { hub_->client().publish(request_channel_, request.dump()); }

  /// Registers a query and starts its timeout; false if too many wait.
  bool add_request(const std::string& id, Request request);
  /// Completes a query (on its answers or its timeout).
  void finish_request(const std::string& id, std::error_code error);
  /// The local part of add/del/disconnect, as InMemoryAdapter does it.
  void apply_locally(int type, const BroadcastOptions& options, const std::vector<Room>& rooms, bool close);

  std::shared_ptr<RedisHub> hub_;
  std::shared_ptr<Link> link_;
  const std::string uid_;
  const std::string channel_;
  const std::string request_channel_;
  const std::string response_channel_;
  const std::string specific_response_channel_;
  RedisClient::SubscriptionId broadcast_subscription_ = 0;
  RedisClient::SubscriptionId request_subscription_ = 0;
  std::atomic<bool> closed_{false};

  std::mutex mutex_;
  std::map<std::string, Request> requests_;
  std::map<std::string, AckRequest> ack_requests_;
};

RedisAdapter::RedisAdapter(Namespace& nsp, std::shared_ptr<RedisHub> hub)
    : InMemoryAdapter(nsp),
      hub_(std::move(hub)),
      link_(std::make_shared<Link>()),
      uid_(random_uid()),
      channel_(hub_->options().key + "#" + nsp.name() + "#"),
      request_channel_(hub_->options().key + "-request#" + nsp.name() + "#"),
      response_channel_(hub_->options().key + "-response#" + nsp.name() + "#"),
      specific_response_channel_(response_channel_ + uid_ + "#") {
  link_->adapter = this;
  std::weak_ptr<Link> weak = link_;
  broadcast_subscription_ = hub_->client().psubscribe(
      channel_ + "*", guarded(weak, [](RedisAdapter& self, const std::string& channel, const std::string& payload) {
        self.on_broadcast_message(channel, payload);
      }));
  request_subscription_ = hub_->client().subscribe(
      {request_channel_, response_channel_, specific_response_channel_},
      guarded(weak, [](RedisAdapter& self, const std::string& channel, const std::string& payload) {
        self.on_request_channel(channel, payload);
      }));
  hub_->acquire();
}

RedisAdapter::~RedisAdapter() {
  close();
  {
    std::unique_lock<std::shared_mutex> lock(link_->mutex);
    link_->adapter = nullptr;
  }
  std::map<std::string, Request> requests;
  std::map<std::string, AckRequest> acks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests.swap(requests_);
    acks.swap(ack_requests_);
  }
  for (auto& [id, request] : requests) request.timer->cancel();
  for (auto& [id, ack] : acks) ack.timer->cancel();
}

void RedisAdapter::close() {
  if (closed_.exchange(true)) return;
  hub_->client().unsubscribe(broadcast_subscription_);
  hub_->client().unsubscribe(request_subscription_);
  // Queries in flight end now rather than at their timeout.
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, request] : requests_) ids.push_back(id);
    for (auto& [id, ack] : ack_requests_) ack.timer->cancel();
    ack_requests_.clear();
  }
  for (const auto& id : ids) finish_request(id, make_error_code(errc::server_closed));
  hub_->release();
}

// ---- broadcasts -------------------------------------------------------------

void RedisAdapter::broadcast(const Args& packet, const BroadcastOptions& options) {
  if (!options.flags.local && !closed_) {
    Json message = Json::array({uid_, packet_json(packet, nsp().name()), broadcast_opts_json(options)});
    std::string channel = channel_;
    if (options.rooms.size() == 1) channel += *options.rooms.begin() + "#";
    hub_->client().publish(std::move(channel), detail::msgpack::encode(message));
  }
  InMemoryAdapter::broadcast(packet, options);
}

void RedisAdapter::on_broadcast_message(const std::string& channel, const std::string& payload) {
  if (channel.compare(0, channel_.size(), channel_) != 0 || channel.size() <= channel_.size() - 1) return;
  // K#NSP#ROOM#: only servers with members in ROOM need to decode it.
  std::string room = channel.substr(channel_.size(), channel.size() - channel_.size() - 1);
  if (!room.empty() && sockets({room}).empty()) return;

  auto message = detail::msgpack::decode(payload);
  if (!message || !message->is_array() || message->size() < 3) return;
  const Json& uid = (*message)[0];
  if (uid.is_string() && *uid.if_string() == uid_) return;
  const Json& packet = (*message)[1];
  if (!packet.is_object()) return;
  std::string nsp_name = packet["nsp"].is_string() ? *packet["nsp"].if_string() : std::string("/");
  if (nsp_name != nsp().name()) return;
  const auto* data = packet["data"].if_array();
  if (!data || data->empty()) return;
  BroadcastOptions options = options_from_json((*message)[2]);
  options.flags.local = true;
  InMemoryAdapter::broadcast(Args(*data), options);
}

void RedisAdapter::broadcast_with_ack(const Args& packet, const BroadcastOptions& options,
                                      std::function<void(std::size_t)> on_client_count,
                                      std::function<void(Json)> on_reply) {
  if (!options.flags.local && !closed_) {
    std::string request_id = random_uid();
    Json request = Json::object({{"uid", uid_},
                                 {"requestId", request_id},
                                 {"type", static_cast<int>(kBroadcast)},
                                 {"packet", packet_json(packet, nsp().name())},
                                 {"opts", broadcast_opts_json(options)}});
    // Kept until the broadcast's own timeout: we cannot know when every
    // remote client has answered (lib/index.ts does the same).
    auto timer = std::make_shared<asio::steady_timer>(hub_->io());
    timer->expires_after(options.flags.timeout.value_or(hub_->options().requests_timeout));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ack_requests_[request_id] = AckRequest{on_client_count, on_reply, timer};
    }
    timer->async_wait(guarded(std::weak_ptr<Link>(link_), [request_id](RedisAdapter& self, const std::error_code& ec) {
      if (ec) return;
      std::lock_guard<std::mutex> lock(self.mutex_);
      self.ack_requests_.erase(request_id);
    }));
    hub_->client().publish(request_channel_, detail::msgpack::encode(request));
  }
  InMemoryAdapter::broadcast_with_ack(packet, options, std::move(on_client_count), std::move(on_reply));
}

// ---- requests from other servers ------------------------------------------

void RedisAdapter::on_request_channel(const std::string& channel, const std::string& payload) {
  auto message = decode_message(payload);
  if (!message || !message->is_object()) {
    if (hub_->options().log) hub_->options().log(LogLevel::debug, "redis adapter: ignoring a malformed message");
    return;
  }
  if (channel.compare(0, response_channel_.size(), response_channel_) == 0) {
    on_response(*message);
  } else if (channel == request_channel_) {
    on_request(*message);
  }
}

void RedisAdapter::on_request(const Json& request) {
  auto type = int_field(request, "type");
  if (!type) return;
  auto request_id = string_field(request, "requestId");
  auto uid = string_field(request, "uid");
  bool own_query = false;
  if (request_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    own_query = requests_.count(*request_id) != 0 || ack_requests_.count(*request_id) != 0;
  }

  switch (*type) {
    case kSockets: {
      if (own_query || !request_id) return;
      Json::Array ids;
      for (const auto& id : sockets(room_set(request["rooms"]))) ids.emplace_back(id);
      publish_response(request, Json::object({{"requestId", *request_id}, {"sockets", Json(std::move(ids))}}).dump());
      return;
    }
    case kAllRooms: {
      if (own_query || !request_id) return;
      publish_response(request, Json::object({{"requestId", *request_id}, {"rooms", rooms_json(rooms())}}).dump());
      return;
    }
    case kRemoteJoin:
    case kRemoteLeave:
    case kRemoteDisconnect: {
      if (uid && *uid == uid_) return;  // applied locally when sent
      if (request.contains("opts")) {
        BroadcastOptions options = options_from_json(request["opts"]);
        const Json* close = request["close"].if_bool() ? &request["close"] : nullptr;
        apply_locally(static_cast<int>(*type), options, room_list(request["rooms"]), close && *close->if_bool());
        return;
      }
      // The legacy form names one socket and wants an answer.
      auto sid = string_field(request, "sid");
      if (!sid) return;
      auto socket = nsp().socket(*sid);
      if (!socket) return;
      if (*type == kRemoteJoin) {
        if (auto room = room_name(request["room"])) socket->join(*room);
      } else if (*type == kRemoteLeave) {
        if (auto room = room_name(request["room"])) socket->leave(*room);
      } else {
        const auto* close = request["close"].if_bool();
        socket->disconnect(close && *close);
      }
      if (request_id) publish_response(request, Json::object({{"requestId", *request_id}}).dump());
      return;
    }
    case kRemoteFetch: {
      if (own_query || !request_id) return;
      BroadcastOptions options = options_from_json(request["opts"]);
      // The snapshot completes on the sockets' strands; the response is
      // published from there (publish is thread-safe).
      auto hub = hub_;
      std::string response_channel = hub_->options().publish_on_specific_response_channel && uid
                                         ? response_channel_ + *uid + "#"
                                         : response_channel_;
      fetch_local_sockets(options, [hub, response_channel, id = *request_id](std::vector<RemoteSocket> sockets) {
        Json::Array list;
        list.reserve(sockets.size());
        for (const auto& socket : sockets) list.push_back(remote_socket_json(socket));
        hub->client().publish(response_channel,
                              Json::object({{"requestId", id}, {"sockets", Json(std::move(list))}}).dump());
      });
      return;
    }
    case kServerSideEmit: {
      if (uid && *uid == uid_) return;
      const auto* data = request["data"].if_array();
      if (!data) return;
      std::function<void(Args)> reply;
      if (request_id) {
        // Always on the shared response channel, whatever
        // publishOnSpecificResponseChannel says (as lib/index.ts).
        auto hub = hub_;
        reply = [hub, channel = response_channel_, id = *request_id](Args args) {
          hub->client().publish(channel, Json::object({{"type", static_cast<int>(kServerSideEmit)},
                                                       {"requestId", id},
                                                       {"data", args.empty() ? Json() : std::move(args[0])}})
                                             .dump());
        };
      }
      nsp().dispatch_server_side_emit(Args(*data), std::move(reply));
      return;
    }
    case kBroadcast: {
      if (own_query || !request_id) return;
      const Json& packet = request["packet"];
      const auto* data = packet["data"].if_array();
      if (!data || data->empty()) return;
      BroadcastOptions options = options_from_json(request["opts"]);
      options.flags = BroadcastFlags{};
      options.flags.local = true;
      auto hub = hub_;
      std::string response_channel = hub_->options().publish_on_specific_response_channel && uid
                                         ? response_channel_ + *uid + "#"
                                         : response_channel_;
      std::string id = *request_id;
      InMemoryAdapter::broadcast_with_ack(
          Args(*data), options,
          [hub, response_channel, id](std::size_t count) {
            hub->client().publish(response_channel, Json::object({{"type", static_cast<int>(kBroadcastClientCount)},
                                                                  {"requestId", id},
                                                                  {"clientCount", count}})
                                                        .dump());
          },
          [hub, response_channel, id](Json reply) {
            hub->client().publish(response_channel,
                                  detail::msgpack::encode(Json::object({{"type", static_cast<int>(kBroadcastAck)},
                                                                        {"requestId", id},
                                                                        {"packet", std::move(reply)}})));
          });
      return;
    }
    default:
      return;
  }
}

void RedisAdapter::publish_response(const Json& request, std::string payload) {
  std::string channel = response_channel_;
  if (hub_->options().publish_on_specific_response_channel) {
    if (auto uid = string_field(request, "uid")) channel += *uid + "#";
  }
  hub_->client().publish(std::move(channel), std::move(payload));
}

void RedisAdapter::apply_locally(int type, const BroadcastOptions& options, const std::vector<Room>& rooms,
                                 bool close) {
  if (type == kRemoteJoin) {
    InMemoryAdapter::add_sockets(options, rooms);
  } else if (type == kRemoteLeave) {
    InMemoryAdapter::del_sockets(options, rooms);
  } else {
    InMemoryAdapter::disconnect_sockets(options, close);
  }
}

// ---- responses to our queries ---------------------------------------------

void RedisAdapter::on_response(const Json& response) {
  auto request_id = string_field(response, "requestId");
  if (!request_id) return;
  auto type = int_field(response, "type");

  std::function<void()> ack_call;
  bool complete = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto ack = ack_requests_.find(*request_id); ack != ack_requests_.end()) {
      if (type == kBroadcastClientCount) {
        auto count = int_field(response, "clientCount").value_or(0);
        ack_call = [f = ack->second.on_client_count, count] { f(static_cast<std::size_t>(count < 0 ? 0 : count)); };
      } else if (type == kBroadcastAck) {
        ack_call = [f = ack->second.on_reply, reply = response["packet"]] { f(reply); };
      }
    } else if (auto it = requests_.find(*request_id); it != requests_.end()) {
      Request& request = it->second;
      switch (request.type) {
        case kRemoteFetch: {
          ++request.received;
          const auto* list = response["sockets"].if_array();
          if (!list) return;
          for (const auto& entry : *list) {
            auto id = string_field(entry, "id");
            if (!id) continue;
            std::vector<Room> rooms = room_list(entry["rooms"]);
            request.sockets.emplace_back(nsp(), *id, handshake_from_json(entry["handshake"]), std::move(rooms),
                                         entry["data"]);
          }
          complete = request.received == request.expected;
          break;
        }
        case kAllRooms: {
          ++request.received;
          if (!response["rooms"].is_array()) return;
          for (auto& room : room_set(response["rooms"])) request.rooms.insert(std::move(room));
          complete = request.received == request.expected;
          break;
        }
        case kServerSideEmit:
          request.replies.push_back(response["data"]);
          complete = request.replies.size() == request.expected;
          break;
        default:
          return;
      }
    }
  }
  if (ack_call) ack_call();
  if (complete) finish_request(*request_id, {});
}

bool RedisAdapter::add_request(const std::string& id, Request request) {
  auto timer = std::make_shared<asio::steady_timer>(hub_->io());
  timer->expires_after(hub_->options().requests_timeout);
  request.timer = timer;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (requests_.size() >= hub_->options().max_pending_requests) return false;
    requests_.emplace(id, std::move(request));
  }
  timer->async_wait(guarded(std::weak_ptr<Link>(link_), [id](RedisAdapter& self, const std::error_code& ec) {
    if (!ec) self.finish_request(id, make_error_code(errc::timeout));
  }));
  return true;
}

void RedisAdapter::finish_request(const std::string& id, std::error_code error) {
  Request request;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = requests_.find(id);
    if (it == requests_.end()) return;
    request = std::move(it->second);
    requests_.erase(it);
  }
  request.timer->cancel();
  if (request.on_sockets) request.on_sockets(error, std::move(request.sockets));
  if (request.on_rooms) request.on_rooms(error, std::move(request.rooms));
  if (request.on_replies) request.on_replies(error, std::move(request.replies));
}

// ---- cluster queries ------------------------------------------------------

void RedisAdapter::server_count(std::function<void(std::size_t)> callback) {
  if (closed_) {
    asio::post(hub_->io(), [callback = std::move(callback)] { callback(1); });
    return;
  }
  hub_->client().command({"PUBSUB", "NUMSUB", request_channel_},
                         [callback = std::move(callback)](std::error_code error, RedisReply reply) {
                           std::size_t count = 1;
                           if (!error && reply.type == RedisReply::Type::array && reply.elements.size() >= 2 &&
                               reply.elements[1].type == RedisReply::Type::integer) {
                             count = static_cast<std::size_t>(std::max<std::int64_t>(1, reply.elements[1].integer));
                           }
                           callback(count);
                         });
}

void RedisAdapter::fetch_sockets(const BroadcastOptions& options, FetchCallback callback) {
  if (options.flags.local || closed_) {
    InMemoryAdapter::fetch_sockets(options, std::move(callback));
    return;
  }
  std::weak_ptr<Link> weak = link_;
  fetch_local_sockets(options, [weak, options, callback](std::vector<RemoteSocket> local) mutable {
    auto link = weak.lock();
    if (!link) return callback(make_error_code(errc::server_closed), std::move(local));
    std::shared_lock<std::shared_mutex> lock(link->mutex);
    if (!link->adapter) return callback(make_error_code(errc::server_closed), std::move(local));
    link->adapter->server_count(guarded(weak, [options, callback, local = std::move(local)](
                                                  RedisAdapter& self, std::size_t servers) mutable {
      if (servers <= 1) return callback({}, std::move(local));
      std::string id = random_uid();
      Request request;
      request.type = kRemoteFetch;
      request.expected = servers;
      request.received = 1;  // ourselves
      request.sockets = std::move(local);
      request.on_sockets = callback;
      if (!self.add_request(id, std::move(request))) return callback(make_error_code(errc::overloaded), {});
      self.publish_request(Json::object(
          {{"uid", self.uid_}, {"requestId", id}, {"type", static_cast<int>(kRemoteFetch)}, {"opts", selection_json(options)}}));
    }));
  });
}

void RedisAdapter::all_rooms(RoomsCallback callback) {
  if (closed_) {
    asio::post(hub_->io(), [this, callback = std::move(callback)] { callback({}, rooms()); });
    return;
  }
  server_count(guarded(std::weak_ptr<Link>(link_), [callback](RedisAdapter& self, std::size_t servers) {
    if (servers <= 1) return callback({}, self.rooms());
    std::string id = random_uid();
    Request request;
    request.type = kAllRooms;
    request.expected = servers;
    request.received = 1;
    request.rooms = self.rooms();
    request.on_rooms = callback;
    if (!self.add_request(id, std::move(request))) return callback(make_error_code(errc::overloaded), {});
    self.publish_request(
        Json::object({{"uid", self.uid_}, {"requestId", id}, {"type", static_cast<int>(kAllRooms)}}));
  }));
}

void RedisAdapter::add_sockets(const BroadcastOptions& options, const std::vector<Room>& rooms) {
  apply_locally(kRemoteJoin, options, rooms, false);
  if (options.flags.local || closed_) return;
  publish_request(Json::object({{"uid", uid_},
                                {"type", static_cast<int>(kRemoteJoin)},
                                {"opts", selection_json(options)},
                                {"rooms", rooms_json(rooms)}}));
}

void RedisAdapter::del_sockets(const BroadcastOptions& options, const std::vector<Room>& rooms) {
  apply_locally(kRemoteLeave, options, rooms, false);
  if (options.flags.local || closed_) return;
  publish_request(Json::object({{"uid", uid_},
                                {"type", static_cast<int>(kRemoteLeave)},
                                {"opts", selection_json(options)},
                                {"rooms", rooms_json(rooms)}}));
}

void RedisAdapter::disconnect_sockets(const BroadcastOptions& options, bool close) {
  apply_locally(kRemoteDisconnect, options, {}, close);
  if (options.flags.local || closed_) return;
  publish_request(Json::object({{"uid", uid_},
                                {"type", static_cast<int>(kRemoteDisconnect)},
                                {"opts", selection_json(options)},
                                {"close", close}}));
}

void RedisAdapter::server_side_emit(const Args& packet) {
  if (closed_) return;
  publish_request(Json::object(
      {{"uid", uid_}, {"type", static_cast<int>(kServerSideEmit)}, {"data", Json(static_cast<const Json::Array&>(packet))}}));
}

void RedisAdapter::server_side_emit_with_ack(const Args& packet, ServerAckCallback callback) {
  if (closed_) {
    asio::post(hub_->io(), [callback = std::move(callback)] { callback(make_error_code(errc::server_closed), {}); });
    return;
  }
  server_count(guarded(std::weak_ptr<Link>(link_), [packet, callback](RedisAdapter& self, std::size_t servers) {
    if (servers <= 1) return callback({}, {});  // nobody else
    std::string id = random_uid();
    Request request;
    request.type = kServerSideEmit;
    request.expected = servers - 1;
    request.on_replies = callback;
    if (!self.add_request(id, std::move(request))) return callback(make_error_code(errc::overloaded), {});
    self.publish_request(Json::object({{"uid", self.uid_},
                                       {"requestId", id},
                                       {"type", static_cast<int>(kServerSideEmit)},
                                       {"data", Json(static_cast<const Json::Array&>(packet))}}));
  }));
}

// ---------------------------------------------------------------------------

std::optional<RedisAdapterOptions> RedisAdapterOptions::from_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  url.remove_prefix(scheme.size());
  if (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (url.empty() || url.find('/') != std::string_view::npos || url.find('@') != std::string_view::npos) {
    return std::nullopt;
  }
  RedisAdapterOptions options;
  auto colon = url.rfind(':');
  std::string_view host = colon == std::string_view::npos ? url : url.substr(0, colon);
  if (host.empty()) return std::nullopt;
  options.host = std::string(host);
  if (colon != std::string_view::npos) {
    std::string_view port = url.substr(colon + 1);
    if (port.empty() || port.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return std::nullopt;
    options.port = static_cast<std::uint16_t>(value);
  }
  return options;
}

AdapterFactory make_redis_adapter(asio::io_context& io, RedisAdapterOptions options) {
  auto hub = std::make_shared<RedisHub>(io, std::move(options));
  return [hub](Namespace& nsp) -> std::unique_ptr<Adapter> { return std::make_unique<RedisAdapter>(nsp, hub); };
}

}  // namespace socketio

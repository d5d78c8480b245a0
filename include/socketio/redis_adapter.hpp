#pragma once
// The Redis adapter: several servers behind a load balancer share rooms,
// broadcasts and cluster-wide queries through Redis pub/sub, speaking the
// wire format of Node's @socket.io/redis-adapter 8.3, so C++ and Node.js
// servers can be members of one cluster.
//
//   asio::io_context io;
//   socketio::RedisAdapterOptions redis;            // 127.0.0.1:6379, key "socket.io"
//   socketio::Server server(io, {}, socketio::make_redis_adapter(io, redis));
//
// Library: link socketio::redis (built when SOCKETIO_WITH_REDIS is ON; needs
// hiredis and msgpack-cxx at build time only).
//
// Faults: if Redis is unreachable or restarts, nothing crashes and local
// delivery goes on; broadcasts meant for other servers are dropped while it
// is away; cluster queries answer with what this server knows (server count
// 1), or with errc::timeout and partial results when another server does not
// answer within requests_timeout. The connections come back with backoff and
// every subscription is renewed. Nothing queues without bound.
//
// Threading: the adapters of one factory share two Redis connections on one
// strand of `io`; messages from other servers are handled there, so
// Namespace::on handlers for server-side events run on that strand.
// Lifetime: `io` must outlive the Server; Server::close() closes the Redis
// connections once every namespace's adapter has closed.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "socketio/adapter.hpp"
#include "socketio/log.hpp"

namespace asio {
class io_context;
}

namespace socketio {

struct RedisAdapterOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  /// Prefix of every channel (Node's `key`).
  std::string key = "socket.io";
  /// How long cluster queries wait for the other servers (Node's requestsTimeout).
  std::chrono::milliseconds requests_timeout{5000};
  /// Answer requests on the requester's own channel instead of the shared
  /// one (Node's publishOnSpecificResponseChannel).
  bool publish_on_specific_response_channel = false;
  /// Reconnection backoff, doubling from min to max.
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
  /// Cluster queries waiting for answers at once; more fail with errc::overloaded.
  std::size_t max_pending_requests = 1000;
  /// Diagnostics (connection lost and back, malformed messages); may be empty.
  LogHook log;

  /// "redis://HOST[:PORT]" (the port defaults to 6379); nullopt if malformed.
  static std::optional<RedisAdapterOptions> from_url(std::string_view url);
};

/// The adapter factory to pass to Server.
AdapterFactory make_redis_adapter(asio::io_context& io, RedisAdapterOptions options = {});

}  // namespace socketio

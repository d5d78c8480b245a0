#pragma once
// RedisClient: the two Redis connections one server needs for the Redis
// adapter (one for commands and PUBLISH, one in subscriber mode), on hiredis
// 0.14's async API driven by Asio.
//
// It connects on start(), and whenever a connection drops it reconnects with
// exponential backoff (reconnect_min .. reconnect_max) and re-issues every
// subscription, so subscribers never need to know Redis went away.
//
// While the command connection is down, command() fails at once with
// errc::not_connected (nothing is queued), and publish() drops the message
// (counted in dropped_publishes()). A command that gets no reply within its
// timeout fails with errc::timeout. At most max_pending_commands may await
// replies; beyond that command() fails with errc::overloaded.
//
// Threading: every public member may be called from any thread. All hiredis
// calls run on one strand of the io_context; every callback (command replies,
// messages, state changes) runs on that strand, never inside the calling
// function.
// Lifetime: create with make(); stop() before the io_context is destroyed.
// Callbacks hold no reference to the client; the client stays alive while
// operations are in flight (shared_from_this).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "socketio/log.hpp"

namespace asio {
class io_context;
}

namespace socketio::detail {

/// A Redis reply, as far as the adapter needs it.
struct RedisReply {
  enum class Type { nil, integer, string, status, error, array };
  Type type = Type::nil;
  std::int64_t integer = 0;
  std::string string;  ///< string, status and error replies
  std::vector<RedisReply> elements;
};

struct RedisClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{5000};
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
  std::size_t max_pending_commands = 10000;
  LogHook log;  ///< may be empty
};

class RedisClient : public std::enable_shared_from_this<RedisClient> {
 public:
  using ReplyHandler = std::function<void(std::error_code error, RedisReply reply)>;
  /// channel, payload (binary-safe), and for pattern subscriptions the pattern.
  using MessageHandler = std::function<void(const std::string& channel, const std::string& payload)>;
  /// true when both connections are up (and every subscription re-issued).
  using StateHandler = std::function<void(bool connected)>;
  using SubscriptionId = std::uint64_t;

  static std::shared_ptr<RedisClient> make(asio::io_context& io, RedisClientOptions options);
  virtual ~RedisClient() = default;

  virtual void start() = 0;
  /// Closes both connections; pending commands fail with errc::server_closed. Idempotent.
  virtual void stop() = 0;

  /// One command on the command connection (binary-safe arguments).
  virtual void command(std::vector<std::string> args, ReplyHandler handler) = 0;
  /// PUBLISH channel payload, fire and forget.
  virtual void publish(std::string channel, std::string payload) = 0;

  /// SUBSCRIBE to exact channels / PSUBSCRIBE to one glob pattern; the
  /// handler gets every message until unsubscribe(id). Kept across reconnects.
  virtual SubscriptionId subscribe(std::vector<std::string> channels, MessageHandler handler) = 0;
  virtual SubscriptionId psubscribe(std::string pattern, MessageHandler handler) = 0;
  virtual void unsubscribe(SubscriptionId id) = 0;

  virtual void on_state(StateHandler handler) = 0;
  virtual bool connected() const = 0;
  virtual std::uint64_t dropped_publishes() const = 0;
};

}  // namespace socketio::detail

// RedisClient against a real redis-server (one per test, see redis_server.hpp).
//
// Everything runs on the test thread: the io_context is driven by run_for()
// loops until a condition holds, so callbacks and assertions never race.

#include <catch2/catch.hpp>

#include <asio/io_context.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "redis/redis_client.hpp"
#include "redis_server.hpp"
#include "socketio/error.hpp"

using namespace std::chrono_literals;
using socketio::errc;
using socketio::LogLevel;
using socketio::detail::RedisClient;
using socketio::detail::RedisClientOptions;
using socketio::detail::RedisReply;
using socketio::test::RedisServerProcess;

namespace {

using Clock = std::chrono::steady_clock;

// Runs `io` until `done()` holds or `timeout` passes; returns done().
template <typename Predicate>
bool run_until(asio::io_context& io, Predicate done, std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    if (io.stopped()) {
      io.restart();
      std::this_thread::sleep_for(1ms);  // nothing to run yet
    }
    io.run_for(5ms);
  }
  return true;
}

// Runs `io` for a while regardless.
void run_for(asio::io_context& io, std::chrono::milliseconds duration) {
  run_until(io, [] { return false; }, duration);
}

// After stop(), the client must leave nothing behind: run() returns.
bool drains(asio::io_context& io) {
  io.restart();
  io.run_for(5s);
  return io.stopped();
}

struct Result {
  bool done = false;
  std::error_code error;
  RedisReply reply;
};

struct Message {
  std::string channel;
  std::string payload;
};

// A client with short timings, its log, and its state changes.
struct Harness {
  explicit Harness(std::uint16_t port, RedisClientOptions options = fast_options()) {
    options.port = port;
    options.log = [this](LogLevel level, std::string_view text) {
      log.push_back(std::to_string(static_cast<int>(level)) + " " + std::string(text));
    };
    client = RedisClient::make(io, std::move(options));
    client->on_state([this](bool up) { states.push_back(up); });
  }

  ~Harness() {
    client->stop();
    drains(io);
  }

  static RedisClientOptions fast_options() {
    RedisClientOptions options;
    options.connect_timeout = 1000ms;
    options.command_timeout = 2000ms;
    options.reconnect_min = 50ms;
    options.reconnect_max = 400ms;
    return options;
  }

  bool up() const { return !states.empty() && states.back(); }
  bool down() const { return !states.empty() && !states.back(); }

  bool start_and_wait() {
    client->start();
    return run_until(io, [this] { return up(); });
  }

  std::shared_ptr<Result> command(std::vector<std::string> args) {
    auto result = std::make_shared<Result>();
    client->command(std::move(args), [result](std::error_code ec, RedisReply reply) {
      result->done = true;
      result->error = ec;
      result->reply = std::move(reply);
    });
    return result;
  }

  // Sends a command and runs until its reply.
  Result call(std::vector<std::string> args, std::chrono::milliseconds timeout = 5000ms) {
    auto result = command(std::move(args));
    REQUIRE(run_until(io, [&] { return result->done; }, timeout));
    return *result;
  }

  // PUBSUB NUMSUB for one channel.
  std::int64_t subscribers(const std::string& channel) {
    const Result r = call({"PUBSUB", "NUMSUB", channel});
    REQUIRE_FALSE(r.error);
    REQUIRE(r.reply.type == RedisReply::Type::array);
    REQUIRE(r.reply.elements.size() == 2);
    return r.reply.elements[1].integer;
  }

  // subscribe() has no confirmation: wait until Redis counts the subscriber.
  bool wait_subscribers(const std::string& channel, std::int64_t count) {
    const auto deadline = Clock::now() + 3s;
    while (Clock::now() < deadline) {
      if (subscribers(channel) == count) return true;
      run_for(io, 10ms);
    }
    return false;
  }

  bool wait_patterns(std::int64_t count) {
    const auto deadline = Clock::now() + 3s;
    while (Clock::now() < deadline) {
      const Result r = call({"PUBSUB", "NUMPAT"});
      if (!r.error && r.reply.integer == count) return true;
      run_for(io, 10ms);
    }
    return false;
  }

  std::string log_text() const {
    std::string text;
    for (const auto& line : log) text += line + "\n";
    return text;
  }

  asio::io_context io;
  std::shared_ptr<RedisClient> client;
  std::vector<std::string> log;
  std::vector<bool> states;
};

// A pretend Redis on a loopback port, for the failures a real one will not
// produce on demand: it answers PING with `ping_reply` (nothing if empty)
// and every other command with `command_reply`, then optionally hangs up.
class FakeRedis {
 public:
  FakeRedis(std::string ping_reply, std::string command_reply, bool hang_up)
      : ping_reply_(std::move(ping_reply)), command_reply_(std::move(command_reply)), hang_up_(hang_up) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listener_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener_, 16) == 0);
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }

  ~FakeRedis() {
    done_ = true;
    thread_.join();
    for (const auto& c : clients_) ::close(c.fd);
    ::close(listener_);
  }

  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  struct Client {
    int fd;
    std::string input;
  };

  void run() {
    while (!done_) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (const auto& c : clients_) fds.push_back({c.fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 10) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          clients_.push_back({fd, {}});
          ++accepted_;
        }
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        auto it = std::find_if(clients_.begin(), clients_.end(), [&](const Client& c) { return c.fd == fds[i].fd; });
        char buffer[4096];
        const ssize_t n = ::recv(it->fd, buffer, sizeof buffer, 0);
        if (n <= 0 || !serve(*it, std::string_view(buffer, static_cast<std::size_t>(n)))) {
          ::close(it->fd);
          clients_.erase(it);
        }
      }
    }
  }

  // Answers every complete command in the input; false to hang up.
  bool serve(Client& client, std::string_view data) {
    client.input.append(data);
    for (;;) {
      std::vector<std::string> args;
      const std::size_t used = parse(client.input, args);
      if (used == 0) return true;
      client.input.erase(0, used);
      const bool ping = !args.empty() && args[0] == "PING";
      const std::string& answer = ping ? ping_reply_ : command_reply_;
      if (!answer.empty()) ::send(client.fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      if (!ping && hang_up_) return false;
    }
  }

  // One RESP command (*N then N bulk strings): bytes used, or 0 if incomplete.
  static std::size_t parse(const std::string& in, std::vector<std::string>& args) {
    std::size_t pos = 0;
    auto line = [&](char type, long& value) {
      if (pos >= in.size() || in[pos] != type) return false;
      const std::size_t end = in.find("\r\n", pos);
      if (end == std::string::npos) return false;
      value = std::stol(in.substr(pos + 1, end - pos - 1));
      pos = end + 2;
      return true;
    };
    long count = 0;
    if (!line('*', count)) return 0;
    for (long i = 0; i < count; ++i) {
      long size = 0;
      if (!line('$', size)) return 0;
      if (pos + static_cast<std::size_t>(size) + 2 > in.size()) return 0;
      args.push_back(in.substr(pos, static_cast<std::size_t>(size)));
      pos += static_cast<std::size_t>(size) + 2;
    }
    return pos;
  }

  std::string ping_reply_;
  std::string command_reply_;
  bool hang_up_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::vector<Client> clients_;  // of the server thread only
  std::thread thread_;
  std::atomic<bool> done_{false};
  std::atomic<int> accepted_{0};
};

RedisClient::MessageHandler collect(std::vector<Message>& into) {
  return [&into](const std::string& channel, const std::string& payload) {
    into.push_back({channel, payload});
  };
}

}  // namespace

TEST_CASE("redis client: commands round trip", "[redis]") {
  RedisServerProcess redis;
  Harness h(redis.port());
  REQUIRE(h.start_and_wait());
  CHECK(h.client->connected());

  Result r = h.call({"PING"});
  CHECK_FALSE(r.error);
  CHECK(r.reply.type == RedisReply::Type::status);
  CHECK(r.reply.string == "PONG");

  const std::string binary_value("a\0b\xff", 4);
  r = h.call({"SET", "key", binary_value});
  CHECK_FALSE(r.error);
  CHECK(r.reply.string == "OK");
  r = h.call({"GET", "key"});
  CHECK(r.reply.type == RedisReply::Type::string);
  CHECK(r.reply.string == binary_value);
  r = h.call({"GET", "missing"});
  CHECK_FALSE(r.error);
  CHECK(r.reply.type == RedisReply::Type::nil);
  r = h.call({"INCRBY", "counter", "41"});
  CHECK(r.reply.type == RedisReply::Type::integer);
  CHECK(r.reply.integer == 41);
  r = h.call({"RPUSH", "list", "x", "y"});
  r = h.call({"LRANGE", "list", "0", "-1"});
  REQUIRE(r.reply.type == RedisReply::Type::array);
  REQUIRE(r.reply.elements.size() == 2);
  CHECK(r.reply.elements[1].string == "y");

  // Redis errors come with the reply text.
  r = h.call({"INCR", "key"});
  CHECK(r.error == errc::redis_error);
  CHECK(r.reply.type == RedisReply::Type::error);
  CHECK(r.reply.string.find("ERR") == 0);

  // Refused before reaching hiredis.
  CHECK(h.call({}).error == std::errc::invalid_argument);
  CHECK(h.call({"subscribe", "x"}).error == std::errc::invalid_argument);
  CHECK(h.call({"MONITOR"}).error == std::errc::invalid_argument);

  // Many commands in flight at once, answered in order.
  std::vector<std::shared_ptr<Result>> results;
  for (int i = 0; i < 500; ++i) results.push_back(h.command({"INCR", "many"}));
  REQUIRE(run_until(h.io, [&] { return results.back()->done; }));
  for (int i = 0; i < 500; ++i) CHECK(results[static_cast<std::size_t>(i)]->reply.integer == i + 1);

  // A reply handler is never called inside command().
  bool called = false;
  h.client->command({"PING"}, [&](std::error_code, RedisReply) { called = true; });
  CHECK_FALSE(called);

  h.client->stop();
  CHECK(drains(h.io));
  CHECK(called);
  CHECK_FALSE(h.client->connected());
  // After stop() commands fail with server_closed.
  auto late = h.command({"PING"});
  CHECK(drains(h.io));
  CHECK(late->done);
  CHECK(late->error == errc::server_closed);
}

TEST_CASE("redis client: binary payloads with NUL bytes are published and received", "[redis]") {
  RedisServerProcess redis;
  Harness h(redis.port());
  std::vector<Message> received;
  // Subscribed before start(): the state turns true only once it is active.
  h.client->subscribe({"bin"}, collect(received));
  REQUIRE(h.start_and_wait());

  std::string payload("\0\x01\xff\x80msgpack\0", 12);
  std::string big(200000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31);
  h.client->publish("bin", payload);
  h.client->publish("bin", big);
  h.client->publish("bin", "");
  REQUIRE(run_until(h.io, [&] { return received.size() == 3; }));
  CHECK(received[0].channel == "bin");
  CHECK(received[0].payload == payload);
  CHECK(received[1].payload == big);
  CHECK(received[2].payload.empty());
  CHECK(h.client->dropped_publishes() == 0);

  // A burst far beyond max_pending_commands: publishes are not commands and
  // none is dropped while Redis keeps up.
  received.clear();
  for (int i = 0; i < 20000; ++i) h.client->publish("bin", std::to_string(i));
  REQUIRE(run_until(h.io, [&] { return received.size() == 20000; }, 8000ms));
  CHECK(received.back().payload == "19999");
  CHECK(h.client->dropped_publishes() == 0);
  received.clear();

  // A channel name with a NUL byte works too.
  const std::string odd_channel("ch\0an", 5);
  h.client->subscribe({odd_channel}, collect(received));
  REQUIRE(h.wait_subscribers(odd_channel, 1));
  h.client->publish(odd_channel, "x");
  REQUIRE(run_until(h.io, [&] { return received.size() == 1; }));
  CHECK(received[0].channel == odd_channel);
}

TEST_CASE("redis client: SUBSCRIBE and PSUBSCRIBE deliver with channel names", "[redis]") {
  RedisServerProcess redis;
  Harness h(redis.port());
  REQUIRE(h.start_and_wait());

  std::vector<Message> exact, pattern, second;
  h.client->subscribe({"room-a", "room-b"}, collect(exact));
  h.client->psubscribe("socket.io#/#*", collect(pattern));
  const auto also_a = h.client->subscribe({"room-a"}, collect(second));
  REQUIRE(h.wait_subscribers("room-a", 1));  // one connection, however many handlers
  REQUIRE(h.wait_subscribers("room-b", 1));
  REQUIRE(h.wait_patterns(1));

  h.client->publish("room-a", "1");
  h.client->publish("room-b", "2");
  h.client->publish("socket.io#/#room#", "3");
  h.client->publish("elsewhere", "4");
  REQUIRE(run_until(h.io, [&] { return exact.size() == 2 && pattern.size() == 1 && second.size() == 1; }));
  CHECK(exact[0].channel == "room-a");
  CHECK(exact[0].payload == "1");
  CHECK(exact[1].channel == "room-b");
  CHECK(exact[1].payload == "2");
  CHECK(pattern[0].channel == "socket.io#/#room#");
  CHECK(pattern[0].payload == "3");
  CHECK(second[0].channel == "room-a");

  // Dropping one of two handlers of a channel keeps the Redis subscription.
  h.client->unsubscribe(also_a);
  h.client->publish("room-a", "5");
  REQUIRE(run_until(h.io, [&] { return exact.size() == 3; }));
  CHECK(exact[2].payload == "5");
  CHECK(second.size() == 1);
  CHECK(h.subscribers("room-a") == 1);
}

TEST_CASE("redis client: unsubscribe stops delivery", "[redis]") {
  RedisServerProcess redis;
  Harness h(redis.port());
  REQUIRE(h.start_and_wait());

  std::vector<Message> exact, pattern;
  const auto sub = h.client->subscribe({"news"}, collect(exact));
  const auto psub = h.client->psubscribe("n*", collect(pattern));
  REQUIRE(h.wait_subscribers("news", 1));
  REQUIRE(h.wait_patterns(1));
  h.client->publish("news", "before");
  REQUIRE(run_until(h.io, [&] { return exact.size() == 1 && pattern.size() == 1; }));

  h.client->unsubscribe(sub);
  h.client->unsubscribe(psub);
  h.client->unsubscribe(psub);  // unknown ids are ignored
  REQUIRE(h.wait_subscribers("news", 0));
  REQUIRE(h.wait_patterns(0));
  const Result r = h.call({"PUBLISH", "news", "after"});
  CHECK(r.reply.integer == 0);
  h.client->publish("news", "after");
  run_for(h.io, 200ms);
  CHECK(exact.size() == 1);
  CHECK(pattern.size() == 1);

  // Subscribing again after the connection left subscriber mode works.
  h.client->subscribe({"news"}, collect(exact));
  REQUIRE(h.wait_subscribers("news", 1));
  h.client->publish("news", "again");
  REQUIRE(run_until(h.io, [&] { return exact.size() == 2; }));
  CHECK(exact[1].payload == "again");
}

TEST_CASE("redis client: PUBSUB NUMSUB counts the subscriber connection", "[redis]") {
  RedisServerProcess redis;
  Harness h(redis.port());
  std::vector<Message> received;
  h.client->subscribe({"socket.io-request#/#"}, collect(received));
  h.client->subscribe({"socket.io-request#/#", "socket.io-response#/#"}, collect(received));
  REQUIRE(h.start_and_wait());

  const Result r = h.call({"PUBSUB", "NUMSUB", "socket.io-request#/#", "socket.io-response#/#", "none"});
  REQUIRE_FALSE(r.error);
  REQUIRE(r.reply.elements.size() == 6);
  CHECK(r.reply.elements[0].string == "socket.io-request#/#");
  CHECK(r.reply.elements[1].integer == 1);
  CHECK(r.reply.elements[3].integer == 1);
  CHECK(r.reply.elements[5].integer == 0);

  // A second client (another server of the cluster) counts once more.
  Harness other(redis.port());
  other.client->subscribe({"socket.io-request#/#"}, [](const std::string&, const std::string&) {});
  REQUIRE(other.start_and_wait());
  CHECK(h.subscribers("socket.io-request#/#") == 2);
}

TEST_CASE("redis client: a command without a reply in time fails with timeout", "[redis]") {
  RedisServerProcess redis;
  RedisClientOptions options = Harness::fast_options();
  options.command_timeout = 200ms;
  Harness h(redis.port(), options);
  REQUIRE(h.start_and_wait());

  int calls = 0;
  std::error_code error;
  const auto begin = Clock::now();
  // BLPOP on an empty list blocks the connection for 1 s (DEBUG SLEEP would
  // need enable-debug-command on Redis 7).
  h.client->command({"BLPOP", "empty-list", "1"}, [&](std::error_code ec, RedisReply) {
    ++calls;
    error = ec;
  });
  REQUIRE(run_until(h.io, [&] { return calls == 1; }));
  const auto elapsed = Clock::now() - begin;
  CHECK(error == errc::timeout);
  CHECK(elapsed >= 190ms);
  CHECK(elapsed < 900ms);

  // The late reply is dropped; afterwards the connection serves again.
  run_for(h.io, 1000ms);
  CHECK(calls == 1);
  CHECK(h.client->connected());
  const Result r = h.call({"PING"});
  CHECK_FALSE(r.error);
  CHECK(r.reply.string == "PONG");
}

TEST_CASE("redis client: Redis killed and restarted: fail fast, then resubscribe", "[redis]") {
  RedisServerProcess redis;
  Harness h(redis.port());
  std::vector<Message> exact, pattern;
  h.client->subscribe({"survivor"}, collect(exact));
  REQUIRE(h.start_and_wait());
  h.client->psubscribe("surv*", collect(pattern));
  REQUIRE(h.wait_patterns(1));

  // A command in flight when Redis dies fails with not_connected.
  auto blocked = h.command({"BLPOP", "empty-list", "5"});
  run_for(h.io, 50ms);
  redis.kill();
  REQUIRE(run_until(h.io, [&] { return h.down(); }, 3000ms));
  REQUIRE(run_until(h.io, [&] { return blocked->done; }, 1000ms));
  CHECK(blocked->error == errc::not_connected);
  CHECK_FALSE(h.client->connected());

  // While down: commands fail at once, publishes are dropped and counted.
  auto refused = h.command({"PING"});
  run_for(h.io, 20ms);
  CHECK(refused->done);
  CHECK(refused->error == errc::not_connected);
  h.client->publish("survivor", "lost");
  h.client->publish("survivor", "lost");
  run_for(h.io, 20ms);
  CHECK(h.client->dropped_publishes() == 2);

  // Redis comes back (empty) on the same port: both connections return and
  // the subscriptions are re-issued before the state turns true.
  run_for(h.io, 300ms);  // a few failed attempts with backoff
  redis.start_again();
  REQUIRE(run_until(h.io, [&] { return h.up(); }, 5000ms));
  CHECK(h.client->connected());
  CHECK(h.states == std::vector<bool>{true, false, true});
  CHECK(h.subscribers("survivor") == 1);
  h.client->publish("survivor", "back");
  REQUIRE(run_until(h.io, [&] { return exact.size() == 1 && pattern.size() == 1; }));
  CHECK(exact[0].payload == "back");
  CHECK(pattern[0].channel == "survivor");
  CHECK(h.call({"PING"}).reply.string == "PONG");
  INFO(h.log_text());
  CHECK(h.log_text().find("lost") != std::string::npos);
}

TEST_CASE("redis client: refused at start, retries with backoff until Redis appears", "[redis]") {
  RedisServerProcess redis;
  redis.stop();  // keep the port, nobody listens
  RedisClientOptions options = Harness::fast_options();
  options.host = "localhost";  // through the resolver
  options.reconnect_min = 20ms;
  options.reconnect_max = 160ms;
  Harness h(redis.port(), options);
  h.client->start();
  run_for(h.io, 700ms);
  CHECK(h.states.empty());
  CHECK_FALSE(h.client->connected());
  auto refused = h.command({"PING"});
  run_for(h.io, 20ms);
  CHECK(refused->error == errc::not_connected);

  // The delays double from reconnect_min and stop at reconnect_max.
  const std::string log = h.log_text();
  INFO(log);
  CHECK(log.find("retrying in 20 ms") != std::string::npos);
  CHECK(log.find("retrying in 40 ms") != std::string::npos);
  CHECK(log.find("retrying in 80 ms") != std::string::npos);
  CHECK(log.find("retrying in 160 ms") != std::string::npos);
  CHECK(log.find("retrying in 320 ms") == std::string::npos);

  redis.start_again();
  REQUIRE(run_until(h.io, [&] { return h.up(); }, 3000ms));
  CHECK(h.states == std::vector<bool>{true});
  CHECK(h.call({"PING"}).reply.string == "PONG");
}

TEST_CASE("redis client: stop() fails pending commands and leaves no work", "[redis]") {
  RedisServerProcess redis;
  Harness h(redis.port());
  REQUIRE(h.start_and_wait());
  std::vector<Message> received;
  h.client->subscribe({"c"}, collect(received));

  auto first = h.command({"BLPOP", "empty-list", "3"});
  auto second = h.command({"PING"});
  run_for(h.io, 50ms);
  REQUIRE_FALSE(first->done);
  const auto begin = Clock::now();
  h.client->stop();
  h.client->stop();  // idempotent
  CHECK(drains(h.io));
  CHECK(Clock::now() - begin < 1s);
  CHECK(first->done);
  CHECK(first->error == errc::server_closed);
  CHECK(second->done);
  CHECK(second->error == errc::server_closed);
  CHECK_FALSE(h.client->connected());
  CHECK(h.states == std::vector<bool>{true});  // stop() reports no state change

  // Nothing more happens after stop(): no reconnects, no deliveries, and
  // the server no longer sees our subscriber.
  h.client->publish("c", "x");
  h.client->start();
  CHECK(drains(h.io));
  CHECK(received.empty());
  Harness probe(redis.port());
  REQUIRE(probe.start_and_wait());
  CHECK(probe.subscribers("c") == 0);
}

TEST_CASE("redis client: stop() from a callback and without start()", "[redis]") {
  RedisServerProcess redis;
  {
    // Stopped from inside its own state handler.
    Harness h(redis.port());
    h.client->on_state([&h](bool up) {
      h.states.push_back(up);
      if (up) h.client->stop();
    });
    h.client->start();
    REQUIRE(run_until(h.io, [&] { return !h.states.empty(); }));
    CHECK(drains(h.io));
    CHECK_FALSE(h.client->connected());
  }
  {
    // Never started.
    asio::io_context io;
    auto client = RedisClient::make(io, RedisClientOptions{});
    client->stop();
    CHECK(drains(io));
  }
  {
    // Stopped while still connecting to a port nobody listens on.
    RedisServerProcess gone;
    gone.stop();
    Harness h(gone.port());
    h.client->start();
    run_for(h.io, 100ms);
    h.client->stop();
    CHECK(drains(h.io));
  }
}

TEST_CASE("redis client: a server that dies mid-reply or talks garbage", "[redis]") {
  const std::pair<const char*, const char*> cases[] = {
      {"dies in the middle of a bulk string", "$100\r\nonly part of it"},
      {"dies in the middle of an array", "*3\r\n:1\r\n$3\r\nab"},
      {"sends a protocol error", "!garbage\r\n"},
  };
  for (const auto& [name, broken] : cases) {
    SECTION(name) {
      FakeRedis fake("+PONG\r\n", broken, true);
      Harness h(fake.port());
      REQUIRE(h.start_and_wait());
      for (int round = 0; round < 3; ++round) {
        const Result r = h.call({"GET", "x"});
        CHECK(r.error == errc::not_connected);
        // Dropped, then back: the fake accepts again.
        REQUIRE(run_until(h.io, [&] { return h.up(); }, 3000ms));
      }
      CHECK(h.states.size() >= 5);
      CHECK(fake.accepted() >= 5);
    }
  }
}

TEST_CASE("redis client: connect timeout and a failing handshake keep retrying", "[redis]") {
  SECTION("a server that never answers PING") {
    FakeRedis fake("", "", false);
    RedisClientOptions options = Harness::fast_options();
    options.connect_timeout = 150ms;
    options.reconnect_min = 20ms;
    options.reconnect_max = 40ms;
    Harness h(fake.port(), options);
    h.client->start();
    run_for(h.io, 800ms);
    CHECK(h.states.empty());
    INFO(h.log_text());
    CHECK(h.log_text().find("no answer within 150 ms") != std::string::npos);
    CHECK(fake.accepted() >= 4);  // two connections, at least twice each
  }
  SECTION("a server still loading its data set") {
    FakeRedis fake("-LOADING Redis is loading the dataset in memory\r\n", "", false);
    Harness h(fake.port());
    h.client->start();
    run_for(h.io, 500ms);
    CHECK(h.states.empty());
    INFO(h.log_text());
    CHECK(h.log_text().find("LOADING") != std::string::npos);
    CHECK(fake.accepted() >= 4);
  }
}

TEST_CASE("redis client: an io_context destroyed without stop() frees everything", "[redis]") {
  // Not the documented use (stop() first), but it must not crash or leak
  // (LeakSanitizer watches the hiredis contexts).
  RedisServerProcess redis;
  std::vector<bool> states;
  {
    asio::io_context io;
    RedisClientOptions options = Harness::fast_options();
    options.port = redis.port();
    auto client = RedisClient::make(io, options);
    client->on_state([&states](bool up) { states.push_back(up); });
    client->subscribe({"x"}, [](const std::string&, const std::string&) {});
    client->start();
    REQUIRE(run_until(io, [&] { return !states.empty(); }));
    client->command({"BLPOP", "empty-list", "5"}, [](std::error_code, RedisReply) {});
    io.run_for(20ms);
  }
  CHECK(states == std::vector<bool>{true});
}

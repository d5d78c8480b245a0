// The Redis adapter between servers of one process, on a real redis-server:
// two (or three) ServerCores, each with its own RedisAdapter and Redis
// connections, whose sockets are driven without a network (engine sessions
// fed by hand, outgoing events seen through on_any_outgoing). Everything
// runs on the test thread: io.run_for() until a condition holds.
//
// Real clients against real server processes (C++ and Node.js nodes, nginx)
// are in tests/cluster/.

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fake_sockets.hpp"
#include "redis/msgpack_codec.hpp"
#include "redis/redis_client.hpp"
#include "redis_server.hpp"
#include "socketio/core.hpp"
#include "socketio/redis_adapter.hpp"

namespace {

using namespace std::chrono_literals;
using socketio::Args;
using socketio::Json;
using socketio::RemoteSocket;
using socketio::SocketPtr;
using socketio::test::RedisServerProcess;

/// Runs `io` until `done()` or `limit` passes; true if done.
bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_for(5ms);
  }
  return true;
}

/// Lets messages in flight arrive (to check that nothing more comes).
void settle(asio::io_context& io, std::chrono::milliseconds time = 300ms) {
  run_until(io, [] { return false; }, time);
}

/// One server of the cluster: a ServerCore on the Redis adapter whose
/// sockets have engine sessions without a transport.
class Node {
 public:
  Node(asio::io_context& io, socketio::RedisAdapterOptions options)
      : server_(io, socketio::ServerOptions{}, socketio::make_redis_adapter(io, std::move(options))) {
    server_.nsp("/");
  }
  ~Node() { close(); }

  socketio::Namespace& nsp(const std::string& name = "/") { return server_.nsp(name); }

  /// A connected socket that counts the events reaching it.
  SocketPtr connect(const std::string& name = "/") {
    auto socket = server_.connect(name);
    socket->on_any_outgoing([this, id = socket->id()](const std::string& event, const Args& args) {
      received_[id].push_back(Json::array({event, Json(static_cast<const Json::Array&>(args))}));
    });
    return socket;
  }

  /// [event, [args...]] of every event that reached the socket.
  std::vector<Json>& received(const SocketPtr& socket) { return received_[socket->id()]; }
  std::size_t count(const SocketPtr& socket, const std::string& event) {
    std::size_t n = 0;
    for (const auto& e : received_[socket->id()]) n += e[0] == event ? 1 : 0;
    return n;
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    server_.close_sessions();
    server_.core().close();
  }

 private:
  socketio::test::FakeServer server_;
  std::map<std::string, std::vector<Json>> received_;
  bool closed_ = false;
};

socketio::RedisAdapterOptions options_for(const RedisServerProcess& redis, std::chrono::milliseconds timeout = 1000ms) {
  socketio::RedisAdapterOptions options;
  options.port = redis.port();
  options.requests_timeout = timeout;
  options.reconnect_min = 50ms;
  options.reconnect_max = 200ms;
  return options;
}

/// Both nodes see each other (their request-channel subscriptions are up).
void wait_for_cluster(asio::io_context& io, Node& node, std::size_t servers) {
  std::size_t seen = 0;
  REQUIRE(run_until(io, [&] {
    bool answered = false;
    node.nsp().server_count([&](std::size_t n) {
      seen = n;
      answered = true;
    });
    run_until(io, [&] { return answered; }, 1000ms);
    return seen == servers;
  }));
}

}  // namespace

TEST_CASE("broadcasts reach the targeted sockets of every server exactly once", "[redis]") {
  RedisServerProcess redis;
  asio::io_context io;
  Node a(io, options_for(redis));
  Node b(io, options_for(redis));
  auto a1 = a.connect();
  auto a2 = a.connect();
  auto b1 = b.connect();
  auto b2 = b.connect();
  a2->join("room");
  b2->join("room");
  b1->join("other");
  wait_for_cluster(io, a, 2);

  SECTION("to everyone, with binary") {
    a.nsp().emit("hello", "text", socketio::Binary{1, 2, 3}, Json::object({{"nested", socketio::Binary{0, 255}}}));
    REQUIRE(run_until(io, [&] { return b.count(b1, "hello") == 1 && b.count(b2, "hello") == 1; }));
    settle(io);
    for (auto* node_socket : {&a1, &a2}) CHECK(a.count(*node_socket, "hello") == 1);
    CHECK(b.count(b1, "hello") == 1);
    CHECK(b.count(b2, "hello") == 1);
    const Json& args = b.received(b1).back()[1];
    CHECK(args[0] == "text");
    CHECK(args[1] == Json(socketio::Binary{1, 2, 3}));
    CHECK(args[2]["nested"] == Json(socketio::Binary{0, 255}));
  }
  SECTION("to a room, from the other server") {
    b.nsp().to("room").emit("r", 1);
    REQUIRE(run_until(io, [&] { return a.count(a2, "r") == 1; }));
    settle(io);
    CHECK(a.count(a1, "r") == 0);
    CHECK(b.count(b1, "r") == 0);
    CHECK(b.count(b2, "r") == 1);
  }
  SECTION("except a room, and to one socket by its id") {
    a.nsp().except("room").emit("x");
    a.nsp().to(b2->id()).emit("direct");
    REQUIRE(run_until(io, [&] { return b.count(b1, "x") == 1 && b.count(b2, "direct") == 1; }));
    settle(io);
    CHECK(a.count(a1, "x") == 1);
    CHECK(a.count(a2, "x") == 0);
    CHECK(b.count(b2, "x") == 0);
    CHECK(b.count(b1, "direct") == 0);
  }
  SECTION("local() stays on this server") {
    a.nsp().local().emit("mine");
    settle(io);
    CHECK(a.count(a1, "mine") == 1);
    CHECK(b.count(b1, "mine") == 0);
  }
}

TEST_CASE("fetch_sockets, all_rooms and server_count span the cluster", "[redis]") {
  RedisServerProcess redis;
  asio::io_context io;
  Node a(io, options_for(redis));
  Node b(io, options_for(redis));
  auto a1 = a.connect();
  auto b1 = b.connect();
  b1->join("blue");
  b1->data() = Json::object({{"user", "bob"}});
  wait_for_cluster(io, a, 2);

  std::vector<RemoteSocket> fetched;
  bool done = false;
  std::error_code error;
  a.nsp().fetch_sockets([&](std::error_code ec, std::vector<RemoteSocket> sockets) {
    error = ec;
    fetched = std::move(sockets);
    done = true;
  });
  REQUIRE(run_until(io, [&] { return done; }));
  CHECK(!error);
  REQUIRE(fetched.size() == 2);
  const RemoteSocket* remote = nullptr;
  for (const auto& s : fetched) {
    if (s.id() == b1->id()) remote = &s;
    if (s.id() == a1->id()) CHECK(s.local() == a1);
  }
  REQUIRE(remote != nullptr);
  CHECK(remote->local() == nullptr);
  CHECK(remote->rooms() == std::vector<socketio::Room>{b1->id(), "blue"});
  CHECK(remote->data()["user"] == "bob");

  // Acting on the remote socket reaches it on its server.
  remote->join("green");
  remote->emit("to-you", 7);
  REQUIRE(run_until(io, [&] { return b.count(b1, "to-you") == 1 && b1->rooms().size() == 3; }));
  remote->leave("green");
  REQUIRE(run_until(io, [&] { return b1->rooms().size() == 2; }));

  std::set<socketio::Room> rooms;
  done = false;
  a.nsp().all_rooms([&](std::error_code ec, std::set<socketio::Room> all) {
    CHECK(!ec);
    rooms = std::move(all);
    done = true;
  });
  REQUIRE(run_until(io, [&] { return done; }));
  CHECK(rooms == std::set<socketio::Room>{a1->id(), b1->id(), "blue"});

  // sockets_join / sockets_leave / disconnect_sockets from the other side.
  a.nsp().in("blue").sockets_join(std::vector<socketio::Room>{"joined"});
  REQUIRE(run_until(io, [&] {
    auto r = b1->rooms();
    return std::find(r.begin(), r.end(), "joined") != r.end();
  }));
  a.nsp().in("blue").disconnect_sockets(false);
  REQUIRE(run_until(io, [&] { return !b1->connected(); }));
  CHECK(a1->connected());
}

TEST_CASE("server-side events go to the other servers, with acknowledgements", "[redis]") {
  RedisServerProcess redis;
  asio::io_context io;
  Node a(io, options_for(redis));
  Node b(io, options_for(redis));
  Node c(io, options_for(redis));
  std::vector<std::string> heard;
  a.nsp().on("ping", [&](std::string from, Json n) { heard.push_back("a<-" + from + ":" + n.dump()); });
  b.nsp().on("ping", [&](std::string from, Json n) { heard.push_back("b<-" + from + ":" + n.dump()); });
  b.nsp().on("ask", [](std::string from, socketio::Ack ack) { ack("b answers " + from); });
  c.nsp().on("ask", [](std::string from, socketio::Ack ack) { ack("c answers " + from); });
  wait_for_cluster(io, a, 3);

  a.nsp().server_side_emit("ping", "a", 1);
  REQUIRE(run_until(io, [&] { return !heard.empty(); }));
  settle(io);
  CHECK(heard == std::vector<std::string>{"b<-a:1"});  // never the sender

  std::vector<Json> replies;
  std::error_code error;
  bool done = false;
  a.nsp().server_side_emit_with_ack("ask", Args{"a"}, [&](std::error_code ec, std::vector<Json> r) {
    error = ec;
    replies = std::move(r);
    done = true;
  });
  REQUIRE(run_until(io, [&] { return done; }));
  CHECK(!error);
  std::sort(replies.begin(), replies.end(), [](const Json& x, const Json& y) { return x.dump() < y.dump(); });
  CHECK(replies == std::vector<Json>{"b answers a", "c answers a"});
}

TEST_CASE("a server that does not answer makes cluster queries time out with partial results", "[redis]") {
  RedisServerProcess redis;
  asio::io_context io;
  asio::io_context stalled_io;  // never run while querying: its node cannot answer
  Node a(io, options_for(redis, 400ms));
  auto a1 = a.connect();
  {
    Node b(stalled_io, options_for(redis));
    b.connect();
    // Let b connect and subscribe, then stop running its io_context.
    REQUIRE(run_until(stalled_io, [&] {
      std::size_t n = 0;
      bool answered = false;
      a.nsp().server_count([&](std::size_t count) {
        n = count;
        answered = true;
      });
      run_until(io, [&] { return answered; }, 500ms);
      return n == 2;
    }));

    std::error_code error;
    std::vector<RemoteSocket> fetched;
    bool done = false;
    auto started = std::chrono::steady_clock::now();
    a.nsp().fetch_sockets([&](std::error_code ec, std::vector<RemoteSocket> sockets) {
      error = ec;
      fetched = std::move(sockets);
      done = true;
    });
    REQUIRE(run_until(io, [&] { return done; }, 3000ms));
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(error == socketio::errc::timeout);
    REQUIRE(fetched.size() == 1);  // ours, not the silent server's
    CHECK(fetched[0].id() == a1->id());
    CHECK(took >= 350ms);
    CHECK(took < 2000ms);

    done = false;
    a.nsp().server_side_emit_with_ack("nobody-answers", Args{}, [&](std::error_code ec, std::vector<Json> r) {
      error = ec;
      CHECK(r.empty());
      done = true;
    });
    REQUIRE(run_until(io, [&] { return done; }, 3000ms));
    CHECK(error == socketio::errc::timeout);
    b.close();
    stalled_io.restart();
    stalled_io.run_for(200ms);
  }
}

TEST_CASE("without Redis a server keeps serving locally, and rejoins the cluster when Redis is back", "[redis]") {
  RedisServerProcess redis;
  asio::io_context io;
  Node a(io, options_for(redis));
  Node b(io, options_for(redis));
  auto a1 = a.connect();
  auto a2 = a.connect();
  auto b1 = b.connect();
  wait_for_cluster(io, a, 2);

  redis.kill();
  settle(io, 300ms);
  a.nsp().emit("while-down", 1);
  REQUIRE(run_until(io, [&] { return a.count(a1, "while-down") == 1 && a.count(a2, "while-down") == 1; }));
  std::size_t servers = 0;
  a.nsp().server_count([&](std::size_t n) { servers = n; });
  REQUIRE(run_until(io, [&] { return servers != 0; }));
  CHECK(servers == 1);  // what this server knows
  bool fetched = false;
  a.nsp().fetch_sockets([&](std::error_code ec, std::vector<RemoteSocket> sockets) {
    CHECK(!ec);
    CHECK(sockets.size() == 2);
    fetched = true;
  });
  REQUIRE(run_until(io, [&] { return fetched; }));

  redis.start_again();
  // Reconnected and resubscribed: broadcasts cross servers again.
  REQUIRE(run_until(io, [&] {
    a.nsp().emit("after", 1);
    run_until(io, [&] { return b.count(b1, "after") > 0; }, 200ms);
    return b.count(b1, "after") > 0;
  }, 10000ms));
}

TEST_CASE("the wire format is the one of Node's @socket.io/redis-adapter", "[redis]") {
  RedisServerProcess redis;
  asio::io_context io;
  Node a(io, options_for(redis));
  auto a1 = a.connect();
  a1->join("r1");

  socketio::detail::RedisClientOptions raw_options;
  raw_options.port = redis.port();
  auto raw = socketio::detail::RedisClient::make(io, raw_options);
  raw->start();
  std::vector<std::pair<std::string, std::string>> seen;
  raw->psubscribe("socket.io#/#*", [&](const std::string& channel, const std::string& payload) {
    seen.emplace_back(channel, payload);
  });
  raw->subscribe({"socket.io-request#/#"}, [&](const std::string& channel, const std::string& payload) {
    seen.emplace_back(channel, payload);
  });
  REQUIRE(run_until(io, [&] { return raw->connected(); }));
  wait_for_cluster(io, a, 2);  // a + the raw subscriber on the request channel

  SECTION("a broadcast to one room: msgpack [uid, packet, opts] on K#NSP#ROOM#") {
    a.nsp().to("r1").emit("ev", socketio::Binary{9});
    REQUIRE(run_until(io, [&] { return !seen.empty(); }));
    CHECK(seen[0].first == "socket.io#/#r1#");
    auto message = socketio::detail::msgpack::decode(seen[0].second);
    REQUIRE(message);
    REQUIRE(message->size() == 3);
    CHECK((*message)[0].is_string());
    CHECK((*message)[0].as_string().size() == 6);
    CHECK((*message)[1]["type"] == 2);
    CHECK((*message)[1]["nsp"] == "/");
    CHECK((*message)[1]["data"] == Json::array({"ev", socketio::Binary{9}}));
    CHECK((*message)[2]["rooms"] == Json::array({"r1"}));
    CHECK((*message)[2]["except"] == Json::array({}));
  }
  SECTION("messages from Node servers and emitters are understood") {
    // notepack.io's bytes for ["emitter", {type:2, data:["from-node", 1], nsp:"/"}, {rooms:[], except:[]}]
    // built here with our encoder; tests/unit/msgpack_codec_test.cpp checks it
    // against notepack's own bytes.
    Json message = Json::array({"emitter",
                                Json::object({{"type", 2}, {"data", Json::array({"from-node", 1})}, {"nsp", "/"}}),
                                Json::object({{"rooms", Json::array({})}, {"except", Json::array({})}})});
    raw->publish("socket.io#/#", socketio::detail::msgpack::encode(message));
    REQUIRE(run_until(io, [&] { return a.count(a1, "from-node") == 1; }));
    // A request without uid (as @socket.io/redis-emitter sends them): join by opts.
    raw->publish("socket.io-request#/#",
                 R"({"type":2,"opts":{"rooms":["r1"],"except":[]},"rooms":["joined-by-emitter"]})");
    REQUIRE(run_until(io, [&] { return a1->rooms().size() == 3; }));
    CHECK(a1->rooms().back() == "joined-by-emitter");
    // Malformed messages are ignored.
    raw->publish("socket.io#/#", std::string("\xc1\xff garbage", 10));
    raw->publish("socket.io-request#/#", "{not json");
    raw->publish("socket.io-request#/#", std::string("\x93\x01", 2));
    a.nsp().emit("still-alive");
    REQUIRE(run_until(io, [&] { return a.count(a1, "still-alive") == 1; }));
  }
  raw->stop();
}

// socketio::Server under concurrency: its io_context run by 4 threads, a
// worker thread of the application emitting to rooms, to single sockets and
// making sockets join and leave rooms, while 50 clients connect, join rooms,
// receive and disconnect over and over (and a few stay connected all along).
// Meant to run under ThreadSanitizer too (build with -DSOCKETIO_TSAN=ON):
//   TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ./integration_tests "[threads]"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "socketio/socketio.hpp"
#include "support.hpp"

namespace {

using namespace std::chrono_literals;
using it::Clock;
using it::Ms;
using it::SioClient;
using it::SioFixture;
using socketio::Ack;
using socketio::DisconnectReason;
using socketio::Json;
using socketio::SocketPtr;

constexpr int room_count = 10;
constexpr int churn_clients = 50;
constexpr int steady_clients = 5;

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define THREADS_TEST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define THREADS_TEST_SLOW 1
#endif
#ifdef THREADS_TEST_TSAN
#define THREADS_TEST_SLOW 1
#endif

#ifdef THREADS_TEST_SLOW
constexpr Ms churn_duration = 4000ms;
constexpr Ms worker_period = 10ms;
constexpr Ms receive_timeout = 8000ms;
#else
constexpr Ms churn_duration = 3000ms;
constexpr Ms worker_period = 3ms;
constexpr Ms receive_timeout = 5000ms;
#endif

std::string room_name(int n) { return "room-" + std::to_string(n); }

/// What the server side knows of the connected sockets (any thread).
class Registry {
 public:
  void add(const std::string& id, bool steady) {
    std::lock_guard<std::mutex> lock(mutex_);
    (steady ? steady_ : churn_).insert(id);
    ++connections_;
  }
  void remove(const std::string& id, DisconnectReason reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    churn_.erase(id);
    steady_.erase(id);
    ++reasons_[std::string(to_string(reason))];
  }
  std::vector<std::string> churn() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {churn_.begin(), churn_.end()};
  }
  std::vector<std::string> steady() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {steady_.begin(), steady_.end()};
  }
  std::size_t connections() {
    std::lock_guard<std::mutex> lock(mutex_);
    return connections_;
  }
  std::map<std::string, int> reasons() {
    std::lock_guard<std::mutex> lock(mutex_);
    return reasons_;
  }

 private:
  std::mutex mutex_;
  std::set<std::string> churn_;
  std::set<std::string> steady_;
  std::size_t connections_ = 0;
  std::map<std::string, int> reasons_;
};

socketio::ServerOptions thread_options() {
  socketio::ServerOptions options;
  options.ping_interval = 300ms;
  options.ping_timeout = 2000ms;  // generous: TSan slows everything down
  options.connect_timeout = 5000ms;
  return options;
}

}  // namespace

TEST_CASE("a worker thread emits, joins and leaves while clients come and go", "[threads]") {
  Registry registry;
  std::atomic<int> handler_errors{0};

  SioFixture f(
      [&](socketio::Server& s) {
        s.on_error([&](const std::string&, const std::string&) { ++handler_errors; });
        s.on_connection([&](const SocketPtr& socket) {
          const bool steady = socket->handshake().auth["steady"] == Json(true);
          registry.add(socket->id(), steady);
          socket->on("join", [socket](std::string room, Ack ack) {
            socket->join(room);
            ack(room);
          });
          socket->on("leave", [socket](std::string room, Ack ack) {
            socket->leave(room);
            ack(room);
          });
          socket->on("close-me", [socket] { socket->disconnect(true); });
          socket->on("leave-nsp", [socket] { socket->disconnect(); });
          socket->on_disconnect([&registry, id = socket->id()](DisconnectReason reason) { registry.remove(id, reason); });
          // Broadcast from a handler too (sender excluded): shares the
          // rooms with the worker.
          socket->on("shout", [socket](std::string room) { socket->to(room).emit("shout", room); });
        });
      },
      thread_options(), 4);
  socketio::Server& server = f.server();

  // Clients that stay connected all along (one in each of the first rooms).
  std::vector<std::unique_ptr<SioClient>> steady;
  for (int i = 0; i < steady_clients; ++i) {
    steady.push_back(std::make_unique<SioClient>(f.port()));
    REQUIRE(!steady.back()->open_and_connect_amid_broadcasts("{\"steady\":true}", 5000ms).empty());
    steady.back()->send("420[\"join\",\"" + room_name(i) + "\"]");
  }
  REQUIRE(it::eventually([&] { return registry.steady().size() == steady_clients; }));

  // The worker: the application's own thread.
  std::atomic<bool> stop_worker{false};
  std::atomic<long> worker_rounds{0};
  std::thread worker([&] {
    std::mt19937 random(12345);
    long round = 0;
    while (!stop_worker.load()) {
      ++round;
      for (int r = 0; r < room_count; ++r) server.to(room_name(r)).emit("tick", room_name(r), round);
      if (round % 10 == 0) server.emit("all", round);
      server.except(room_name(0)).to("worker-room").emit("worker-room", round);

      // socket->emit, join and leave, from this thread, on sockets that may
      // be disconnecting at this very moment.
      auto churn = registry.churn();
      for (int k = 0; k < 3 && !churn.empty(); ++k) {
        const auto& id = churn[random() % churn.size()];
        if (auto socket = server.of("/").socket(id)) {
          socket->emit("direct", round);
          socket->join("worker-room");
          if (round % 2) socket->leave("worker-room");
          socket->join(std::vector<socketio::Room>{"a", "b"});
          (void)socket->rooms();
          (void)socket->connected();
        }
      }
      for (const auto& id : registry.steady()) {
        if (auto socket = server.of("/").socket(id)) socket->emit("direct", round);
      }
      if (round % 25 == 0) {
        server.in("a").sockets_leave(std::vector<socketio::Room>{"a", "b"});
        server.fetch_sockets([](std::error_code, std::vector<socketio::RemoteSocket> sockets) {
          for (auto& s : sockets) (void)s.data();
        });
        (void)server.of("/").size();
        (void)server.of("/").adapter().rooms();
      }
      worker_rounds = round;
      std::this_thread::sleep_for(worker_period);
    }
  });

  // The churning clients, each on its own thread.
  std::atomic<int> failures{0};
  std::atomic<long> rounds_done{0};
  std::mutex failure_mutex;
  std::vector<std::string> failure_notes;
  auto fail = [&](std::string note) {
    ++failures;
    std::lock_guard<std::mutex> lock(failure_mutex);
    if (failure_notes.size() < 20) failure_notes.push_back(std::move(note));
  };
  const auto churn_deadline = Clock::now() + churn_duration;
  std::vector<std::thread> clients;
  for (int slot = 0; slot < churn_clients; ++slot) {
    clients.emplace_back([&, slot] {
      const std::string room = room_name(slot % room_count);
      for (int round = 0; Clock::now() < churn_deadline || round == 0; ++round) {
        SioClient c(f.port());
        if (c.open_and_connect_amid_broadcasts("", receive_timeout).empty()) {
          fail("slot " + std::to_string(slot) + " round " + std::to_string(round) + ": no CONNECT");
          return;
        }
        c.send("421[\"join\",\"" + room + "\"]");
        if (!c.wait_for([&](const std::string& m) { return m == "431[\"" + room + "\"]"; }, receive_timeout)) {
          fail("slot " + std::to_string(slot) + ": no join ack");
          return;
        }
        const std::string tick = "42[\"tick\",\"" + room + "\",";
        if (!c.wait_for([&](const std::string& m) { return m.rfind(tick, 0) == 0; }, receive_timeout)) {
          fail("slot " + std::to_string(slot) + ": no tick for " + room);
          return;
        }
        if (round % 4 == 1) {
          c.send("42[\"shout\",\"" + room + "\"]");
          c.send("422[\"leave\",\"" + room + "\"]");
          c.wait_for([](const std::string& m) { return m.rfind("432", 0) == 0; }, receive_timeout);
        }
        // Every round ends with the server closing the WebSocket: a close
        // started by the websocketpp client from this thread races with its
        // own reading thread (inside websocketpp, not the server), which
        // TSan reports.
        switch (round % 4) {
          case 0:  // the client closes its Engine.IO session (CLOSE packet)
            c.send("1");
            break;
          case 1:  // the client leaves the namespace, then closes
            c.send("41");
            c.send("1");
            break;
          case 2:  // the server closes the connection
            c.send("42[\"close-me\"]");
            break;
          case 3:  // the server disconnects the socket, then the client closes
            c.send("42[\"leave-nsp\"]");
            if (!c.wait_for([](const std::string& m) { return m == "41"; }, receive_timeout)) {
              fail("slot " + std::to_string(slot) + ": no DISCONNECT");
              return;
            }
            c.send("1");
            break;
        }
        if (!c.wait_closed(receive_timeout)) {
          fail("slot " + std::to_string(slot) + " round " + std::to_string(round) + ": not closed");
          return;
        }
        ++rounds_done;
      }
    });
  }
  for (auto& t : clients) t.join();

  // Let the worker run a little longer with only the steady clients.
  std::this_thread::sleep_for(100ms);
  stop_worker = true;
  worker.join();

  {
    std::lock_guard<std::mutex> lock(failure_mutex);
    for (const auto& note : failure_notes) UNSCOPED_INFO(note);
  }
  CHECK(failures == 0);
  CHECK(rounds_done >= churn_clients);
  CHECK(worker_rounds > 10);
  CHECK(handler_errors == 0);
  INFO("connections: " << registry.connections() << ", churn rounds: " << rounds_done
                       << ", worker rounds: " << worker_rounds);

  // Every churning socket is gone; the steady ones are still there.
  CHECK(it::eventually([&] { return registry.churn().empty(); }, 10000ms));
  CHECK(server.of("/").size() == steady_clients);

  // Every steady client got room ticks, broadcasts to all, and direct emits.
  for (int i = 0; i < steady_clients; ++i) {
    INFO("steady client " << i);
    auto& c = *steady[static_cast<std::size_t>(i)];
    CHECK(c.is_open());
    int ticks = 0;
    int alls = 0;
    int directs = 0;
    int others = 0;
    c.drain([&](const std::string& m) {
      if (m.rfind("42[\"tick\",\"" + room_name(i) + "\"", 0) == 0) {
        ++ticks;
      } else if (m.rfind("42[\"all\"", 0) == 0) {
        ++alls;
      } else if (m.rfind("42[\"direct\"", 0) == 0) {
        ++directs;
      } else if (m.rfind("42[\"tick\"", 0) == 0) {
        ++others;  // a tick for another room: must not happen
      }
    });
    CHECK(ticks > 0);
    CHECK(alls > 0);
    CHECK(directs > 0);
    CHECK(others == 0);
  }

  // Clean shutdown: every steady socket sees "server shutting down" and the
  // io_context runs out of work by itself.
  CHECK(f.shutdown(10000ms));
  CHECK(registry.steady().empty());
  CHECK(registry.reasons()["server shutting down"] == steady_clients);
  auto reasons = registry.reasons();
  for (const auto& [reason, count] : reasons) {
    INFO(reason << ": " << count);
    CHECK((reason == "server shutting down" || reason == "transport close" || reason == "client namespace disconnect" ||
           reason == "server namespace disconnect" || reason == "forced close"));
  }
  for (auto& c : steady) CHECK(c->wait_closed(5000ms));
}

// worker_thread: socketio::Server on the application's own io_context, run
// by 4 threads, and a worker thread of the application that talks to the
// clients from outside the io_context:
//   - every second it emits "notification" to everyone;
//   - it answers a client's "remind-me" request a little later, to that one
//     socket only, found by its id with server.of("/").socket(id).
// SIGINT / SIGTERM close the server; the io_context then runs out of work,
// the threads return and the program exits.
//
//   worker_thread_example [--host 127.0.0.1] [--port 3000]
//
// Try it with the Node client:
//   const socket = require("socket.io-client")("http://127.0.0.1:3000");
//   socket.on("notification", console.log);
//   socket.on("reminder", console.log);
//   socket.emit("remind-me", "water the plants", 2000);

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "socketio/socketio.hpp"

namespace {

/// A reminder the worker must deliver to one socket.
struct Reminder {
  socketio::SocketId socket_id;
  std::string text;
  std::chrono::steady_clock::time_point due;
};

/// Work handed from the server's handlers (io threads) to the worker.
class WorkQueue {
 public:
  void push(Reminder reminder) {
    std::lock_guard<std::mutex> lock(mutex_);
    reminders_.push_back(std::move(reminder));
    cv_.notify_one();
  }
  void stop() {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    cv_.notify_one();
  }
  /// Waits until `until` or stop(); returns the reminders that are due and
  /// whether the worker should go on.
  bool wait(std::chrono::steady_clock::time_point until, std::vector<Reminder>& due) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_until(lock, until, [this] { return stopped_; });
    const auto now = std::chrono::steady_clock::now();
    for (auto it = reminders_.begin(); it != reminders_.end();) {
      if (it->due <= now) {
        due.push_back(std::move(*it));
        it = reminders_.erase(it);
      } else {
        ++it;
      }
    }
    return !stopped_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Reminder> reminders_;
  bool stopped_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  std::uint16_t port = 3000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--host") {
      host = argv[i + 1];
    } else if (arg == "--port") {
      port = static_cast<std::uint16_t>(std::strtoul(argv[i + 1], nullptr, 10));
    } else {
      std::cerr << "usage: worker_thread_example [--host 127.0.0.1] [--port 3000]\n";
      return 2;
    }
  }

  asio::io_context io;
  socketio::Server server(io);
  WorkQueue work;

  server.on_error([](const std::string& where, const std::string& what) {
    std::cerr << "error in " << where << ": " << what << "\n";
  });
  server.on_connection([&work](const socketio::SocketPtr& socket) {
    std::cout << "connected: " << socket->id() << std::endl;
    socket->emit("welcome", socket->id());
    // Handlers run on the socket's strand; the worker does the waiting.
    socket->on("remind-me", [&work, id = socket->id()](std::string text, std::optional<int> after_ms) {
      work.push(Reminder{id, std::move(text),
                         std::chrono::steady_clock::now() + std::chrono::milliseconds(after_ms.value_or(1000))});
    });
    socket->on_disconnect([id = socket->id()](socketio::DisconnectReason reason) {
      std::cout << "disconnected: " << id << " (" << socketio::to_string(reason) << ")" << std::endl;
    });
  });

  std::error_code ec;
  server.listen(host, port, ec);
  if (ec) {
    std::cerr << "cannot listen on " << host << ":" << port << ": " << ec.message() << "\n";
    return 1;
  }
  std::cout << "listening on http://" << host << ":" << server.port() << std::endl;

  // The worker: an ordinary thread of the application. Everything it calls
  // on the server and its sockets is thread-safe.
  std::thread worker([&server, &work] {
    long count = 0;
    auto next_tick = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (;;) {
      std::vector<Reminder> due;
      const bool go_on = work.wait(next_tick, due);
      for (auto& reminder : due) {
        // The socket may be gone by now: then there is nobody to remind.
        if (auto socket = server.of("/").socket(reminder.socket_id)) socket->emit("reminder", reminder.text);
      }
      if (!go_on) return;
      if (std::chrono::steady_clock::now() >= next_tick) {
        ++count;
        server.emit("notification", socketio::Json::object({{"count", count}, {"clients", server.of("/").size()}}));
        next_tick += std::chrono::seconds(1);
      }
    }
  });

  // Stop cleanly on SIGINT / SIGTERM: close the server (every socket gets
  // "server shutting down"), stop the worker; the io_context then has no
  // more work and every io.run() below returns.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code& error, int signal) {
    if (error) return;
    std::cout << "signal " << signal << ": shutting down" << std::endl;
    work.stop();
    server.close();
  });

  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();  // the 4th thread is this one
  for (auto& t : threads) t.join();
  worker.join();
  std::cout << "bye" << std::endl;
  return 0;
}

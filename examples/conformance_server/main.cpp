// conformance_server: the program every real client is tested against (see
// shared/conformance-server.md). With --engine-echo it serves the bare
// Engine.IO layer and echoes every message back to its sender.

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <regex>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "socketio/engine/server.hpp"
#include "socketio/socketio.hpp"
#ifdef SOCKETIO_HAVE_REDIS
#include "socketio/redis_adapter.hpp"
#endif

namespace {

struct Config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 3000;
  long ping_interval = 300;
  long ping_timeout = 200;
  std::size_t max_payload = 1000000;
  long connect_timeout = 1000;
  std::vector<std::string> transports{"polling", "websocket"};
  std::string path;  // default depends on the mode
  bool engine_echo = false;
  std::string redis;
  std::string name;            // whoami; default HOST:PORT
  long requests_timeout = 5000;  // the Redis adapter's
  unsigned threads = 1;
};

[[noreturn]] void usage(const std::string& error) {
  std::cerr << "conformance_server: " << error << "\n"
            << "usage: conformance_server [--host 127.0.0.1] [--port 3000] [--ping-interval 300]\n"
               "                          [--ping-timeout 200] [--max-payload 1000000]\n"
               "                          [--connect-timeout 1000] [--transports polling,websocket]\n"
               "                          [--path /socket.io/] [--engine-echo] [--threads 1]\n"
               "                          [--redis redis://127.0.0.1:6379] [--name NAME]\n"
               "                          [--requests-timeout 5000]\n";
  std::exit(2);
}

Config parse_args(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + arg);
      return argv[++i];
    };
    try {
      if (arg == "--host") config.host = value();
      else if (arg == "--port") config.port = static_cast<std::uint16_t>(std::stoul(value()));
      else if (arg == "--ping-interval") config.ping_interval = std::stol(value());
      else if (arg == "--ping-timeout") config.ping_timeout = std::stol(value());
      else if (arg == "--max-payload") config.max_payload = std::stoul(value());
      else if (arg == "--connect-timeout") config.connect_timeout = std::stol(value());
      else if (arg == "--path") config.path = value();
      else if (arg == "--engine-echo") config.engine_echo = true;
      else if (arg == "--redis") config.redis = value();
      else if (arg == "--name") config.name = value();
      else if (arg == "--requests-timeout") config.requests_timeout = std::stol(value());
      else if (arg == "--threads") config.threads = static_cast<unsigned>(std::stoul(value()));
      else if (arg == "--transports") {
        config.transports.clear();
        std::stringstream list(value());
        for (std::string t; std::getline(list, t, ',');) config.transports.push_back(t);
      } else {
        usage("unknown option " + arg);
      }
    } catch (const std::logic_error&) {
      usage("bad value for " + arg);
    }
  }
  if (config.threads == 0) usage("--threads must be at least 1");
  return config;
}

/// Listens, announces the address, and runs the io_context on
/// config.threads threads until SIGINT/SIGTERM closes the server. Works for
/// both engine::Server and socketio::Server.
template <class AnyServer>
int listen_and_run(asio::io_context& io, AnyServer& server, const Config& config,
                   const std::function<void(std::uint16_t)>& on_listening = {}) {
  std::error_code ec;
  server.listen(config.host, config.port, ec);
  if (ec) {
    std::cerr << "conformance_server: cannot listen on " << config.host << ":" << config.port << ": "
              << ec.message() << "\n";
    return 1;
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code&, int) { server.close(); });

  if (on_listening) on_listening(server.port());
  std::cout << "listening on http://" << config.host << ":" << server.port() << std::endl;

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < config.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  return 0;
}

int run_engine_echo(const Config& config) {
  asio::io_context io;
  socketio::engine::Options options;
  options.path = config.path.empty() ? "/engine.io/" : config.path;
  options.ping_interval = std::chrono::milliseconds(config.ping_interval);
  options.ping_timeout = std::chrono::milliseconds(config.ping_timeout);
  options.max_http_buffer_size = config.max_payload;
  options.transports = config.transports;
  options.cors.enabled = true;  // any origin, as the contract says

  socketio::engine::Server server(io, options);
  server.on_connection([](socketio::engine::SessionPtr session) {
    // A weak reference: the handler is stored in the session itself.
    std::weak_ptr<socketio::engine::Session> weak = session;
    session->on_message([weak](std::string data, bool binary) {
      auto session = weak.lock();
      if (!session) return;
      if (binary) {
        session->send_binary(std::move(data));
      } else {
        session->send_text(std::move(data));
      }
    });
  });


  return listen_and_run(io, server, config);
}

using socketio::Ack;
using socketio::Args;
using socketio::Json;
using socketio::RemoteSocket;
using socketio::SocketPtr;

/// The server's name for `whoami` (--name, else HOST:PORT once listening).
struct Identity {
  std::mutex mutex;
  std::string name;
  std::string get() {
    std::lock_guard<std::mutex> lock(mutex);
    return name;
  }
  void set(std::string value) {
    std::lock_guard<std::mutex> lock(mutex);
    name = std::move(value);
  }
};

Json sorted_rooms(std::vector<socketio::Room> rooms) {
  std::sort(rooms.begin(), rooms.end());
  Json::Array array(rooms.begin(), rooms.end());
  return Json(std::move(array));
}

/// fetch_sockets on `target` (a room, or every socket when null), then `then`.
void fetch(socketio::Server& io, const Json& target,
           std::function<void(std::error_code, std::vector<RemoteSocket>)> then) {
  if (const auto* room = target.if_string()) {
    io.in(*room).fetch_sockets(std::move(then));
  } else {
    io.fetch_sockets(std::move(then));
  }
}

/// The cluster rows of the contract (tests/cluster/README.md): they act on
/// every server of a cluster when --redis is given, on this one otherwise.
void serve_cluster_events(socketio::Server& io, const SocketPtr& socket, const std::shared_ptr<Identity>& me) {
  socket->on("whoami", [me](Ack ack) { ack(me->get()); });
  socket->on("broadcast-except", [&io](Args args) {
    // Args takes every argument, the room included.
    if (args.empty() || !args[0].is_string()) return;
    std::string room = args[0].as_string();
    io.except(room).emit_args("broadcast", Args(std::vector<Json>(args.begin() + 1, args.end())));
  });
  socket->on("volatile-all", [&io](Args args) { io.of("/").as_volatile().emit_args("broadcast", std::move(args)); });
  socket->on("fetch", [&io](Json target, Ack ack) {
    auto shared_ack = std::make_shared<Ack>(std::move(ack));
    fetch(io, target, [shared_ack](std::error_code error, std::vector<RemoteSocket> sockets) {
      if (error) return (*shared_ack)(Json::object({{"error", error.message()}}));
      Json::Array list;
      for (const auto& s : sockets) {
        list.push_back(Json::object({{"id", s.id()}, {"rooms", sorted_rooms(s.rooms())}, {"data", s.data()}}));
      }
      (*shared_ack)(Json::object({{"sockets", Json(std::move(list))}}));
    });
  });
  // fetched-emit/-join/-leave/-disconnect: act on the fetched RemoteSocket.
  socket->on("fetched-emit", [&io](Args args, Ack ack) {
    if (args.empty() || !args[0].is_string()) return ack(0);
    std::string id = args[0].as_string();
    Args rest(std::vector<Json>(args.begin() + 1, args.end()));
    auto shared_ack = std::make_shared<Ack>(std::move(ack));
    io.in(id).fetch_sockets([shared_ack, rest](std::error_code, std::vector<RemoteSocket> sockets) {
      for (const auto& s : sockets) s.emit_args("room-message", rest);
      (*shared_ack)(sockets.size());
    });
  });
  for (const char* action : {"fetched-join", "fetched-leave"}) {
    bool join = std::string(action) == "fetched-join";
    socket->on(action, [&io, join](std::string id, std::string room, Ack ack) {
      auto shared_ack = std::make_shared<Ack>(std::move(ack));
      io.in(id).fetch_sockets([shared_ack, room, join](std::error_code, std::vector<RemoteSocket> sockets) {
        for (const auto& s : sockets) join ? s.join(room) : s.leave(room);
        (*shared_ack)(sockets.size());
      });
    });
  }
  socket->on("fetched-disconnect", [&io](std::string id, Ack ack) {
    auto shared_ack = std::make_shared<Ack>(std::move(ack));
    io.in(id).fetch_sockets([shared_ack](std::error_code, std::vector<RemoteSocket> sockets) {
      (*shared_ack)(sockets.size());
      for (const auto& s : sockets) s.disconnect(true);
    });
  });
  socket->on("remote-join", [&io](std::string target, std::string room, Ack ack) {
    io.in(target).sockets_join(room);
    ack();
  });
  socket->on("remote-leave", [&io](std::string target, std::string room, Ack ack) {
    io.in(target).sockets_leave(room);
    ack();
  });
  socket->on("server-side-emit", [&io, me](Args args) {
    args.insert(args.begin(), Json(me->get()));
    io.of("/").server_side_emit_args("sse", std::move(args));
  });
  socket->on("server-side-emit-with-ack", [&io, me](Ack ack) {
    auto shared_ack = std::make_shared<Ack>(std::move(ack));
    io.server_side_emit_with_ack("sse-ack", Args{me->get()},
                                 [shared_ack](std::error_code error, std::vector<Json> replies) {
                                   if (error) return (*shared_ack)(Json::object({{"error", error.message()}}));
                                   std::sort(replies.begin(), replies.end(), [](const Json& a, const Json& b) {
                                     return a.dump() < b.dump();
                                   });
                                   (*shared_ack)(Json::object({{"replies", Json(std::move(replies))}}));
                                 });
  });
  socket->on("server-count", [&io](Ack ack) {
    auto shared_ack = std::make_shared<Ack>(std::move(ack));
    io.of("/").server_count([shared_ack](std::size_t count) { (*shared_ack)(count); });
  });
  socket->on("all-rooms", [&io](Ack ack) {
    auto shared_ack = std::make_shared<Ack>(std::move(ack));
    io.of("/").all_rooms([shared_ack](std::error_code error, std::set<socketio::Room> rooms) {
      if (error) return (*shared_ack)(Json::object({{"error", error.message()}}));
      (*shared_ack)(sorted_rooms(std::vector<socketio::Room>(rooms.begin(), rooms.end())));
    });
  });
}

/// Server-side events from the other servers of a cluster.
void serve_server_side_events(socketio::Server& io, const std::shared_ptr<Identity>& me) {
  io.on("sse", [&io, me](Args args) {
    args.insert(args.begin(), Json(me->get()));
    io.local().emit_args("sse", std::move(args));
  });
  io.on("sse-ack", [me](Json /*from*/, Ack ack) { ack(me->get()); });
}

/// Every row of the "/" table of shared/conformance-server.md.
void serve_main_namespace(socketio::Server& io, const std::shared_ptr<Identity>& me, bool cluster) {
  serve_server_side_events(io, me);
  io.on_connection([&io, me, cluster](const SocketPtr& socket) {
    // Only for cluster nodes: the benchmarks compare the plain contract with
    // Node's, handler for handler (each costs memory per socket).
    if (cluster) serve_cluster_events(io, socket, me);
    socket->emit("auth", socket->handshake().auth);

    socket->on("message", [socket](const Args& args) { socket->emit_args("message-back", args); });
    socket->on("message-with-ack", [](const Args& args, Ack ack) { ack.send(args); });

    auto rooms_json = [](const SocketPtr& s) {
      Json rooms = Json::array({});
      for (const auto& room : s->rooms()) rooms.push_back(room);
      return rooms;
    };
    socket->on("join", [socket, rooms_json](std::string room, Ack ack) {
      socket->join(room);
      ack(rooms_json(socket));
    });
    socket->on("leave", [socket, rooms_json](std::string room, Ack ack) {
      socket->leave(room);
      ack(rooms_json(socket));
    });
    socket->on("to-room", [&io](Args args) {
      if (args.empty()) return;
      std::string room = args[0].as_string();
      io.to(room).emit_args("room-message", Args(args.begin() + 1, args.end()));
    });
    socket->on("to-room-except-me", [socket](Args args) {
      if (args.empty()) return;
      std::string room = args[0].as_string();
      socket->to(room).emit_args("room-message", Args(args.begin() + 1, args.end()));
    });
    socket->on("broadcast", [socket](const Args& args) { socket->broadcast().emit_args("broadcast", args); });
    socket->on("broadcast-all", [&io](const Args& args) { io.emit_args("broadcast", args); });
    socket->on("ask", [socket](Args args, Ack ack) {
      if (args.empty()) return;
      std::string event = args[0].as_string();
      auto shared_ack = std::make_shared<Ack>(std::move(ack));
      socket->timeout(std::chrono::milliseconds(1000))
          .emit_with_ack(event, Args(args.begin() + 1, args.end()), [shared_ack](std::error_code ec, Args reply) {
            if (ec) {
              (*shared_ack)(Json::object({{"error", "timeout"}}));
            } else {
              (*shared_ack)(Json::object({{"reply", Json(static_cast<Json::Array&&>(std::move(reply)))}}));
            }
          });
    });
    socket->on("ask-room", [&io](std::string room, Ack ack) {
      auto shared_ack = std::make_shared<Ack>(std::move(ack));
      io.to(room).timeout(std::chrono::milliseconds(1000))
          .emit_with_ack("question", {}, [shared_ack](std::error_code ec, std::vector<Json> replies) {
            (*shared_ack)(Json::object({{"timedOut", static_cast<bool>(ec)}, {"replies", Json(std::move(replies))}}));
          });
    });
    socket->on("set-data", [socket](Json value, Ack ack) {
      socket->data()["value"] = std::move(value);
      ack();
    });
    socket->on("get-data", [socket](Ack ack) { ack(socket->data()["value"]); });
    socket->on("count", [&io](Ack ack) {
      auto shared_ack = std::make_shared<Ack>(std::move(ack));
      io.fetch_sockets([shared_ack](std::error_code, std::vector<RemoteSocket> sockets) {
        (*shared_ack)(sockets.size());
      });
    });
    socket->on("room-size", [&io](std::string room, Ack ack) {
      auto shared_ack = std::make_shared<Ack>(std::move(ack));
      io.in(room).fetch_sockets([shared_ack](std::error_code, std::vector<RemoteSocket> sockets) {
        (*shared_ack)(sockets.size());
      });
    });
    socket->on("disconnect-me", [socket] { socket->disconnect(true); });
    socket->on("disconnect-room", [&io](std::string room) { io.in(room).disconnect_sockets(true); });
  });
}

void serve_other_namespaces(socketio::Server& io) {
  io.of("/custom").on_connection([](const SocketPtr& socket) {
    socket->emit("auth", socket->handshake().auth);
    socket->on("message", [socket](const Args& args) { socket->emit_args("message-back", args); });
  });

  io.of(std::regex("^/dyn-[a-z0-9]+$")).on_connection([](const SocketPtr& socket) {
    socket->emit("nsp", socket->nsp().name());
  });

  auto& private_nsp = io.of("/private");
  private_nsp.use([](const SocketPtr& socket, socketio::Namespace::Next next) {
    const Json& token = socket->handshake().auth["token"];
    if (token.is_string() && token.as_string() == "secret") {
      next(std::nullopt);
    } else {
      next(socketio::ConnectError{"unauthorized", Json::object({{"code", 401}})});
    }
  });
  private_nsp.on_connection([](const SocketPtr& socket) { socket->emit("welcome", socket->id()); });
}

int run_socketio(const Config& config) {
  asio::io_context io;
  socketio::AdapterFactory adapter;
  if (!config.redis.empty()) {
#ifdef SOCKETIO_HAVE_REDIS
    auto redis = socketio::RedisAdapterOptions::from_url(config.redis);
    if (!redis) usage("bad value for --redis (want redis://HOST:PORT)");
    redis->requests_timeout = std::chrono::milliseconds(config.requests_timeout);
    if (std::getenv("SOCKETIO_DEBUG")) {
      redis->log = [](socketio::LogLevel, std::string_view message) { std::cerr << message << "\n"; };
    }
    adapter = socketio::make_redis_adapter(io, *redis);
#else
    std::cerr << "conformance_server: built without the Redis adapter (SOCKETIO_WITH_REDIS=OFF)\n";
    return 2;
#endif
  }
  socketio::ServerOptions options;
  if (!config.path.empty()) options.path = config.path;
  options.ping_interval = std::chrono::milliseconds(config.ping_interval);
  options.ping_timeout = std::chrono::milliseconds(config.ping_timeout);
  options.max_http_buffer_size = config.max_payload;
  options.connect_timeout = std::chrono::milliseconds(config.connect_timeout);
  options.transports = config.transports;
  options.cors.enabled = true;  // any origin, as the contract says

  socketio::Server server(io, options, adapter);
  server.on_error([](const std::string& where, const std::string& what) {
    std::cerr << "conformance_server: " << where << ": " << what << "\n";
  });
  if (std::getenv("SOCKETIO_DEBUG")) {
    server.set_log_hook([](socketio::LogLevel, std::string_view message) { std::cerr << message << "\n"; });
  }
  auto me = std::make_shared<Identity>();
  me->set(config.name);
  serve_main_namespace(server, me, !config.redis.empty());
  serve_other_namespaces(server);

  return listen_and_run(io, server, config, [&](std::uint16_t port) {
    if (config.name.empty()) me->set(config.host + ":" + std::to_string(port));
  });
}

}  // namespace

int main(int argc, char** argv) {
  Config config = parse_args(argc, argv);
  return config.engine_echo ? run_engine_echo(config) : run_socketio(config);
}

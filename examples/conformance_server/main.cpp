// conformance_server: the program every real client is tested against (see
// shared/conformance-server.md). With --engine-echo it serves the bare
// Engine.IO layer and echoes every message back to its sender.

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "socketio/engine/server.hpp"

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
  unsigned threads = 1;
};

[[noreturn]] void usage(const std::string& error) {
  std::cerr << "conformance_server: " << error << "\n"
            << "usage: conformance_server [--host 127.0.0.1] [--port 3000] [--ping-interval 300]\n"
               "                          [--ping-timeout 200] [--max-payload 1000000]\n"
               "                          [--connect-timeout 1000] [--transports polling,websocket]\n"
               "                          [--path /socket.io/] [--engine-echo] [--threads 1]\n";
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

  std::error_code ec;
  server.listen(config.host, config.port, ec);
  if (ec) {
    std::cerr << "conformance_server: cannot listen on " << config.host << ":" << config.port << ": "
              << ec.message() << "\n";
    return 1;
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code&, int) { server.close(); });

  std::cout << "listening on http://" << config.host << ":" << server.port() << std::endl;

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < config.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config config = parse_args(argc, argv);
  if (config.engine_echo) return run_engine_echo(config);
  std::cerr << "conformance_server: the Socket.IO layer is not built yet; only --engine-echo works\n";
  return 2;
}

// Links socketio::redis from the package: a Server on the Redis adapter
// pointed at a port where nothing listens starts, serves and closes cleanly.

#include <asio/io_context.hpp>
#include <cstdio>
#include <exception>

#include <socketio/redis_adapter.hpp>
#include <socketio/server.hpp>

int main() {
  try {
    asio::io_context io;
    auto options = socketio::RedisAdapterOptions::from_url("redis://127.0.0.1:1");
    if (!options) return 1;
    socketio::Server server(io, {}, socketio::make_redis_adapter(io, *options));
    server.listen("127.0.0.1", 0);
    server.close();
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "redis_consumer: %s\n", e.what());
    return 1;
  }
  std::puts("ok");
  return 0;
}

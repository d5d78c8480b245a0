// Smallest real user of the library, built by tests/cmake against an
// installed package or through add_subdirectory: it must compile, link and
// run with nothing but what the package provides.

#include <asio/io_context.hpp>
#include <cstdio>
#include <exception>

#include <socketio/engine/server.hpp>

int main() {
  try {
    asio::io_context io;
    socketio::engine::Server server(io);
    server.listen("127.0.0.1", 0);
    if (server.port() == 0) {
      std::fprintf(stderr, "consumer: port() is 0 after listen()\n");
      return 1;
    }
    server.close();
    io.run();  // returns once close() has finished
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
  std::puts("ok");
  return 0;
}

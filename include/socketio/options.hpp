#pragma once
// socketio::Server options: Node's socket.io 4.8 names and defaults, plus
// everything of the engine (engine::Options).

#include <chrono>
#include <cstddef>

#include "socketio/engine/options.hpp"

namespace socketio {

struct ServerOptions : engine::Options {
  ServerOptions() { path = "/socket.io/"; }
  /// An engine connection that joins no namespace within this is closed.
  std::chrono::milliseconds connect_timeout{45000};
  /// Most binary attachments one packet may announce (socket.io-parser 4.2.6).
  std::size_t max_attachments = 10;
};

}  // namespace socketio

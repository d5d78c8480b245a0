#pragma once
// One Engine.IO session: a client connection that survives transport
// changes (polling upgraded to WebSocket).
//
// Lifetime: sessions are created by engine::Server and handed out as
// shared_ptr. The server keeps a session alive until it closes; a
// shared_ptr held by the user afterwards keeps only a closed object whose
// send() does nothing.
//
// Threading: every session has its own strand. Handlers run on it, one at a
// time, in order. send() and close() may be called from any thread (they are
// posted to the strand). Handlers must be set inside the server's
// on_connection callback (which runs on the strand before any message is
// delivered), or later from within a handler of the same session.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "socketio/engine/close_reason.hpp"
#include "socketio/engine/request.hpp"

namespace socketio::engine {

class Session {
 public:
  /// A message body: text (UTF-8) or binary bytes.
  using MessageHandler = std::function<void(std::string data, bool binary)>;
  using CloseHandler = std::function<void(CloseReason reason)>;

  virtual ~Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// The session id (`sid`): 20 URL-safe characters from a CSPRNG.
  virtual const std::string& id() const noexcept = 0;
  /// The request that opened the session.
  virtual const RequestInfo& request() const noexcept = 0;

  /// Queues a text message. Thread-safe. No-op once the session is closed.
  virtual void send_text(std::string text) = 0;
  /// Queues a binary message. Thread-safe. No-op once the session is closed.
  virtual void send_binary(std::string bytes) = 0;
  /// Flushes what is queued, then closes the session (reason forced_close).
  /// Thread-safe; idempotent.
  virtual void close() = 0;

  /// Name of the current transport: "polling" or "websocket". Strand only.
  virtual std::string_view transport_name() const noexcept = 0;
  /// True until the close handler has run. Strand only.
  virtual bool is_open() const noexcept = 0;

  virtual void on_message(MessageHandler handler) = 0;
  /// Called once, on the strand, when the session ends for any reason.
  virtual void on_close(CloseHandler handler) = 0;

 protected:
  Session() = default;
};

using SessionPtr = std::shared_ptr<Session>;

}  // namespace socketio::engine

#pragma once
// The one interface every Engine.IO transport implements (HTTP long-polling,
// WebSocket), so the session above never knows which one it talks to and a
// transport can be replaced without touching the layers above.
//
// Threading: a transport belongs to one session and every call into it, and
// every upcall out of it, happens on that session's strand.

#include <memory>
#include <string_view>
#include <vector>

#include "engineio/packet.hpp"

namespace socketio::transport {

class Transport;

/// What a transport reports to its session.
class TransportSink {
 public:
  virtual ~TransportSink() = default;
  /// A decoded packet from the client. A CLOSE packet is not passed on: it
  /// arrives as on_transport_close().
  virtual void on_transport_packet(Transport& from, engine::Packet packet) = 0;
  /// The transport became writable (a polling GET arrived).
  virtual void on_transport_ready(Transport& from) = 0;
  /// The client closed the transport (WebSocket closed, CLOSE packet).
  virtual void on_transport_close(Transport& from) = 0;
  /// The transport failed or the client broke its rules (overlapping
  /// polls, a vanished connection, an oversize message).
  virtual void on_transport_error(Transport& from, std::string_view what) = 0;
  /// The client sent something that does not decode.
  virtual void on_transport_parse_error(Transport& from) = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;

  /// "polling" or "websocket".
  virtual std::string_view name() const noexcept = 0;
  /// Whether send() may be called now. WebSocket always is; polling only
  /// while a GET is parked.
  virtual bool writable() const noexcept = 0;
  /// Writes `packets` (in order). Precondition: writable().
  virtual void send(const std::vector<engine::EncodedPacket>& packets) = 0;
  /// Ends the transport from the server side. Polling answers a parked GET
  /// with a CLOSE packet; WebSocket sends a close frame. Idempotent.
  virtual void close() = 0;
  /// The session moved to another transport: release anything still held
  /// (a parked GET is answered with NOOP) without closing the session.
  virtual void discard() = 0;

  /// Where upcalls go; held weakly so a transport never keeps its session
  /// alive. Strand only.
  void set_sink(std::weak_ptr<TransportSink> sink) { sink_ = std::move(sink); }

 protected:
  std::shared_ptr<TransportSink> sink() const { return sink_.lock(); }

 private:
  std::weak_ptr<TransportSink> sink_;
};

using TransportPtr = std::shared_ptr<Transport>;

}  // namespace socketio::transport

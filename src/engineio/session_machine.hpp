#pragma once
// The Engine.IO session as a state machine with no sockets and no clock:
// handshake, heartbeat, write buffer, the polling-to-WebSocket upgrade and
// orderly close, exactly as Node's engine.io `Socket` behaves.
//
// Time and the outside world come in through SessionEnvironment (timers,
// delivering messages and the close upward); transports come in as the
// Transport interface. The Asio shell (SessionImpl) provides real ones; the
// unit tests provide fakes and drive the machine step by step.
//
// Threading: not thread-safe; the shell calls it on the session's strand only.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engineio/packet.hpp"
#include "socketio/engine/close_reason.hpp"
#include "transport/transport.hpp"

namespace socketio::engine {

enum class SessionTimer {
  ping_interval,    ///< time to send the next PING
  ping_timeout,     ///< the PONG is overdue
  upgrade_timeout,  ///< the client did not finish the upgrade in time
  upgrade_check,    ///< during an upgrade: flush a parked poll with NOOP (repeats)
  close_timeout,    ///< an orderly close waited too long for a poll to carry CLOSE
};

class SessionEnvironment {
 public:
  virtual ~SessionEnvironment() = default;
  /// (Re)starts a one-shot timer; when it fires the shell calls on_timer().
  /// The machine never arms ping_interval and ping_timeout at the same
  /// time (the Asio shell runs both on one timer).
  virtual void start_timer(SessionTimer timer, std::chrono::milliseconds after) = 0;
  virtual void cancel_timer(SessionTimer timer) = 0;
  /// A MESSAGE packet from the client.
  virtual void deliver_message(std::string data, bool binary) = 0;
  /// The session ended; called exactly once.
  virtual void deliver_close(CloseReason reason) = 0;
};

struct SessionConfig {
  std::chrono::milliseconds ping_interval{25000};
  std::chrono::milliseconds ping_timeout{20000};
  std::chrono::milliseconds upgrade_timeout{10000};
  std::size_t max_payload = 1000000;
  /// Transports this session may upgrade to (advertised in OPEN).
  std::vector<std::string> upgrades;
  /// How often a parked poll is flushed with NOOP during an upgrade (Node: 100 ms).
  std::chrono::milliseconds upgrade_check_interval{100};
  /// How long an orderly close waits for a poll to carry CLOSE (Node: 30 s).
  std::chrono::milliseconds close_timeout{30000};
  /// A client that does not fetch what is queued for it (no poll arrives)
  /// is cut off past this many bytes rather than growing memory without end.
  std::size_t max_buffered_bytes = 16 * 1000000;
};

class SessionMachine final : public transport::TransportSink {
 public:
  enum class State { opening, open, closing, closed };

  /// `config` is shared by the sessions of one server (and transport).
  SessionMachine(std::string sid, std::shared_ptr<const SessionConfig> config, SessionEnvironment& env);
  SessionMachine(std::string sid, SessionConfig config, SessionEnvironment& env)
      : SessionMachine(std::move(sid), std::make_shared<const SessionConfig>(std::move(config)), env) {}

  /// Attaches the first transport, queues OPEN and starts the heartbeat.
  /// With `open_packet_sent`, the transport has already delivered the OPEN
  /// packet (open_packet(), sent by the WebSocket front end together with
  /// its 101 response) and it is not queued again.
  void open(transport::TransportPtr transport, bool open_packet_sent = false);

  /// The OPEN packet a session with this sid and config sends first.
  static EncodedPacket open_packet(const std::string& sid, const SessionConfig& config);

  /// Queues a packet and flushes if the transport is writable.
  /// Ignored unless the session is open.
  void send(EncodedPacket packet);
  /// Queues several packets, then flushes once (a Socket.IO packet and its
  /// attachments travel in one polling response).
  void send(const std::vector<EncodedPacket>& packets);
  /// Whether the current transport can take packets right now (volatile
  /// packets are dropped when it cannot).
  bool writable() const noexcept { return transport_ && transport_->writable(); }

  /// Server-initiated orderly close: what is queued is flushed first (for
  /// polling, together with the CLOSE packet on the next poll).
  void close(CloseReason reason = CloseReason::forced_close);

  /// Immediate close for `reason` (timeouts, errors, server shutdown).
  void abort(CloseReason reason);

  /// A WebSocket connection arrived for this sid. Returns false if the
  /// session cannot upgrade now (already upgrading or upgraded, closed);
  /// the caller then closes `candidate`.
  bool begin_upgrade(transport::TransportPtr candidate);

  void on_timer(SessionTimer timer);

  // TransportSink
  void on_transport_packet(transport::Transport& from, Packet packet) override;
  void on_transport_ready(transport::Transport& from) override;
  void on_transport_close(transport::Transport& from) override;
  void on_transport_error(transport::Transport& from, std::string_view what) override;
  void on_transport_parse_error(transport::Transport& from) override;

  const std::string& sid() const noexcept { return sid_; }
  State state() const noexcept { return state_; }
  bool upgrading() const noexcept { return probe_ != nullptr; }
  bool upgraded() const noexcept { return upgraded_; }
  const transport::TransportPtr& transport() const noexcept { return transport_; }
  /// Packets waiting for the transport to become writable.
  std::size_t buffered() const noexcept { return write_buffer_.size(); }

 private:
  void flush();
  /// Counts queued bytes; false (and the session aborted) past the limit.
  bool account(const EncodedPacket& packet);
  void on_probe_packet(Packet packet);
  void finish_upgrade();
  void cancel_upgrade();
  void finish_close(CloseReason reason);

  std::string sid_;
  std::shared_ptr<const SessionConfig> config_;
  SessionEnvironment& env_;
  State state_ = State::opening;
  transport::TransportPtr transport_;
  transport::TransportPtr probe_;  ///< the transport being upgraded to
  bool probe_answered_ = false;    ///< "2probe" seen on probe_
  bool upgraded_ = false;
  bool awaiting_pong_ = false;
  CloseReason close_reason_ = CloseReason::forced_close;
  std::vector<EncodedPacket> write_buffer_;
  std::size_t write_buffer_bytes_ = 0;
};

}  // namespace socketio::engine

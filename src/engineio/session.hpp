#pragma once
// SessionImpl: the Asio shell around SessionMachine. Owns the session's
// strand and timers, makes send()/close() safe from any thread, and runs
// user handlers with exceptions caught.

#include <array>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <functional>
#include <memory>

#include "engineio/session_machine.hpp"
#include "socketio/engine/session.hpp"
#include "socketio/log.hpp"
#include "transport/http.hpp"

namespace socketio::engine {

class SessionImpl final : public Session,
                          public SessionEnvironment,
                          public std::enable_shared_from_this<SessionImpl> {
 public:
  using Strand = asio::strand<asio::io_context::executor_type>;
  /// Called on the strand once the session has closed (the server forgets it).
  using ClosedCallback = std::function<void(const std::string& sid)>;

  /// What every session of one server shares: one copy per server rather
  /// than two std::function objects in each session.
  struct Shared {
    LogHook log;
    ClosedCallback on_closed;
  };

  SessionImpl(asio::io_context& io, std::string sid, std::shared_ptr<const SessionConfig> config,
              RequestInfo request, std::shared_ptr<const Shared> shared);
  SessionImpl(asio::io_context& io, std::string sid, SessionConfig config, RequestInfo request, LogHook log,
              ClosedCallback on_closed)
      : SessionImpl(io, std::move(sid), std::make_shared<const SessionConfig>(std::move(config)), std::move(request),
                    std::make_shared<const Shared>(Shared{std::move(log), std::move(on_closed)})) {}
  ~SessionImpl() override;

  // Session
  const std::string& id() const noexcept override { return machine_.sid(); }
  const RequestInfo& request() const noexcept override { return request_; }
  void send_text(std::string text) override;
  void send_binary(std::string bytes) override;
  void close() override;
  std::string_view transport_name() const noexcept override;
  bool is_open() const noexcept override { return machine_.state() == SessionMachine::State::open; }
  void on_message(MessageHandler handler) override { message_handler_ = std::move(handler); }
  void on_close(CloseHandler handler) override { close_handler_ = std::move(handler); }

  /// Queues an already encoded packet (shared by many sessions for a
  /// broadcast). Thread-safe.
  void send_encoded(EncodedPacket packet);
  /// Strand only: queues `packets` together; with `is_volatile`, drops them
  /// unless the transport can take them now.
  void send_batch(const std::vector<EncodedPacket>& packets, bool is_volatile);
  /// Immediate close for `reason`. Thread-safe.
  void abort(CloseReason reason);

  // Strand only:
  Strand& strand() noexcept { return strand_; }
  /// `open_packet_sent`: see SessionMachine::open.
  void start(transport::TransportPtr transport, bool open_packet_sent = false);
  /// A polling GET/POST carrying this sid.
  void handle_polling_request(const transport::HttpExchangePtr& exchange);
  /// A WebSocket for this sid; false if it cannot upgrade (caller closes it).
  bool try_upgrade(const transport::TransportPtr& transport);
  /// The sink transports report to (the machine, kept alive through us).
  std::shared_ptr<transport::TransportSink> sink() { return {shared_from_this(), &machine_}; }

  // SessionEnvironment
  void start_timer(SessionTimer timer, std::chrono::milliseconds after) override;
  void cancel_timer(SessionTimer timer) override;
  void deliver_message(std::string data, bool binary) override;
  void deliver_close(CloseReason reason) override;

 private:
  template <class F>
  void run_on_strand(F&& f);

  /// One asio timer and the SessionTimer currently armed on it.
  struct TimerSlot {
    explicit TimerSlot(const Strand& strand) : timer(strand) {}
    /// Typed on the strand, not asio::any_io_executor: the wait pending on
    /// every idle session carries a small executor (about 50 bytes less).
    asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>, Strand> timer;
    /// Bumped on every start/cancel so a handler that was already queued
    /// when its timer was cancelled or restarted knows it is stale.
    std::uint64_t generation = 0;
    SessionTimer owner = SessionTimer::ping_interval;
    bool armed = false;
  };
  /// The slot `timer` runs on; nullptr if it was never started (and
  /// `create` is false).
  TimerSlot* slot(SessionTimer timer, bool create);

  Strand strand_;
  SessionMachine machine_;
  RequestInfo request_;
  std::shared_ptr<const Shared> shared_;
  MessageHandler message_handler_;
  CloseHandler close_handler_;
  /// ping_interval and ping_timeout share one timer: the machine never arms
  /// both (it starts the timeout when the interval fires and the interval
  /// when the PONG arrives). The upgrade and close timers, which only
  /// polling sessions use, get theirs on first use. A session over
  /// WebSocket thus carries one asio timer instead of five.
  TimerSlot heartbeat_timer_;
  std::array<std::unique_ptr<TimerSlot>, 3> other_timers_;
};

}  // namespace socketio::engine

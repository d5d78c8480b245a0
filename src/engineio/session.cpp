#include "engineio/session.hpp"

#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <cassert>

#include "engineio/request_error.hpp"
#include "transport/polling_transport.hpp"

namespace socketio::engine {

SessionImpl::SessionImpl(asio::io_context& io, std::string sid, std::shared_ptr<const SessionConfig> config,
                         RequestInfo request, std::shared_ptr<const Shared> shared)
    : strand_(asio::make_strand(io)),
      machine_(std::move(sid), std::move(config), *this),
      request_(std::move(request)),
      shared_(std::move(shared)),
      heartbeat_timer_(strand_) {}

SessionImpl::~SessionImpl() = default;

template <class F>
void SessionImpl::run_on_strand(F&& f) {
  // dispatch: run inline when already on the strand (keeps a handler's own
  // sends in order and cheap), otherwise queue behind earlier work.
  asio::dispatch(strand_, [self = shared_from_this(), f = std::forward<F>(f)]() mutable { f(*self); });
}

void SessionImpl::send_text(std::string text) {
  send_encoded(encode_packet(PacketType::message, text));
}

void SessionImpl::send_binary(std::string bytes) {
  send_encoded(encode_binary_message(std::move(bytes)));
}

void SessionImpl::send_encoded(EncodedPacket packet) {
  run_on_strand([packet = std::move(packet)](SessionImpl& self) mutable { self.machine_.send(std::move(packet)); });
}

void SessionImpl::send_batch(const std::vector<EncodedPacket>& packets, bool is_volatile) {
  if (is_volatile && !machine_.writable()) return;
  machine_.send(packets);
}

void SessionImpl::close() {
  run_on_strand([](SessionImpl& self) { self.machine_.close(CloseReason::forced_close); });
}

void SessionImpl::abort(CloseReason reason) {
  run_on_strand([reason](SessionImpl& self) { self.machine_.abort(reason); });
}

std::string_view SessionImpl::transport_name() const noexcept {
  const auto& transport = machine_.transport();
  return transport ? transport->name() : std::string_view{};
}

void SessionImpl::start(transport::TransportPtr transport, bool open_packet_sent) {
  transport->set_sink(sink());
  machine_.open(std::move(transport), open_packet_sent);
}

void SessionImpl::handle_polling_request(const transport::HttpExchangePtr& exchange) {
  if (machine_.state() == SessionMachine::State::closed) {
    exchange->respond(request_error_response(RequestError::unknown_sid));
    return;
  }
  auto* polling = dynamic_cast<transport::PollingTransport*>(machine_.transport().get());
  if (!polling) {
    // The session moved to WebSocket: polling with its sid is over (Node's
    // TRANSPORT_MISMATCH).
    exchange->respond(request_error_response(RequestError::bad_request));
    return;
  }
  polling->on_request(exchange);
}

bool SessionImpl::try_upgrade(const transport::TransportPtr& transport) {
  transport->set_sink(sink());
  if (machine_.begin_upgrade(transport)) return true;
  transport->set_sink({});
  return false;
}

SessionImpl::TimerSlot* SessionImpl::slot(SessionTimer timer, bool create) {
  std::size_t index = 0;
  switch (timer) {
    case SessionTimer::ping_interval:
    case SessionTimer::ping_timeout: return &heartbeat_timer_;
    case SessionTimer::upgrade_timeout: index = 0; break;
    case SessionTimer::upgrade_check: index = 1; break;
    case SessionTimer::close_timeout: index = 2; break;
  }
  auto& other = other_timers_[index];
  if (!other && create) other = std::make_unique<TimerSlot>(strand_);
  return other.get();
}

void SessionImpl::start_timer(SessionTimer timer, std::chrono::milliseconds after) {
  TimerSlot* s = slot(timer, true);
  // Only ping_interval and ping_timeout share a slot, and the machine never
  // arms one while the other is armed.
  assert(!s->armed || s->owner == timer);
  auto generation = ++s->generation;
  s->owner = timer;
  s->armed = true;
  s->timer.expires_after(after);
  s->timer.async_wait([weak = weak_from_this(), s, timer, generation](const std::error_code& ec) {
    if (ec) return;
    auto self = weak.lock();
    // The slot lives as long as the session (self), and the generation
    // tells whether this wait is still the current one.
    if (!self || s->generation != generation) return;
    s->armed = false;
    self->machine_.on_timer(timer);
  });
}

void SessionImpl::cancel_timer(SessionTimer timer) {
  TimerSlot* s = slot(timer, false);
  if (!s || !s->armed || s->owner != timer) return;
  ++s->generation;
  s->armed = false;
  s->timer.cancel();
}

void SessionImpl::deliver_message(std::string data, bool binary) {
  if (!message_handler_) return;
  try {
    message_handler_(std::move(data), binary);
  } catch (const std::exception& e) {
    if (shared_->log) shared_->log(LogLevel::error, std::string("message handler threw: ") + e.what());
  } catch (...) {
    if (shared_->log) shared_->log(LogLevel::error, "message handler threw a non-standard exception");
  }
}

void SessionImpl::deliver_close(CloseReason reason) {
  // Handlers often capture the session; dropping them breaks that cycle.
  auto handler = std::move(close_handler_);
  close_handler_ = nullptr;
  message_handler_ = nullptr;
  if (handler) {
    try {
      handler(reason);
    } catch (const std::exception& e) {
      if (shared_->log) shared_->log(LogLevel::error, std::string("close handler threw: ") + e.what());
    } catch (...) {
      if (shared_->log) shared_->log(LogLevel::error, "close handler threw a non-standard exception");
    }
  }
  if (shared_->on_closed) shared_->on_closed(id());
}

}  // namespace socketio::engine

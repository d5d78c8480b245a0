#include "engineio/session_machine.hpp"

#include <utility>

namespace socketio::engine {

using transport::Transport;
using transport::TransportPtr;

SessionMachine::SessionMachine(std::string sid, std::shared_ptr<const SessionConfig> config, SessionEnvironment& env)
    : sid_(std::move(sid)), config_(std::move(config)), env_(env) {}

EncodedPacket SessionMachine::open_packet(const std::string& sid, const SessionConfig& config) {
  // The sid is URL-safe base64 and the upgrade names are ours: nothing here
  // needs JSON escaping.
  std::string json = "{\"sid\":\"" + sid + "\",\"upgrades\":[";
  for (std::size_t i = 0; i < config.upgrades.size(); ++i) {
    if (i) json += ',';
    json += '"' + config.upgrades[i] + '"';
  }
  json += "],\"pingInterval\":" + std::to_string(config.ping_interval.count());
  json += ",\"pingTimeout\":" + std::to_string(config.ping_timeout.count());
  json += ",\"maxPayload\":" + std::to_string(config.max_payload) + '}';
  return encode_packet(PacketType::open, json);
}

void SessionMachine::open(TransportPtr transport, bool open_packet_sent) {
  if (state_ == State::closed) {
    // Closed before it opened (the server shut down in between): the
    // transport has nobody to serve.
    transport->close();
    return;
  }
  transport_ = std::move(transport);
  state_ = State::open;
  if (!open_packet_sent) {
    write_buffer_.push_back(open_packet(sid_, *config_));
    flush();
  }
  env_.start_timer(SessionTimer::ping_interval, config_->ping_interval);
}

void SessionMachine::send(EncodedPacket packet) {
  // As in Node, nothing new is queued once a close has begun.
  if (state_ != State::open || !account(packet)) return;
  write_buffer_.push_back(std::move(packet));
  flush();
}

void SessionMachine::send(const std::vector<EncodedPacket>& packets) {
  if (state_ != State::open) return;
  for (const auto& packet : packets) {
    if (!account(packet)) return;
  }
  if (write_buffer_.empty() && transport_->writable()) {
    // Nothing is waiting ahead of them: straight to the transport, as a
    // flush would send them, without copying them into the buffer.
    write_buffer_bytes_ = 0;
    transport_->send(packets);
    return;
  }
  write_buffer_.insert(write_buffer_.end(), packets.begin(), packets.end());
  flush();
}

bool SessionMachine::account(const EncodedPacket& packet) {
  write_buffer_bytes_ += packet.bytes ? packet.bytes->size() : 0;
  if (write_buffer_bytes_ <= config_->max_buffered_bytes) return true;
  abort(CloseReason::transport_error);
  return false;
}

void SessionMachine::flush() {
  if (state_ == State::closed || write_buffer_.empty() || !transport_->writable()) return;
  std::vector<EncodedPacket> packets;
  packets.swap(write_buffer_);
  write_buffer_bytes_ = 0;
  transport_->send(packets);
  if (write_buffer_.empty()) {
    // Keep the buffer's capacity for the next packets.
    packets.clear();
    write_buffer_.swap(packets);
  }
}

void SessionMachine::close(CloseReason reason) {
  if (state_ != State::open) return;
  state_ = State::closing;
  close_reason_ = reason;
  flush();
  if (transport_->writable()) {
    // Nothing left to deliver first (WebSocket, or a poll still parked).
    finish_close(reason);
    return;
  }
  // Polling with no parked GET: the CLOSE packet (after whatever is still
  // buffered) goes out with the next poll, or we give up after close_timeout.
  env_.start_timer(SessionTimer::close_timeout, config_->close_timeout);
}

void SessionMachine::abort(CloseReason reason) {
  if (state_ == State::closed) return;
  finish_close(reason);
}

void SessionMachine::finish_close(CloseReason reason) {
  state_ = State::closed;
  for (auto timer : {SessionTimer::ping_interval, SessionTimer::ping_timeout,
                     SessionTimer::upgrade_timeout, SessionTimer::upgrade_check,
                     SessionTimer::close_timeout}) {
    env_.cancel_timer(timer);
  }
  if (probe_) {
    probe_->set_sink({});
    probe_->close();
    probe_.reset();
  }
  write_buffer_.clear();
  write_buffer_bytes_ = 0;
  // Polling answers a parked GET with CLOSE; WebSocket sends a close frame.
  if (transport_) transport_->close();
  env_.deliver_close(reason);
}

bool SessionMachine::begin_upgrade(TransportPtr candidate) {
  if (state_ != State::open || probe_ || upgraded_) return false;
  if (candidate->name() == transport_->name()) return false;
  probe_ = std::move(candidate);
  probe_answered_ = false;
  env_.start_timer(SessionTimer::upgrade_timeout, config_->upgrade_timeout);
  return true;
}

void SessionMachine::on_probe_packet(Packet packet) {
  if (packet.type == PacketType::ping && packet.data == "probe") {
    probe_->send({encode_packet(PacketType::pong, "probe")});
    probe_answered_ = true;
    // The client has paused polling and waits for its last GET to return:
    // release it now rather than on the first 100 ms tick.
    if (transport_->writable() && write_buffer_.empty()) {
      transport_->send({encode_packet(PacketType::noop)});
    }
    env_.start_timer(SessionTimer::upgrade_check, config_->upgrade_check_interval);
  } else if (packet.type == PacketType::upgrade) {
    finish_upgrade();
  } else {
    cancel_upgrade();
  }
}

void SessionMachine::finish_upgrade() {
  env_.cancel_timer(SessionTimer::upgrade_timeout);
  env_.cancel_timer(SessionTimer::upgrade_check);
  TransportPtr old = std::move(transport_);
  old->set_sink({});
  old->discard();
  old->close();
  transport_ = std::move(probe_);
  probe_.reset();
  probe_answered_ = false;
  upgraded_ = true;
  if (awaiting_pong_) {
    // The PONG may have been lost with the old transport. Node clears the
    // ping timeout here; we also re-arm the interval so pings resume.
    awaiting_pong_ = false;
    env_.cancel_timer(SessionTimer::ping_timeout);
    env_.start_timer(SessionTimer::ping_interval, config_->ping_interval);
  }
  flush();
  if (state_ == State::closing) finish_close(close_reason_);
}

void SessionMachine::cancel_upgrade() {
  env_.cancel_timer(SessionTimer::upgrade_timeout);
  env_.cancel_timer(SessionTimer::upgrade_check);
  if (!probe_) return;
  probe_->set_sink({});
  probe_->close();
  probe_.reset();
  probe_answered_ = false;
}

void SessionMachine::on_timer(SessionTimer timer) {
  switch (timer) {
    case SessionTimer::ping_interval:
      if (state_ != State::open) return;
      awaiting_pong_ = true;
      send(encode_packet(PacketType::ping));
      env_.start_timer(SessionTimer::ping_timeout, config_->ping_timeout);
      return;
    case SessionTimer::ping_timeout:
      abort(CloseReason::ping_timeout);
      return;
    case SessionTimer::upgrade_timeout:
      cancel_upgrade();
      return;
    case SessionTimer::upgrade_check:
      if (!probe_) return;
      if (transport_->writable() && write_buffer_.empty()) {
        transport_->send({encode_packet(PacketType::noop)});
      }
      env_.start_timer(SessionTimer::upgrade_check, config_->upgrade_check_interval);
      return;
    case SessionTimer::close_timeout:
      if (state_ == State::closing) finish_close(close_reason_);
      return;
  }
}

void SessionMachine::on_transport_packet(Transport& from, Packet packet) {
  if (probe_ && &from == probe_.get()) {
    on_probe_packet(std::move(packet));
    return;
  }
  if (&from != transport_.get() || state_ != State::open) return;
  switch (packet.type) {
    case PacketType::ping:
      // v4 heartbeats go server to client; a client PING breaks the protocol.
      abort(CloseReason::transport_error);
      return;
    case PacketType::pong:
      awaiting_pong_ = false;
      env_.cancel_timer(SessionTimer::ping_timeout);
      env_.start_timer(SessionTimer::ping_interval, config_->ping_interval);
      return;
    case PacketType::message:
      env_.deliver_message(std::move(packet.data), packet.binary);
      return;
    default:
      // OPEN, UPGRADE and NOOP mean nothing from a client on its current
      // transport; Node ignores them too.
      return;
  }
}

void SessionMachine::on_transport_ready(Transport& from) {
  if (&from != transport_.get()) return;
  if (state_ == State::open) {
    flush();
    if (probe_answered_ && transport_->writable()) {
      transport_->send({encode_packet(PacketType::noop)});
    }
  } else if (state_ == State::closing) {
    if (!write_buffer_.empty()) {
      flush();
    } else {
      finish_close(close_reason_);
    }
  }
}

void SessionMachine::on_transport_close(Transport& from) {
  if (probe_ && &from == probe_.get()) {
    cancel_upgrade();
  } else if (&from == transport_.get()) {
    abort(CloseReason::transport_close);
  }
}

void SessionMachine::on_transport_error(Transport& from, std::string_view) {
  if (probe_ && &from == probe_.get()) {
    cancel_upgrade();
  } else if (&from == transport_.get()) {
    abort(CloseReason::transport_error);
  }
}

void SessionMachine::on_transport_parse_error(Transport& from) {
  if (probe_ && &from == probe_.get()) {
    cancel_upgrade();
  } else if (&from == transport_.get()) {
    abort(CloseReason::parse_error);
  }
}

}  // namespace socketio::engine

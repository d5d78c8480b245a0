#include "transport/websocket_transport.hpp"

#include <asio/dispatch.hpp>
#include <asio/post.hpp>

namespace socketio::transport {

void WebSocketTransport::send(const std::vector<engine::EncodedPacket>& packets) {
  if (closed_) return;
  connection_->send(packets.data(), packets.size());
}

void WebSocketTransport::close() {
  if (closed_) return;
  closed_ = true;
  connection_->close(1000, "");
}

void WebSocketTransport::on_ws_message(std::string payload, bool binary) {
  // dispatch: when the session's strand is free the message is handled
  // right here, without a trip through the scheduler. Closes are posted
  // (on_ws_closed), so they still come after every message before them.
  asio::dispatch(strand_, [self = shared_from_this(), payload = std::move(payload), binary]() mutable {
    self->handle_message(std::move(payload), binary);
  });
}

void WebSocketTransport::handle_message(std::string payload, bool binary) {
  if (closed_) return;
  auto s = sink();
  if (!s) return;
  engine::Packet packet;
  if (binary) {
    packet.type = engine::PacketType::message;
    packet.binary = true;
    packet.data = std::move(payload);
  } else if (engine::decode_owned_text_frame(std::move(payload), packet)) {
    s->on_transport_parse_error(*this);
    return;
  }
  if (packet.type == engine::PacketType::close) {
    // Node ignores CLOSE on WebSocket and waits for the ping timeout; the
    // protocol means "I am leaving", so end the session now.
    closed_ = true;
    connection_->close(1000, "");
    s->on_transport_close(*this);
    return;
  }
  s->on_transport_packet(*this, std::move(packet));
}

void WebSocketTransport::on_ws_closed(bool error) {
  asio::post(strand_, [self = shared_from_this(), error] {
    if (self->closed_ && !error) {
      // We closed it (or saw CLOSE): the session already knows.
      return;
    }
    self->closed_ = true;
    auto s = self->sink();
    if (!s) return;
    if (error) {
      s->on_transport_error(*self, "websocket error");
    } else {
      s->on_transport_close(*self);
    }
  });
}

}  // namespace socketio::transport

#include <algorithm>
#include <asio/post.hpp>

#include "transport/http.hpp"

#include "socketio/core.hpp"
#include "socketio/namespace.hpp"

namespace socketio::detail {

namespace {

DisconnectReason disconnect_reason(engine::CloseReason reason) {
  switch (reason) {
    case engine::CloseReason::transport_close: return DisconnectReason::transport_close;
    case engine::CloseReason::transport_error: return DisconnectReason::transport_error;
    case engine::CloseReason::ping_timeout: return DisconnectReason::ping_timeout;
    case engine::CloseReason::parse_error: return DisconnectReason::parse_error;
    case engine::CloseReason::forced_close: return DisconnectReason::forced_close;
    case engine::CloseReason::server_shutdown: return DisconnectReason::forced_server_close;
  }
  return DisconnectReason::transport_error;
}

Args take_args(std::optional<Json>& data) {
  if (data) {
    if (auto* array = data->if_array()) return Args(std::move(*array));
  }
  return Args();
}

}  // namespace

namespace {

/// The text packet and the attachments as WebSocket frames prepared once,
/// shared by every target.
EncodedMessage frame_message(std::string text, std::vector<std::string>& attachments) {
  auto packets = std::make_shared<std::vector<engine::EncodedPacket>>();
  packets->reserve(1 + attachments.size());
  packets->push_back(transport::make_ws_packet(std::move(text), false));
  for (auto& attachment : attachments) packets->push_back(transport::make_ws_packet(std::move(attachment), true));
  return packets;
}

/// Room for a typical packet, so the text is not reallocated as it grows.
constexpr std::size_t kTextReserve = 128;

}  // namespace

EncodedMessage encode_message(const sio::Packet& packet) {
  std::string text;
  text.reserve(kTextReserve);
  text += '4';  // the Engine.IO MESSAGE type, written in place
  std::vector<std::string> attachments;
  sio::encode(packet, text, attachments);
  return frame_message(std::move(text), attachments);
}

EncodedMessage encode_event_message(const std::string& nsp, const Args& packet, std::optional<std::uint64_t> id) {
  std::string text;
  text.reserve(kTextReserve);
  text += '4';
  std::vector<std::string> attachments;
  sio::encode_array(false, nsp, id, packet, text, attachments);
  return frame_message(std::move(text), attachments);
}

Args make_event_packet(std::string event, Args args) {
  if (sio::is_reserved_event(event)) throw std::invalid_argument("\"" + event + "\" is a reserved event name");
  Args packet;
  packet.reserve(args.size() + 1);
  packet.emplace_back(std::move(event));
  for (auto& arg : args) packet.push_back(std::move(arg));
  return packet;
}

Client::Client(std::shared_ptr<ServerCore> server, std::shared_ptr<engine::SessionImpl> session)
    : server_(std::move(server)),
      session_(std::move(session)),
      // Each frame is already bounded by maxPayload; a packet may carry
      // max_attachments of them, as Node allows, and no more.
      decoder_(sio::DecoderLimits{server_->options().max_attachments,
                                  (server_->options().max_attachments + 1) * server_->options().max_http_buffer_size}) {}

void Client::start() {
  // These handlers hold the client; the session drops them when it closes.
  auto self = shared_from_this();
  session_->on_message([self](std::string data, bool binary) { self->on_message(std::move(data), binary); });
  session_->on_close([self](engine::CloseReason reason) { self->on_engine_close(reason); });
  connect_timer_ = std::make_unique<asio::steady_timer>(session_->strand());
  connect_timer_->expires_after(server_->options().connect_timeout);
  connect_timer_->async_wait([weak = weak_from_this()](const std::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock(); self && self->sockets_.empty() && self->open_) self->session_->close();
  });
}

void Client::on_message(std::string data, bool binary) {
  if (!open_) return;
  std::optional<sio::Packet> packet;
  std::error_code ec = binary ? decoder_.add_binary(data, packet) : decoder_.add_text(data, packet);
  if (ec) {
    fail(ec.message().c_str());
    return;
  }
  if (packet) on_packet(std::move(*packet));
}

void Client::fail(const char* why) {
  server_->log(LogLevel::debug, std::string("closing connection: ") + why);
  session_->abort(engine::CloseReason::parse_error);
}

void Client::on_packet(sio::Packet packet) {
  if (packet.type == sio::PacketType::connect) {
    if (find_socket(packet.nsp)) return;
    Json auth = packet.data && packet.data->is_object() ? std::move(*packet.data) : Json::object({});
    Namespace* nsp = server_->resolve(packet.nsp, auth);
    if (!nsp) {
      sio::Packet refusal;
      refusal.type = sio::PacketType::connect_error;
      refusal.nsp = packet.nsp;
      refusal.data = Json::object({{"message", "Invalid namespace"}});
      send_packet(refusal);
      return;
    }
    nsp->add(shared_from_this(), std::move(auth));
    return;
  }
  SocketPtr* found = find_socket(packet.nsp);
  if (!found) return;  // not connected to that namespace: ignored, as in Node
  SocketPtr socket = *found;
  switch (packet.type) {
    case sio::PacketType::event:
    case sio::PacketType::binary_event:
      socket->on_event(take_args(packet.data), packet.id);
      break;
    case sio::PacketType::ack:
    case sio::PacketType::binary_ack:
      if (packet.id) socket->on_ack(*packet.id, take_args(packet.data));
      break;
    case sio::PacketType::disconnect:
      socket->on_close(DisconnectReason::client_namespace_disconnect);
      break;
    default:
      break;
  }
}

void Client::send(const EncodedMessage& message, bool is_volatile) {
  if (!open_) return;
  session_->send_batch(*message, is_volatile);
}

void Client::send_packet(const sio::Packet& packet) {
  if (!open_) return;
  std::string text;
  text.reserve(kTextReserve);
  text += '4';
  std::vector<std::string> attachments;
  sio::encode(packet, text, attachments);
  send_encoded(std::move(text), attachments);
}

void Client::send_array(bool ack, const std::string& nsp, std::optional<std::uint64_t> id, const Json::Array& args) {
  if (!open_) return;
  std::string text;
  text.reserve(kTextReserve);
  text += '4';
  std::vector<std::string> attachments;
  sio::encode_array(ack, nsp, id, args, text, attachments);
  send_encoded(std::move(text), attachments);
}

void Client::send_encoded(std::string text, std::vector<std::string>& attachments) {
  // Taken out of the member while in use: a send can close the session,
  // whose handlers may send again (they then get a vector of their own).
  std::vector<engine::EncodedPacket> packets;
  packets.swap(outgoing_);
  packets.clear();
  packets.push_back(transport::make_ws_packet(std::move(text), false));
  for (auto& attachment : attachments) packets.push_back(transport::make_ws_packet(std::move(attachment), true));
  session_->send_batch(packets, false);
  packets.clear();
  if (packets.capacity() > outgoing_.capacity()) outgoing_.swap(packets);
}

SocketPtr* Client::find_socket(std::string_view nsp) noexcept {
  for (auto& socket : sockets_) {
    if (socket->nsp().name() == nsp) return &socket;
  }
  return nullptr;
}

void Client::attach(const SocketPtr& socket) {
  if (SocketPtr* existing = find_socket(socket->nsp().name())) {
    *existing = socket;
  } else {
    sockets_.push_back(socket);
  }
  // Destroying the timer cancels its wait; a connected client keeps none.
  connect_timer_.reset();
}

void Client::detach(const std::string& nsp) {
  sockets_.erase(std::remove_if(sockets_.begin(), sockets_.end(),
                                [&](const SocketPtr& socket) { return socket->nsp().name() == nsp; }),
                 sockets_.end());
  if (sockets_.empty()) std::vector<SocketPtr>().swap(sockets_);
}

void Client::disconnect_all() {
  auto sockets = sockets_;
  for (auto& socket : sockets) {
    sio::Packet out;
    out.type = sio::PacketType::disconnect;
    out.nsp = socket->nsp().name();
    send_packet(out);
    socket->on_close(DisconnectReason::server_namespace_disconnect);
  }
  session_->close();
}

void Client::on_engine_close(engine::CloseReason reason) {
  open_ = false;
  connect_timer_.reset();
  auto sockets = std::move(sockets_);
  sockets_.clear();
  for (auto& socket : sockets) socket->on_close(disconnect_reason(reason));
}

}  // namespace socketio::detail

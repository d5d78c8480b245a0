#include "transport/polling_transport.hpp"

#include <utility>

namespace socketio::transport {

using engine::EncodedPacket;
using engine::Packet;
using engine::PacketType;

HttpResponse polling_response(int status, std::string body, std::string_view content_type) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  if (!content_type.empty()) response.headers.emplace_back("Content-Type", std::string(content_type));
  // Polling answers must never be cached by a browser or a proxy.
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

PollingTransport::~PollingTransport() {
  // A deferred response never times out on its own: never leave one parked.
  if (poll_) answer_poll("6");
}

void PollingTransport::on_request(const HttpExchangePtr& exchange) {
  const auto& method = exchange->request().method;
  if (method == "GET") {
    on_poll(exchange);
  } else if (method == "POST") {
    on_data(exchange);
  } else {
    exchange->respond(polling_response(500, {}, {}));
  }
}

void PollingTransport::on_poll(const HttpExchangePtr& exchange) {
  if (closed_) {
    exchange->respond(polling_response(400, {}, {}));
    return;
  }
  if (poll_) {
    // One GET at a time keeps packets in order; a second one closes the
    // session, as in Node (the first GET then carries CLOSE).
    exchange->respond(polling_response(400, {}, {}));
    if (auto s = sink()) s->on_transport_error(*this, "overlap from client");
    return;
  }
  poll_ = exchange;
  if (auto s = sink()) s->on_transport_ready(*this);
}

void PollingTransport::on_data(const HttpExchangePtr& exchange) {
  auto s = sink();
  const std::string* content_type = exchange->request().header("content-type");
  if (content_type && *content_type == "application/octet-stream") {
    // v4 sends binary as base64 text; a binary body is a v3 client or garbage.
    exchange->respond(polling_response(400, {}, {}));
    if (s) s->on_transport_error(*this, "invalid content");
    return;
  }
  const std::string& body = exchange->body();
  if (body.size() > max_payload_) {
    // The session ends, but the parked GET is released with NOOP rather
    // than CLOSE, so the client reports the 413 as a transport error, as it
    // does with Node (which leaves the session to its ping timeout).
    if (poll_) answer_poll("6");
    exchange->respond(polling_response(413, {}, {}));
    if (s) s->on_transport_error(*this, "payload too large");
    return;
  }
  std::vector<Packet> packets;
  if (engine::decode_payload(body, packets)) {
    exchange->respond(polling_response(400, {}, {}));
    if (s) s->on_transport_parse_error(*this);
    return;
  }
  if (s) {
    for (auto& packet : packets) {
      if (packet.type == PacketType::close) {
        // The client is leaving: release its parked GET (Node answers NOOP).
        if (poll_) answer_poll("6");
        closed_ = true;
        s->on_transport_close(*this);
        break;
      }
      s->on_transport_packet(*this, std::move(packet));
    }
  }
  exchange->respond(polling_response(200, "ok", "text/html"));
}

void PollingTransport::send(const std::vector<EncodedPacket>& packets) {
  if (!poll_) return;
  std::string body;
  engine::encode_payload(packets, body);
  answer_poll(std::move(body));
}

void PollingTransport::answer_poll(std::string body) {
  HttpExchangePtr exchange = std::move(poll_);
  poll_.reset();
  exchange->respond(polling_response(200, std::move(body), "text/plain; charset=UTF-8"));
}

void PollingTransport::close() {
  if (closed_) return;
  closed_ = true;
  if (poll_) answer_poll("1");
}

void PollingTransport::discard() {
  if (poll_) answer_poll("6");
}

}  // namespace socketio::transport

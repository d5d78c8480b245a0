#pragma once
// HTTP long-polling: a GET is parked until there is something to send; a
// POST carries a '\x1e'-separated payload from the client.
//
// Threading: every member function runs on the owning session's strand.

#include <cstddef>

#include "transport/http.hpp"
#include "transport/transport.hpp"

namespace socketio::transport {

class PollingTransport final : public Transport {
 public:
  explicit PollingTransport(std::size_t max_payload) : max_payload_(max_payload) {}
  ~PollingTransport() override;

  /// A GET or POST for this session.
  void on_request(const HttpExchangePtr& exchange);

  std::string_view name() const noexcept override { return "polling"; }
  bool writable() const noexcept override { return poll_ != nullptr; }
  void send(const std::vector<engine::EncodedPacket>& packets) override;
  void close() override;
  void discard() override;

 private:
  void on_poll(const HttpExchangePtr& exchange);
  void on_data(const HttpExchangePtr& exchange);
  void answer_poll(std::string body);

  std::size_t max_payload_;
  HttpExchangePtr poll_;  ///< the parked GET, if any
  bool closed_ = false;
};

/// The response every polling answer carries (status, Content-Type, ...).
HttpResponse polling_response(int status, std::string body, std::string_view content_type);

}  // namespace socketio::transport

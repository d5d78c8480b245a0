#pragma once
// WebSocket: one Engine.IO packet per frame, binary frames raw.
//
// Threading: frames arrive on the connection's own thread (WsListener) and
// are posted to the owning session's strand; everything else runs there.
// WsConnection::send is thread-safe, so sending needs no extra hop.

#include <asio/any_io_executor.hpp>
#include <memory>

#include "transport/http.hpp"
#include "transport/transport.hpp"

namespace socketio::transport {

class WebSocketTransport final : public Transport,
                                 public WsListener,
                                 public std::enable_shared_from_this<WebSocketTransport> {
 public:
  /// `strand` is the executor of the session this transport serves.
  WebSocketTransport(WsConnectionPtr connection, asio::any_io_executor strand)
      : connection_(std::move(connection)), strand_(std::move(strand)) {}

  std::string_view name() const noexcept override { return "websocket"; }
  bool writable() const noexcept override { return !closed_; }
  void send(const std::vector<engine::EncodedPacket>& packets) override;
  void close() override;
  void discard() override {}

  // WsListener (connection thread)
  void on_ws_message(std::string payload, bool binary) override;
  void on_ws_closed(bool error) override;

 private:
  void handle_message(std::string payload, bool binary);

  WsConnectionPtr connection_;
  asio::any_io_executor strand_;
  bool closed_ = false;
};

}  // namespace socketio::transport

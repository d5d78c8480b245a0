#pragma once
// WebSocket: one Engine.IO packet per frame, binary frames raw.
//
// Threading: frames arrive on the connection's own strand (WsListener) and
// are dispatched to the owning session's strand (run at once when it is
// free, else queued in order); everything else runs there.
// WsConnection::send is thread-safe, so sending needs no extra hop.

#include <asio/io_context.hpp>
#include <asio/strand.hpp>
#include <memory>

#include "transport/http.hpp"
#include "transport/transport.hpp"

namespace socketio::transport {

class WebSocketTransport final : public Transport,
                                 public WsListener,
                                 public std::enable_shared_from_this<WebSocketTransport> {
 public:
  using Strand = asio::strand<asio::io_context::executor_type>;

  /// `strand` is the strand of the session this transport serves.
  WebSocketTransport(WsConnectionPtr connection, Strand strand)
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
  Strand strand_;
  bool closed_ = false;
};

}  // namespace socketio::transport

// The front end's listening socket: accepts connections and hands each to
// http_connection.cpp, which speaks HTTP/1.1 and WebSocket on it. Our own
// code on standalone Asio (websocketpp, used before, cost ~6 KB per idle
// connection and closed the TCP connection after every HTTP response).

#include "transport/http_frontend.hpp"

#include <asio/bind_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <utility>
#include <vector>

#include "transport/http_connection.hpp"
#include "transport/websocket_frame.hpp"

namespace socketio::transport {

namespace {

std::shared_ptr<FrontendShared> make_shared_state(std::weak_ptr<HttpFrontendHandler> handler,
                                                  HttpFrontendOptions options) {
  auto shared = std::make_shared<FrontendShared>();
  shared->handler = std::move(handler);
  shared->options = std::move(options);
  return shared;
}

}  // namespace

class HttpFrontend::Impl : public std::enable_shared_from_this<HttpFrontend::Impl> {
 public:
  Impl(asio::io_context& io, std::weak_ptr<HttpFrontendHandler> handler, HttpFrontendOptions options)
      : io_(io),
        shared_(make_shared_state(std::move(handler), std::move(options))),
        strand_(io.get_executor()),
        acceptor_(io),
        retry_timer_(io) {}

  void listen(const std::string& host, std::uint16_t port, std::error_code& ec) {
    auto address = asio::ip::make_address(host, ec);
    if (ec) return;
    const asio::ip::tcp::endpoint endpoint(address, port);
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) return;
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(1024, ec);
    if (!ec) port_ = acceptor_.local_endpoint(ec).port();
    if (ec) {
      std::error_code ignored;
      acceptor_.close(ignored);
      return;
    }
    // The accept loop runs in the io_context from here on; stop() closes
    // the acceptor there too, so the two never race.
    asio::post(strand_, [self = shared_from_this()] { self->accept(); });
  }

  std::uint16_t port() const noexcept { return port_; }

  void stop() {
    shared_->stopped.store(true);
    // Persistent connections waiting for their next request close now;
    // ones answering a request close after their response.
    std::vector<std::shared_ptr<HttpConnectionBase>> idle;
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      for (const auto& [key, weak] : shared_->http_connections) {
        if (auto con = weak.lock()) idle.push_back(std::move(con));
      }
    }
    for (const auto& con : idle) con->close_if_idle();
    asio::post(strand_, [self = shared_from_this()] {
      self->stopped_ = true;
      std::error_code ec;
      self->acceptor_.close(ec);
      self->retry_timer_.cancel();
    });
  }

 private:
  // Everything that touches acceptor_ (accept, its completion, stop) runs
  // on strand_, so an io_context on several threads never closes the
  // acceptor while an accept is being started.
  void accept() {
    if (stopped_ || !acceptor_.is_open()) return;
    acceptor_.async_accept(io_, asio::bind_executor(strand_, [self = shared_from_this()](
                                          std::error_code ec, TcpSocket socket) {
      if (!ec) {
        start_connection(self->io_, std::move(socket), self->shared_);
        self->accept();
        return;
      }
      if (ec == asio::error::operation_aborted || self->stopped_) return;
      // Out of descriptors and the like: try again shortly instead of
      // spinning.
      if (self->shared_->options.log) {
        self->shared_->options.log(LogLevel::warning, "accept failed: " + ec.message());
      }
      self->retry_timer_.expires_after(std::chrono::milliseconds(100));
      self->retry_timer_.async_wait(asio::bind_executor(self->strand_, [self](std::error_code wait_ec) {
        if (!wait_ec) self->accept();
      }));
    }));
  }

  asio::io_context& io_;
  std::shared_ptr<FrontendShared> shared_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  bool stopped_ = false;
  std::uint16_t port_ = 0;
};

engine::EncodedPacket make_ws_packet(std::string bytes, bool binary) {
  engine::EncodedPacket packet;
  packet.binary = binary;
  if (!binary && !engine::is_valid_utf8(bytes)) {
    packet.bytes = std::make_shared<const std::string>(std::move(bytes));
    return packet;
  }
  auto frame = std::make_shared<ws::PreparedFrame>();
  frame->payload = std::move(bytes);
  frame->header_size = static_cast<std::uint8_t>(
      ws::encode_frame_header(binary ? ws::binary : ws::text, frame->payload.size(), frame->header));
  packet.bytes = std::shared_ptr<const std::string>(frame, &frame->payload);
  packet.ws_frame = std::move(frame);
  return packet;
}

HttpFrontend::HttpFrontend(asio::io_context& io, std::weak_ptr<HttpFrontendHandler> handler,
                           HttpFrontendOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(handler), std::move(options))) {}

HttpFrontend::~HttpFrontend() = default;

void HttpFrontend::listen(const std::string& host, std::uint16_t port, std::error_code& ec) {
  impl_->listen(host, port, ec);
}

std::uint16_t HttpFrontend::port() const noexcept { return impl_->port(); }

void HttpFrontend::stop() { impl_->stop(); }

}  // namespace socketio::transport

#include "transport/http_connection.hpp"

#include <array>
#include <asio/bind_executor.hpp>
#include <asio/dispatch.hpp>
#include <asio/io_context_strand.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <optional>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "engineio/packet.hpp"
#include "transport/http_request_parser.hpp"
#include "transport/url.hpp"
#include "transport/websocket_frame.hpp"
#include "transport/websocket_reader.hpp"

namespace socketio::transport {
namespace {

using Clock = std::chrono::steady_clock;

/// A request head must arrive within this long of its first byte (or of the
/// connection's start): slow-head (slowloris) clients are closed.
constexpr auto head_timeout = std::chrono::seconds(10);
/// A persistent connection with no request in progress is closed after
/// this long, as Node's server.keepAliveTimeout (5 s).
constexpr auto keep_alive_timeout = std::chrono::seconds(5);
/// After we send a close frame, how long we wait for the peer's.
constexpr auto close_timeout = std::chrono::seconds(5);

/// Bytes an idle connection's pending receive can take. The receive is
/// where an idle connection waits; its buffer is part of the connection, so
/// it is small. A message that fits costs one recv and no EAGAIN (a short
/// read tells Asio the socket is drained); a longer one continues into the
/// per-thread buffer below and costs a recv more plus the EAGAIN of the next
/// wait. 128 bytes holds a typical Socket.IO event with its frame header
/// (the benchmark's echo message is 76).
constexpr std::size_t inline_read_size = 128;
/// Where the rest of a read lands: one per thread, not per connection.
constexpr std::size_t scratch_size = 64 * 1024;
char* scratch() {
  thread_local std::unique_ptr<char[]> buffer(new char[scratch_size]);
  return buffer.get();
}

class Connection;

/// What the transports hold for a WebSocket: a weak reference, because the
/// connection owns (through its listener) the transport that owns this.
class WsHandle final : public WsConnection {
 public:
  explicit WsHandle(std::weak_ptr<Connection> con) : con_(std::move(con)) {}
  void send(const engine::EncodedPacket* packets, std::size_t count) override;
  void close(std::uint16_t code, std::string_view reason) override;

 private:
  std::weak_ptr<Connection> con_;
};

/// One frame waiting to be written: the packet keeps the payload alive
/// (shared, never copied), the header is ours.
struct OutFrame {
  engine::EncodedPacket packet;
  std::uint8_t header[ws::max_server_header_size];
  std::uint8_t header_size = 0;

  std::size_t size() const noexcept { return header_size + packet.bytes->size(); }
};

/// An HTTP response (or 101 plus greeting) being written.
struct HttpOut {
  std::string head;
  std::string body;
};

/// The timers here use the io_context's executor type too (see TcpSocket).
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>,
                                         asio::io_context::executor_type>;

class Connection final : public HttpConnectionBase,
                         public std::enable_shared_from_this<Connection>,
                         private ws::ReaderSink {
 public:
  Connection(asio::io_context& io, TcpSocket socket, std::shared_ptr<FrontendShared> shared)
      : strand_(io), shared_(std::move(shared)), socket_(std::move(socket)), reader_(shared_->options.max_message_size) {}

  ~Connection() override { unregister(); }

  void start() {
    std::error_code ec;
    // Reads past the inline buffer are synchronous and must not block.
    socket_.non_blocking(true, ec);
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    timer_ = std::make_unique<Timer>(socket_.get_executor());
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      shared_->http_connections.emplace(this, weak_from_this());
    }
    registered_ = true;
    // A stop() that ran before we registered would not have seen us.
    if (shared_->stopped.load()) {
      terminate(false);
      return;
    }
    arm_timer(head_timeout);
    arm_read();
  }

  void close_if_idle() override {
    asio::post(strand_, [self = shared_from_this()] {
      if (self->mode_ == Mode::http) self->terminate(false);
    });
  }

  // ---- HTTP exchange support (called on the strand) ----

  void write_response(HttpResponse response, const HttpHeaders& extra, bool head_only) {
    if (mode_ != Mode::http_busy) return;
    if (shared_->stopped.load(std::memory_order_relaxed)) close_after_response_ = true;
    // Handler headers, then the exchange's extra ones; a repeated name keeps
    // the last value.
    HttpHeaders headers = std::move(response.headers);
    for (const auto& [name, value] : extra) set_header(headers, name, value);
    bool has_length = false;
    for (const auto& header : headers) has_length = has_length || iequals(header.first, "content-length");
    auto out = std::make_unique<HttpOut>();
    std::string& head = out->head;
    head.reserve(128);
    head += "HTTP/1.1 ";
    head += std::to_string(response.status);
    head += ' ';
    head += http_reason_phrase(response.status);
    head += "\r\n";
    for (const auto& [name, value] : headers) {
      head += name;
      head += ": ";
      head += value;
      head += "\r\n";
    }
    // Always a length, also for an empty body: it delimits the response on
    // a persistent connection.
    if (!has_length) {
      head += "Content-Length: ";
      head += std::to_string(response.body.size());
      head += "\r\n";
    }
    if (close_after_response_) {
      head += "Connection: close\r\n";
    } else {
      // As Node's server: tells pooling clients (Node's agent, browsers)
      // when we drop an idle connection, so they stop reusing it before
      // and do not race our keep-alive timeout with a new request.
      head += "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n";
    }
    head += "\r\n";
    if (!head_only) out->body = std::move(response.body);
    write_http(std::move(out), [](Connection& self) { self.after_response(); });
  }

  // ---- WebSocket support (called on the strand) ----

  void send_packets(const engine::EncodedPacket* packets, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) send_packet(packets[i]);
  }

  void start_close(std::uint16_t code, std::string_view reason) {
    if (mode_ != Mode::websocket || close_sent_) return;
    deliver_ = false;  // the transport is done with us
    send_close(code, reason);
    // Wait a while for the peer's close frame, then give up.
    timer_ = std::make_unique<Timer>(socket_.get_executor());
    arm_timer(close_timeout);
  }

  /// Sends from foreign threads, handed over through the strand and not yet
  /// run: a send on the strand may run inline only when this is zero.
  std::atomic<std::uint32_t> dispatched_{0};
  asio::io_context::strand strand_;

 private:
  enum class Mode : std::uint8_t { http, http_busy, upgrading, websocket, closed };

  // ---- reading ----

  void arm_read() {
    socket_.async_receive(asio::buffer(inline_read_),
                          asio::bind_executor(strand_, [self = shared_from_this()](std::error_code ec, std::size_t n) {
                            self->on_read(ec, n);
                          }));
  }

  void on_read(std::error_code ec, std::size_t n) {
    if (mode_ == Mode::closed) return;
    if (ec) {
      terminate(false);
      return;
    }
    if (n < sizeof inline_read_) {
      // The receive did not fill its buffer: the socket is drained.
      on_bytes(inline_read_, n);
    } else {
      // More may be waiting: continue into this thread's buffer, reading
      // until the socket has nothing left or the buffer is full.
      char* buf = scratch();
      std::memcpy(buf, inline_read_, n);
      bool more = true;
      bool eof = false;
      while (more && mode_ != Mode::closed) {
        std::error_code rec;
        const std::size_t got = socket_.read_some(asio::buffer(buf + n, scratch_size - n), rec);
        n += got;
        if (rec) {
          more = false;
          eof = rec != asio::error::would_block && rec != asio::error::try_again;
        } else if (n < scratch_size) {
          more = false;  // a short read: drained
        }
        if (n == scratch_size || !more) {
          on_bytes(buf, n);
          n = 0;
        }
        if (!reading()) return;
      }
      if (eof) {
        terminate(false);
        return;
      }
    }
    if (reading()) arm_read();
  }

  /// Whether the connection wants more bytes now (not while a request is
  /// being answered or after it closed).
  bool reading() const noexcept { return mode_ == Mode::http || mode_ == Mode::websocket; }

  void on_bytes(char* data, std::size_t n) {
    if (n == 0) return;
    if (mode_ == Mode::websocket) {
      reader_.feed(data, n, *this);
    } else if (mode_ == Mode::http) {
      on_http_bytes(data, n);
    }
  }

  // ---- HTTP ----

  void on_http_bytes(char* data, std::size_t n) {
    if (!parser_) {
      parser_ = std::make_unique<HttpRequestParser>(
          HttpRequestParser::Limits{16 * 1024, shared_->options.max_body_size});
    }
    const bool was_started = parser_->started();
    const std::size_t used = parser_->feed(std::string_view(data, n));
    if (!was_started && parser_->started() && idle_timer_armed_) arm_timer(head_timeout);
    switch (parser_->state()) {
      case HttpRequestParser::State::error:
        fail_http(parser_->error_status());
        return;
      case HttpRequestParser::State::done:
        // Requests are answered one at a time; keep what follows for later.
        if (used < n) pending_.append(data + used, n - used);
        handle_request();
        return;
      case HttpRequestParser::State::body:
        cancel_timer();  // the head is complete
        return;
      case HttpRequestParser::State::head:
        return;
    }
  }

  void fail_http(int status) {
    close_after_response_ = true;
    mode_ = Mode::http_busy;
    write_response(HttpResponse{status, {}, {}}, {}, false);
  }

  void handle_request() {
    cancel_timer();
    HttpRequestHead& head = parser_->head();
    mode_ = Mode::http_busy;
    // HTTP/1.0 and "Connection: close" end the connection after the response.
    close_after_response_ = head.minor_version == 0 || head.has_token("connection", "close");
    const std::string* upgrade = head.find("upgrade");
    if (upgrade && head.has_token("upgrade", "websocket")) {
      handle_upgrade();
      return;
    }
    engine::RequestInfo info = request_info(head);
    const bool head_only = head.method == "HEAD";
    auto exchange = std::make_shared<Exchange>(shared_from_this(), std::move(info), std::move(parser_->body()),
                                               head_only);
    parser_->reset();
    auto handler = shared_->handler.lock();
    if (!handler) {
      exchange->respond(HttpResponse{503, {}, {}});
      return;
    }
    try {
      handler->on_http_request(std::move(exchange));
    } catch (const std::exception& e) {
      log(LogLevel::error, std::string("HTTP handler threw: ") + e.what());
    }
  }

  void after_response() {
    if (close_after_response_ || shared_->stopped.load()) {
      graceful_close();
      return;
    }
    mode_ = Mode::http;
    arm_timer(keep_alive_timeout);
    idle_timer_armed_ = true;
    if (!pending_.empty()) {
      std::string bytes = std::move(pending_);
      pending_ = std::string();
      on_http_bytes(bytes.data(), bytes.size());
      if (!reading()) return;
    }
    arm_read();
  }

  template <typename Then>
  void write_http(std::unique_ptr<HttpOut> out, Then then) {
    // As for WebSocket frames (enqueue): one non-blocking send first, which
    // nearly always takes the whole response. `then` still runs later, on
    // the strand, as it would after an asynchronous write; the response's
    // buffers are gone by then.
    std::error_code send_error;
    const std::size_t sent = socket_.send(
        std::array<asio::const_buffer, 2>{asio::buffer(out->head), asio::buffer(out->body)}, 0, send_error);
    if (sent == out->head.size() + out->body.size()) {
      out.reset();
      asio::post(strand_, [self = shared_from_this(), then]() mutable {
        if (self->mode_ == Mode::closed) return;
        then(*self);
      });
      return;
    }
    const std::size_t head_sent = std::min(sent, out->head.size());
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(out->head) + head_sent,
                                                    asio::buffer(out->body) + (sent - head_sent)};
    asio::async_write(socket_, buffers,
                      asio::bind_executor(strand_, [self = shared_from_this(), out = std::move(out), then](
                                                       std::error_code ec, std::size_t) mutable {
                        out.reset();
                        if (self->mode_ == Mode::closed) return;
                        if (ec) {
                          self->terminate(false);
                          return;
                        }
                        then(*self);
                      }));
  }

  static void set_header(HttpHeaders& headers, const std::string& name, const std::string& value) {
    for (auto& header : headers) {
      if (iequals(header.first, name)) {
        header.second = value;
        return;
      }
    }
    headers.emplace_back(name, value);
  }

  engine::RequestInfo request_info(HttpRequestHead& head) {
    engine::RequestInfo info;
    info.method = std::move(head.method);
    info.url = std::move(head.target);
    const std::string_view target = info.url;
    const std::size_t question = target.find('?');
    info.path = percent_decode(target.substr(0, question), false);
    if (question != std::string_view::npos) info.query = parse_query(target.substr(question + 1));
    StringMap::container_type headers;
    headers.reserve(head.headers.size());
    for (auto& [name, value] : head.headers) {
      std::string lower = std::move(name);
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      headers.emplace_back(std::move(lower), std::move(value));
    }
    info.headers = StringMap(std::move(headers));  // sorted once; a repeated name keeps its last value
    std::error_code ec;
    auto remote = socket_.remote_endpoint(ec);
    if (!ec) {
      auto address = remote.address();
      // Node reports IPv4 peers on a dual-stack socket as "::ffff:a.b.c.d";
      // we report the plain IPv4 address, which is what users compare against.
      if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        info.remote_address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
      } else {
        info.remote_address = address.to_string();
      }
    }
    info.secure = false;
    info.time = std::chrono::system_clock::now();
    return info;
  }

  // ---- WebSocket handshake ----

  void handle_upgrade() {
    HttpRequestHead& head = parser_->head();
    // A refused or failed upgrade ends the connection, as before.
    close_after_response_ = true;
    const std::string* key = head.find("sec-websocket-key");
    const std::string* version = head.find("sec-websocket-version");
    if (head.method != "GET" || head.minor_version != 1 || !head.has_token("connection", "upgrade") || !key ||
        key->empty()) {
      write_response(HttpResponse{400, {}, {}}, {}, false);
      return;
    }
    if (!version || *version != "13") {
      write_response(HttpResponse{426, {{"Sec-WebSocket-Version", "13"}}, {}}, {}, false);
      return;
    }
    const std::string accept = ws::websocket_accept_key(*key);
    engine::RequestInfo info = request_info(head);
    parser_.reset();
    auto handler = shared_->handler.lock();
    if (!handler) {
      write_response(HttpResponse{503, {}, {}}, {}, false);
      return;
    }
    std::optional<HttpResponse> refusal;
    WsGreeting greeting;
    try {
      refusal = handler->validate_websocket(info, greeting);
    } catch (const std::exception& e) {
      log(LogLevel::error, std::string("WebSocket validation threw: ") + e.what());
      refusal = HttpResponse{500, {}, {}};
    }
    if (refusal) {
      write_response(std::move(*refusal), {}, false);
      return;
    }
    mode_ = Mode::upgrading;
    auto out = std::make_unique<HttpOut>();
    out->head.reserve(160);
    out->head +=
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Accept: ";
    out->head += accept;
    out->head += "\r\n\r\n";
    if (!greeting.text.empty()) {
      // The greeting goes out in the same write as the 101.
      std::uint8_t header[ws::max_server_header_size];
      const std::size_t n = ws::encode_frame_header(ws::text, greeting.text.size(), header);
      out->body.reserve(n + greeting.text.size());
      out->body.append(reinterpret_cast<const char*>(header), n);
      out->body += greeting.text;
    }
    auto pending = std::make_shared<std::pair<engine::RequestInfo, WsGreeting>>(std::move(info), std::move(greeting));
    write_http(std::move(out), [pending](Connection& self) {
      self.open_websocket(std::move(pending->first), std::move(pending->second));
    });
  }

  void open_websocket(engine::RequestInfo info, WsGreeting greeting) {
    mode_ = Mode::websocket;
    unregister();
    // Nothing of the HTTP phase stays with an open WebSocket.
    timer_.reset();
    parser_.reset();
    std::shared_ptr<WsListener> listener;
    try {
      auto handler = shared_->handler.lock();
      if (handler) {
        listener = handler->on_websocket_open(std::make_shared<WsHandle>(weak_from_this()), std::move(info),
                                              std::move(greeting));
      }
    } catch (const std::exception& e) {
      log(LogLevel::error, std::string("WebSocket open handler threw: ") + e.what());
    }
    if (mode_ != Mode::websocket) return;
    if (!listener) {
      start_close(ws::close_normal, "");
    } else {
      listener_ = std::move(listener);
    }
    if (!pending_.empty()) {
      // Frames that came in right behind the upgrade request.
      std::string bytes = std::move(pending_);
      pending_ = std::string();
      reader_.feed(bytes.data(), bytes.size(), *this);
    }
    if (reading()) arm_read();
  }

  // ---- WebSocket frames in (ReaderSink) ----

  void on_message(std::string payload, bool binary) override {
    if (deliver_ && listener_) listener_->on_ws_message(std::move(payload), binary);
  }

  void on_ping(std::string_view payload) override {
    if (close_sent_) return;
    enqueue_control(ws::pong, std::string(payload));
  }

  void on_close(std::uint16_t code, std::string_view) override {
    if (close_sent_) {
      // The answer to our close: done.
      terminate(false);
      return;
    }
    // Echo the peer's close (its code, or none), then end the connection.
    deliver_ = false;
    close_sent_ = true;
    enqueue_control(ws::close, code == 0 ? std::string() : ws::close_payload(code, ""));
    close_after_write_ = true;
    if (!writing_) terminate(false);
  }

  void on_protocol_error(std::uint16_t code, std::string_view reason) override { fail_websocket(code, reason); }

  /// Closes because the peer broke the rules: reported as an error.
  void fail_websocket(std::uint16_t code, std::string_view reason) {
    if (mode_ != Mode::websocket) return;
    error_ = true;
    deliver_ = false;
    if (!close_sent_) {
      close_sent_ = true;
      // A slow consumer's queue is dropped: its close frame goes out alone.
      if (code == ws::close_policy_violation) std::vector<OutFrame>().swap(queue_);
      enqueue_control(ws::close, ws::close_payload(code, reason));
    }
    close_after_write_ = true;
    if (!writing_) terminate(true);
  }

  // ---- WebSocket frames out ----

  void send_packet(const engine::EncodedPacket& packet) {
    if (mode_ != Mode::websocket || close_sent_ || !packet.bytes) return;
    OutFrame frame{packet, {}, 0};
    if (packet.ws_frame) {
      const auto& prepared = *static_cast<const ws::PreparedFrame*>(packet.ws_frame.get());
      std::memcpy(frame.header, prepared.header, prepared.header_size);
      frame.header_size = prepared.header_size;
    } else {
      // Text that is not UTF-8 must not go out as a text frame; it is
      // dropped, as before.
      if (!packet.binary && !engine::is_valid_utf8(*packet.bytes)) return;
      frame.header_size = static_cast<std::uint8_t>(
          ws::encode_frame_header(packet.binary ? ws::binary : ws::text, packet.bytes->size(), frame.header));
    }
    enqueue(std::move(frame));
    if (buffered_ > shared_->options.max_buffered_bytes) fail_websocket(ws::close_policy_violation, "slow consumer");
  }

  void enqueue_control(std::uint8_t opcode, std::string payload) {
    OutFrame frame;
    frame.packet.binary = true;
    frame.header_size = static_cast<std::uint8_t>(ws::encode_frame_header(opcode, payload.size(), frame.header));
    frame.packet.bytes = std::make_shared<const std::string>(std::move(payload));
    enqueue(std::move(frame));
  }

  void enqueue(OutFrame frame) {
    buffered_ += frame.size();
    if (writing_) {
      queue_.push_back(std::move(frame));
      return;
    }
    // Idle: nothing is queued or in flight, so the frame may go out now.
    // Most frames fit in the socket's send buffer: one non-blocking send
    // finishes them without an asynchronous write and its completion's trip
    // through the scheduler and the strand (a tenth of the user-space
    // instructions of an echo round trip). Whatever is left, and any error, takes the
    // asynchronous path, which reports errors the usual way.
    const std::size_t size = frame.size();
    std::error_code ec;
    const std::size_t sent =
        socket_.send(std::array<asio::const_buffer, 2>{asio::buffer(frame.header, frame.header_size),
                                                        asio::buffer(*frame.packet.bytes)},
                     0, ec);
    buffered_ -= std::min(buffered_, sent);
    if (sent == size) return;
    current_ = std::move(frame);
    writing_ = true;
    const std::size_t header_left = sent < current_.header_size ? current_.header_size - sent : 0;
    const std::size_t payload_sent = sent - (current_.header_size - header_left);
    const std::array<asio::const_buffer, 2> buffers{
        asio::buffer(current_.header + (current_.header_size - header_left), header_left),
        asio::buffer(*current_.packet.bytes) + payload_sent};
    asio::async_write(socket_, buffers,
                      asio::bind_executor(strand_, [self = shared_from_this()](std::error_code ec, std::size_t n) {
                        self->on_written(ec, n);
                      }));
  }

  void write_batch() {
    // Everything queued goes out in one gather write.
    batch_.swap(queue_);
    buffers_.clear();
    buffers_.reserve(batch_.size() * 2);
    for (const auto& frame : batch_) {
      buffers_.push_back(asio::buffer(frame.header, frame.header_size));
      buffers_.push_back(asio::buffer(*frame.packet.bytes));
    }
    writing_ = true;
    asio::async_write(socket_, buffers_,
                      asio::bind_executor(strand_, [self = shared_from_this()](std::error_code ec, std::size_t n) {
                        self->on_written(ec, n);
                      }));
  }

  void on_written(std::error_code ec, std::size_t n) {
    writing_ = false;
    buffered_ -= std::min(buffered_, n);
    current_ = OutFrame{};
    batch_.clear();
    if (mode_ == Mode::closed) return;
    if (ec) {
      terminate(false);
      return;
    }
    if (!queue_.empty()) {
      write_batch();
      return;
    }
    // Idle again: hold no queue memory.
    std::vector<OutFrame>().swap(queue_);
    std::vector<OutFrame>().swap(batch_);
    std::vector<asio::const_buffer>().swap(buffers_);
    if (close_after_write_) terminate(error_);
  }

  void send_close(std::uint16_t code, std::string_view reason) {
    close_sent_ = true;
    enqueue_control(ws::close, ws::close_payload(code, reason));
  }

  // ---- timers and shutdown ----

  void arm_timer(Clock::duration after) {
    if (!timer_) return;
    idle_timer_armed_ = false;
    const std::uint32_t generation = ++timer_generation_;
    timer_->expires_after(after);
    timer_->async_wait(asio::bind_executor(strand_, [self = shared_from_this(), generation](std::error_code ec) {
      if (ec || generation != self->timer_generation_ || self->mode_ == Mode::closed) return;
      self->on_timeout();
    }));
  }

  void cancel_timer() {
    if (!timer_) return;
    ++timer_generation_;
    timer_->cancel();
  }

  void on_timeout() {
    // Waiting for a request (or the rest of one), or for the peer's close.
    if (mode_ == Mode::http || mode_ == Mode::websocket) terminate(mode_ == Mode::websocket && error_);
  }

  /// Ends the connection after a final HTTP response.
  void graceful_close() {
    std::error_code ec;
    socket_.shutdown(TcpSocket::shutdown_send, ec);
    terminate(false);
  }

  void unregister() {
    if (!registered_) return;
    registered_ = false;
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->http_connections.erase(this);
  }

  void terminate(bool error) {
    if (mode_ == Mode::closed) return;
    unregister();
    const bool was_websocket = mode_ == Mode::websocket;
    mode_ = Mode::closed;
    std::error_code ec;
    socket_.close(ec);
    if (timer_) timer_->cancel();
    timer_.reset();
    parser_.reset();
    std::string().swap(pending_);
    std::vector<OutFrame>().swap(queue_);
    auto listener = std::move(listener_);
    listener_.reset();
    if (was_websocket && listener) {
      try {
        listener->on_ws_closed(error);
      } catch (const std::exception& e) {
        log(LogLevel::error, std::string("WebSocket close handler threw: ") + e.what());
      }
    }
  }

  void log(LogLevel level, std::string_view message) {
    if (shared_->options.log) shared_->options.log(level, message);
  }

  // ---- HTTP exchange ----

  class Exchange final : public HttpExchange {
   public:
    Exchange(std::shared_ptr<Connection> con, engine::RequestInfo request, std::string body, bool head_only)
        : con_(std::move(con)), request_(std::move(request)), body_(std::move(body)), head_only_(head_only) {}

    ~Exchange() override {
      // A parked response never times out by itself: never leave one open.
      if (!responded_.exchange(true)) {
        asio::post(con_->strand_, [con = con_, head_only = head_only_] {
          con->write_response(HttpResponse{500, {}, {}}, {}, head_only);
        });
      }
    }

    const engine::RequestInfo& request() const noexcept override { return request_; }
    const std::string& body() const noexcept override { return body_; }

    void respond(HttpResponse response) override {
      if (responded_.exchange(true)) return;
      // The connection is only touched on its strand.
      asio::post(con_->strand_, [con = con_, response = std::move(response), extra = extra_headers,
                                 head_only = head_only_]() mutable {
        con->write_response(std::move(response), extra, head_only);
      });
    }

   private:
    std::shared_ptr<Connection> con_;
    engine::RequestInfo request_;
    std::string body_;
    bool head_only_;
    std::atomic<bool> responded_{false};
  };

  std::shared_ptr<FrontendShared> shared_;
  TcpSocket socket_;
  /// HTTP phase (and a WebSocket we are closing) only.
  std::unique_ptr<Timer> timer_;
  /// HTTP phase only.
  std::unique_ptr<HttpRequestParser> parser_;
  /// Bytes read beyond the request being answered.
  std::string pending_;
  ws::Reader reader_;
  std::shared_ptr<WsListener> listener_;
  OutFrame current_;                        ///< the single frame being written
  std::vector<OutFrame> queue_;             ///< frames waiting behind it
  std::vector<OutFrame> batch_;             ///< frames of a gather write in flight
  std::vector<asio::const_buffer> buffers_; ///< that write's buffers
  std::size_t buffered_ = 0;                ///< bytes queued or being written
  std::uint32_t timer_generation_ = 0;
  Mode mode_ = Mode::http;
  bool writing_ = false;
  bool close_after_response_ = false;
  bool idle_timer_armed_ = false;
  bool close_sent_ = false;
  bool close_after_write_ = false;
  bool deliver_ = true;
  bool error_ = false;
  bool registered_ = false;  ///< in shared_->http_connections
  char inline_read_[inline_read_size];
};

/// A send from outside the strand, run on it.
struct SendJob {
  std::shared_ptr<Connection> con;
  engine::EncodedPacket first;
  std::vector<engine::EncodedPacket> more;
  void operator()() {
    con->dispatched_.fetch_sub(1, std::memory_order_acq_rel);
    con->send_packets(&first, 1);
    if (!more.empty()) con->send_packets(more.data(), more.size());
  }
};

void WsHandle::send(const engine::EncodedPacket* packets, std::size_t count) {
  if (count == 0) return;
  auto con = con_.lock();
  if (!con) return;
  // Inline when already on the strand and no earlier send of ours is still
  // waiting to run there (this one would overtake it).
  if (con->dispatched_.load(std::memory_order_acquire) == 0 && con->strand_.running_in_this_thread()) {
    con->send_packets(packets, count);
    return;
  }
  con->dispatched_.fetch_add(1, std::memory_order_acq_rel);
  SendJob job{con, packets[0], {}};
  if (count > 1) job.more.assign(packets + 1, packets + count);
  // dispatch, not post: when the strand is free and this is one of the
  // io_context's threads the write starts at once.
  auto& strand = con->strand_;
  asio::dispatch(strand, std::move(job));
}

void WsHandle::close(std::uint16_t code, std::string_view reason) {
  auto con = con_.lock();
  if (!con) return;
  // Behind any frames already handed to the strand, so they go out first.
  asio::post(con->strand_, [con, code, reason = std::string(reason)] { con->start_close(code, reason); });
}

}  // namespace

void start_connection(asio::io_context& io, TcpSocket socket,
                      std::shared_ptr<FrontendShared> shared) {
  auto con = std::make_shared<Connection>(io, std::move(socket), std::move(shared));
  asio::dispatch(con->strand_, [con] { con->start(); });
}

}  // namespace socketio::transport

// The one translation unit that includes websocketpp (see http_frontend.hpp).

#include "transport/http_frontend.hpp"

#include <algorithm>
#include <asio/io_context.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <cctype>
#include <limits>
#include <string_view>
#include <utility>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include "transport/url.hpp"

namespace socketio::transport {
namespace {

/// An accepted upgrade between validation and open.
struct PendingOpen {
  engine::RequestInfo request;
  WsGreeting greeting;
};

/// What we keep on each websocketpp connection: the accepted upgrade
/// (between validation and open) and who receives its frames.
struct ConnectionData {
  std::unique_ptr<PendingOpen> pending;
  std::shared_ptr<WsListener> listener;
  /// Keeps the front end (and its websocketpp endpoint, which connections
  /// reference) alive for as long as any connection is.
  std::shared_ptr<void> owner;
};

// websocketpp's HTTP request and response, with the members that the
// handshake calls and that it implements through iostreams and locales
// replaced by plain string code with the same results (see the
// specializations after WsppConfig). Own types rather than specializations
// for websocketpp's, so nothing here can clash with another user of
// websocketpp in the same program.

/// ASCII case-insensitive equality: how websocketpp's header map
/// (utility::ci_less, ::tolower in the "C" locale) tells names apart.
bool equal_ascii_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    // Otherwise equal only as the same letter in two cases.
    unsigned char folded = x | 0x20;
    if (folded != (y | 0x20) || folded < 'a' || folded > 'z') return false;
  }
  return true;
}

/// parser::get_header without the map's find: a handshake has a handful of
/// headers, and every step of the map's search compares two names through
/// ::tolower, character by character (most of them share "Sec-WebSocket-").
/// A scan that compares lengths first finds the same entry, or none.
const std::string& find_header(const websocketpp::http::parser::header_list& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (equal_ascii_ci(key, name)) return value;
  }
  return websocketpp::http::empty_header;
}

class Request : public websocketpp::http::parser::request {
 public:
  // Hide parser::get_header; websocketpp calls it on its config's
  // request_type. The array overload spares a std::string for literals.
  const std::string& get_header(const std::string& name) const { return find_header(m_headers, name); }
  template <std::size_t N>
  const std::string& get_header(const char (&name)[N]) const {
    return find_header(m_headers, std::string_view(name, N - 1));
  }
};

class Response : public websocketpp::http::parser::response {
 public:
  const std::string& get_header(const std::string& name) const { return find_header(m_headers, name); }
  template <std::size_t N>
  const std::string& get_header(const char (&name)[N]) const {
    return find_header(m_headers, std::string_view(name, N - 1));
  }

  /// The serialized response, as parser::response::raw() writes it (that
  /// one goes through two std::stringstreams). Hides it: websocketpp calls
  /// raw() on its config's response_type.
  std::string raw() const {
    const bool switching = get_status_code() == websocketpp::http::status_code::switching_protocols;
    std::string out;
    std::size_t size = get_version().size() + get_status_msg().size() + m_body.size() + 16;
    if (switching) size += after_switch_.size();
    for (const auto& [name, value] : m_headers) size += name.size() + value.size() + 4;
    out.reserve(size);
    out += get_version();
    out += ' ';
    out += std::to_string(static_cast<int>(get_status_code()));
    out += ' ';
    out += get_status_msg();
    out += "\r\n";
    for (const auto& [name, value] : m_headers) {
      out += name;
      out += ": ";
      out += value;
      out += "\r\n";
    }
    out += "\r\n";
    out += m_body;
    if (switching) out += after_switch_;
    return out;
  }

  /// Bytes written right behind a 101 response, in the same write: the
  /// WebSocket greeting (HttpFrontendHandler::validate_websocket). Not sent
  /// with any other status.
  void set_after_switch(std::string bytes) { after_switch_ = std::move(bytes); }

 private:
  std::string after_switch_;
};

/// An unmasked, unfragmented WebSocket text frame: what websocketpp's
/// hybi13 processor makes of a text message on a server connection without
/// extensions.
std::string websocket_text_frame(std::string_view payload) {
  std::string frame;
  frame.reserve(payload.size() + 10);
  frame += static_cast<char>(0x81);  // FIN, opcode 1 (text)
  const std::uint64_t n = payload.size();
  if (n < 126) {
    frame += static_cast<char>(n);
  } else if (n <= 0xFFFF) {
    frame += static_cast<char>(126);
    for (int shift = 8; shift >= 0; shift -= 8) frame += static_cast<char>((n >> shift) & 0xFF);
  } else {
    frame += static_cast<char>(127);
    for (int shift = 56; shift >= 0; shift -= 8) frame += static_cast<char>((n >> shift) & 0xFF);
  }
  frame += payload;
  return frame;
}

struct WsppConfig : websocketpp::config::asio {
  using type = WsppConfig;
  using base = websocketpp::config::asio;
  using request_type = Request;
  using response_type = Response;
  // Every websocketpp connection inherits this, which gives us a place to
  // hang per-connection state without a side table and its lock.
  using connection_base = ConnectionData;
  // Our own handlers do the logging; websocketpp's defaults print every
  // request and frame.
  static const websocketpp::log::level alog_level = websocketpp::log::alevel::none;
  static const websocketpp::log::level elog_level = websocketpp::log::elevel::none;
  // The buffer every read lands in, an array inside each connection object
  // (websocketpp's default is 16384, most of an idle connection's memory).
  // It bounds how much one read takes from the socket, not the size of a
  // message or of the HTTP request: frames and headers are reassembled
  // elsewhere. Engine.IO messages are mostly far smaller; a 1 MB message
  // costs more reads.
  static const size_t connection_read_buffer_size = 1024;

  struct transport_config : base::transport_config {
    // After accept websocketpp "post-initializes" the socket (where TLS would
    // handshake) under a timer: for plain TCP that step completes at once,
    // but the timer was still created on the heap, armed and cancelled for
    // every connection. 0 leaves it out.
    static const long timeout_socket_post_init = 0;
  };
  using transport_type = websocketpp::transport::asio::endpoint<transport_config>;
};

}  // namespace
}  // namespace socketio::transport

// websocketpp formats an access-log line (a std::stringstream, the peer
// address through getpeername, the handshake headers searched again with
// locale-aware compares) for every connection opened, closed or failed and
// every plain HTTP request, before the logger drops it because the channel
// is off: 13 % of the server's instructions per WebSocket handshake. These
// members of connection<WsppConfig> replace the generic ones for our config
// only (explicit specializations, which must precede their first use).
// They log nothing, which is what the disabled channels did.
static_assert(socketio::transport::WsppConfig::alog_level == websocketpp::log::alevel::none,
              "the log_*_result specializations below assume websocketpp's access log is off");
template <>
void websocketpp::connection<socketio::transport::WsppConfig>::log_open_result() {
  // Called exactly once per WebSocket, after the 101 response has been
  // written and before the open handler runs; nothing reads the handshake
  // afterwards (on_validate has copied what the engine keeps). Release it
  // rather than carry the request, the response, their header maps and the
  // raw response text for the connection's lifetime.
  // Moved out, not assigned from an empty object: assigning a short string
  // keeps the old heap buffer. What is left behind is empty and owns nothing.
  { request_type released(std::move(m_request)); }
  { response_type released(std::move(m_response)); }
  std::string().swap(m_handshake_buffer);
  m_uri.reset();
  // The handlers every frame read and write goes through. websocketpp makes
  // them std::bind(&member, this, ...): 24 bytes, more than std::function
  // keeps inline, so each is on the heap and each of the several copies the
  // transport makes per read or write (into its own bind, the allocation
  // wrapper, the strand wrapper) allocates and frees again. The same calls
  // as 8-byte lambdas are stored inline and copied without allocating.
  m_handle_read_frame = [this](lib::error_code const& ec, size_t bytes) { handle_read_frame(ec, bytes); };
  m_write_frame_handler = [this](lib::error_code const& ec) { handle_write_frame(ec); };
}
template <>
void websocketpp::connection<socketio::transport::WsppConfig>::log_close_result() {}
template <>
void websocketpp::connection<socketio::transport::WsppConfig>::log_fail_result() {}
template <>
void websocketpp::connection<socketio::transport::WsppConfig>::log_http_result() {}

namespace socketio::transport {
namespace {

/// Whether `haystack` contains `needle`, ASCII case-insensitively: what
/// websocketpp's utility::ci_find_substr finds in the "C" locale, without a
/// locale facet lookup (a dynamic_cast) per character.
bool contains_ascii_ci(const std::string& haystack, std::string_view needle) {
  auto fold = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; };
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [&](char a, char b) {
           return fold(static_cast<unsigned char>(a)) == fold(static_cast<unsigned char>(b));
         }) != haystack.end();
}

}  // namespace
}  // namespace socketio::transport

// The processor checks websocketpp runs on every request (twice for an
// upgrade), specialized for our Request: same results, no locale and no
// std::istringstream.
template <>
bool websocketpp::processor::is_websocket_handshake<socketio::transport::Request>(
    socketio::transport::Request& r) {
  using socketio::transport::contains_ascii_ci;
  return contains_ascii_ci(r.get_header("Upgrade"), constants::upgrade_token) &&
         contains_ascii_ci(r.get_header("Connection"), constants::connection_token);
}

template <>
int websocketpp::processor::get_websocket_version<socketio::transport::Request>(socketio::transport::Request& r) {
  if (!r.ready()) return -2;
  const std::string& value = r.get_header("Sec-WebSocket-Version");
  if (value.empty()) return 0;
  // As `std::istringstream(value) >> int` in the "C" locale: leading
  // whitespace, an optional sign, decimal digits (what follows them is
  // ignored); no digits or out of int's range fails (-1).
  std::size_t i = 0;
  while (i < value.size() && std::isspace(static_cast<unsigned char>(value[i]))) ++i;
  bool negative = false;
  if (i < value.size() && (value[i] == '+' || value[i] == '-')) negative = value[i++] == '-';
  if (i == value.size() || !std::isdigit(static_cast<unsigned char>(value[i]))) return -1;
  long long magnitude = 0;
  for (; i < value.size() && std::isdigit(static_cast<unsigned char>(value[i])); ++i) {
    magnitude = magnitude * 10 + (value[i] - '0');
    if (magnitude > static_cast<long long>(std::numeric_limits<int>::max()) + 1) return -1;
  }
  long long version = negative ? -magnitude : magnitude;
  if (version > std::numeric_limits<int>::max() || version < std::numeric_limits<int>::min()) return -1;
  return static_cast<int>(version);
}

namespace socketio::transport {
namespace {

using WsppServer = websocketpp::server<WsppConfig>;
using ConnectionPtr = WsppServer::connection_ptr;
using Message = WsppConfig::message_type;
using MessagePtr = Message::ptr;

/// A data frame websocketpp sends as is: header computed, payload in place,
/// marked prepared. Immutable from here on, so one can be queued on any
/// number of connections, on any threads.
MessagePtr prepared_frame(std::string payload, bool binary) {
  const auto op = binary ? websocketpp::frame::opcode::binary : websocketpp::frame::opcode::text;
  auto message = std::make_shared<Message>(Message::con_msg_man_ptr(), op, 0);
  message->get_raw_payload() = std::move(payload);
  const auto size = message->get_payload().size();
  message->set_header(websocketpp::frame::prepare_header(websocketpp::frame::basic_header(op, size, true, false),
                                                         websocketpp::frame::extended_header(size)));
  message->set_prepared(true);
  return message;
}

engine::RequestInfo request_info(const ConnectionPtr& con) {
  engine::RequestInfo info;
  const auto& request = con->get_request();
  info.method = request.get_method();
  info.url = request.get_uri();
  // split_target, without copying the query out first.
  const std::string_view target = info.url;
  const std::size_t question = target.find('?');
  info.path = percent_decode(target.substr(0, question), false);
  if (question != std::string_view::npos) info.query = parse_query(target.substr(question + 1));
  // websocketpp's map orders names case-insensitively (ASCII), which is the
  // order of their lower-case forms: each one goes in at the end.
  for (const auto& [name, value] : request.get_headers()) {
    std::string lower = name;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    info.headers.emplace_hint(info.headers.end(), std::move(lower), value);
  }
  std::error_code ec;
  auto remote = con->get_raw_socket().remote_endpoint(ec);
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

void apply_response(const ConnectionPtr& con, const HttpResponse& response, const HttpHeaders& extra) {
  con->set_status(static_cast<websocketpp::http::status_code::value>(response.status));
  for (const auto& [name, value] : response.headers) con->replace_header(name, value);
  for (const auto& [name, value] : extra) con->replace_header(name, value);
  // websocketpp closes the TCP connection after every plain HTTP response;
  // say so, or clients may try to reuse it.
  con->replace_header("Connection", "close");
  // websocketpp drops Content-Length for an empty body, which would lose a
  // HEAD response's length: leave the body alone when there is none.
  if (!response.body.empty()) con->set_body(response.body);
}

class Exchange final : public HttpExchange {
 public:
  Exchange(ConnectionPtr con, engine::RequestInfo request)
      : con_(std::move(con)), request_(std::move(request)) {}

  ~Exchange() override {
    // A deferred response never times out by itself: never leave one open.
    if (!responded_.exchange(true)) {
      asio::post(*con_->get_strand(), [con = con_] {
        apply_response(con, HttpResponse{500, {}, {}}, {});
        std::error_code ec;
        con->send_http_response(ec);
      });
    }
  }

  const engine::RequestInfo& request() const noexcept override { return request_; }
  const std::string& body() const noexcept override { return con_->get_request_body(); }

  void respond(HttpResponse response) override {
    if (responded_.exchange(true)) return;
    // websocketpp's connection is not safe to touch from a foreign thread:
    // finish on the connection's own strand.
    asio::post(*con_->get_strand(),
               [con = con_, response = std::move(response), extra = extra_headers] {
                 apply_response(con, response, extra);
                 std::error_code ec;
                 con->send_http_response(ec);
               });
  }

 private:
  ConnectionPtr con_;
  engine::RequestInfo request_;
  std::atomic<bool> responded_{false};
};

class WsConnectionImpl final : public WsConnection, public std::enable_shared_from_this<WsConnectionImpl> {
 public:
  WsConnectionImpl(std::weak_ptr<WsppServer::connection_type> con, std::size_t max_buffered_bytes)
      : con_(std::move(con)), max_buffered_bytes_(max_buffered_bytes) {}

  void send(const engine::EncodedPacket* packets, std::size_t count) override {
    if (count == 0) return;
    auto con = con_.lock();
    if (!con) return;
    // websocketpp's connection is only touched on its strand: it updates its
    // send queue and that queue's size (write_pop) there without a lock.
    // Running inline is cheapest, but only safe if no earlier send of ours
    // is still queued on the strand, which this one would overtake.
    auto& strand = *con->get_strand();
    if (pending_.load(std::memory_order_acquire) == 0 && strand.running_in_this_thread()) {
      for (std::size_t i = 0; i < count; ++i) write(*con, packets[i]);
      return;
    }
    pending_.fetch_add(1, std::memory_order_acq_rel);
    Write job{shared_from_this(), std::move(con), packets[0], {}};
    if (count > 1) job.more.assign(packets + 1, packets + count);
    // dispatch, not post: when the strand is free (and this is one of the
    // io_context's threads) the write runs at once instead of making a trip
    // through the scheduler; otherwise it queues behind what is there.
    asio::dispatch(strand, std::move(job));
  }
  void close(std::uint16_t code, std::string_view reason) override {
    auto con = con_.lock();
    if (!con) return;
    // Behind any frames already handed to the strand, so they go out first.
    asio::post(*con->get_strand(), [con, code, reason = std::string(reason)] {
      std::error_code ec;
      con->close(code, reason, ec);
    });
  }

 private:
  /// Sends handed to the connection's strand.
  struct Write {
    std::shared_ptr<WsConnectionImpl> self;
    ConnectionPtr con;
    engine::EncodedPacket first;
    std::vector<engine::EncodedPacket> more;
    void operator()() {
      self->pending_.fetch_sub(1, std::memory_order_acq_rel);
      self->write(*con, first);
      for (const auto& packet : more) self->write(*con, packet);
    }
  };

  /// On the connection's strand: queues one frame. A shared frame goes out
  /// as is; anything else is framed (and checked for UTF-8) by websocketpp,
  /// which copies it.
  void write(WsppServer::connection_type& con, const engine::EncodedPacket& packet) {
    std::error_code ec;
    if (packet.ws_frame) {
      ec = con.send(std::const_pointer_cast<Message>(std::static_pointer_cast<const Message>(packet.ws_frame)));
    } else if (packet.bytes) {
      ec = con.send(packet.bytes->data(), packet.bytes->size(),
                    packet.binary ? websocketpp::frame::opcode::binary : websocketpp::frame::opcode::text);
    }
    if (con.get_buffered_amount() > max_buffered_bytes_) {
      con.close(websocketpp::close::status::policy_violation, "slow consumer", ec);
    }
  }

  // Weak: the connection owns (through ConnectionData) the listener that
  // owns us; a strong reference would be a cycle.
  std::weak_ptr<WsppServer::connection_type> con_;
  std::size_t max_buffered_bytes_;
  /// Writes handed to the strand that have not run yet.
  std::atomic<std::size_t> pending_{0};
};

}  // namespace

class HttpFrontend::Impl : public std::enable_shared_from_this<HttpFrontend::Impl> {
 public:
  Impl(asio::io_context& io, std::weak_ptr<HttpFrontendHandler> handler, HttpFrontendOptions options)
      : io_(io), handler_(std::move(handler)), options_(std::move(options)) {
    server_.clear_access_channels(websocketpp::log::alevel::all);
    server_.clear_error_channels(websocketpp::log::elevel::all);
    std::error_code ec;
    server_.init_asio(&io_, ec);
    server_.set_reuse_addr(true);
    server_.set_listen_backlog(1024);
    server_.set_max_message_size(options_.max_message_size);
    server_.set_max_http_body_size(options_.max_body_size);

    server_.set_tcp_pre_init_handler([this](websocketpp::connection_hdl hdl) {
      std::error_code ec;
      if (auto con = server_.get_con_from_hdl(hdl, ec)) con->owner = shared_from_this();
    });
    server_.set_http_handler([this](websocketpp::connection_hdl hdl) { on_http(hdl); });
    server_.set_validate_handler([this](websocketpp::connection_hdl hdl) { return on_validate(hdl); });
    server_.set_open_handler([this](websocketpp::connection_hdl hdl) { on_open(hdl); });
    server_.set_message_handler(
        [this](websocketpp::connection_hdl hdl, WsppServer::message_ptr msg) { on_message(hdl, msg); });
    server_.set_close_handler([this](websocketpp::connection_hdl hdl) { on_closed(hdl, false); });
    server_.set_fail_handler([this](websocketpp::connection_hdl hdl) { on_closed(hdl, true); });
  }

  void listen(const std::string& host, std::uint16_t port, std::error_code& ec) {
    auto address = asio::ip::make_address(host, ec);
    if (ec) return;
    server_.listen(asio::ip::tcp::endpoint(address, port), ec);
    if (ec) return;
    auto local = server_.get_local_endpoint(ec);
    if (ec) return;
    port_ = local.port();
    server_.start_accept(ec);
  }

  std::uint16_t port() const noexcept { return port_; }

  void stop() {
    // stop_listening races the accept loop if called from a foreign thread
    // (websocketpp #1028): do it from inside the io_context.
    asio::post(io_, [self = shared_from_this()] {
      std::error_code ec;
      if (self->server_.is_listening()) self->server_.stop_listening(ec);
    });
  }

 private:
  void log(LogLevel level, std::string_view message) {
    if (options_.log) options_.log(level, message);
  }

  void on_http(websocketpp::connection_hdl hdl) {
    std::error_code ec;
    auto con = server_.get_con_from_hdl(hdl, ec);
    if (ec) return;
    con->defer_http_response();
    const auto& request = con->get_request();
    if (request.get_header("Transfer-Encoding").find("chunked") != std::string::npos) {
      // websocketpp silently drops chunked bodies; refuse them rather than
      // hand an empty body upward.
      apply_response(con, HttpResponse{411, {}, {}}, {});
      con->send_http_response(ec);
      return;
    }
    auto handler = handler_.lock();
    auto exchange = std::make_shared<Exchange>(con, request_info(con));
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

  bool on_validate(websocketpp::connection_hdl hdl) {
    std::error_code ec;
    auto con = server_.get_con_from_hdl(hdl, ec);
    if (ec) return false;
    auto info = request_info(con);
    auto handler = handler_.lock();
    if (!handler) return false;
    std::optional<HttpResponse> refusal;
    WsGreeting greeting;
    try {
      refusal = handler->validate_websocket(info, greeting);
    } catch (const std::exception& e) {
      log(LogLevel::error, std::string("WebSocket validation threw: ") + e.what());
      refusal = HttpResponse{500, {}, {}};
    }
    if (refusal) {
      apply_response(con, *refusal, {});
      return false;
    }
    if (!greeting.text.empty()) {
      // websocketpp only hands out a const reference to the response it is
      // about to write; the object itself (a member of the connection) is not
      // const, and the trailer is ours.
      const_cast<Response&>(con->get_response()).set_after_switch(websocket_text_frame(greeting.text));
    }
    con->pending = std::make_unique<PendingOpen>(PendingOpen{std::move(info), std::move(greeting)});
    return true;
  }

  void on_open(websocketpp::connection_hdl hdl) {
    std::error_code ec;
    auto con = server_.get_con_from_hdl(hdl, ec);
    if (ec) return;
    auto pending = std::move(con->pending);
    auto connection = std::make_shared<WsConnectionImpl>(con, options_.max_buffered_bytes);
    try {
      auto handler = handler_.lock();
      if (handler && pending) {
        con->listener =
            handler->on_websocket_open(connection, std::move(pending->request), std::move(pending->greeting));
      }
    } catch (const std::exception& e) {
      log(LogLevel::error, std::string("WebSocket open handler threw: ") + e.what());
    }
    if (!con->listener) con->close(websocketpp::close::status::normal, "", ec);
  }

  void on_message(websocketpp::connection_hdl hdl, const WsppServer::message_ptr& msg) {
    std::error_code ec;
    auto con = server_.get_con_from_hdl(hdl, ec);
    if (ec || !con->listener) return;
    bool binary = msg->get_opcode() == websocketpp::frame::opcode::binary;
    con->listener->on_ws_message(std::move(msg->get_raw_payload()), binary);
  }

  void on_closed(websocketpp::connection_hdl hdl, bool failed) {
    std::error_code ec;
    auto con = server_.get_con_from_hdl(hdl, ec);
    if (ec) return;
    auto listener = std::move(con->listener);
    con->listener.reset();
    if (!listener) return;
    // Closes we start because the peer broke the rules (oversize frame,
    // bad UTF-8, protocol error) are transport errors, as in Node.
    auto local = con->get_local_close_code();
    bool error = failed || local == websocketpp::close::status::message_too_big ||
                 local == websocketpp::close::status::protocol_error ||
                 local == websocketpp::close::status::policy_violation ||
                 local == websocketpp::close::status::invalid_payload;
    listener->on_ws_closed(error);
  }

  asio::io_context& io_;
  std::weak_ptr<HttpFrontendHandler> handler_;
  HttpFrontendOptions options_;
  WsppServer server_;
  std::uint16_t port_ = 0;
};

engine::EncodedPacket make_ws_packet(std::string bytes, bool binary) {
  engine::EncodedPacket packet;
  packet.binary = binary;
  if (!binary && !engine::is_valid_utf8(bytes)) {
    packet.bytes = std::make_shared<const std::string>(std::move(bytes));
    return packet;
  }
  auto frame = prepared_frame(std::move(bytes), binary);
  packet.bytes = std::shared_ptr<const std::string>(frame, &frame->get_payload());
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

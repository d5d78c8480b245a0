// The HTTP/1.1 + WebSocket front end at the byte level: persistent
// connections, timeouts, and how a WebSocket that breaks RFC 6455 is closed.

#include <catch2/catch.hpp>

#include <optional>

#include "support.hpp"

using namespace it;

namespace {

const std::string kPath = "/engine.io/";
const std::string kHandshake = kPath + "?EIO=4&transport=polling";

engine::Options quiet_options() {
  // No PING frames in the middle of what the tests read.
  engine::Options options = test_options();
  options.ping_interval = 20000ms;
  options.ping_timeout = 20000ms;
  options.max_http_buffer_size = 1000;
  return options;
}

/// A client socket that reads with timeouts.
class Raw {
 public:
  /// `receive_buffer` > 0 shrinks the socket's receive buffer (set before
  /// connecting, so the TCP window stays small): the server's sends then
  /// stop part way.
  explicit Raw(std::uint16_t port, int receive_buffer = 0) : socket_(io_) {
    socket_.open(asio::ip::tcp::v4(), ec_);
    if (receive_buffer > 0) socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer), ec_);
    socket_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec_);
  }
  bool connected() const { return !ec_; }
  void write(const std::string& bytes) {
    std::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
  }
  /// Reads until `done(in)` or EOF or the timeout; returns done(in).
  bool read_until(const std::function<bool(const std::string&)>& done, Ms timeout = 3000ms) {
    const auto deadline = Clock::now() + timeout;
    while (!done(in) && !eof && Clock::now() < deadline) {
      char buf[4096];
      bool finished = false;
      socket_.async_read_some(asio::buffer(buf), [&](std::error_code ec, std::size_t n) {
        finished = true;
        if (ec) {
          eof = true;
          return;
        }
        in.append(buf, n);
      });
      io_.restart();
      io_.run_until(deadline);
      if (!finished) {
        socket_.cancel();
        io_.restart();
        io_.run();
      }
    }
    return done(in);
  }
  /// Waits for the server to close the connection.
  bool wait_closed(Ms timeout) {
    read_until([](const std::string&) { return false; }, timeout);
    return eof;
  }
  /// Reads one whole HTTP response off the front of `in`.
  std::optional<HttpResult> response(Ms timeout = 3000ms) {
    if (!read_until([](const std::string& s) { return response_complete(s); }, timeout)) return std::nullopt;
    HttpResult result;
    const auto head_end = in.find("\r\n\r\n") + 4;
    result.raw = in.substr(0, head_end);
    in.erase(0, head_end);
    parse_http_response(result);
    const std::size_t length = result.header("Content-Length").empty() ? 0 : std::stoul(result.header("Content-Length"));
    result.body = in.substr(0, length);
    in.erase(0, length);
    return result;
  }

  std::string in;
  bool eof = false;

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::error_code ec_;
};

std::string get(const std::string& target, const std::string& extra = {}) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}
std::string post(const std::string& target, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

/// A masked client frame; `b0` is FIN/RSV/opcode, as sent.
std::string frame(std::uint8_t b0, const std::string& payload, bool masked = true) {
  std::string out(1, static_cast<char>(b0));
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    out += static_cast<char>(mask_bit | payload.size());
  } else if (payload.size() <= 0xFFFF) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>((payload.size() >> (8 * i)) & 0xFF);
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) out.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) out += masked ? static_cast<char>(payload[i] ^ mask[i % 4]) : payload[i];
  return out;
}

struct Frame {
  std::uint8_t opcode = 0;
  std::string payload;
  std::uint16_t close_code() const {
    return payload.size() < 2 ? 0
                              : static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                                           static_cast<std::uint8_t>(payload[1]));
  }
};

/// Parses one unmasked server frame off the front of `in`.
std::optional<Frame> take_frame(std::string& in) {
  if (in.size() < 2) return std::nullopt;
  std::size_t len = static_cast<std::uint8_t>(in[1]) & 0x7F;
  std::size_t pos = 2;
  if (len == 126) {
    if (in.size() < 4) return std::nullopt;
    len = (static_cast<std::uint8_t>(in[2]) << 8) | static_cast<std::uint8_t>(in[3]);
    pos = 4;
  } else if (len == 127) {
    if (in.size() < 10) return std::nullopt;
    len = 0;
    for (int i = 2; i < 10; ++i) len = (len << 8) | static_cast<std::uint8_t>(in[i]);
    pos = 10;
  }
  if (in.size() < pos + len) return std::nullopt;
  Frame f{static_cast<std::uint8_t>(in[0] & 0x0F), in.substr(pos, len)};
  in.erase(0, pos + len);
  return f;
}

std::optional<Frame> next_frame(Raw& raw, Ms timeout = 3000ms) {
  std::optional<Frame> f;
  raw.read_until(
      [&](const std::string&) {
        if (!f) f = take_frame(raw.in);  // done() is asked again at the end
        return f.has_value();
      },
      timeout);
  return f;
}

/// Upgrades `raw` to a WebSocket session and reads the OPEN greeting.
std::string open_websocket(Raw& raw) {
  raw.write(get(kPath + "?EIO=4&transport=websocket",
                "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
  REQUIRE(raw.read_until([](const std::string& s) { return s.find("\r\n\r\n") != std::string::npos; }));
  const auto head_end = raw.in.find("\r\n\r\n") + 4;
  const std::string head = raw.in.substr(0, head_end);
  raw.in.erase(0, head_end);
  INFO(head);
  REQUIRE(head.rfind("HTTP/1.1 101 ", 0) == 0);
  // RFC 6455's own example key and answer.
  CHECK(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
  auto open = next_frame(raw);
  REQUIRE(open);
  REQUIRE(open->opcode == 1);
  REQUIRE(open->payload.rfind("0{", 0) == 0);
  return json_member(open->payload.substr(1), "sid").value_or("");
}

}  // namespace

TEST_CASE("front end: polling requests share one persistent connection", "[frontend][http]") {
  ServerFixture fx(quiet_options());
  Raw raw(fx.port());
  REQUIRE(raw.connected());
  raw.write(get(kHandshake));
  auto open = raw.response();
  REQUIRE(open);
  REQUIRE(open->status == 200);
  CHECK(lower(open->header("Connection")) != "close");
  const auto sid = json_member(open->body.substr(1), "sid").value_or("");
  REQUIRE(!sid.empty());
  const std::string target = kHandshake + "&sid=" + sid;
  raw.write(post(target, "4hello"));
  auto posted = raw.response();
  REQUIRE(posted);
  CHECK(posted->status == 200);
  CHECK(posted->body == "ok");
  raw.write(get(target));
  auto polled = raw.response();
  REQUIRE(polled);
  CHECK(polled->body == "4hello");
  CHECK(!raw.eof);
}

TEST_CASE("front end: a response that does not fit in the socket goes out whole", "[frontend][http]") {
  // A response is first offered to a non-blocking send; with this reader's
  // small window the rest follows asynchronously, and the connection then
  // serves its next request.
  engine::Options options = quiet_options();
  options.max_http_buffer_size = 400000;
  ServerFixture fx(options);
  Raw raw(fx.port(), 4096);
  REQUIRE(raw.connected());
  raw.write(get(kHandshake));
  auto open = raw.response();
  REQUIRE(open);
  const auto sid = json_member(open->body.substr(1), "sid").value_or("");
  REQUIRE(!sid.empty());
  const std::string target = kHandshake + "&sid=" + sid;
  std::string message = "4";
  for (std::size_t i = 0; i < 300000; ++i) message += static_cast<char>('a' + i % 26);
  raw.write(post(target, message));
  auto posted = raw.response();
  REQUIRE(posted);
  CHECK(posted->body == "ok");
  raw.write(get(target));
  auto polled = raw.response(10000ms);
  REQUIRE(polled);
  CHECK(polled->body.size() == message.size());
  CHECK(polled->body == message);
  raw.write(post(target, "4again"));
  auto again = raw.response();
  REQUIRE(again);
  CHECK(again->body == "ok");
  CHECK(!raw.eof);
}

TEST_CASE("front end: pipelined requests are answered in order", "[frontend][http]") {
  ServerFixture fx(quiet_options());
  Raw raw(fx.port());
  raw.write(get("/nothing-here") + get("/nor-here"));
  auto first = raw.response();
  auto second = raw.response();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->status == 404);
  CHECK(second->status == 404);
}

TEST_CASE("front end: HTTP/1.0 and Connection: close end the connection", "[frontend][http]") {
  ServerFixture fx(quiet_options());
  {
    Raw raw(fx.port());
    raw.write("GET /x HTTP/1.0\r\n\r\n");
    auto r = raw.response();
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(lower(r->header("Connection")) == "close");
    CHECK(raw.wait_closed(2000ms));
  }
  {
    Raw raw(fx.port());
    raw.write(get("/x", "Connection: close\r\n"));
    auto r = raw.response();
    REQUIRE(r);
    CHECK(lower(r->header("Connection")) == "close");
    CHECK(raw.wait_closed(2000ms));
  }
}

TEST_CASE("front end: malformed and refused requests", "[frontend][http]") {
  ServerFixture fx(quiet_options());
  auto status_of = [&](const std::string& request) {
    Raw raw(fx.port());
    raw.write(request);
    auto r = raw.response();
    return r ? r->status : 0;
  };
  CHECK(status_of("NOT A REQUEST\r\n\r\n") == 400);
  CHECK(status_of("GET /x HTTP/1.1\r\nBad Header\r\n\r\n") == 400);
  CHECK(status_of("GET /x HTTP/2.0\r\n\r\n") == 505);
  CHECK(status_of("POST " + kHandshake + " HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n") ==
        411);
  CHECK(status_of("POST " + kHandshake + " HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n") == 413);
  CHECK(status_of("GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") == 400);
  // WebSocket upgrades the front end refuses by itself.
  const std::string ws = kPath + "?EIO=4&transport=websocket";
  {
    Raw raw(fx.port());
    raw.write(get(ws, "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
    auto r = raw.response();
    REQUIRE(r);
    CHECK(r->status == 426);
    CHECK(r->header("Sec-WebSocket-Version") == "13");
  }
  CHECK(status_of(get(ws, "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")) == 400);
}

TEST_CASE("front end: a request head that never completes is dropped", "[frontend][http][slow]") {
  ServerFixture fx(quiet_options());
  Raw raw(fx.port());
  raw.write("GET " + kHandshake + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");  // no blank line, ever
  const auto start = Clock::now();
  REQUIRE(raw.wait_closed(15000ms));
  const auto waited = Clock::now() - start;
  CHECK(waited >= 8000ms);
  CHECK(waited <= 12000ms);
}

TEST_CASE("front end: an idle persistent connection is closed", "[frontend][http][slow]") {
  ServerFixture fx(quiet_options());
  Raw raw(fx.port());
  raw.write(get("/x"));
  REQUIRE(raw.response());
  const auto start = Clock::now();
  REQUIRE(raw.wait_closed(10000ms));
  const auto waited = Clock::now() - start;
  CHECK(waited >= 4000ms);
  CHECK(waited <= 7000ms);
}

TEST_CASE("front end: WebSocket ping, fragments and clean close", "[frontend][websocket]") {
  ServerFixture fx(quiet_options());
  Raw raw(fx.port());
  const auto sid = open_websocket(raw);
  REQUIRE(!sid.empty());

  raw.write(frame(0x89, "are you there"));
  auto pong = next_frame(raw);
  REQUIRE(pong);
  CHECK(pong->opcode == 0xA);
  CHECK(pong->payload == "are you there");

  // "4hello" in three fragments, with a ping between two of them.
  raw.write(frame(0x01, "4h") + frame(0x00, "el") + frame(0x89, "") + frame(0x80, "lo"));
  auto f1 = next_frame(raw);
  auto f2 = next_frame(raw);
  REQUIRE(f1);
  REQUIRE(f2);
  CHECK(f1->opcode == 0xA);
  CHECK(f2->opcode == 1);
  CHECK(f2->payload == "4hello");

  // A message split into single bytes on the wire still arrives whole.
  const std::string bytes = frame(0x82, std::string(300, 'b'));
  for (char c : bytes) raw.write(std::string(1, c));
  auto binary = next_frame(raw);
  REQUIRE(binary);
  CHECK(binary->opcode == 2);
  CHECK(binary->payload == std::string(300, 'b'));

  raw.write(frame(0x88, std::string("\x03\xe8", 2) + "bye"));
  auto close = next_frame(raw);
  REQUIRE(close);
  CHECK(close->opcode == 8);
  CHECK(close->close_code() == 1000);
  CHECK(raw.wait_closed(3000ms));
  auto reason = fx.wait_close(sid);
  REQUIRE(reason);
  CHECK(*reason == engine::CloseReason::transport_close);
}

TEST_CASE("front end: frames that do not fit in the socket go out whole and in order", "[frontend][websocket]") {
  // A frame is first offered to a non-blocking send; with the reader's
  // window this small most of each frame is left over and must follow
  // through the asynchronous path, ahead of the frames queued behind it.
  engine::Options options = quiet_options();
  options.max_http_buffer_size = 200000;
  ServerFixture fx(options);
  Raw raw(fx.port(), 4096);
  REQUIRE(raw.connected());
  REQUIRE(!open_websocket(raw).empty());

  std::vector<std::string> sent;
  for (int i = 0; i < 6; ++i) {
    std::string message = "4";
    for (std::size_t j = 0; j < 150000; ++j) message += static_cast<char>('a' + (i * 7 + j) % 26);
    raw.write(frame(0x81, message));
    sent.push_back(std::move(message));
  }
  for (const auto& message : sent) {
    auto echoed = next_frame(raw, 10000ms);
    REQUIRE(echoed);
    CHECK(echoed->opcode == 1);
    CHECK(echoed->payload.size() == message.size());
    CHECK(echoed->payload == message);
  }
}

TEST_CASE("front end: WebSocket protocol violations close with their code", "[frontend][websocket]") {
  ServerFixture fx(quiet_options());
  struct Case {
    const char* what;
    std::string bytes;
    std::uint16_t code;
  };
  const std::vector<Case> cases = {
      {"unmasked frame", frame(0x81, "4x", false), 1002},
      {"RSV1 without an extension", frame(0xC1, "4x"), 1002},
      {"unknown data opcode", frame(0x83, "x"), 1002},
      {"unknown control opcode", frame(0x8B, "x"), 1002},
      {"continuation without a message", frame(0x80, "x"), 1002},
      {"new message inside a fragmented one", frame(0x01, "4") + frame(0x81, "x"), 1002},
      {"fragmented ping", frame(0x09, "x"), 1002},
      {"ping over 125 bytes", frame(0x89, std::string(126, 'p')), 1002},
      {"invalid UTF-8 text", frame(0x81, "4\xff\xfe"), 1007},
      {"invalid UTF-8 across fragments", frame(0x01, "4\xe2") + frame(0x80, "\x28\xa1"), 1007},
      {"message over max_http_buffer_size", frame(0x81, "4" + std::string(1500, 'x')), 1009},
      {"fragments over max_http_buffer_size", frame(0x01, std::string(600, 'x')) + frame(0x80, std::string(600, 'x')),
       1009},
      {"close with reserved code 1005", frame(0x88, std::string("\x03\xed", 2)), 1002},
      {"close with a 1-byte payload", frame(0x88, std::string("\x03", 1)), 1002},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    Raw raw(fx.port());
    const auto sid = open_websocket(raw);
    raw.write(c.bytes);
    std::optional<Frame> close;
    while (auto f = next_frame(raw)) {
      if (f->opcode == 8) {
        close = f;
        break;
      }
    }
    REQUIRE(close);
    CHECK(close->close_code() == c.code);
    CHECK(raw.wait_closed(3000ms));
    auto reason = fx.wait_close(sid);
    REQUIRE(reason);
    CHECK(*reason == engine::CloseReason::transport_error);
  }
}

TEST_CASE("front end: server.close() answers a parked GET and closes its connection", "[frontend][http]") {
  ServerFixture fx(quiet_options());
  Raw raw(fx.port());
  raw.write(get(kHandshake));
  auto open = raw.response();
  REQUIRE(open);
  const auto sid = json_member(open->body.substr(1), "sid").value_or("");
  raw.write(get(kHandshake + "&sid=" + sid));  // parked: nothing to send
  std::this_thread::sleep_for(100ms);
  fx.server().close();
  auto answer = raw.response();
  REQUIRE(answer);
  CHECK(lower(answer->header("Connection")) == "close");
  // The client keeps its end open; the server must not wait for it.
  CHECK(raw.wait_closed(2000ms));
  CHECK(fx.shutdown(3000ms));
}

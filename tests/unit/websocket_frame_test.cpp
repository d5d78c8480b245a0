#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "random_inputs.hpp"
#include "transport/websocket_frame.hpp"
#include "transport/websocket_reader.hpp"

namespace ws = socketio::transport::ws;

namespace {

std::string client_frame(std::uint8_t b0, const std::string& payload, bool masked = true) {
  std::string out(1, static_cast<char>(b0));
  const std::uint8_t m = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    out += static_cast<char>(m | payload.size());
  } else if (payload.size() <= 0xFFFF) {
    out += static_cast<char>(m | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xFF);
  } else {
    out += static_cast<char>(m | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>((payload.size() >> (8 * i)) & 0xFF);
  }
  const char mask[4] = {'\x9a', '\x01', '\x7f', '\xe3'};
  if (masked) out.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) out += masked ? static_cast<char>(payload[i] ^ mask[i % 4]) : payload[i];
  return out;
}

struct Recorder : ws::ReaderSink {
  std::vector<std::pair<std::string, bool>> messages;
  std::vector<std::string> pings;
  int close_code = -1;
  int error_code = 0;
  void on_message(std::string payload, bool binary) override { messages.emplace_back(std::move(payload), binary); }
  void on_ping(std::string_view payload) override { pings.emplace_back(payload); }
  void on_close(std::uint16_t code, std::string_view) override { close_code = code; }
  void on_protocol_error(std::uint16_t code, std::string_view) override { error_code = code; }
};

void feed_in_pieces(ws::Reader& reader, std::string bytes, std::size_t step, Recorder& sink) {
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    std::string piece = bytes.substr(at, step);
    if (!reader.feed(piece.data(), piece.size(), sink)) break;
  }
}

}  // namespace

TEST_CASE("websocket frame: server headers in all three length forms", "[websocket]") {
  std::uint8_t h[ws::max_server_header_size];
  CHECK(ws::encode_frame_header(ws::text, 5, h) == 2);
  CHECK(h[0] == 0x81);
  CHECK(h[1] == 5);
  CHECK(ws::encode_frame_header(ws::binary, 126, h) == 4);
  CHECK(h[0] == 0x82);
  CHECK(h[1] == 126);
  CHECK(h[2] == 0);
  CHECK(h[3] == 126);
  CHECK(ws::encode_frame_header(ws::ping, 70000, h) == 10);
  CHECK(h[1] == 127);
  CHECK(h[7] == 0x01);
  CHECK(h[8] == 0x11);
  CHECK(h[9] == 0x70);
}

TEST_CASE("websocket frame: decoding refuses non-minimal lengths", "[websocket]") {
  ws::FrameHeader h;
  CHECK(ws::decode_frame_header(std::string("\x81", 1), h) == ws::DecodeStatus::need_more);
  CHECK(ws::decode_frame_header(std::string("\x81\xfe\x00\x05", 4), h) == ws::DecodeStatus::invalid);
  CHECK(ws::decode_frame_header(std::string("\x81\x7f\x00\x00\x00\x00\x00\x00\x01\x00", 10), h) ==
        ws::DecodeStatus::invalid);
  CHECK(ws::decode_frame_header(std::string("\x81\x7f\x80\x00\x00\x00\x00\x01\x00\x00", 10), h) ==
        ws::DecodeStatus::invalid);
  REQUIRE(ws::decode_frame_header(client_frame(0x82, std::string(300, 'x')), h) == ws::DecodeStatus::ok);
  CHECK(h.length == 300);
  CHECK(h.header_size == 8);
  CHECK(h.masked);
  CHECK(h.fin);
  CHECK(h.opcode == 2);
}

TEST_CASE("websocket frame: unmasking in pieces and close payloads", "[websocket]") {
  const std::uint8_t mask[4] = {1, 2, 3, 4};
  std::string data = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string masked = data;
  ws::unmask(masked.data(), masked.size(), mask);
  CHECK(masked != data);
  ws::unmask(masked.data(), 7, mask, 0);
  ws::unmask(masked.data() + 7, masked.size() - 7, mask, 7);
  CHECK(masked == data);

  std::uint16_t code = 0;
  CHECK(ws::parse_close_payload("", code) == 0);
  CHECK(code == 0);
  CHECK(ws::parse_close_payload(ws::close_payload(1000, "bye"), code) == 0);
  CHECK(code == 1000);
  CHECK(ws::parse_close_payload(ws::close_payload(4999, ""), code) == 0);
  CHECK(ws::parse_close_payload(std::string("\x03", 1), code) == 1002);
  CHECK(ws::parse_close_payload(ws::close_payload(1005, ""), code) == 1002);
  CHECK(ws::parse_close_payload(ws::close_payload(999, ""), code) == 1002);
  CHECK(ws::parse_close_payload(ws::close_payload(5000, ""), code) == 1002);
  CHECK(ws::parse_close_payload(ws::close_payload(1000, "\xff"), code) == 1007);
  CHECK(ws::close_payload(1000, std::string(200, 'r')).size() == 125);
}

TEST_CASE("websocket frame: the handshake's accept key (RFC 6455 1.3)", "[websocket]") {
  CHECK(ws::websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("websocket reader: messages split at every byte boundary", "[websocket]") {
  const std::string stream = client_frame(0x81, "4hello") + client_frame(0x89, "p") +
                             client_frame(0x02, std::string(200, 'b')) + client_frame(0x8A, "") +
                             client_frame(0x80, std::string(70000, 'c')) + client_frame(0x81, "") +
                             client_frame(0x88, ws::close_payload(1001, "away")) + client_frame(0x81, "after");
  for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{64},
                           std::size_t{1000}, stream.size()}) {
    INFO("piece size " << step);
    ws::Reader reader(100000);
    Recorder sink;
    feed_in_pieces(reader, stream, step, sink);
    REQUIRE(sink.error_code == 0);
    REQUIRE(sink.messages.size() == 3);
    CHECK(sink.messages[0] == std::make_pair(std::string("4hello"), false));
    CHECK(sink.messages[1].second);
    CHECK(sink.messages[1].first == std::string(200, 'b') + std::string(70000, 'c'));
    CHECK(sink.messages[2].first.empty());
    CHECK(sink.pings == std::vector<std::string>{"p"});
    CHECK(sink.close_code == 1001);
    CHECK(reader.stopped());
    CHECK(reader.buffered() == 0);  // nothing held once drained
  }
}

TEST_CASE("websocket reader: an idle reader holds no memory", "[websocket]") {
  ws::Reader reader(1000);
  Recorder sink;
  std::string whole = client_frame(0x81, "4" + std::string(99, 'h'));
  std::string first = whole.substr(0, 50);
  std::string second = whole.substr(50);
  reader.feed(first.data(), first.size(), sink);
  CHECK(reader.buffered() > 0);
  reader.feed(second.data(), second.size(), sink);
  CHECK(sink.messages.size() == 1);
  CHECK(reader.buffered() == 0);
}

TEST_CASE("websocket reader: protocol errors carry their close code", "[websocket]") {
  auto code_of = [](const std::string& bytes) {
    ws::Reader reader(1000);
    Recorder sink;
    std::string copy = bytes;
    reader.feed(copy.data(), copy.size(), sink);
    return sink.error_code;
  };
  CHECK(code_of(client_frame(0x81, "ok")) == 0);
  CHECK(code_of(client_frame(0x81, "x", false)) == 1002);
  CHECK(code_of(client_frame(0x91, "x")) == 1002);
  CHECK(code_of(client_frame(0xA1, "x")) == 1002);
  CHECK(code_of(client_frame(0xC1, "x")) == 1002);
  CHECK(code_of(client_frame(0x83, "x")) == 1002);
  CHECK(code_of(client_frame(0x8F, "x")) == 1002);
  CHECK(code_of(client_frame(0x80, "x")) == 1002);
  CHECK(code_of(client_frame(0x01, "x") + client_frame(0x82, "y")) == 1002);
  CHECK(code_of(client_frame(0x09, "x")) == 1002);
  CHECK(code_of(client_frame(0x88, std::string(126, 'x'))) == 1002);
  CHECK(code_of(client_frame(0x81, "\xc3\x28")) == 1007);
  CHECK(code_of(client_frame(0x01, "\xf0\x9f") + client_frame(0x80, "\x98\x80")) == 0);  // split code point
  CHECK(code_of(client_frame(0x81, std::string(1001, 'x'))) == 1009);
  // Refused from the header alone, before the payload arrives.
  CHECK(code_of(client_frame(0x81, std::string(5000, 'x')).substr(0, 8)) == 1009);
  CHECK(code_of(client_frame(0x01, std::string(600, 'x')) + client_frame(0x80, std::string(401, 'x'))) == 1009);
  CHECK(code_of(std::string("\x81\xff\x80\x00\x00\x00\x00\x00\x00\x00", 10)) == 1002);
}

TEST_CASE("websocket reader: hostile input never crashes", "[websocket][fuzz]") {
  std::mt19937_64 rng(6455);
  const std::string pieces[] = {client_frame(0x81, "4hi"), client_frame(0x01, "4"), client_frame(0x80, "x"),
                                client_frame(0x89, "p"),   client_frame(0x82, std::string(130, 'b')),
                                client_frame(0x88, ws::close_payload(1000, "")),
                                std::string("\x81\xfe", 2), std::string("\x82\xff", 2), "\x80", "\x00"};
  for (int i = 0; i < 3000; ++i) {
    std::string input = socketio::test::random_mix(rng, 1 + rng() % 12, pieces, 6);
    ws::Reader reader(500);
    Recorder sink;
    feed_in_pieces(reader, input, 1 + rng() % 20, sink);
    if (sink.error_code != 0) {
      CHECK((sink.error_code == 1002 || sink.error_code == 1007 || sink.error_code == 1009));
      CHECK(reader.stopped());
    }
    for (const auto& [payload, binary] : sink.messages) CHECK(payload.size() <= 500);
  }
}

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/base64.hpp"
#include "engineio/packet.hpp"
#include "socketio/error.hpp"

using socketio::errc;
using socketio::engine::decode_payload;
using socketio::engine::decode_owned_text_frame;
using socketio::engine::decode_text_frame;
using socketio::engine::encode_binary_message;
using socketio::engine::encode_packet;
using socketio::engine::encode_payload;
using socketio::engine::EncodedPacket;
using socketio::engine::is_valid_utf8;
using socketio::engine::Packet;
using socketio::engine::PacketType;

namespace {

using namespace std::string_view_literals;

const PacketType kAllTypes[] = {
    PacketType::open,    PacketType::close,   PacketType::ping, PacketType::pong,
    PacketType::message, PacketType::upgrade, PacketType::noop,
};

char digit_of(PacketType type) { return static_cast<char>('0' + static_cast<int>(type)); }

std::string payload_of(const std::vector<EncodedPacket>& packets) {
  std::string out;
  encode_payload(packets, out);
  return out;
}

std::error_code decode(std::string_view body, std::vector<Packet>& out) {
  return decode_payload(body, out);
}

std::error_code payload_error(std::string_view body) {
  std::vector<Packet> out;
  return decode_payload(body, out);
}

std::error_code frame_error(std::string_view frame) {
  Packet out;
  return decode_text_frame(frame, out);
}

std::string all_byte_values() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

// A deliberately naive decoder written from the definition of UTF-8 (decode
// the code point, then check its range), so it shares no structure with the
// table of byte ranges in the real validator.
bool reference_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length;
    std::uint32_t cp;
    if (lead < 0x80) {
      length = 1;
      cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      cp = lead & 0x07;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static const std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinimum[length]) return false;
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    if (cp > 0x10FFFF) return false;
    i += length;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------
// Encoding single packets

TEST_CASE("encode_packet writes the type digit followed by the data", "[engineio][packet]") {
  for (PacketType type : kAllTypes) {
    const EncodedPacket with_data = encode_packet(type, "hello");
    CHECK_FALSE(with_data.binary);
    REQUIRE(with_data.bytes);
    CHECK(with_data.frame() == std::string(1, digit_of(type)) + "hello");

    const EncodedPacket without_data = encode_packet(type);
    CHECK_FALSE(without_data.binary);
    CHECK(without_data.frame() == std::string(1, digit_of(type)));
  }
}

TEST_CASE("encode_packet keeps data bytes verbatim, including separators and NULs",
          "[engineio][packet]") {
  const auto data = "a\0b\x1e\xc3\xa9"sv;
  CHECK(encode_packet(PacketType::message, data).frame() == "4" + std::string(data));
}

TEST_CASE("encode_binary_message keeps the raw bytes as the frame", "[engineio][packet]") {
  const std::string bytes = all_byte_values();
  const EncodedPacket packet = encode_binary_message(bytes);
  CHECK(packet.binary);
  CHECK(packet.frame() == bytes);
  CHECK(encode_binary_message("").frame().empty());
}

TEST_CASE("an encoded packet can be shared by copies without re-encoding",
          "[engineio][packet]") {
  const EncodedPacket original = encode_packet(PacketType::message, "broadcast");
  const EncodedPacket copy = original;
  CHECK(copy.bytes.get() == original.bytes.get());
}

// ---------------------------------------------------------------------------
// WebSocket text frames

TEST_CASE("decode_text_frame decodes every packet type with and without data",
          "[engineio][packet]") {
  for (PacketType type : kAllTypes) {
    Packet packet;
    REQUIRE_FALSE(decode_text_frame(std::string(1, digit_of(type)) + "data", packet));
    CHECK(packet.type == type);
    CHECK_FALSE(packet.binary);
    CHECK(packet.data == "data");

    REQUIRE_FALSE(decode_text_frame(std::string(1, digit_of(type)), packet));
    CHECK(packet.type == type);
    CHECK(packet.data.empty());
  }
}

TEST_CASE("decode_text_frame keeps separators and the rest of the frame in the data",
          "[engineio][packet]") {
  Packet packet;
  REQUIRE_FALSE(decode_text_frame("4a\x1e" "4b", packet));
  CHECK(packet.type == PacketType::message);
  CHECK(packet.data == "a\x1e" "4b");
}

TEST_CASE("decode_text_frame decodes the probe packets of the upgrade", "[engineio][packet]") {
  Packet packet;
  REQUIRE_FALSE(decode_text_frame("2probe", packet));
  CHECK(packet.type == PacketType::ping);
  CHECK(packet.data == "probe");
  REQUIRE_FALSE(decode_text_frame("5", packet));
  CHECK(packet.type == PacketType::upgrade);
}

TEST_CASE("decode_text_frame reports an empty frame as an empty packet", "[engineio][packet]") {
  CHECK(frame_error("") == errc::empty_packet);
}

TEST_CASE("decode_text_frame rejects a first byte that is not a type digit",
          "[engineio][packet]") {
  for (std::string_view frame : {"7"sv, "9hello"sv, "/"sv, "x"sv, "\x1e"sv, " 4"sv, "\xc3\xa9"sv,
                                 "\0"sv}) {
    CAPTURE(frame);
    CHECK(frame_error(frame) == errc::unknown_packet_type);
  }
}

TEST_CASE("decode_owned_text_frame decodes like decode_text_frame and takes the buffer",
          "[engineio][packet]") {
  for (const std::string frame : {"4hello", "2probe", "5", "4a\x1e" "4b", "", "x", "b4AQ=="}) {
    Packet expected;
    const std::error_code expected_ec = decode_text_frame(frame, expected);
    Packet owned;
    std::string input = frame;
    const std::error_code ec = decode_owned_text_frame(std::move(input), owned);
    CHECK(ec == expected_ec);
    if (!ec) {
      CHECK(owned.type == expected.type);
      CHECK(owned.binary == expected.binary);
      CHECK(owned.data == expected.data);
    }
  }
  Packet kept;
  kept.data = "keep";
  REQUIRE(decode_owned_text_frame(std::string("9x"), kept));
  CHECK(kept.data == "keep");
}

TEST_CASE("decode_text_frame does not treat a 'b' prefix as base64 binary",
          "[engineio][packet]") {
  // Binary travels in binary frames on WebSocket; the 'b' form is polling-only.
  CHECK(frame_error("bAQIDBA==") == errc::unknown_packet_type);
}

TEST_CASE("decode_text_frame leaves the packet untouched when it fails",
          "[engineio][packet]") {
  Packet packet;
  packet.type = PacketType::pong;
  packet.data = "keep";
  REQUIRE(decode_text_frame("x", packet));
  CHECK(packet.type == PacketType::pong);
  CHECK(packet.data == "keep");
}

// ---------------------------------------------------------------------------
// Polling payloads: decoding

TEST_CASE("decode_payload decodes the spec's text payload example", "[engineio][payload]") {
  std::vector<Packet> packets;
  REQUIRE_FALSE(decode("4hello\x1e" "2\x1e" "4world", packets));
  REQUIRE(packets.size() == 3);
  CHECK(packets[0].type == PacketType::message);
  CHECK(packets[0].data == "hello");
  CHECK_FALSE(packets[0].binary);
  CHECK(packets[1].type == PacketType::ping);
  CHECK(packets[1].data.empty());
  CHECK(packets[2].type == PacketType::message);
  CHECK(packets[2].data == "world");
}

TEST_CASE("decode_payload decodes the spec's mixed text and binary example",
          "[engineio][payload]") {
  std::vector<Packet> packets;
  REQUIRE_FALSE(decode("4hello\x1e" "bAQIDBA==", packets));
  REQUIRE(packets.size() == 2);
  CHECK(packets[0].type == PacketType::message);
  CHECK_FALSE(packets[0].binary);
  CHECK(packets[0].data == "hello");
  CHECK(packets[1].type == PacketType::message);
  CHECK(packets[1].binary);
  CHECK(packets[1].data == "\x01\x02\x03\x04"sv);
}

TEST_CASE("decode_payload decodes a single packet of every type", "[engineio][payload]") {
  for (PacketType type : kAllTypes) {
    std::vector<Packet> packets;
    REQUIRE_FALSE(decode(std::string(1, digit_of(type)) + "x", packets));
    REQUIRE(packets.size() == 1);
    CHECK(packets[0].type == type);
    CHECK_FALSE(packets[0].binary);
    CHECK(packets[0].data == "x");
  }
}

TEST_CASE("decode_payload decodes binary packets without padding", "[engineio][payload]") {
  std::vector<Packet> packets;
  REQUIRE_FALSE(decode("bAQIDBA", packets));
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].binary);
  CHECK(packets[0].data == "\x01\x02\x03\x04"sv);
}

TEST_CASE("decode_payload treats a lone 'b' as an empty binary message", "[engineio][payload]") {
  std::vector<Packet> packets;
  REQUIRE_FALSE(decode("b", packets));
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].type == PacketType::message);
  CHECK(packets[0].binary);
  CHECK(packets[0].data.empty());

  REQUIRE_FALSE(decode("b\x1e" "4x\x1e" "b", packets));
  REQUIRE(packets.size() == 3);
  CHECK(packets[0].binary);
  CHECK(packets[2].binary);
  CHECK(packets[2].data.empty());
}

TEST_CASE("decode_payload accepts multi-byte UTF-8 text in packets", "[engineio][payload]") {
  std::vector<Packet> packets;
  REQUIRE_FALSE(decode("4caf\xc3\xa9\x1e" "4\xe2\x82\xac\x1e" "4\xf0\x9f\x98\x80", packets));
  REQUIRE(packets.size() == 3);
  CHECK(packets[0].data == "caf\xc3\xa9");
  CHECK(packets[1].data == "\xe2\x82\xac");
  CHECK(packets[2].data == "\xf0\x9f\x98\x80");
}

TEST_CASE("decode_payload replaces the previous contents of the output",
          "[engineio][payload]") {
  std::vector<Packet> packets(5);
  REQUIRE_FALSE(decode("6", packets));
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].type == PacketType::noop);
}

TEST_CASE("decode_payload reports an empty body as an empty packet", "[engineio][payload]") {
  CHECK(payload_error("") == errc::empty_packet);
}

TEST_CASE("decode_payload reports separators with nothing between them as empty packets",
          "[engineio][payload]") {
  CHECK(payload_error("\x1e") == errc::empty_packet);
  CHECK(payload_error("\x1e\x1e") == errc::empty_packet);
  CHECK(payload_error("4a\x1e\x1e" "4b") == errc::empty_packet);
  CHECK(payload_error("4a\x1e") == errc::empty_packet);
  CHECK(payload_error("\x1e" "4a") == errc::empty_packet);
}

TEST_CASE("decode_payload keeps the packets before the bad one", "[engineio][payload]") {
  std::vector<Packet> packets;
  CHECK(decode("4a\x1e" "2\x1e" "9", packets) == errc::unknown_packet_type);
  REQUIRE(packets.size() == 2);
  CHECK(packets[0].data == "a");
  CHECK(packets[1].type == PacketType::ping);
}

TEST_CASE("decode_payload rejects a packet whose first byte is not a type digit or 'b'",
          "[engineio][payload]") {
  for (std::string_view body :
       {"7"sv, "x"sv, "4a\x1ex"sv, "4a\x1e" "7b"sv, "B AQID"sv, " 4a"sv, "-1"sv, "\0"sv,
        "\xc3\xa9"sv}) {
    CAPTURE(body);
    CHECK(payload_error(body) == errc::unknown_packet_type);
  }
}

TEST_CASE("decode_payload rejects a binary packet that is not valid base64",
          "[engineio][payload]") {
  for (std::string_view body :
       {"b!!!!"sv, "bAQ="sv, "bA"sv, "bAQIDBA==="sv, "bAQ==AQ=="sv, "bAQ ID"sv, "bAQIDBA==\n"sv,
        "bhello"sv, "4a\x1e" "b-_-_"sv, "b\xc3\xa9\xc3\xa9"sv}) {
    CAPTURE(body);
    CHECK(payload_error(body) == errc::invalid_base64);
  }
}

TEST_CASE("decode_payload rejects a body that is not valid UTF-8", "[engineio][payload]") {
  for (std::string_view body : {
           "4\xff"sv,                       // never valid in UTF-8
           "4\x80"sv,                       // lone continuation byte
           "4\xc0\xaf"sv,                   // overlong '/'
           "4\xe0\x80\xaf"sv,               // overlong '/' in three bytes
           "4\xed\xa0\x80"sv,               // UTF-16 high surrogate
           "4\xed\xbf\xbf"sv,               // UTF-16 low surrogate
           "4\xf4\x90\x80\x80"sv,           // above U+10FFFF
           "4\xe2\x82"sv,                   // truncated at the end
           "4\xe2\x82\x1e" "4a"sv,          // truncated before a separator
           "4ok\x1e" "4\xc3"sv,             // bad bytes in a later packet
           "b\xff"sv,                       // checked before base64
       }) {
    CAPTURE(body);
    CHECK(payload_error(body) == errc::invalid_utf8);
  }
}

// ---------------------------------------------------------------------------
// Polling payloads: encoding

TEST_CASE("encode_payload produces the spec's examples", "[engineio][payload]") {
  CHECK(payload_of({encode_packet(PacketType::message, "hello"), encode_packet(PacketType::ping),
                    encode_packet(PacketType::message, "world")}) ==
        "4hello\x1e" "2\x1e" "4world");
  CHECK(payload_of({encode_packet(PacketType::message, "hello"),
                    encode_binary_message(std::string("\x01\x02\x03\x04", 4))}) ==
        "4hello\x1e" "bAQIDBA==");
}

TEST_CASE("encode_payload writes every packet type as its text form", "[engineio][payload]") {
  for (PacketType type : kAllTypes) {
    CHECK(payload_of({encode_packet(type, "d")}) == std::string(1, digit_of(type)) + "d");
  }
}

TEST_CASE("encode_payload writes binary messages as 'b' plus base64", "[engineio][payload]") {
  CHECK(payload_of({encode_binary_message("")}) == "b");
  CHECK(payload_of({encode_binary_message("\xfb\xff")}) == "b+/8=");
  CHECK(payload_of({encode_binary_message("a"), encode_binary_message("b")}) ==
        "bYQ==\x1e" "bYg==");
}

TEST_CASE("encode_payload of no packets writes nothing", "[engineio][payload]") {
  std::string out = "unchanged";
  encode_payload({}, out);
  CHECK(out == "unchanged");
}

TEST_CASE("encode_payload appends to the output", "[engineio][payload]") {
  std::string out = "prefix:";
  encode_payload({encode_packet(PacketType::noop)}, out);
  CHECK(out == "prefix:6");
}

// ---------------------------------------------------------------------------
// Round trips

TEST_CASE("every packet type survives a payload round trip", "[engineio][payload]") {
  std::vector<EncodedPacket> encoded;
  for (PacketType type : kAllTypes) {
    encoded.push_back(encode_packet(type));
    encoded.push_back(encode_packet(type, "with data \xc3\xa9"));
  }
  std::vector<Packet> decoded;
  REQUIRE_FALSE(decode(payload_of(encoded), decoded));
  REQUIRE(decoded.size() == encoded.size());
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    CHECK(decoded[i].type == kAllTypes[i / 2]);
    CHECK_FALSE(decoded[i].binary);
    CHECK(decoded[i].data == (i % 2 == 0 ? "" : "with data \xc3\xa9"));
  }
}

TEST_CASE("binary messages of every length and byte value survive a payload round trip",
          "[engineio][payload]") {
  const std::string bytes = all_byte_values();
  std::vector<EncodedPacket> encoded;
  for (std::size_t len = 0; len <= 256; len += 1 + len / 8) {
    encoded.push_back(encode_binary_message(bytes.substr(256 - len)));
    encoded.push_back(encode_packet(PacketType::message, "between"));
  }
  std::vector<Packet> decoded;
  REQUIRE_FALSE(decode(payload_of(encoded), decoded));
  REQUIRE(decoded.size() == encoded.size());
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    CHECK(decoded[i].type == PacketType::message);
    CHECK(decoded[i].binary == encoded[i].binary);
    // A text frame starts with its type digit; a binary frame is all data.
    CHECK(decoded[i].data == encoded[i].frame().substr(encoded[i].binary ? 0 : 1));
  }
}

TEST_CASE("a text packet survives a WebSocket frame round trip", "[engineio][packet]") {
  for (PacketType type : kAllTypes) {
    const EncodedPacket encoded = encode_packet(type, "{\"sid\":\"abc\"}");
    Packet decoded;
    REQUIRE_FALSE(decode_text_frame(encoded.frame(), decoded));
    CHECK(decoded.type == type);
    CHECK(decoded.data == "{\"sid\":\"abc\"}");
  }
}

// ---------------------------------------------------------------------------
// UTF-8 validation

TEST_CASE("is_valid_utf8 accepts ASCII, the empty string and embedded NULs", "[utf8]") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("hello, world"));
  CHECK(is_valid_utf8("\0\0\0"sv));
  CHECK(is_valid_utf8(std::string(1000, '\x7f')));
}

TEST_CASE("is_valid_utf8 accepts the boundary code points of every sequence length",
          "[utf8]") {
  CHECK(is_valid_utf8("\xc2\x80"));          // U+0080
  CHECK(is_valid_utf8("\xdf\xbf"));          // U+07FF
  CHECK(is_valid_utf8("\xe0\xa0\x80"));      // U+0800
  CHECK(is_valid_utf8("\xed\x9f\xbf"));      // U+D7FF
  CHECK(is_valid_utf8("\xee\x80\x80"));      // U+E000
  CHECK(is_valid_utf8("\xef\xbf\xbf"));      // U+FFFF
  CHECK(is_valid_utf8("\xf0\x90\x80\x80"));  // U+10000
  CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
}

TEST_CASE("is_valid_utf8 rejects overlong encodings", "[utf8]") {
  CHECK_FALSE(is_valid_utf8("\xc0\x80"));
  CHECK_FALSE(is_valid_utf8("\xc1\xbf"));
  CHECK_FALSE(is_valid_utf8("\xe0\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\xe0\x9f\xbf"));
  CHECK_FALSE(is_valid_utf8("\xf0\x80\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\xf0\x8f\xbf\xbf"));
}

TEST_CASE("is_valid_utf8 rejects UTF-16 surrogates", "[utf8]") {
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));  // U+D800
  CHECK_FALSE(is_valid_utf8("\xed\xaf\xbf"));  // U+DBFF
  CHECK_FALSE(is_valid_utf8("\xed\xb0\x80"));  // U+DC00
  CHECK_FALSE(is_valid_utf8("\xed\xbf\xbf"));  // U+DFFF
  CHECK_FALSE(is_valid_utf8("\xed\xa0\xbd\xed\xb8\x80"));  // CESU-8 pair
}

TEST_CASE("is_valid_utf8 rejects code points above U+10FFFF and invalid lead bytes",
          "[utf8]") {
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\xf7\xbf\xbf\xbf"));
  CHECK_FALSE(is_valid_utf8("\xf8\x88\x80\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\xfe"));
  CHECK_FALSE(is_valid_utf8("\xff"));
}

TEST_CASE("is_valid_utf8 rejects stray continuation bytes", "[utf8]") {
  CHECK_FALSE(is_valid_utf8("\x80"));
  CHECK_FALSE(is_valid_utf8("\xbf"));
  CHECK_FALSE(is_valid_utf8("a\x80" "b"));
  CHECK_FALSE(is_valid_utf8("\xc3\xa9\xa9"));
}

TEST_CASE("is_valid_utf8 rejects truncated sequences at the end and in the middle",
          "[utf8]") {
  CHECK_FALSE(is_valid_utf8("\xc3"));
  CHECK_FALSE(is_valid_utf8("\xe2\x82"));
  CHECK_FALSE(is_valid_utf8("\xf0\x9f\x98"));
  CHECK_FALSE(is_valid_utf8("\xc3" "a"));
  CHECK_FALSE(is_valid_utf8("\xe2\x82" "abcdefgh"));
  CHECK_FALSE(is_valid_utf8("\xf0\x9f\x98" "abcdefgh"));
}

TEST_CASE("is_valid_utf8 finds a bad byte at every offset around the ASCII fast path",
          "[utf8]") {
  for (std::size_t len = 0; len < 40; ++len) {
    for (std::size_t at = 0; at <= len; ++at) {
      std::string text(len, 'a');
      text.insert(at, "\xe2\x82\xac");  // valid: U+20AC
      REQUIRE(is_valid_utf8(text));
      text[at + 2] = 'a';  // now truncated
      REQUIRE_FALSE(is_valid_utf8(text));
      text = std::string(len, 'a');
      text.insert(at, 1, '\x80');
      REQUIRE_FALSE(is_valid_utf8(text));
    }
  }
}

TEST_CASE("is_valid_utf8 agrees with a naive decoder on every one- and two-byte string",
          "[utf8]") {
  for (int a = 0; a < 256; ++a) {
    const char one[] = {static_cast<char>(a)};
    REQUIRE(is_valid_utf8({one, 1}) == reference_utf8({one, 1}));
    for (int b = 0; b < 256; ++b) {
      const char two[] = {static_cast<char>(a), static_cast<char>(b)};
      REQUIRE(is_valid_utf8({two, 2}) == reference_utf8({two, 2}));
    }
  }
}

TEST_CASE("is_valid_utf8 agrees with a naive decoder on every three-byte sequence",
          "[utf8]") {
  std::size_t mismatches = 0;
  for (int a = 0xC0; a < 0x100; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c = 0; c < 256; ++c) {
        const char s[] = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)};
        if (is_valid_utf8({s, 3}) != reference_utf8({s, 3})) ++mismatches;
      }
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("is_valid_utf8 agrees with a naive decoder on four-byte sequences", "[utf8]") {
  const int tails[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0xbf, 0xc0, 0xff};
  std::size_t mismatches = 0;
  for (int a = 0xE0; a < 0x100; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c : tails) {
        for (int d : tails) {
          const char s[] = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                            static_cast<char>(d)};
          if (is_valid_utf8({s, 4}) != reference_utf8({s, 4})) ++mismatches;
        }
      }
    }
  }
  CHECK(mismatches == 0);
}

// ---------------------------------------------------------------------------
// Robustness

namespace {

// Random bytes skewed towards the characters the decoders branch on, so the
// garbage reaches deep paths (base64 tails, separators, multi-byte UTF-8)
// instead of failing on the first byte every time.
std::string garbage(std::mt19937& rng) {
  static constexpr std::string_view kInteresting =
      "0123456b\x1e=+/AQIDBAZz9 %&?\x80\xbf\xc2\xc3\xe0\xe2\xed\xef\xf0\xf4\xff"sv;
  std::string s(rng() % 48, '\0');
  for (auto& c : s) {
    const std::uint32_t r = rng();
    c = (r & 0x300) != 0 ? kInteresting[(r >> 10) % kInteresting.size()]
                         : static_cast<char>(r & 0xFF);
  }
  return s;
}

}  // namespace

TEST_CASE("the decoders survive random garbage without crashing", "[engineio][fuzz]") {
  std::mt19937 rng(20240601u);  // fixed seed: failures must be reproducible
  std::vector<Packet> packets;
  Packet packet;
  std::string bytes;
  std::size_t payload_successes = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string input = garbage(rng);
    CAPTURE(i);

    if (!decode_payload(input, packets)) {
      ++payload_successes;
      // Whatever decodes must re-encode to something that decodes the same.
      std::vector<EncodedPacket> encoded;
      for (const auto& p : packets) {
        encoded.push_back(p.binary ? encode_binary_message(p.data)
                                   : encode_packet(p.type, p.data));
      }
      std::vector<Packet> again;
      REQUIRE_FALSE(decode_payload(payload_of(encoded), again));
      REQUIRE(again.size() == packets.size());
    }
    static_cast<void>(decode_text_frame(input, packet));
    if (socketio::engine::base64_decode(input, bytes)) {
      std::string reencoded;
      socketio::engine::base64_encode(bytes, reencoded);
      std::string again;
      REQUIRE(socketio::engine::base64_decode(reencoded, again));
      REQUIRE(again == bytes);
    }
    REQUIRE(is_valid_utf8(input) == reference_utf8(input));
  }
  // Guards the generator: garbage that never decodes would test nothing.
  CHECK(payload_successes > 100);
}

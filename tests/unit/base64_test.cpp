#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engineio/base64.hpp"

using socketio::engine::base64_decode;
using socketio::engine::base64_encode;

namespace {

std::string encode(std::string_view bytes) {
  std::string out;
  base64_encode(bytes, out);
  return out;
}

bool decodes_to(std::string_view text, std::string_view expected) {
  std::string out;
  return base64_decode(text, out) && out == expected;
}

bool rejects(std::string_view text) {
  std::string out;
  return !base64_decode(text, out);
}

std::string all_byte_values() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

// RFC 4648 section 10.
const std::vector<std::pair<std::string, std::string>> kRfcVectors = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

}  // namespace

TEST_CASE("base64 encoding matches the RFC 4648 test vectors", "[base64]") {
  for (const auto& [plain, encoded] : kRfcVectors) {
    CAPTURE(plain);
    CHECK(encode(plain) == encoded);
  }
}

TEST_CASE("base64 encoding appends to the output instead of replacing it", "[base64]") {
  std::string out = "b";
  base64_encode(std::string_view("\x01\x02\x03\x04", 4), out);
  CHECK(out == "bAQIDBA==");
}

TEST_CASE("base64 encoding uses the standard alphabet with plus and slash", "[base64]") {
  CHECK(encode("\xfb\xff") == "+/8=");
  CHECK(encode("\xff\xff\xff") == "////");
  CHECK(encode(std::string_view("\x00\x00\x00", 3)) == "AAAA");
}

TEST_CASE("base64 decoding matches the RFC 4648 test vectors with padding", "[base64]") {
  for (const auto& [plain, encoded] : kRfcVectors) {
    CAPTURE(encoded);
    CHECK(decodes_to(encoded, plain));
  }
}

TEST_CASE("base64 decoding accepts input without padding as Node's Buffer does", "[base64]") {
  CHECK(decodes_to("Zg", "f"));
  CHECK(decodes_to("Zm8", "fo"));
  CHECK(decodes_to("Zm9vYg", "foob"));
  CHECK(decodes_to("Zm9vYmE", "fooba"));
  CHECK(decodes_to("AQIDBA", std::string_view("\x01\x02\x03\x04", 4)));
}

TEST_CASE("base64 decoding of the empty string is the empty byte string", "[base64]") {
  std::string out = "stale";
  REQUIRE(base64_decode("", out));
  CHECK(out.empty());
}

TEST_CASE("base64 decoding replaces the previous contents of the output", "[base64]") {
  std::string out = "stale";
  REQUIRE(base64_decode("Zm9v", out));
  CHECK(out == "foo");
}

TEST_CASE("base64 decoding ignores unused low bits in the last character as Node does",
          "[base64]") {
  // "AR==" is not canonical ("AQ==" is), but Node decodes it to <01>.
  CHECK(decodes_to("AR==", "\x01"));
  CHECK(decodes_to("AQJ=", "\x01\x02"));
}

TEST_CASE("base64 round trips every byte value and every short length", "[base64]") {
  const std::string bytes = all_byte_values();
  for (std::size_t len = 0; len <= bytes.size(); ++len) {
    for (std::size_t offset : {std::size_t{0}, bytes.size() - len}) {
      const std::string_view slice(bytes.data() + offset, len);
      const std::string encoded = encode(slice);
      CHECK(encoded.size() == (len + 2) / 3 * 4);
      std::string decoded;
      REQUIRE(base64_decode(encoded, decoded));
      REQUIRE(decoded == slice);
    }
  }
}

TEST_CASE("base64 decoding rejects a length of one more than a multiple of four",
          "[base64]") {
  CHECK(rejects("A"));
  CHECK(rejects("AAAAA"));
  CHECK(rejects("Zm9vY"));
  CHECK(rejects("Zm9vY==="));
}

TEST_CASE("base64 decoding rejects padding that does not complete the last quantum",
          "[base64]") {
  CHECK(rejects("="));
  CHECK(rejects("=="));
  CHECK(rejects("===="));
  CHECK(rejects("AQ="));
  CHECK(rejects("A==="));
  CHECK(rejects("AQI=="));
  CHECK(rejects("AQID="));
  CHECK(rejects("AQID=="));
}

TEST_CASE("base64 decoding rejects padding in the middle of the input", "[base64]") {
  CHECK(rejects("AQ==AQ=="));
  CHECK(rejects("AQ=A"));
  CHECK(rejects("A=AA"));
  CHECK(rejects("=AAA"));
  CHECK(rejects("AQ==AQID"));
}

TEST_CASE("base64 decoding rejects characters outside the standard alphabet", "[base64]") {
  CHECK(rejects("AQ-_"));  // base64url alphabet
  CHECK(rejects("AQI!"));
  CHECK(rejects("AQ.D"));
  CHECK(rejects(std::string_view("AQ\0D", 4)));
  CHECK(rejects("AQ\xc3\xa9"));
  CHECK(rejects("\xff\xff\xff\xff"));
  CHECK(rejects("AQIDBA=\x80"));
}

TEST_CASE("base64 decoding rejects whitespace anywhere", "[base64]") {
  CHECK(rejects(" AQID"));
  CHECK(rejects("AQID "));
  CHECK(rejects("AQ ID"));
  CHECK(rejects("AQID\nBA=="));
  CHECK(rejects("AQIDBA==\r\n"));
  CHECK(rejects("AQ\tD"));
}

TEST_CASE("base64 decoding leaves the output empty when it fails", "[base64]") {
  std::string out = "stale";
  CHECK_FALSE(base64_decode("AQIDB!==", out));
  CHECK(out.empty());
  out = "stale";
  CHECK_FALSE(base64_decode("A", out));
  CHECK(out.empty());
}

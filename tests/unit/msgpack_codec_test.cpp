// The MessagePack codec of the Redis adapter against bytes produced by the
// real notepack.io 3.0.1 (the codec of Node's @socket.io/redis-adapter).
//
// The hex fixtures were printed by notepack.encode() in Node 20 for the
// JavaScript value written next to each, so encode(json) == hex proves we
// write what Node writes and decode(hex) == json that we read what it reads.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "random_inputs.hpp"
#include "redis/msgpack_codec.hpp"
#include "socketio/json.hpp"

namespace mp = socketio::detail::msgpack;
using socketio::Binary;
using socketio::Json;

namespace {

std::string from_hex(std::string_view hex) {
  std::string out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
  };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// Json's operator== compares as JavaScript would (1 == 1.0, objects as
// sets). The codec must keep kinds and member order exactly.
bool same(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Json::Type::null: return true;
    case Json::Type::boolean: return *a.if_bool() == *b.if_bool();
    case Json::Type::integer: return *a.if_int() == *b.if_int();
    case Json::Type::floating: {
      const double x = *a.if_double(), y = *b.if_double();
      if (std::isnan(x) && std::isnan(y)) return true;
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case Json::Type::string: return *a.if_string() == *b.if_string();
    case Json::Type::binary: return *a.if_binary() == *b.if_binary();
    case Json::Type::array: {
      const auto& x = *a.if_array();
      const auto& y = *b.if_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!same(x[i], y[i])) return false;
      }
      return true;
    }
    case Json::Type::object: {
      const auto& x = *a.if_object();
      const auto& y = *b.if_object();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (x[i].first != y[i].first || !same(x[i].second, y[i].second)) return false;
      }
      return true;
    }
  }
  return false;
}

Json decode_ok(std::string_view hex) {
  std::string error;
  auto value = mp::decode(from_hex(hex), &error);
  INFO(hex << ": " << error);
  REQUIRE(value);
  return *value;
}

std::string decode_error(const std::string& bytes, int max_depth = 64) {
  std::string error;
  auto value = mp::decode(bytes, &error, max_depth);
  CHECK_FALSE(value);
  CHECK_FALSE(error.empty());
  return error;
}

// Both directions: what notepack wrote we read, what we write is what it wrote.
void check_fixture(std::string_view hex, const Json& value) {
  INFO("fixture " << hex << " <-> " << value);
  CHECK(to_hex(mp::encode(value)) == hex);
  CHECK(same(decode_ok(hex), value));
}

// "abcd...zabc..." of `n` characters, and bytes (i * 7) & 255.
std::string letters(std::size_t n) {
  std::string s(n, ' ');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}
Binary pattern_bytes(std::size_t n) {
  Binary b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>((i * 7) & 255);
  return b;
}

}  // namespace

TEST_CASE("msgpack: the adapter's broadcast message as notepack writes it", "[msgpack]") {
  // ["abc123", {type:2, data:["event","hi",1,2.5,-3,true,null,{a:1},Buffer.from([1,2,3])],
  //  nsp:"/"}, {rooms:["r1"], except:[], flags:{volatile:false}}]
  const Json message = Json::array(
      {"abc123",
       Json::object({{"type", 2},
                     {"data", Json::array({"event", "hi", 1, 2.5, -3, true, nullptr,
                                           Json::object({{"a", 1}}), Binary{1, 2, 3}})},
                     {"nsp", "/"}}),
       Json::object({{"rooms", Json::array({"r1"})},
                     {"except", Json::array()},
                     {"flags", Json::object({{"volatile", false}})}})});
  check_fixture(
      "93a661626331323383a47479706502a46461746199a56576656e74a2686901cb4004000000000000fdc3c081a16101c4"
      "03010203a36e7370a12f83a5726f6f6d7391a27231a665786365707490a5666c61677381a8766f6c6174696c65c2",
      message);
}

TEST_CASE("msgpack: a BROADCAST request (type 7) as notepack writes it", "[msgpack]") {
  // {uid:"abc123", requestId:"xyz789", type:7, packet:{type:2, data:["ev", Buffer.from([0,255])],
  //  nsp:"/chat"}, opts:{rooms:[], except:["sid1"], flags:{timeout:5000}}}
  const Json request = Json::object(
      {{"uid", "abc123"},
       {"requestId", "xyz789"},
       {"type", 7},
       {"packet", Json::object({{"type", 2},
                                {"data", Json::array({"ev", Binary{0, 255}})},
                                {"nsp", "/chat"}})},
       {"opts", Json::object({{"rooms", Json::array()},
                              {"except", Json::array({"sid1"})},
                              {"flags", Json::object({{"timeout", 5000}})}})}});
  check_fixture(
      "85a3756964a6616263313233a9726571756573744964a678797a373839a47479706507a67061636b657483a4747970"
      "6502a46461746192a26576c40200ffa36e7370a52f63686174a46f70747383a5726f6f6d7390a665786365707491a4"
      "73696431a5666c61677381a774696d656f7574cd1388",
      request);
}

TEST_CASE("msgpack: integers take notepack's smallest form", "[msgpack]") {
  const std::pair<std::int64_t, const char*> cases[] = {
      {0, "00"},
      {0x7f, "7f"},
      {0x80, "cc80"},
      {255, "ccff"},
      {256, "cd0100"},
      {65535, "cdffff"},
      {65536, "ce00010000"},
      {4294967295LL, "ceffffffff"},
      {4294967296LL, "cf0000000100000000"},
      {1099511627776LL, "cf0000010000000000"},       // 2^40
      {9007199254740991LL, "cf001fffffffffffff"},    // 2^53 - 1
      {-1, "ff"},
      {-32, "e0"},
      {-33, "d0df"},
      {-128, "d080"},
      {-129, "d1ff7f"},
      {-32768, "d18000"},
      {-32769, "d2ffff7fff"},
      {-2147483648LL, "d280000000"},
      {-2147483649LL, "d3ffffffff7fffffff"},         // -2^31 - 1
      {-1099511627776LL, "d3ffffff0000000000"},      // -2^40
      {-9007199254740991LL, "d3ffe0000000000001"},   // -(2^53 - 1)
  };
  for (const auto& [number, hex] : cases) check_fixture(hex, Json(number));

  // Beyond JavaScript's safe integers: notepack reads these as doubles; we
  // keep what fits int64 exact and turn the rest into a double.
  CHECK(same(decode_ok("cf7fffffffffffffff"), Json(std::numeric_limits<std::int64_t>::max())));
  CHECK(same(decode_ok("d38000000000000000"), Json(std::numeric_limits<std::int64_t>::min())));
  CHECK(same(decode_ok("cfffffffffffffffff"), Json(18446744073709551615.0)));
  // Signed forms holding small values (other encoders write these).
  CHECK(same(decode_ok("d001"), Json(1)));
  CHECK(same(decode_ok("d3000000000000002a"), Json(42)));
}

TEST_CASE("msgpack: doubles are always float64", "[msgpack]") {
  check_fixture("cb4004000000000000", Json(2.5));
  check_fixture("cbbfb999999999999a", Json(-0.1));
  check_fixture("cb3fe0000000000000", Json(0.5));
  check_fixture("cb81b01297d23ab683", Json(-1.5e-300));
  // An integral double stays float64; Node reads the same number either way
  // (notepack itself writes 1e300 as a broken uint64, so float64 is safer).
  CHECK(to_hex(mp::encode(Json(3.0))) == "cb4008000000000000");
  CHECK(to_hex(mp::encode(Json(1e300))) == "cb7e37e43c8800759c");
  CHECK(same(decode_ok("cb7e37e43c8800759c"), Json(1e300)));
  // float32 (notepack never writes it, other encoders do).
  CHECK(same(decode_ok("ca3fc00000"), Json(1.5)));
  // -0.0 keeps its sign; non-finite numbers survive.
  CHECK(to_hex(mp::encode(Json(-0.0))) == "cb8000000000000000");
  const auto inf = mp::decode(mp::encode(Json(std::numeric_limits<double>::infinity())));
  REQUIRE(inf);
  CHECK(*inf->if_double() == std::numeric_limits<double>::infinity());
}

TEST_CASE("msgpack: strings and buffers in every length form", "[msgpack]") {
  // ["", "a", "x"*31, "y"*32, "z"*255, "w"*256, "héllo €😀"]
  std::string hex = "97a0a161bf";
  for (int i = 0; i < 31; ++i) hex += "78";
  hex += "d920";
  for (int i = 0; i < 32; ++i) hex += "79";
  hex += "d9ff";
  for (int i = 0; i < 255; ++i) hex += "7a";
  hex += "da0100";
  for (int i = 0; i < 256; ++i) hex += "77";
  hex += "ae68c3a96c6c6f20e282acf09f9880";
  check_fixture(hex, Json::array({"", "a", std::string(31, 'x'), std::string(32, 'y'),
                                  std::string(255, 'z'), std::string(256, 'w'),
                                  "h\xC3\xA9llo \xE2\x82\xAC\xF0\x9F\x98\x80"}));

  // [Buffer.alloc(0), Buffer.from([0]), Buffer.alloc(255, 7)]
  hex = "93c400c40100c4ff";
  for (int i = 0; i < 255; ++i) hex += "07";
  check_fixture(hex, Json::array({Binary{}, Binary{0}, Binary(255, 7)}));

  // Long values: notepack's header, then the bytes themselves (checked to
  // be the plain content in Node). 71680 = 70 KiB needs str32 / bin32.
  const std::pair<std::size_t, const char*> strings[] = {
      {300, "da012c"}, {65535, "daffff"}, {65536, "db00010000"}, {71680, "db00011800"}};
  for (const auto& [size, header] : strings) {
    const std::string text = letters(size);
    check_fixture(to_hex(from_hex(header) + text), Json(text));
  }
  const std::pair<std::size_t, const char*> buffers[] = {
      {300, "c5012c"}, {65535, "c5ffff"}, {65536, "c600010000"}, {71680, "c600011800"}};
  for (const auto& [size, header] : buffers) {
    const Binary bytes = pattern_bytes(size);
    check_fixture(to_hex(from_hex(header) + std::string(bytes.begin(), bytes.end())), Json(bytes));
  }
}

TEST_CASE("msgpack: undefined, ArrayBuffer and typed arrays", "[msgpack]") {
  // {a:1, b:undefined, c:null, f(){}}: notepack leaves out undefined and
  // function members.
  check_fixture("82a16101a163c0", Json::object({{"a", 1}, {"c", nullptr}}));
  // [undefined, 1] and a bare undefined are nil.
  check_fixture("92c001", Json::array({nullptr, 1}));
  check_fixture("c0", Json());
  // new Uint8Array([1,2,3]).buffer and new Uint8Array([4,5]): notepack 3
  // writes both as bin, like a Buffer.
  check_fixture("c403010203", Json(Binary{1, 2, 3}));
  check_fixture("c4020405", Json(Binary{4, 5}));

  // What older notepack versions wrote, and notepack 3 still reads:
  // undefined as fixext1 type 0 ...
  CHECK(same(decode_ok("92d4000001"), Json::array({nullptr, 1})));
  // ... and an ArrayBuffer as ext8/16/32 type 0.
  CHECK(same(decode_ok("c70300010203"), Json(Binary{1, 2, 3})));
  CHECK(same(decode_ok("c8000300010203"), Json(Binary{1, 2, 3})));
  CHECK(same(decode_ok("c90000000300010203"), Json(Binary{1, 2, 3})));
  CHECK(same(decode_ok("c70100ab"), Json(Binary{0xab})));  // ext8 of one byte is not undefined
  CHECK(same(decode_ok("c70000"), Json(Binary{})));
}

TEST_CASE("msgpack: other extensions (dates) decode as null", "[msgpack]") {
  CHECK(same(decode_ok("d6ff00000000"), Json()));            // new Date(0), timestamp 32
  CHECK(same(decode_ok("d7ff1d5353006553f100"), Json()));    // new Date(1700000000123), timestamp 64
  CHECK(same(decode_ok("c70cff000000000000000000000001"), Json()));  // timestamp 96
  CHECK(same(decode_ok("d70000000000000003e8"), Json()));    // legacy notepack date
  CHECK(same(decode_ok("d5000102"), Json()));                // notepack: [0, Buffer]
  CHECK(same(decode_ok("d8050102030405060708090a0b0c0d0e0f10"), Json()));
  CHECK(same(decode_ok("92c70207010290"), Json::array({nullptr, Json::array()})));
}

TEST_CASE("msgpack: nested containers and 16-bit lengths", "[msgpack]") {
  // [[1,[2,[3,[]]]], {}, [{}], {x:{y:{z:[]}}}]
  check_fixture("949201920292039080918081a17881a17981a17a90",
                Json::array({Json::array({1, Json::array({2, Json::array({3, Json::array()})})}),
                             Json::object(), Json::array({Json::object()}),
                             Json::object({{"x", Json::object({{"y", Json::object({{"z", Json::array()}})}})}})}));
  // {k0:0, ..., k15:15} (map16) and [0..15] (array16).
  Json map = Json::object();
  Json array = Json::array();
  for (int i = 0; i < 16; ++i) {
    map["k" + std::to_string(i)] = i;
    array.push_back(i);
  }
  check_fixture(
      "de0010a26b3000a26b3101a26b3202a26b3303a26b3404a26b3505a26b3606a26b3707a26b3808a26b3909a36b3130"
      "0aa36b31310ba36b31320ca36b31330da36b31340ea36b31350f",
      map);
  check_fixture("dc0010000102030405060708090a0b0c0d0e0f", array);
}

TEST_CASE("msgpack: maps keep the order received; a repeated key keeps its last value", "[msgpack]") {
  const Json value = decode_ok("83a162c0a161c3a1637b");
  REQUIRE(value.is_object());
  const auto& members = *value.if_object();
  REQUIRE(members.size() == 3);
  CHECK(members[0].first == "b");
  CHECK(members[1].first == "a");
  CHECK(members[2].first == "c");
  // {a:1, b:2, a:3} reads as JavaScript assigns: {a:3, b:2}.
  CHECK(same(decode_ok("83a16101a16202a16103"), Json::object({{"a", 3}, {"b", 2}})));
  // The same with enough members to use the index.
  std::string hex = "de0014";
  for (int i = 0; i < 20; ++i) {
    const std::string key = "k" + std::to_string(i % 18);
    hex += to_hex(std::string(1, static_cast<char>(0xa0 | key.size())) + key);
    hex += to_hex(std::string(1, static_cast<char>(i)));
  }
  const Json big = decode_ok(hex);
  REQUIRE(big.size() == 18);
  CHECK(big["k0"] == Json(18));
  CHECK(big["k1"] == Json(19));
  CHECK(big["k17"] == Json(17));
  CHECK((*big.if_object())[0].first == "k0");
}

TEST_CASE("msgpack: invalid UTF-8 becomes U+FFFD as in Node", "[msgpack]") {
  // Buffer.from("ff61e282", "hex").toString() == "\ufffda\ufffd"
  CHECK(same(decode_ok("a4ff61e282"), Json("\xEF\xBF\xBD" "a" "\xEF\xBF\xBD")));
  // "ff61e282f09f" -> efbfbd 61 efbfbd efbfbd
  CHECK(same(decode_ok("a6ff61e282f09f"), Json("\xEF\xBF\xBD" "a" "\xEF\xBF\xBD\xEF\xBF\xBD")));
  // Surrogates and overlongs are ill-formed too, one U+FFFD per byte.
  CHECK(same(decode_ok("a3eda080"), Json("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD")));
  CHECK(same(decode_ok("a2c0af"), Json("\xEF\xBF\xBD\xEF\xBF\xBD")));
  CHECK(same(decode_ok("81a2ff41c0"), Json::object({{"\xEF\xBF\xBD" "A", nullptr}})));
  CHECK(same(decode_ok("a3e282ac"), Json("\xE2\x82\xAC")));
}

TEST_CASE("msgpack: malformed input is rejected", "[msgpack]") {
  decode_error("");
  decode_error(from_hex("c1"));                 // never used
  decode_error(from_hex("c0c0"));               // trailing bytes
  decode_error(from_hex("a36162"));             // truncated string
  decode_error(from_hex("92c0"));               // truncated array
  decode_error(from_hex("cd01"));               // truncated integer
  decode_error(from_hex("d4"));                 // truncated ext
  decode_error(from_hex("8101c0"));             // integer key
  decode_error(from_hex("8190c0"));             // array key
  decode_error(from_hex("81c0c0"));             // nil key
  decode_error(from_hex("81a161"));             // key without value
  // Huge claimed sizes with nothing behind them: no allocation, just an error.
  decode_error(from_hex("ddffffffff"));
  decode_error(from_hex("dfffffffff"));
  decode_error(from_hex("dbffffffff61"));
  decode_error(from_hex("c6ffffffff00"));
  decode_error(from_hex("c9ffffffff0000"));
}

TEST_CASE("msgpack: nesting is limited", "[msgpack]") {
  auto nested = [](int depth) { return std::string(static_cast<std::size_t>(depth), '\x91') + '\xc0'; };
  CHECK(mp::decode(nested(64)));
  const std::string error = decode_error(nested(65));
  CHECK(error.find("deeper") != std::string::npos);
  CHECK(mp::decode(nested(3), nullptr, 3));
  decode_error(nested(4), 3);
  // Maps count too, and a deep hostile input does not exhaust the stack.
  std::string maps;
  for (int i = 0; i < 100; ++i) maps += "\x81\xa1k";
  maps += '\xc0';
  decode_error(maps);
  decode_error(std::string(1000000, '\x91') + '\xc0');
}

// ---- properties ------------------------------------------------------------

namespace {

/// Any value MessagePack carries: binary, NaN and infinities included.
Json random_json(std::mt19937_64& rng, int depth) {
  return socketio::test::random_json_tree(rng, depth, 7, 20, 24, [](std::mt19937_64& rng, int kind) {
    switch (kind) {  // 0 to 2: null, bool, int64 (random_json_tree)
      case 3: {
        double value;
        const std::uint64_t bits = rng();
        std::memcpy(&value, &bits, sizeof value);  // any double, NaN and infinities included
        return Json(value);
      }
      case 4: {
        std::string text;
        const std::size_t length = rng() % 40;
        const char* pieces[] = {"a", "\"", "\\", "\n", "\x01", "\xC3\xA9", "\xF0\x9F\x98\x80", "", " "};
        for (std::size_t i = 0; i < length; ++i) text += pieces[rng() % 9];
        return Json(std::move(text));
      }
      case 5: {
        Binary bytes(rng() % 300);
        for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
        return Json(std::move(bytes));
      }
      default: return Json(static_cast<std::int64_t>(rng() % 70000) - 35000);
    }
  });
}

}  // namespace

TEST_CASE("msgpack: encode then decode gives back the same value", "[msgpack]") {
  std::mt19937_64 rng(4242);
  for (int i = 0; i < 3000; ++i) {
    const Json value = random_json(rng, 0);
    const std::string bytes = mp::encode(value);
    std::string error;
    const auto back = mp::decode(bytes, &error);
    INFO(to_hex(bytes) << " " << error);
    REQUIRE(back);
    CHECK(same(*back, value));
    CHECK(mp::encode(*back) == bytes);
  }
}

TEST_CASE("msgpack: random and mutated input never crashes the decoder", "[msgpack][fuzz]") {
  // Run under ASan/UBSan. Half the inputs are random sequences of type
  // bytes and lengths, half are real encodings with bytes flipped, cut,
  // inserted or removed. Whatever decodes must survive a round trip.
  std::mt19937_64 rng(20240601);
  const char headers[] = {'\x00', '\x7f', '\x80', '\x81', '\x8f', '\x90', '\x91', '\x9f', '\xa0',
                          '\xa1', '\xbf', '\xc0', '\xc1', '\xc2', '\xc3', '\xc4', '\xc5', '\xc6',
                          '\xc7', '\xc8', '\xc9', '\xca', '\xcb', '\xcc', '\xcd', '\xce', '\xcf',
                          '\xd0', '\xd1', '\xd2', '\xd3', '\xd4', '\xd5', '\xd6', '\xd7', '\xd8',
                          '\xd9', '\xda', '\xdb', '\xdc', '\xdd', '\xde', '\xdf', '\xe0', '\xff'};
  std::vector<std::string> seeds;
  for (int i = 0; i < 64; ++i) seeds.push_back(mp::encode(random_json(rng, 0)));
  std::size_t decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string input;
    if (i % 2 == 0) {
      input = socketio::test::random_mix(rng, rng() % 24, headers, 3);
    } else {
      input = seeds[rng() % seeds.size()];
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !input.empty(); ++e) {
        const std::size_t at = rng() % input.size();
        switch (rng() % 4) {
          case 0: input[at] = static_cast<char>(rng()); break;
          case 1: input.resize(at); break;
          case 2: input.insert(at, 1, headers[rng() % sizeof headers]); break;
          default: input.erase(at, 1); break;
        }
      }
    }
    std::string error;
    const auto value = mp::decode(input, &error);
    if (!value) {
      CHECK_FALSE(error.empty());
      continue;
    }
    ++decoded;
    const auto again = mp::decode(mp::encode(*value));
    INFO(to_hex(input));
    REQUIRE(again);
    CHECK(same(*again, *value));
  }
  CHECK(decoded > 1000);
}

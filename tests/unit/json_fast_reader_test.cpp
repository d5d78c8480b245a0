// The fast path of parse_json must give exactly what the general parser
// gives, or decline. Compared here against parse_json_without_fast_path on
// chosen edge cases, random documents and random garbage.

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <string_view>

#include "json/json_fast_reader.hpp"
#include "json/json_text.hpp"
#include "random_inputs.hpp"
#include "socketio/json.hpp"

using socketio::Json;
using socketio::detail::parse_json;
using socketio::detail::parse_json_fast;
using socketio::detail::parse_json_without_fast_path;
using namespace std::string_view_literals;

namespace {

/// Same type at every node and the same values (Json's == treats 1 and 1.0
/// as equal, as JavaScript does; this does not).
bool identical(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    const auto& x = *a.if_array();
    const auto& y = *b.if_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!identical(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto& x = *a.if_object();
    const auto& y = *b.if_object();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (x[i].first != y[i].first || !identical(x[i].second, y[i].second)) return false;
    }
    return true;
  }
  if (a.is_double()) {
    const double x = a.get<double>(), y = b.get<double>();
    return std::memcmp(&x, &y, sizeof x) == 0;  // tells -0 from 0
  }
  return a == b;
}

/// parse_json (fast path first) and the general parser agree on `text`.
void check_same(std::string_view text, std::size_t max_depth = Json::max_parse_depth) {
  INFO("text: " << std::string(text));
  Json fast, general;
  const std::error_code fast_ec = parse_json(text, fast, max_depth);
  const std::error_code general_ec = parse_json_without_fast_path(text, general, max_depth);
  CHECK(fast_ec == general_ec);
  CHECK(identical(fast, general));
}

bool taken(std::string_view text, std::size_t max_depth = Json::max_parse_depth) {
  Json out;
  return parse_json_fast(text, out, max_depth);
}

}  // namespace

TEST_CASE("fast JSON reader: takes the usual message forms", "[json][fast]") {
  CHECK(taken(R"(["message-with-ack",{"user":"a","text":"hello world","seq":12}])"));
  CHECK(taken(R"( [ 1 , -2.5e-3 , 0 , -0 , 1E+2 , true , false , null , "" , [ ] , { } ] )"));
  CHECK(taken("{\"\xC3\xA9\xF0\x9F\x98\x80\":\"\xE2\x82\xAC\"}"));
  CHECK(taken(R"({"a":1,"a":2,"b":[{"c":[[]]}]})"));
  CHECK(taken("\t\r\n[1]\n"));
  CHECK(taken("[1e99,-1E-99,1.5e+07]"));
}

TEST_CASE("fast JSON reader: declines what the general parser must handle", "[json][fast]") {
  for (const std::string_view text :
       {""sv, " "sv, R"(["a\"b"])"sv, R"(["\u0041"])"sv, "[\"tab\there\"]"sv, "[\"\x01\"]"sv, "[01]"sv,
        "[1.]"sv, "[.5]"sv, "[-]"sv, "[1e]"sv, "[+1]"sv, "[1,]"sv, "{\"a\":1,}"sv, "{a:1}"sv, "[1 2]"sv,
        "[true false]"sv, "[tru]"sv, "nul"sv, "[1]x"sv, "[1]\0"sv, "\"unterminated"sv, "[NaN]"sv,
        "[Infinity]"sv, "{\"a\" 1}"sv, "['a']"sv, "1e400"sv, "1e-400"sv, "1e001"sv}) {
    INFO("text: " << std::string(text));
    CHECK_FALSE(taken(text));
  }
  // Deeper than the fast reader goes, or than the caller allows.
  CHECK_FALSE(taken(std::string(33, '[') + std::string(33, ']')));
  CHECK(taken(std::string(32, '[') + std::string(32, ']')));
  CHECK_FALSE(taken("[[[1]]]", 2));
  CHECK(taken("[[1]]", 2));
}

TEST_CASE("fast JSON reader: leaves the output alone when it declines", "[json][fast]") {
  Json out = Json("kept");
  CHECK_FALSE(parse_json_fast(R"([1,{"a":[2,"\n"]}])", out, Json::max_parse_depth));
  CHECK(out == Json("kept"));
  // The declined parse's partial values do not leak into the next one.
  CHECK(parse_json_fast(R"([3,{"b":4}])", out, Json::max_parse_depth));
  CHECK(out.dump() == R"([3,{"b":4}])");
}

TEST_CASE("fast JSON reader: agrees with the general parser on edge cases", "[json][fast]") {
  for (const std::string_view text :
       {R"(["message-with-ack",{"user":"a","text":"hello world","seq":12}])"sv, "0"sv, "-0"sv, "-0.0"sv,
        "9223372036854775807"sv, "9223372036854775808"sv, "-9223372036854775808"sv, "-9223372036854775809"sv,
        "1e400"sv, "-1e400"sv, "1e-400"sv, "0.1"sv, "123456789012345678901234567890"sv, "2.5E+3"sv,
        R"({"a":1,"b":2,"a":3})"sv, R"({"__proto__":1})"sv, "\"\xF0\x9F\x98\x80\""sv, "[\"\xED\x9F\xBF\"]"sv,
        "[01]"sv, "[1.]"sv, "[\"a\\\"b\"]"sv, "[\"\\ud800\"]"sv, "[\"\\udc00x\"]"sv, "[1]x"sv, "[1] "sv,
        "[\"\x01\"]"sv, "[\"\xFF\"]"sv, "\"\xED\xA0\x80\""sv, "[1,]"sv, ""sv, "  "sv, "{}"sv, "[]"sv,
        "[[],[[]],{}]"sv, "{\"\":\"\"}"sv}) {
    check_same(text);
  }
  check_same(std::string(200, '[') + std::string(200, ']'));
  check_same(std::string(128, '[') + std::string(128, ']'));
  check_same(std::string(129, '[') + std::string(129, ']'));
  check_same("[[[1]]]", 2);
  check_same("[[1]]", 2);
  check_same(std::string("[1]\0", 4));
  check_same("1" + std::string(299, '0'));
  check_same("1" + std::string(300, '0'));
  check_same("1" + std::string(320, '0'));
  check_same("1" + std::string(320, '0') + ".5");
  check_same("0." + std::string(320, '0') + "1e99");
  check_same("1.5e99");
  check_same("1e308");
  check_same("1e309");
  check_same("-1e-99");
  // Many members, so the sorting duplicate check runs.
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i % 23) + "\":" + std::to_string(i) + ",";
  many.back() = '}';
  check_same(many);
}

TEST_CASE("fast JSON reader: agrees with the general parser on random documents", "[json][fast]") {
  std::mt19937_64 rng(4242);
  const char* const strings[] = {"", "a", "hello world", "message-with-ack", "\xC3\xA9t\xC3\xA9",
                                 "\xF0\x9F\x98\x80", "with \"quote\"", "tab\there", "back\\slash"};
  const char* const numbers[] = {"0", "-0", "1", "-17", "3.25", "1e3", "-2.5E-4", "9007199254740993",
                                 "18446744073709551616", "0.30000000000000004"};
  const char* const spaces[] = {"", "", "", " ", "\n", "\t ", "\r\n"};
  auto space = [&] { return std::string(spaces[rng() % std::size(spaces)]); };
  std::function<std::string(int)> document = [&](int depth) -> std::string {
    switch (depth > 5 ? rng() % 4 : rng() % 6) {
      case 0: return std::string("\"") + strings[rng() % std::size(strings)] + "\"";
      case 1: return numbers[rng() % std::size(numbers)];
      case 2: return rng() % 3 == 0 ? "null" : rng() % 2 ? "true" : "false";
      case 3: return "\"k" + std::to_string(rng() % 5) + "\"";
      case 4: {
        std::string out = "[" + space();
        const std::size_t n = rng() % 5;
        for (std::size_t i = 0; i < n; ++i) out += (i ? "," : "") + space() + document(depth + 1) + space();
        return out + "]";
      }
      default: {
        std::string out = "{" + space();
        const std::size_t n = rng() % 5;
        for (std::size_t i = 0; i < n; ++i) {
          out += (i ? "," : "") + space() + "\"k" + std::to_string(rng() % 4) + "\"" + space() + ":" + space() +
                 document(depth + 1) + space();
        }
        return out + "}";
      }
    }
  };
  for (int i = 0; i < 5000; ++i) check_same(space() + document(0) + space());
}

TEST_CASE("fast JSON reader: agrees with the general parser on random garbage", "[json][fast]") {
  std::mt19937_64 rng(99);
  const std::string_view tokens[] = {"["sv, "]"sv, "{"sv, "}"sv, ","sv, ":"sv, "\""sv, "\\"sv, "\\u"sv,
                                     "d800"sv, "0"sv, "1"sv, "-"sv, "."sv, "e"sv, "E"sv, "+"sv, "true"sv,
                                     "null"sv, "fals"sv, " "sv, "\n"sv, "\"k\""sv, "\"a b\""sv, "\xFF"sv,
                                     "\xC3\xA9"sv, "\x01"sv, "1e400"sv, "9999999999999999999999"sv};
  for (int i = 0; i < 30000; ++i) check_same(socketio::test::random_mix(rng, rng() % 20, tokens, 6));
}

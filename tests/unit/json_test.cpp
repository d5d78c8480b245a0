#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "random_inputs.hpp"
#include "socketio/error.hpp"
#include "socketio/json.hpp"

using socketio::Binary;
using socketio::errc;
using socketio::Json;
using socketio::JsonParseError;
using socketio::JsonTypeError;

namespace app {

// A user type converted through ADL to_json / from_json.
struct Move {
  int x = 0;
  int y = 0;
  std::string piece;
  std::optional<std::string> comment;
};

void to_json(Json& j, const Move& m) {
  j = {{"x", m.x}, {"y", m.y}, {"piece", m.piece}, {"comment", m.comment}};
}

void from_json(const Json& j, Move& m) {
  j["x"].get_to(m.x);
  j["y"].get_to(m.y);
  j["piece"].get_to(m.piece);
  j["comment"].get_to(m.comment);
}

bool operator==(const Move& a, const Move& b) {
  return a.x == b.x && a.y == b.y && a.piece == b.piece && a.comment == b.comment;
}

struct NotConvertible {};

}  // namespace app

namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

Json parse_ok(std::string_view text) {
  std::error_code ec;
  Json value = Json::parse(text, ec);
  INFO("text: " << text);
  REQUIRE_FALSE(ec);
  return value;
}

bool parse_fails(std::string_view text) {
  std::error_code ec;
  const Json value = Json::parse(text, ec);
  return ec == errc::invalid_json && value.is_null();
}

std::string nested(std::size_t depth, char open, char close) {
  return std::string(depth, open) + std::string(depth, close);
}

}  // namespace

// ---- construction ----------------------------------------------------------

TEST_CASE("Json: default, nullptr and scalars construct the matching kind", "[json]") {
  CHECK(Json().is_null());
  CHECK(Json(nullptr).is_null());
  CHECK(Json(true).as_bool());
  CHECK(Json(false).type() == Json::Type::boolean);
  CHECK(Json(42).as_int() == 42);
  CHECK(Json(std::int8_t{-5}).as_int() == -5);
  CHECK(Json(std::uint8_t{200}).as_int() == 200);
  CHECK(Json(static_cast<short>(-300)).is_integer());
  CHECK(Json(123456789012345LL).as_int() == 123456789012345LL);
  CHECK(Json(std::numeric_limits<std::int64_t>::min()).as_int() ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(Json(std::uint64_t{7}).is_integer());
  // Above INT64_MAX an unsigned value is held as JavaScript would: a double.
  const Json big(std::numeric_limits<std::uint64_t>::max());
  CHECK(big.is_double());
  CHECK(big.as_double() == 18446744073709551616.0);
  CHECK(Json(1.5).as_double() == 1.5);
  CHECK(Json(2.5f).is_double());
  CHECK(Json("text").as_string() == "text");
  CHECK(Json(static_cast<const char*>(nullptr)).is_null());
  CHECK(Json("abc"s).as_string() == "abc");
  CHECK(Json("view"sv).as_string() == "view");
  CHECK(Json(Binary{1, 2, 3}).as_binary() == Binary{1, 2, 3});
  CHECK(Json::binary({9}).is_binary());
  CHECK(Json(Json::Array{1, "a"}).size() == 2);
  CHECK(Json(Json::Object{{"k", 1}}).is_object());
}

TEST_CASE("Json: no accidental conversions from characters or pointers", "[json]") {
  STATIC_REQUIRE_FALSE(std::is_constructible_v<Json, char>);
  STATIC_REQUIRE_FALSE(std::is_constructible_v<Json, wchar_t>);
  STATIC_REQUIRE_FALSE(std::is_constructible_v<Json, const int*>);
  STATIC_REQUIRE_FALSE(std::is_constructible_v<Json, app::NotConvertible>);
  STATIC_REQUIRE_FALSE(std::is_constructible_v<Json, std::vector<app::NotConvertible>>);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<Json>);
  STATIC_REQUIRE(sizeof(Json) <= 40);
}

TEST_CASE("Json: initializer lists build objects or arrays like nlohmann::json", "[json]") {
  const Json object = {{"name", "x"}, {"tags", {1, 2}}, {"nested", {{"a", nullptr}}}};
  REQUIRE(object.is_object());
  CHECK(object.dump() == R"({"name":"x","tags":[1,2],"nested":{"a":null}})");

  const Json array = {1, "two", nullptr, false, 2.5};
  CHECK(array.dump() == R"([1,"two",null,false,2.5])");

  // Not every element is a [string, value] pair: an array.
  const Json mixed = {{"a", 1}, {2, 3}};
  CHECK(mixed.dump() == R"([["a",1],[2,3]])");
  const Json triple = {{"a", 1, 2}};
  CHECK(triple.is_array());

  CHECK(Json::array({{"k", 1}}).dump() == R"([["k",1]])");
  CHECK(Json::array().dump() == "[]");
  CHECK(Json::object().dump() == "{}");
  CHECK(Json::object({{"a", 1}, {"b", {1, 2}}}).dump() == R"({"a":1,"b":[1,2]})");
  // A repeated key keeps its first position and last value.
  CHECK(Json::object({{"a", 1}, {"b", 2}, {"a", 3}}).dump() == R"({"a":3,"b":2})");
  CHECK(Json({{"a", 1}, {"a", 2}}).dump() == R"({"a":2})");
}

TEST_CASE("Json: user types and standard containers convert through to_json", "[json]") {
  const app::Move move{3, 4, "knight", std::nullopt};
  const Json j = move;
  CHECK(j.dump() == R"({"x":3,"y":4,"piece":"knight","comment":null})");

  const std::vector<app::Move> moves{move, {1, 2, "pawn", "first"}};
  CHECK(Json(moves).dump() ==
        R"([{"x":3,"y":4,"piece":"knight","comment":null},{"x":1,"y":2,"piece":"pawn","comment":"first"}])");

  CHECK(Json(std::vector<int>{1, 2, 3}).dump() == "[1,2,3]");
  CHECK(Json(std::vector<std::string>{"a", "b"}).dump() == R"(["a","b"])");
  CHECK(Json(std::vector<bool>{true, false}).dump() == "[true,false]");
  CHECK(Json(std::map<std::string, int>{{"b", 2}, {"a", 1}}).dump() == R"({"a":1,"b":2})");
  CHECK(Json(std::optional<int>{}).is_null());
  CHECK(Json(std::optional<int>{5}).as_int() == 5);
  CHECK(Json(std::vector<std::vector<double>>{{1.5}, {}}).dump() == "[[1.5],[]]");
  // std::vector<std::uint8_t> is Binary, not an array of numbers.
  CHECK(Json(std::vector<std::uint8_t>{1, 2}).is_binary());
}

TEST_CASE("Json: get and get_to convert through from_json", "[json]") {
  const Json j = Json::parse(R"({"x":1,"y":-2,"piece":"rook","comment":"c"})");
  const auto move = j.get<app::Move>();
  CHECK(move == app::Move{1, -2, "rook", "c"});
  CHECK(Json(move).get<app::Move>() == move);

  CHECK(Json(true).get<bool>());
  CHECK(Json(7).get<int>() == 7);
  CHECK(Json(7.0).get<int>() == 7);  // integral doubles are integers in JS
  CHECK(Json(2.5).get<double>() == 2.5);
  CHECK(Json(3).get<double>() == 3.0);
  CHECK(Json(2.5).get<float>() == 2.5f);
  CHECK(Json("s").get<std::string>() == "s");
  CHECK(Json(Binary{1}).get<Binary>() == Binary{1});
  CHECK(Json({1, 2}).get<Json>() == Json({1, 2}));
  CHECK(Json({1, 2, 3}).get<std::vector<int>>() == std::vector<int>{1, 2, 3});
  CHECK(Json::parse(R"({"a":1,"b":2})").get<std::map<std::string, long>>() ==
        std::map<std::string, long>{{"a", 1}, {"b", 2}});
  CHECK(Json().get<std::optional<int>>() == std::nullopt);
  CHECK(Json(4).get<std::optional<int>>() == 4);
  CHECK(Json({nullptr, "x"}).get<std::vector<std::optional<std::string>>>() ==
        std::vector<std::optional<std::string>>{std::nullopt, "x"});
  CHECK(Json(18446744073709551615.0 / 2).get<std::uint64_t>() == 9223372036854775808ull);
  CHECK(Json(std::numeric_limits<std::uint64_t>::max() - 2047).get<std::uint64_t>() ==
        18446744073709549568ull);

  int target = 0;
  CHECK(Json(9).get_to(target) == 9);
  CHECK(target == 9);
}

TEST_CASE("Json: failed conversions throw JsonTypeError with a clear message", "[json]") {
  CHECK_THROWS_AS(Json("x").as_int(), JsonTypeError);
  CHECK_THROWS_WITH(Json("x").as_int(), "socketio::Json: expected integer, got string");
  CHECK_THROWS_WITH(Json(1.5).as_int(), Catch::Contains("double 1.5"));
  CHECK_THROWS_AS(Json(1e20).as_int(), JsonTypeError);
  CHECK_THROWS_AS(Json(std::nan("")).as_int(), JsonTypeError);
  CHECK(Json(-3.0).as_int() == -3);
  CHECK_THROWS_AS(Json(1).as_bool(), JsonTypeError);
  CHECK_THROWS_AS(Json(true).as_double(), JsonTypeError);
  CHECK_THROWS_AS(Json(1).as_string(), JsonTypeError);
  CHECK_THROWS_AS(Json({1}).as_binary(), JsonTypeError);
  CHECK_THROWS_AS(Json().as_array(), JsonTypeError);
  CHECK_THROWS_AS(Json({1}).as_object(), JsonTypeError);
  CHECK_THROWS_AS(Json(300).get<std::uint8_t>(), JsonTypeError);
  CHECK_THROWS_AS(Json(-1).get<unsigned>(), JsonTypeError);
  CHECK_THROWS_AS(Json(2147483648.0).get<int>(), JsonTypeError);
  CHECK_THROWS_AS(Json(0.5).get<long>(), JsonTypeError);
  CHECK_THROWS_AS(Json(18446744073709551616.0).get<std::uint64_t>(), JsonTypeError);
  CHECK_THROWS_AS(Json("1").get<int>(), JsonTypeError);
  CHECK_THROWS_AS(Json({1, "x"}).get<std::vector<int>>(), JsonTypeError);
  CHECK_THROWS_AS(Json::parse(R"({"x":"1"})").get<app::Move>(), JsonTypeError);
  CHECK(std::is_base_of_v<std::runtime_error, JsonTypeError>);
}

// ---- access ----------------------------------------------------------------

TEST_CASE("Json: type predicates and pointer accessors", "[json]") {
  const Json values[] = {Json(), Json(true), Json(1), Json(1.5), Json("s"),
                         Json(Binary{}), Json::array(), Json::object()};
  const Json::Type types[] = {Json::Type::null,   Json::Type::boolean, Json::Type::integer,
                              Json::Type::floating, Json::Type::string, Json::Type::binary,
                              Json::Type::array,  Json::Type::object};
  for (std::size_t i = 0; i < 8; ++i) CHECK(values[i].type() == types[i]);
  CHECK(values[2].is_number());
  CHECK(values[3].is_number());
  CHECK_FALSE(values[3].is_integer());
  CHECK(values[4].if_string() != nullptr);
  CHECK(values[4].if_array() == nullptr);
  CHECK(values[5].if_binary() != nullptr);
  CHECK(values[6].if_array() != nullptr);
  CHECK(values[7].if_object() != nullptr);
  CHECK(values[1].if_bool() != nullptr);
  CHECK(values[2].if_int() != nullptr);
  CHECK(values[3].if_double() != nullptr);
  CHECK(values[0].if_int() == nullptr);
  CHECK(std::string(Json::type_name(Json::Type::floating)) == "double");
}

TEST_CASE("Json: operator[], find, contains, erase, size, push_back", "[json]") {
  Json j;
  j["b"] = 1;  // null becomes an object
  j["a"]["nested"] = "x";
  j["b"] = 2;  // existing key: same position
  CHECK(j.dump() == R"({"b":2,"a":{"nested":"x"}})");
  CHECK(j.contains("a"));
  CHECK_FALSE(j.contains("zz"));
  REQUIRE(j.find("b") != nullptr);
  CHECK(*j.find("b") == 2);
  CHECK(j.find("zz") == nullptr);
  CHECK(j.size() == 2);

  const Json& cj = j;
  CHECK(cj["missing"].is_null());
  CHECK(cj["a"]["nested"]["deeper"].is_null());
  CHECK(cj["b"][3].is_null());
  CHECK(j.size() == 2);  // const access does not insert

  CHECK(j.erase("b"));
  CHECK_FALSE(j.erase("b"));
  CHECK(j.dump() == R"({"a":{"nested":"x"}})");

  Json list;
  list.push_back(1);
  list.push_back("two");
  list[3] = true;  // grows with nulls, like arr[3] = true in JavaScript
  CHECK(list.dump() == R"([1,"two",null,true])");
  CHECK(static_cast<const Json&>(list)[1] == "two");
  CHECK(static_cast<const Json&>(list)[10].is_null());

  Json number = 5;
  CHECK_THROWS_AS(number["k"], JsonTypeError);
  CHECK_THROWS_AS(number[std::size_t{0}], JsonTypeError);
  CHECK_THROWS_AS(number.push_back(1), JsonTypeError);
  CHECK(number.size() == 0);
  CHECK(Json("abc").size() == 3);
  CHECK(Json(Binary{1, 2}).size() == 2);
  CHECK(Json().empty());
}

TEST_CASE("Json: assignment from a value inside the target is safe", "[json]") {
  Json j = Json::parse(R"({"a":{"b":[1,2]},"c":3})");
  j = j["a"];  // copy from a child
  CHECK(j.dump() == R"({"b":[1,2]})");
  j = std::move(j["b"]);  // move from a child
  CHECK(j.dump() == "[1,2]");
  j = std::move(j[std::size_t{1}]);
  CHECK(j == 2);
  Json& self = j;
  j = std::move(self);
  CHECK(j == 2);

  Json a = "left";
  Json b = {1, 2};
  a.swap(b);
  CHECK(a == Json({1, 2}));
  CHECK(b == "left");
  swap(a, b);
  CHECK(a == "left");
  // A moved-from Json keeps its kind, emptied.
  Json moved = std::move(b);
  CHECK(moved.size() == 2);
  CHECK(b.is_array());
  CHECK(b.empty());
}

// ---- text ------------------------------------------------------------------

TEST_CASE("Json: dump matches JSON.stringify", "[json]") {
  // Expected strings are what Node 20 prints for the same values.
  CHECK(Json().dump() == "null");
  CHECK(Json(true).dump() == "true");
  CHECK(Json(-12).dump() == "-12");
  CHECK(Json(std::numeric_limits<std::int64_t>::min()).dump() == "-9223372036854775808");
  CHECK(Json("a\0b\x07" "c\x1f" "d\x7f" "e"s).dump() == R"("a\u0000b\u0007c\u001fd)" "\x7f" R"(e")");
  CHECK(Json("say \"hi\" \\ / \b\f\n\r\t").dump() == R"("say \"hi\" \\ / \b\f\n\r\t")");
  CHECK(Json("\xC3\xA9\xF0\x9F\x98\x80\xE2\x80\xA8\xE2\x80\xA9").dump() ==
        "\"\xC3\xA9\xF0\x9F\x98\x80\xE2\x80\xA8\xE2\x80\xA9\"");
  CHECK(Json::parse(R"({"a":[1,2.5,{"b":null}],"c":true,"d":"x"})").dump() ==
        R"({"a":[1,2.5,{"b":null}],"c":true,"d":"x"})");
  CHECK(Json(Binary{1, 2, 255}).dump() == R"({"type":"Buffer","data":[1,2,255]})");
  CHECK(Json(Binary{}).dump() == R"({"type":"Buffer","data":[]})");
  CHECK(Json::array().dump() == "[]");
  CHECK(Json::object().dump() == "{}");
  CHECK(Json::object({{"k\"ey", 1}}).dump() == R"({"k\"ey":1})");

  std::string appended = "4";
  Json({1}).dump(appended);
  CHECK(appended == "4[1]");
}

TEST_CASE("Json: doubles print like Number.prototype.toString", "[json]") {
  const std::pair<double, const char*> cases[] = {
      {0.1, "0.1"},
      {1.0, "1"},
      {-0.0, "0"},
      {1e21, "1e+21"},
      {1e20, "100000000000000000000"},
      {1e-7, "1e-7"},
      {123e-20, "1.23e-18"},
      {0.1 + 0.2, "0.30000000000000004"},
      {4.35, "4.35"},
      {9223372036854775808.0, "9223372036854776000"},
      {-9223372036854775808.0, "-9223372036854776000"},
      {18446744073709551616.0, "18446744073709552000"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {5e-324, "5e-324"},
      {2.2250738585072014e-308, "2.2250738585072014e-308"},
      {1e6, "1000000"},
      {12345678.9, "12345678.9"},
      {0.000001234, "0.000001234"},
      {0.000001, "0.000001"},
      {-1.5, "-1.5"},
      {1.0 / 3, "0.3333333333333333"},
      {2.5e-5, "0.000025"},
      {9007199254740992.0, "9007199254740992"},
      {123456789012345680000.0, "123456789012345680000"},
      {std::numeric_limits<double>::quiet_NaN(), "null"},
      {std::numeric_limits<double>::infinity(), "null"},
      {-std::numeric_limits<double>::infinity(), "null"},
  };
  for (const auto& [value, expected] : cases) {
    INFO(expected);
    CHECK(Json(value).dump() == expected);
  }
}

TEST_CASE("Json: invalid UTF-8 in a string is printed as U+FFFD", "[json]") {
  // Never put bytes on a text frame that are not UTF-8; maximal subparts
  // become one U+FFFD each, as in the WHATWG decoder.
  CHECK(Json("a\xFF" "b").dump() == "\"a\xEF\xBF\xBD" "b\"");
  CHECK(Json("\xE2\x82").dump() == "\"\xEF\xBF\xBD\"");
  CHECK(Json("\xED\xA0\x80").dump() == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  CHECK(Json("\xC0\xAF").dump() == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST_CASE("Json: parse reads every JSON value kind", "[json]") {
  const Json j = parse_ok(R"( {"n":null,"t":true,"f":false,"i":-7,"d":2.5,"s":"x","a":[1,[2]],"o":{}} )");
  CHECK(j["n"].is_null());
  CHECK(j["t"] == true);
  CHECK(j["f"] == false);
  CHECK(j["i"].is_integer());
  CHECK(j["i"] == -7);
  CHECK(j["d"].is_double());
  CHECK(j["s"] == "x");
  CHECK(j["a"][1][0] == 2);
  CHECK(j["o"].is_object());
  CHECK(parse_ok("\t\r\n 42 \n").as_int() == 42);
  CHECK(parse_ok(R"("top")") == "top");
  CHECK(parse_ok("null").is_null());
}

TEST_CASE("Json: parse reads numbers as JavaScript does", "[json]") {
  CHECK(parse_ok("9223372036854775807").as_int() == std::numeric_limits<std::int64_t>::max());
  CHECK(parse_ok("-9223372036854775808").as_int() == std::numeric_limits<std::int64_t>::min());
  // Beyond int64: a double, as in JavaScript.
  CHECK(parse_ok("9223372036854775808").is_double());
  CHECK(parse_ok("18446744073709551616").as_double() == 18446744073709551616.0);
  CHECK(parse_ok("1.0").is_double());
  CHECK(parse_ok("1.0") == 1);
  CHECK(parse_ok("1e2").as_double() == 100.0);
  CHECK(parse_ok("-0").dump() == "0");
  CHECK(parse_ok("-0.0").dump() == "0");
  CHECK(parse_ok("0.1").as_double() == 0.1);
  // Correctly rounded (halfway cases, many digits).
  CHECK(parse_ok("2.2250738585072011e-308").as_double() == 2.2250738585072011e-308);
  CHECK(parse_ok("9007199254740993.0").as_double() == 9007199254740992.0);
  CHECK(parse_ok("0.30000000000000004441").as_double() == 0.30000000000000004);
  CHECK(parse_ok("1e-400").as_double() == 0.0);
  CHECK(parse_ok("-1e-400").dump() == "0");
  CHECK(parse_ok("0.00000000000000000000000000000000001e-300").as_double() == 0.0);
  CHECK(parse_ok("1.7976931348623157e308").as_double() == 1.7976931348623157e308);
  // RapidJSON refuses magnitudes beyond the double range, which JSON.parse
  // reads as Infinity (a documented difference).
  CHECK(parse_fails("1e400"));
  CHECK(parse_fails("01"));
  CHECK(parse_fails("1."));
  CHECK(parse_fails(".5"));
  CHECK(parse_fails("+1"));
  CHECK(parse_fails("1e"));
  CHECK(parse_fails("0x10"));
  CHECK(parse_fails("NaN"));
  CHECK(parse_fails("Infinity"));
}

TEST_CASE("Json: parse handles strings, escapes and UTF-8", "[json]") {
  CHECK(parse_ok(R"("a\"b\\c\/d\b\f\n\r\t")") == "a\"b\\c/d\b\f\n\r\t");
  CHECK(parse_ok(R"("\u0000")").as_string() == "\0"s);
  CHECK(parse_ok(R"("\u00e9\u20AC")") == "\xC3\xA9\xE2\x82\xAC");
  CHECK(parse_ok(R"("\ud83d\ude00")") == "\xF0\x9F\x98\x80");
  CHECK(parse_ok("\"\xF0\x9F\x98\x80\"") == "\xF0\x9F\x98\x80");
  // Lone surrogates (which JSON.parse accepts) become U+FFFD.
  CHECK(parse_ok(R"("a\ud800b")") == "a\xEF\xBF\xBD" "b");
  CHECK(parse_ok(R"("\udc00")") == "\xEF\xBF\xBD");
  CHECK(parse_ok(R"("\ud800\ud83d\ude00")") == "\xEF\xBF\xBD\xF0\x9F\x98\x80");
  CHECK(parse_ok(R"("\ud800\u0041")") == "\xEF\xBF\xBD" "A");
  CHECK(parse_ok(R"({"\ud800":"\\ud800"})").dump() == "{\"\xEF\xBF\xBD\":\"\\\\ud800\"}");
  CHECK(parse_ok(R"("x\ud800")") == "x\xEF\xBF\xBD");
  // Invalid UTF-8 and raw control characters are rejected.
  CHECK(parse_fails("\"\xFF\""));
  CHECK(parse_fails("\"\xC3\""));
  CHECK(parse_fails("\"\xC0\xAF\""));         // overlong
  CHECK(parse_fails("\"\xED\xA0\x80\""));     // encoded surrogate
  CHECK(parse_fails("\"\xF4\x90\x80\x80\"")); // above U+10FFFF
  CHECK(parse_fails("\"a\nb\""));
  CHECK(parse_fails(R"("\x41")"));
  CHECK(parse_fails(R"("\u12")"));
}

TEST_CASE("Json: parse rejects malformed and trailing text", "[json]") {
  for (const std::string_view text :
       {""sv, " "sv, "["sv, "]"sv, "{"sv, R"({"a"})"sv, R"({"a":})"sv, R"({a:1})"sv, "[1,]"sv,
        "[1 2]"sv, R"({"a":1,})"sv, "tru"sv, "nul"sv, "'x'"sv, "[1]]"sv, "1 2"sv, "[1]x"sv,
        "// c\n1"sv, "\"abc"sv}) {
    INFO(text);
    CHECK(parse_fails(text));
  }
  // An embedded NUL is not the end of the text.
  CHECK(parse_fails("[1]\0"sv));
  CHECK(parse_fails("[1]\0[2]"sv));
  CHECK(parse_fails("\"a\0b\""sv));
  CHECK(parse_fails("[1,\0]"sv));
}

TEST_CASE("Json: duplicate keys keep the first position and the last value", "[json]") {
  CHECK(parse_ok(R"({"a":1,"b":2,"a":3})").dump() == R"({"a":3,"b":2})");
  CHECK(parse_ok(R"({"a":1,"a":2,"a":{"x":1}})").dump() == R"({"a":{"x":1}})");
  // A large object takes the sorting path.
  std::string text = "{";
  std::string expected = "{";
  for (int i = 0; i < 40; ++i) {
    text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    expected += "\"k" + std::to_string(i) + "\":" + std::to_string(i % 10 == 0 ? 100 + i : i) + ",";
  }
  for (int i = 0; i < 40; i += 10) text += "\"k" + std::to_string(i) + "\":" + std::to_string(100 + i) + ",";
  text.back() = '}';
  expected.back() = '}';
  CHECK(parse_ok(text).dump() == expected);
}

TEST_CASE("Json: parse bounds the nesting depth", "[json]") {
  CHECK(Json::max_parse_depth == 128);
  CHECK(parse_ok(nested(128, '[', ']')).is_array());
  CHECK(parse_fails(nested(129, '[', ']')));
  std::string objects;
  for (int i = 0; i < 128; ++i) objects += R"({"a":)";
  objects += "1" + std::string(128, '}');
  CHECK(parse_ok(objects).is_object());
  CHECK(parse_fails(R"({"a":)" + objects + "}"));
  // Hostile depth fails quickly instead of exhausting the stack.
  CHECK(parse_fails(std::string(1'000'000, '[')));
}

TEST_CASE("Json: the throwing parse reports the offset", "[json]") {
  CHECK(Json::parse("[1,2]") == Json({1, 2}));
  CHECK_THROWS_AS(Json::parse("[1,x]"), JsonParseError);
  try {
    (void)Json::parse("[1,x]");
  } catch (const JsonParseError& e) {
    CHECK(e.code() == errc::invalid_json);
    CHECK_THAT(e.what(), Catch::Contains("offset 3"));
  }
  CHECK_THROWS_WITH(Json::parse(nested(200, '[', ']')), Catch::Contains("nesting too deep"));
}

// ---- equality --------------------------------------------------------------

TEST_CASE("Json: equality is deep and numeric like JavaScript", "[json]") {
  CHECK(Json(1) == Json(1.0));
  CHECK(Json(1.0) == Json(1));
  CHECK(Json(1) != Json(1.5));
  // Integer against double: as JavaScript numbers, so both become doubles.
  CHECK(Json(std::numeric_limits<std::int64_t>::max()) == Json(9223372036854775808.0));
  CHECK(Json(std::int64_t{1} << 53) == Json(9007199254740992.0));
  CHECK(Json(1152921504606847000) == Json(1152921504606846976.0));
  // Two integers compare exactly.
  CHECK(Json((std::int64_t{1} << 53) + 1) != Json(std::int64_t{1} << 53));
  CHECK(Json(std::nan("")) != Json(std::nan("")));
  CHECK(Json() == Json(nullptr));
  CHECK(Json() != Json(false));
  CHECK(Json(0) != Json(false));
  CHECK(Json("a") == "a");
  CHECK(Json("a") != Json("b"));
  CHECK(Json(Binary{1, 2}) == Json(Binary{1, 2}));
  CHECK(Json(Binary{1, 2}) != Json({1, 2}));
  CHECK(Json({1, {2, 3}}) == Json({1.0, {2, 3.0}}));
  CHECK(Json({1, 2}) != Json({2, 1}));
  CHECK(Json({1, 2}) != Json({1, 2, 3}));
  // Member order does not matter for equality (it does for dump()).
  CHECK(Json::parse(R"({"a":1,"b":[true]})") == Json::parse(R"({"b":[true],"a":1.0})"));
  CHECK(Json::parse(R"({"a":1})") != Json::parse(R"({"b":1})"));
  CHECK(Json::parse(R"({"a":1})") != Json::parse(R"({"a":1,"b":2})"));
  CHECK(Json::parse(R"({"a":null})") != Json::object());
}

// ---- properties ------------------------------------------------------------

namespace {

/// Any JSON value: finite numbers only, short strings and containers.
Json random_json(std::mt19937_64& rng, int depth) {
  return socketio::test::random_json_tree(rng, depth, 6, 5, 8, [](std::mt19937_64& rng, int kind) {
    switch (kind) {  // 0 to 2: null, bool, int64 (random_json_tree)
      case 3: {
        // Any finite double, from random bits.
        double value;
        do {
          const std::uint64_t bits = rng();
          std::memcpy(&value, &bits, sizeof value);
        } while (!std::isfinite(value));
        return Json(value);
      }
      case 4: {
        std::string text;
        const std::size_t length = rng() % 12;
        const char* pieces[] = {"a", "\"", "\\", "\n", "\x01", "\xC3\xA9", "\xF0\x9F\x98\x80", "/", " ", "\x7f"};
        for (std::size_t i = 0; i < length; ++i) text += pieces[rng() % 10];
        return Json(std::move(text));
      }
      default: return Json(static_cast<double>(static_cast<std::int32_t>(rng())) / 1024);
    }
  });
}

}  // namespace

TEST_CASE("Json: dump then parse gives back an equal value", "[json]") {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 3000; ++i) {
    const Json value = random_json(rng, 0);
    const std::string text = value.dump();
    INFO(text);
    const Json back = parse_ok(text);
    CHECK(back == value);
    CHECK(back.dump() == text);
  }
}

TEST_CASE("Json: random garbage never crashes the parser", "[json]") {
  std::mt19937_64 rng(777);
  const std::string_view tokens[] = {"["sv, "]"sv, "{"sv, "}"sv, ","sv, ":"sv, "\""sv, "\\"sv,
                                     "\\u"sv, "d800"sv, "0"sv, "1"sv, "-"sv, "."sv, "e"sv, "true"sv,
                                     "null"sv, " "sv, "\"k\""sv, "\xFF"sv, "\xED\xA0"sv, "\x00"sv,
                                     "1e400"sv, "9999999999999999999999"sv};
  std::size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string text = socketio::test::random_mix(rng, rng() % 24, tokens, 4);
    std::error_code ec;
    const Json value = Json::parse(text, ec);
    if (!ec) {
      ++accepted;
      // Whatever parses prints as valid JSON that parses to the same value.
      CHECK(parse_ok(value.dump()) == value);
    }
  }
  CHECK(accepted > 0);
}

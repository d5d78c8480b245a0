#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "transport/url.hpp"

using socketio::transport::parse_query;
using socketio::transport::percent_decode;
using socketio::transport::split_target;

using namespace std::string_view_literals;
using Query = std::map<std::string, std::string>;

TEST_CASE("percent_decode decodes escapes in either hex case", "[url]") {
  CHECK(percent_decode("a%20b", false) == "a b");
  CHECK(percent_decode("%e2%82%ac", false) == "\xe2\x82\xac");
  CHECK(percent_decode("%E2%82%AC", false) == "\xe2\x82\xac");
  CHECK(percent_decode("%2f%2F", false) == "//");
  CHECK(percent_decode("%00", false) == "\0"sv);
  CHECK(percent_decode("%ff", false) == "\xff");
}

TEST_CASE("percent_decode leaves text without escapes unchanged", "[url]") {
  CHECK(percent_decode("", true).empty());
  CHECK(percent_decode("/socket.io/", true) == "/socket.io/");
}

TEST_CASE("percent_decode turns plus into space only when asked to", "[url]") {
  CHECK(percent_decode("a+b", true) == "a b");
  CHECK(percent_decode("a+b", false) == "a+b");
  CHECK(percent_decode("%2B", true) == "+");
}

TEST_CASE("percent_decode keeps invalid and truncated escapes literally", "[url]") {
  CHECK(percent_decode("%", false) == "%");
  CHECK(percent_decode("%4", false) == "%4");
  CHECK(percent_decode("a%zz", false) == "a%zz");
  CHECK(percent_decode("%4g", false) == "%4g");
  CHECK(percent_decode("%g4", false) == "%g4");
  CHECK(percent_decode("100%", false) == "100%");
  CHECK(percent_decode("%%41", false) == "%A");
  CHECK(percent_decode("%+", true) == "% ");
}

TEST_CASE("percent_decode does not decode twice", "[url]") {
  CHECK(percent_decode("%2541", false) == "%41");
}

TEST_CASE("parse_query reads the Engine.IO handshake parameters", "[url]") {
  CHECK(parse_query("EIO=4&transport=polling&t=N8hyd6w") ==
        Query{{"EIO", "4"}, {"transport", "polling"}, {"t", "N8hyd6w"}});
}

TEST_CASE("parse_query decodes keys and values with plus as space", "[url]") {
  CHECK(parse_query("na%6De=hello+world%21&a+b=c%2Bd") ==
        Query{{"name", "hello world!"}, {"a b", "c+d"}});
}

TEST_CASE("parse_query keeps the last value of a repeated key", "[url]") {
  CHECK(parse_query("a=1&b=2&a=3") == Query{{"a", "3"}, {"b", "2"}});
}

TEST_CASE("parse_query gives a key without '=' an empty value", "[url]") {
  CHECK(parse_query("flag&x=1") == Query{{"flag", ""}, {"x", "1"}});
  CHECK(parse_query("empty=") == Query{{"empty", ""}});
}

TEST_CASE("parse_query splits each pair at its first '=' only", "[url]") {
  CHECK(parse_query("token=a=b==") == Query{{"token", "a=b=="}});
}

TEST_CASE("parse_query skips empty keys and empty pairs", "[url]") {
  CHECK(parse_query("").empty());
  CHECK(parse_query("&&&").empty());
  CHECK(parse_query("=orphan").empty());
  CHECK(parse_query("&a=1&&=x&b=2&") == Query{{"a", "1"}, {"b", "2"}});
}

TEST_CASE("parse_query keeps invalid escapes literally", "[url]") {
  CHECK(parse_query("a=%zz&b=50%") == Query{{"a", "%zz"}, {"b", "50%"}});
}

TEST_CASE("split_target separates the path from the raw query at the first '?'", "[url]") {
  std::string path;
  std::string query;
  split_target("/socket.io/?EIO=4&transport=polling", path, query);
  CHECK(path == "/socket.io/");
  CHECK(query == "EIO=4&transport=polling");

  split_target("/p?a=1?b=2", path, query);
  CHECK(path == "/p");
  CHECK(query == "a=1?b=2");
}

TEST_CASE("split_target decodes the path but not plus signs and leaves the query raw",
          "[url]") {
  std::string path;
  std::string query;
  split_target("/a%20b+c/?x=1%202+3", path, query);
  CHECK(path == "/a b+c/");
  CHECK(query == "x=1%202+3");
}

TEST_CASE("split_target gives an empty query when there is no '?' or nothing after it",
          "[url]") {
  std::string path;
  std::string query = "stale";
  split_target("/no-query", path, query);
  CHECK(path == "/no-query");
  CHECK(query.empty());

  query = "stale";
  split_target("/p?", path, query);
  CHECK(path == "/p");
  CHECK(query.empty());

  split_target("?a=1", path, query);
  CHECK(path.empty());
  CHECK(query == "a=1");

  split_target("", path, query);
  CHECK(path.empty());
  CHECK(query.empty());
}

TEST_CASE("the URL helpers survive random garbage without crashing", "[url][fuzz]") {
  std::uint32_t state = 12345u;
  // A small xorshift keeps the sequence identical on every standard library.
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  constexpr std::string_view kAlphabet = "%?&=+aF09\x00\xff"sv;
  std::string path;
  std::string query;
  for (int i = 0; i < 20000; ++i) {
    std::string input(next() % 24, '\0');
    for (auto& c : input) c = kAlphabet[next() % kAlphabet.size()];
    CHECK(percent_decode(input, true).size() <= input.size());
    static_cast<void>(parse_query(input));
    split_target(input, path, query);
    CHECK(path.size() + query.size() <= input.size());
  }
}

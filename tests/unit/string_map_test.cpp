#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "socketio/string_map.hpp"

using socketio::StringMap;

TEST_CASE("StringMap reads like a std::map", "[string_map]") {
  StringMap map{{"b", "2"}, {"a", "1"}};
  CHECK(map.size() == 2);
  CHECK_FALSE(map.empty());
  CHECK(map.at("a") == "1");
  CHECK(map.find("b")->second == "2");
  CHECK(map.find("c") == map.end());
  CHECK(map.count("a") == 1);
  std::string keys;
  for (const auto& [key, value] : map) keys += key;
  CHECK(keys == "ab");  // sorted, as std::map
  const std::map<std::string, std::string>& as_map = map;
  CHECK(as_map.size() == 2);
  CHECK_THROWS_AS(map.at("missing"), std::out_of_range);

  StringMap empty;
  CHECK(empty.empty());
  CHECK(empty.begin() == empty.end());
  CHECK(empty.find("a") == empty.end());
}

TEST_CASE("StringMap copies share until one is written", "[string_map]") {
  StringMap original{{"host", "example.com"}};
  StringMap copy = original;
  // Shared: the very same std::map.
  CHECK(&copy.map() == &original.map());

  copy["accept"] = "*/*";
  CHECK(&copy.map() != &original.map());
  CHECK(copy.size() == 2);
  CHECK(original.size() == 1);
  CHECK(original.find("accept") == original.end());

  StringMap third = original;
  CHECK(third.erase("host") == 1);
  CHECK(third.empty());
  CHECK(original.at("host") == "example.com");
  CHECK(third.erase("absent") == 0);
}

TEST_CASE("StringMap builds in place when it owns its map alone", "[string_map]") {
  StringMap map;
  map.emplace_hint(map.end(), "a", "1");
  map.emplace_hint(map.end(), "b", "2");
  map.emplace("c", "3");
  map.insert_or_assign("a", "one");
  CHECK(map.size() == 3);
  CHECK(map.at("a") == "one");
  StringMap shared = map;
  // A hint into the shared map is not used once the map must be copied.
  map.emplace_hint(map.begin(), "d", "4");
  CHECK(map.size() == 4);
  CHECK(shared.size() == 3);
  CHECK(map != shared);
  shared.emplace("d", "4");
  CHECK(map == shared);
  map.clear();
  CHECK(map.empty());
  CHECK(shared.size() == 4);
}

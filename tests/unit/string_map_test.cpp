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
  const std::map<std::string, std::string> as_map = map.to_map();
  CHECK(as_map == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
  CHECK(StringMap(as_map) == map);
  CHECK_THROWS_AS(map.at("missing"), std::out_of_range);

  StringMap empty;
  CHECK(empty.empty());
  CHECK(empty.begin() == empty.end());
  CHECK(empty.find("a") == empty.end());
}

TEST_CASE("StringMap copies share until one is written", "[string_map]") {
  StringMap original{{"host", "example.com"}};
  StringMap copy = original;
  // Shared: the very same entries.
  CHECK(&copy.entries() == &original.entries());

  copy["accept"] = "*/*";
  CHECK(&copy.entries() != &original.entries());
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

TEST_CASE("StringMap from unsorted entries sorts them, a repeated key keeps its last value", "[string_map]") {
  StringMap map(StringMap::container_type{{"host", "a"}, {"accept", "x"}, {"host", "b"}, {"cookie", "c"}, {"host", "c"}});
  CHECK(map.size() == 3);
  CHECK(map.at("host") == "c");
  std::string keys;
  for (const auto& [key, value] : map) keys += key + ",";
  CHECK(keys == "accept,cookie,host,");
  CHECK(StringMap(StringMap::container_type{}).empty());
}

TEST_CASE("StringMap keeps its entries sorted through every kind of write", "[string_map]") {
  StringMap map;
  const char* keys[] = {"m", "c", "x", "a", "q", "c", "z", "b"};
  for (const char* key : keys) map[key] += key;
  map.emplace("d", "4");
  map.emplace("d", "ignored");
  map.insert_or_assign("a", "A");
  map.insert_or_assign("n", "N");
  map.emplace_hint(map.end(), "zz", "end");
  map.emplace_hint(map.end(), "e", "not at the end");  // a wrong hint is still correct
  CHECK(map.erase("x") == 1);
  CHECK(map.erase("x") == 0);
  std::string order;
  for (const auto& [key, value] : map) order += key + "=" + value + ";";
  CHECK(order == "a=A;b=b;c=cc;d=4;e=not at the end;m=m;n=N;q=q;z=z;zz=end;");
  for (const char* key : {"a", "b", "c", "d", "e", "m", "n", "q", "z", "zz"}) CHECK(map.contains(key));
  CHECK_FALSE(map.contains("x"));
  CHECK_FALSE(map.contains(""));
  CHECK(map.find("y") == map.end());
}

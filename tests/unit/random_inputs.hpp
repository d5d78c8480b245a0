#pragma once
// Seeded random inputs shared by the codec tests (JSON, MessagePack,
// Socket.IO packets). The tests seed the generator with a fixed value, so a
// failure is reproducible.

#include <cstdint>
#include <iterator>
#include <random>
#include <string>

#include "socketio/json.hpp"

namespace socketio::test {

/// `count` pieces drawn from `pieces` (strings or chars), each replaced by a
/// random byte with a chance of one in `raw_one_in`: garbage that still
/// reaches deep into a decoder, built from the tokens it branches on.
template <typename Pieces>
std::string random_mix(std::mt19937_64& rng, std::size_t count, const Pieces& pieces, unsigned raw_one_in) {
  std::string out;
  for (std::size_t k = 0; k < count; ++k) {
    if (rng() % raw_one_in == 0) {
      out += static_cast<char>(rng());
    } else {
      out += pieces[rng() % std::size(pieces)];
    }
  }
  return out;
}

/// A random Json value at `depth`. Up to depth 4, one draw in
/// `leaf_kinds + 2` is an array, one an object (each of fewer than
/// `max_children` members, object keys "k0" to "k<key_space - 1>"); the
/// other draws, and all of them deeper down, are leaves: kinds 0 to 2 are
/// null, a boolean and any 64-bit integer (scaled down at random), the
/// others `leaf(rng, kind)` with kind in [3, leaf_kinds).
template <typename Leaf>
Json random_json_tree(std::mt19937_64& rng, int depth, int leaf_kinds, std::size_t max_children,
                      std::size_t key_space, const Leaf& leaf) {
  std::uniform_int_distribution<int> kind(0, depth > 4 ? leaf_kinds - 1 : leaf_kinds + 1);
  const int drawn = kind(rng);
  switch (drawn) {
    case 0: return Json();
    case 1: return Json(rng() % 2 == 0);
    case 2: return Json(static_cast<std::int64_t>(rng()) >> (rng() % 64));
    default: break;
  }
  if (drawn < leaf_kinds) return leaf(rng, drawn);
  if (drawn == leaf_kinds) {
    Json array = Json::array();
    const std::size_t length = rng() % max_children;
    for (std::size_t i = 0; i < length; ++i) {
      array.push_back(random_json_tree(rng, depth + 1, leaf_kinds, max_children, key_space, leaf));
    }
    return array;
  }
  Json object = Json::object();
  const std::size_t length = rng() % max_children;
  for (std::size_t i = 0; i < length; ++i) {
    object["k" + std::to_string(rng() % key_space)] =
        random_json_tree(rng, depth + 1, leaf_kinds, max_children, key_space, leaf);
  }
  return object;
}

}  // namespace socketio::test

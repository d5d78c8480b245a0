#pragma once
// MessagePack <-> Json, byte-compatible with notepack.io 3.x, the codec of
// Node's @socket.io/redis-adapter (what it encodes we decode, and what we
// encode it decodes to the same JavaScript value).
//
// Internal: msgpack-cxx never appears in a public header.
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

#include "socketio/json.hpp"

namespace socketio::detail::msgpack {

/// Encodes as notepack.io encodes the equivalent JavaScript value:
/// null -> nil; bool; integers in the smallest (u)int form; doubles always
/// float64 (0xcb); strings as str; Binary as bin (a Node Buffer); arrays;
/// objects as maps with string keys in insertion order.
std::string encode(const Json& value);

/// Decodes one complete MessagePack value: bin and ext (type 0, ArrayBuffer)
/// become Binary, fixext1 d4 00 00 (undefined) becomes null, maps with
/// string keys become objects (any key order kept as received), other
/// extension types become null. Returns nullopt (and sets `error`) on
/// malformed or truncated input, trailing bytes, non-string map keys, or
/// nesting deeper than `max_depth`.
std::optional<Json> decode(std::string_view bytes, std::string* error = nullptr, int max_depth = 64);

}  // namespace socketio::detail::msgpack

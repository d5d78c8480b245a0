#pragma once
// The fast path of parse_json: a small reader for the JSON that messages
// are usually made of, with the general (RapidJSON) parser behind it for
// everything else.
//
// It takes objects, arrays, true/false/null, numbers, and strings without
// escapes or control characters, up to a nesting of 32, and builds exactly
// the values the general parser builds for them (numbers through
// number_from_text, duplicate keys through merge_duplicate_keys). Anything
// else, including every syntax error, it declines: the general parser then
// gives the value or the precise error. Declining costs only the bytes read
// so far.
//
// A pure function; safe to call from any thread.

#include <cstddef>
#include <string_view>

#include "json/json_text.hpp"

namespace socketio::detail {

/// Parses `text` (valid UTF-8, checked by the caller) into `out` if it is in
/// the subset above and within `max_depth`; returns false, leaving `out`
/// untouched, if not.
bool parse_json_fast(std::string_view text, Json& out, std::size_t max_depth);

}  // namespace socketio::detail

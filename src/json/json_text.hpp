#pragma once
// Json <-> JSON text. The only code in the library that touches RapidJSON
// (json_text.cpp includes it; this header does not).
//
// Parsing follows JavaScript's JSON.parse; printing follows JSON.stringify
// byte for byte (see Json::parse and Json::dump for the rules). The Socket.IO
// codec uses the placeholder form of the writer, which replaces binary
// values with {"_placeholder":true,"num":i} as socket.io-parser's
// deconstructPacket does.
//
// Everything here is a pure function; safe to call from any thread.

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "socketio/json.hpp"

namespace socketio::detail {

/// Why a parse failed, for diagnostics (JsonParseError::what()).
struct JsonParseFailure {
  std::size_t offset = 0;     ///< byte offset into the text
  const char* reason = "";    ///< static English text
};

/// Parses `text` into `out`. On error returns errc::invalid_json, leaves
/// `out` null and, if `failure` is given, fills it.
/// `max_depth` bounds the nesting of arrays and objects.
std::error_code parse_json(std::string_view text, Json& out,
                           std::size_t max_depth = Json::max_parse_depth,
                           JsonParseFailure* failure = nullptr);

/// parse_json with the general parser only (no fast path): the reference
/// the fast path is tested against.
std::error_code parse_json_without_fast_path(std::string_view text, Json& out,
                                             std::size_t max_depth = Json::max_parse_depth,
                                             JsonParseFailure* failure = nullptr);

/// The value of a number's text as parse_json gives it (the text matches
/// JSON's number grammar): an integer when it has no fraction or exponent
/// and fits in 64 bits, else the correctly rounded double.
Json number_from_text(std::string_view text);

/// Makes an object's members follow JSON.parse for duplicate keys: the
/// first position of a key stays, with its last value.
void merge_duplicate_keys(Json::Object& members);

/// Appends the JSON.stringify form of `value` to `out`.
void write_json(const Json& value, std::string& out);

/// As write_json, but each binary value is written as
/// {"_placeholder":true,"num":i} and a pointer to it appended to `binaries`,
/// in depth-first order of appearance (array elements and object members in
/// order), so i is its index there. The pointers refer into `value` and are
/// valid while it is alive and unmodified.
void write_json_with_placeholders(const Json& value, std::string& out,
                                  std::vector<const Binary*>& binaries);

/// write_json_with_placeholders of an array given as its elements (an
/// event's arguments), without building a Json around them.
void write_json_array_with_placeholders(const Json::Array& elements, std::string& out,
                                        std::vector<const Binary*>& binaries);

/// Converts the text of a decimal number as JavaScript does (correctly
/// rounded; magnitudes too large become +-infinity and too small +-0).
/// `text` must match [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
/// Returns NaN if it does not.
double decimal_to_double(std::string_view text) noexcept;

/// Length of the well-formed UTF-8 sequence (RFC 3629) starting at
/// text[pos], or 0 if the bytes there are not one. pos < text.size().
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept;

}  // namespace socketio::detail

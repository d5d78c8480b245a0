#pragma once
// Request-target helpers for the HTTP front end: path/query splitting and
// percent-decoding with the same leniency as Node's querystring module.

#include <map>
#include <string>
#include <string_view>

namespace socketio::transport {

/// Decodes %XX escapes (either hex case). An invalid or truncated escape is
/// kept literally, as Node's querystring does. With `plus_as_space`, '+'
/// decodes to ' ' (form encoding, used in query strings; not in paths).
/// Decoded bytes are not checked for UTF-8 validity.
std::string percent_decode(std::string_view s, bool plus_as_space);

/// Parses "a=1&b=2": split on '&', then on the first '='; keys and values are
/// percent-decoded with '+' as space. A parameter without '=' has an empty
/// value, a repeated key keeps its last value, an empty key is skipped.
std::map<std::string, std::string> parse_query(std::string_view query);

/// Splits a request target at its first '?': `path` gets the part before it,
/// percent-decoded ('+' kept), `query` the raw part after it (empty if no '?').
void split_target(std::string_view target, std::string& path, std::string& query);

}  // namespace socketio::transport

#pragma once
// Standard base64 (RFC 4648, '+' '/' alphabet, '=' padding), as Node's
// Buffer uses for Engine.IO binary packets on text transports.

#include <string>
#include <string_view>

namespace socketio::engine {

/// Appends the base64 encoding of `bytes` to `out`.
void base64_encode(std::string_view bytes, std::string& out);

/// Decodes `text` into `out` (replacing its contents). Returns false on any
/// character outside the alphabet, bad padding or a length that is not a
/// multiple of 4. Whitespace is not accepted.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace socketio::engine

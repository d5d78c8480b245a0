#pragma once
// Standard base64 (RFC 4648, '+' '/' alphabet, '=' padding), as Node's
// Buffer uses for Engine.IO binary packets on text transports.

#include <string>
#include <string_view>

namespace socketio::engine {

/// Appends the base64 encoding of `bytes` to `out`.
void base64_encode(std::string_view bytes, std::string& out);

/// Decodes `text` into `out` (replacing its contents). Padding is optional,
/// as with Node's Buffer; returns false (and leaves `out` empty) on any
/// character outside the alphabet, whitespace, a length of 1 mod 4, or
/// padding that does not complete the last group.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace socketio::engine

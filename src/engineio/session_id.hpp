#pragma once
// Session ids: 20 URL-safe base64 characters (120 bits) from the operating
// system's CSPRNG, the same shape as Node's base64id. Unguessable, so a sid
// seen on the wire is the only way to address a session. Thread-safe.

#include <string>

namespace socketio::engine {

std::string generate_session_id();

}  // namespace socketio::engine

#pragma once
// Why the engine refuses an HTTP request, with Node's codes, messages and
// status (403 for forbidden, 400 for the rest): clients and tests compare
// them literally.

#include <string>

#include "transport/http.hpp"

namespace socketio::engine {

enum class RequestError {
  unknown_transport = 0,
  unknown_sid = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5,
};

inline transport::HttpResponse request_error_response(RequestError error) {
  static constexpr const char* messages[] = {
      "Transport unknown", "Session ID unknown",   "Bad handshake method",
      "Bad request",       "Forbidden",            "Unsupported protocol version",
  };
  int code = static_cast<int>(error);
  transport::HttpResponse response;
  response.status = error == RequestError::forbidden ? 403 : 400;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = "{\"code\":" + std::to_string(code) + ",\"message\":\"" + messages[code] + "\"}";
  return response;
}

}  // namespace socketio::engine

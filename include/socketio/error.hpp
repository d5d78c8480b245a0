#pragma once
// Error codes of the library, integrated with std::error_code.
//
// Codecs and state machines return these instead of throwing; setup calls
// (Server::listen) have both a throwing and an std::error_code& form.
// Thread-safety: everything here is immutable and safe from any thread.

#include <string>
#include <system_error>

namespace socketio {

enum class errc {
  // Engine.IO packet and payload decoding.
  empty_packet = 1,      ///< a packet with no type byte
  unknown_packet_type,   ///< the type byte is not one of 0..6
  invalid_base64,        ///< a `b`-prefixed polling packet is not valid base64
  invalid_utf8,          ///< text that is not valid UTF-8
  payload_too_large,     ///< over maxHttpBufferSize / maxPayload
  // Socket.IO packet decoding.
  invalid_packet,        ///< malformed Socket.IO packet (type, namespace, ack id or body)
  invalid_json,          ///< the body is not valid JSON
  too_many_attachments,  ///< more binary attachments than the decoder allows
  unexpected_attachment, ///< a binary frame arrived while none was expected
  // Runtime.
  timeout,               ///< an operation (acknowledgement, request) timed out
  not_connected,         ///< the socket or session is gone
  server_closed,         ///< the server is shutting down
  // Cluster (Redis adapter).
  overloaded,            ///< too many requests already waiting for replies
  redis_error,           ///< Redis answered a command with an error
  invalid_message,       ///< a cluster message could not be decoded
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace socketio

template <>
struct std::is_error_code_enum<socketio::errc> : std::true_type {};

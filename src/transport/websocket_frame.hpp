#pragma once
// RFC 6455 framing for the server side: frame headers (decode what clients
// send, encode what we send), unmasking, close payloads and the handshake's
// accept key.
//
// Thread-safety: free functions without shared state.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace socketio::transport::ws {

enum Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// Close codes we send (RFC 6455 7.4.1).
enum CloseCode : std::uint16_t {
  close_normal = 1000,
  close_going_away = 1001,
  close_protocol_error = 1002,
  close_invalid_payload = 1007,
  close_policy_violation = 1008,
  close_message_too_big = 1009,
};

struct FrameHeader {
  bool fin = false;
  std::uint8_t rsv = 0;  ///< the three RSV bits, as bits 2..0
  std::uint8_t opcode = 0;
  bool masked = false;
  std::uint8_t mask[4] = {0, 0, 0, 0};
  std::uint64_t length = 0;
  std::size_t header_size = 0;  ///< bytes of header before the payload
};

enum class DecodeStatus { need_more, ok, invalid };

/// Decodes the frame header at the start of `data`. `invalid`: a length
/// field with its top bit set or not in its shortest form (RFC 6455 5.2).
DecodeStatus decode_frame_header(std::string_view data, FrameHeader& out) noexcept;

/// Largest server frame header: 2 bytes + 8 of length, no mask.
constexpr std::size_t max_server_header_size = 10;

/// Writes the header of an unmasked, final frame of `opcode` carrying
/// `length` payload bytes into `out`; returns its size (2, 4 or 10).
std::size_t encode_frame_header(std::uint8_t opcode, std::uint64_t length,
                                std::uint8_t (&out)[max_server_header_size]) noexcept;

/// XORs `n` bytes with `mask`, starting `offset` bytes into the masked
/// payload (so a payload can be unmasked in pieces).
void unmask(char* data, std::size_t n, const std::uint8_t (&mask)[4], std::size_t offset = 0) noexcept;

/// A close frame's payload: the code (big-endian) and the reason.
std::string close_payload(std::uint16_t code, std::string_view reason);

/// Checks a received close payload (RFC 6455 5.5.1, 7.4): empty, or a valid
/// code and a UTF-8 reason. Returns 0 if acceptable, else the close code to
/// fail the connection with (1002 or 1007). `code` is 0 for an empty payload.
std::uint16_t parse_close_payload(std::string_view payload, std::uint16_t& code) noexcept;

/// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key:
/// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string websocket_accept_key(std::string_view key);

}  // namespace socketio::transport::ws

namespace socketio::transport::ws {

/// A frame prepared once and shared by every connection it is sent on
/// (transport::make_ws_packet): its header, computed once, and its payload.
/// EncodedPacket::ws_frame points to one; its `bytes` alias `payload`.
/// Immutable once built, hence safe to share across threads.
struct PreparedFrame {
  std::string payload;
  std::uint8_t header[max_server_header_size] = {};
  std::uint8_t header_size = 0;
};

}  // namespace socketio::transport::ws

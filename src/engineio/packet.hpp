#pragma once
// Engine.IO v4 packet and payload codec. Pure functions, no I/O.
//
// Two wire forms exist:
//  - WebSocket: one packet per frame. A text frame is the type digit followed
//    by the data; a binary frame is the raw bytes of a MESSAGE packet.
//  - HTTP long-polling: a payload is packets joined by '\x1e'. Text packets
//    are as on WebSocket; binary MESSAGE packets are 'b' + base64(bytes).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace socketio::engine {

enum class PacketType : std::uint8_t {
  open = 0,
  close = 1,
  ping = 2,
  pong = 3,
  message = 4,
  upgrade = 5,
  noop = 6,
};

/// A decoded incoming packet. `binary` is only ever true for MESSAGE.
struct Packet {
  PacketType type = PacketType::noop;
  bool binary = false;
  std::string data;
};

/// An outgoing packet in its WebSocket form, shared and immutable so one
/// encoding can be queued on many sessions (broadcasts). For text, `bytes` is
/// the type digit followed by the data; for binary, the raw message bytes.
struct EncodedPacket {
  bool binary = false;
  std::shared_ptr<const std::string> bytes;
  /// The WebSocket frame of these bytes, prepared once for every connection
  /// it is sent on (transport::make_ws_packet); its owner also owns `bytes`.
  /// Null for packets built here: the WebSocket transport frames those itself.
  std::shared_ptr<const void> ws_frame;

  /// The WebSocket frame payload.
  std::string_view frame() const noexcept { return *bytes; }
};

/// Builds an outgoing text packet: type digit + data.
EncodedPacket encode_packet(PacketType type, std::string_view data = {});
/// Builds an outgoing binary MESSAGE packet.
EncodedPacket encode_binary_message(std::string bytes);

/// Decodes one WebSocket text frame (type digit + data). The frame is
/// assumed to be valid UTF-8 (the WebSocket layer checks that).
std::error_code decode_text_frame(std::string_view frame, Packet& out);
/// The same, taking over the frame's buffer for the packet's data (the
/// receive path, where the frame is not needed afterwards).
std::error_code decode_owned_text_frame(std::string&& frame, Packet& out);

/// Decodes a polling request body (text, '\x1e'-separated) into `out`
/// (cleared first). Validates UTF-8 over the whole body before anything else.
/// On error `out` may hold the packets decoded before the bad one; callers
/// close the session and must not deliver them. The size limit is the
/// caller's to check (errc::payload_too_large) before decoding.
std::error_code decode_payload(std::string_view body, std::vector<Packet>& out);

/// Appends the polling form of `packets` to `out`, '\x1e' between them
/// (not before the first). Every packet must hold bytes.
void encode_payload(const std::vector<EncodedPacket>& packets, std::string& out);

/// True if `text` is valid UTF-8 (RFC 3629: no overlongs, no surrogates,
/// nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace socketio::engine

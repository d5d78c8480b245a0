#include "transport/websocket_frame.hpp"

#include <openssl/sha.h>

#include <cstring>

#include "engineio/base64.hpp"
#include "engineio/packet.hpp"

namespace socketio::transport::ws {

DecodeStatus decode_frame_header(std::string_view data, FrameHeader& out) noexcept {
  if (data.size() < 2) return DecodeStatus::need_more;
  const auto b0 = static_cast<std::uint8_t>(data[0]);
  const auto b1 = static_cast<std::uint8_t>(data[1]);
  out.fin = (b0 & 0x80) != 0;
  out.rsv = static_cast<std::uint8_t>((b0 >> 4) & 0x07);
  out.opcode = b0 & 0x0F;
  out.masked = (b1 & 0x80) != 0;
  const std::uint8_t len7 = b1 & 0x7F;
  std::size_t size = 2;
  std::uint64_t length = len7;
  if (len7 == 126) {
    if (data.size() < 4) return DecodeStatus::need_more;
    length = (std::uint64_t{static_cast<std::uint8_t>(data[2])} << 8) | static_cast<std::uint8_t>(data[3]);
    if (length < 126) return DecodeStatus::invalid;
    size = 4;
  } else if (len7 == 127) {
    if (data.size() < 10) return DecodeStatus::need_more;
    length = 0;
    for (int i = 2; i < 10; ++i) length = (length << 8) | static_cast<std::uint8_t>(data[i]);
    if ((length >> 63) != 0 || length <= 0xFFFF) return DecodeStatus::invalid;
    size = 10;
  }
  if (out.masked) {
    if (data.size() < size + 4) return DecodeStatus::need_more;
    std::memcpy(out.mask, data.data() + size, 4);
    size += 4;
  }
  out.length = length;
  out.header_size = size;
  return DecodeStatus::ok;
}

std::size_t encode_frame_header(std::uint8_t opcode, std::uint64_t length,
                                std::uint8_t (&out)[max_server_header_size]) noexcept {
  out[0] = static_cast<std::uint8_t>(0x80 | (opcode & 0x0F));
  if (length < 126) {
    out[1] = static_cast<std::uint8_t>(length);
    return 2;
  }
  if (length <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(length >> 8);
    out[3] = static_cast<std::uint8_t>(length);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(length >> (56 - 8 * i));
  return 10;
}

void unmask(char* data, std::size_t n, const std::uint8_t (&mask)[4], std::size_t offset) noexcept {
  std::size_t i = 0;
  // Align to the mask, then 8 bytes at a time.
  for (; i < n && ((offset + i) & 3) != 0; ++i) data[i] = static_cast<char>(data[i] ^ mask[(offset + i) & 3]);
  std::uint32_t m32;
  std::memcpy(&m32, mask, 4);
  const std::uint64_t m64 = (std::uint64_t{m32} << 32) | m32;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, data + i, 8);
    v ^= m64;
    std::memcpy(data + i, &v, 8);
  }
  for (; i < n; ++i) data[i] = static_cast<char>(data[i] ^ mask[(offset + i) & 3]);
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  // Control frames carry at most 125 bytes.
  if (reason.size() > 123) reason = reason.substr(0, 123);
  std::string out;
  out.reserve(2 + reason.size());
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  out += reason;
  return out;
}

std::uint16_t parse_close_payload(std::string_view payload, std::uint16_t& code) noexcept {
  code = 0;
  if (payload.empty()) return 0;
  if (payload.size() == 1) return close_protocol_error;
  code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                    static_cast<std::uint8_t>(payload[1]));
  // Codes a peer may send: 1000-1003, 1007-1014 and the registered /
  // private ranges 3000-4999. 1004-1006 and 1015 are reserved.
  const bool valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                     (code >= 3000 && code <= 4999);
  if (!valid) return close_protocol_error;
  if (!engine::is_valid_utf8(payload.substr(2))) return close_invalid_payload;
  return 0;
}

std::string websocket_accept_key(std::string_view key) {
  static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  // SHA1() is the one-shot call OpenSSL 3 keeps undeprecated.
  std::string input;
  input.reserve(key.size() + guid.size());
  input += key;
  input += guid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  std::string out;
  engine::base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest), out);
  return out;
}

}  // namespace socketio::transport::ws

#include "engineio/packet.hpp"

#include <cassert>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "engineio/base64.hpp"
#include "socketio/error.hpp"

namespace socketio::engine {

namespace {

constexpr char kSeparator = '\x1e';
// Polling-only prefix of a base64-encoded binary MESSAGE.
constexpr char kBinaryPrefix = 'b';

// Parses the text form shared by both transports: a type digit, then data.
// Leaves `out` untouched on error.
std::error_code decode_text_type(std::string_view text, Packet& out) {
  if (text.empty()) return errc::empty_packet;
  const char type = text.front();
  if (type < '0' || type > '6') return errc::unknown_packet_type;
  out.type = static_cast<PacketType>(type - '0');
  out.binary = false;
  return {};
}

std::error_code decode_text_packet(std::string_view text, Packet& out) {
  if (auto ec = decode_text_type(text, out)) return ec;
  out.data.assign(text.data() + 1, text.size() - 1);
  return {};
}

std::error_code decode_polling_packet(std::string_view text, Packet& out) {
  if (!text.empty() && text.front() == kBinaryPrefix) {
    out.type = PacketType::message;
    out.binary = true;
    if (!base64_decode(text.substr(1), out.data)) return errc::invalid_base64;
    return {};
  }
  return decode_text_packet(text, out);
}

inline bool is_continuation(unsigned char c) noexcept { return (c & 0xC0) == 0x80; }

}  // namespace

EncodedPacket encode_packet(PacketType type, std::string_view data) {
  assert(static_cast<unsigned>(type) <= 6);
  std::string bytes;
  bytes.reserve(1 + data.size());
  bytes.push_back(static_cast<char>('0' + static_cast<unsigned>(type)));
  bytes.append(data);
  EncodedPacket packet;
  packet.binary = false;
  packet.bytes = std::make_shared<const std::string>(std::move(bytes));
  return packet;
}

EncodedPacket encode_binary_message(std::string bytes) {
  EncodedPacket packet;
  packet.binary = true;
  packet.bytes = std::make_shared<const std::string>(std::move(bytes));
  return packet;
}

std::error_code decode_text_frame(std::string_view frame, Packet& out) {
  // No 'b' prefix here: WebSocket carries binary as binary frames, so a
  // text frame starting with 'b' is an unknown type, not base64.
  return decode_text_packet(frame, out);
}

std::error_code decode_owned_text_frame(std::string&& frame, Packet& out) {
  if (auto ec = decode_text_type(frame, out)) return ec;
  // The frame's buffer becomes the data: dropping the type digit moves a
  // few bytes instead of allocating and copying the whole message.
  out.data = std::move(frame);
  out.data.erase(0, 1);
  return {};
}

std::error_code decode_payload(std::string_view body, std::vector<Packet>& out) {
  out.clear();
  // One pass over the whole body up front is cheaper than one per packet,
  // and it keeps a body with bad bytes from producing any packets at all.
  if (!is_valid_utf8(body)) return errc::invalid_utf8;
  if (body.empty()) return errc::empty_packet;

  std::size_t pos = 0;
  for (;;) {
    const std::size_t sep = body.find(kSeparator, pos);
    const std::string_view part =
        body.substr(pos, sep == std::string_view::npos ? std::string_view::npos : sep - pos);
    Packet packet;
    if (auto ec = decode_polling_packet(part, packet)) return ec;
    out.push_back(std::move(packet));
    if (sep == std::string_view::npos) return {};
    pos = sep + 1;
  }
}

void encode_payload(const std::vector<EncodedPacket>& packets, std::string& out) {
  std::size_t total = packets.empty() ? 0 : packets.size() - 1;
  for (const auto& packet : packets) {
    assert(packet.bytes);
    const std::size_t n = packet.bytes->size();
    total += packet.binary ? 1 + (n + 2) / 3 * 4 : n;
  }
  out.reserve(out.size() + total);

  bool first = true;
  for (const auto& packet : packets) {
    if (!first) out.push_back(kSeparator);
    first = false;
    if (packet.binary) {
      out.push_back(kBinaryPrefix);
      base64_encode(*packet.bytes, out);
    } else {
      out.append(*packet.bytes);
    }
  }
}

bool is_valid_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();

  while (p != end) {
    // Protocol text is overwhelmingly ASCII: skip it eight bytes at a time.
    while (end - p >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, sizeof word);
      if (word & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p == end) break;

    const unsigned char lead = *p;
    if (lead < 0x80) {
      ++p;
      continue;
    }

    // The second byte's range depends on the lead byte (RFC 3629 section 4);
    // the narrowed ranges are what exclude overlongs, surrogates and code
    // points above U+10FFFF.
    std::size_t length;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead < 0xC2) {
      return false;  // stray continuation byte, or overlong 2-byte form
    } else if (lead < 0xE0) {
      length = 2;
    } else if (lead < 0xF0) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;        // overlong 3-byte form
      else if (lead == 0xED) high = 0x9F;  // UTF-16 surrogates
    } else if (lead < 0xF5) {
      length = 4;
      if (lead == 0xF0) low = 0x90;        // overlong 4-byte form
      else if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }

    if (static_cast<std::size_t>(end - p) < length) return false;
    if (p[1] < low || p[1] > high) return false;
    if (length >= 3 && !is_continuation(p[2])) return false;
    if (length == 4 && !is_continuation(p[3])) return false;
    p += length;
  }
  return true;
}

}  // namespace socketio::engine

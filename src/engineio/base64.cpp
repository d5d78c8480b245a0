#include "engineio/base64.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace socketio::engine {

namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t kInvalid = 0xFF;

// Built at compile time so decoding is one load per character with no
// branches on character ranges.
constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (std::uint8_t i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = i;
  }
  return table;
}

constexpr std::array<std::uint8_t, 256> kDecode = make_decode_table();

inline std::uint8_t sextet(char c) noexcept {
  return kDecode[static_cast<unsigned char>(c)];
}

}  // namespace

void base64_encode(std::string_view bytes, std::string& out) {
  const std::size_t n = bytes.size();
  const std::size_t start = out.size();
  out.resize(start + (n + 2) / 3 * 4);
  char* dst = out.data() + start;
  const auto* src = reinterpret_cast<const unsigned char*>(bytes.data());

  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{src[i]} << 16) |
                            (std::uint32_t{src[i + 1]} << 8) | src[i + 2];
    *dst++ = kAlphabet[(v >> 18) & 0x3F];
    *dst++ = kAlphabet[(v >> 12) & 0x3F];
    *dst++ = kAlphabet[(v >> 6) & 0x3F];
    *dst++ = kAlphabet[v & 0x3F];
  }
  const std::size_t rest = n - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{src[i]} << 16;
    *dst++ = kAlphabet[(v >> 18) & 0x3F];
    *dst++ = kAlphabet[(v >> 12) & 0x3F];
    *dst++ = '=';
    *dst++ = '=';
  } else if (rest == 2) {
    const std::uint32_t v =
        (std::uint32_t{src[i]} << 16) | (std::uint32_t{src[i + 1]} << 8);
    *dst++ = kAlphabet[(v >> 18) & 0x3F];
    *dst++ = kAlphabet[(v >> 12) & 0x3F];
    *dst++ = kAlphabet[(v >> 6) & 0x3F];
    *dst++ = '=';
  }
}

bool base64_decode(std::string_view text, std::string& out) {
  out.clear();

  // Padding is optional (Node's Buffer writes it but accepts input without
  // it), but when present it must complete the last quantum: "AQ==" and
  // "AQ" are fine, "AQ=" and "A===" are not.
  std::size_t len = text.size();
  std::size_t padding = 0;
  while (padding < 2 && len > 0 && text[len - 1] == '=') {
    --len;
    ++padding;
  }
  if (padding > 0 && text.size() % 4 != 0) return false;
  const std::size_t tail = len % 4;
  // One leftover character carries only 6 bits: not even one byte.
  if (tail == 1) return false;
  // Padding is only legal where it stands for missing characters.
  if (padding > 0 && tail + padding != 4) return false;

  out.resize(len / 4 * 3 + (tail == 0 ? 0 : tail - 1));
  char* dst = out.data();
  const char* src = text.data();
  const std::size_t full = len - tail;

  for (std::size_t i = 0; i < full; i += 4) {
    const std::uint8_t a = sextet(src[i]);
    const std::uint8_t b = sextet(src[i + 1]);
    const std::uint8_t c = sextet(src[i + 2]);
    const std::uint8_t d = sextet(src[i + 3]);
    // kInvalid has its top bit set and every valid sextet has it clear, so a
    // single test covers all four characters.
    if ((a | b | c | d) & 0x80) {
      out.clear();
      return false;
    }
    const std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) |
                            (std::uint32_t{c} << 6) | d;
    *dst++ = static_cast<char>((v >> 16) & 0xFF);
    *dst++ = static_cast<char>((v >> 8) & 0xFF);
    *dst++ = static_cast<char>(v & 0xFF);
  }

  if (tail >= 2) {
    const std::uint8_t a = sextet(src[full]);
    const std::uint8_t b = sextet(src[full + 1]);
    const std::uint8_t c = tail == 3 ? sextet(src[full + 2]) : 0;
    if ((a | b | c) & 0x80) {
      out.clear();
      return false;
    }
    // Unused low bits of the last character are ignored rather than
    // rejected, as Node does, so any client's encoder is accepted.
    const std::uint32_t v =
        (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) | (std::uint32_t{c} << 6);
    *dst++ = static_cast<char>((v >> 16) & 0xFF);
    if (tail == 3) *dst++ = static_cast<char>((v >> 8) & 0xFF);
  }
  return true;
}

}  // namespace socketio::engine

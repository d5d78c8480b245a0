#include "socketio/packet.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "json/json_text.hpp"
#include "socketio/error.hpp"

namespace socketio::sio {

namespace {

// socket.io-parser reads the header with JavaScript's Number() on single
// characters and substrings. Number() of one character is not NaN for a
// digit and for JavaScript white space (it trims it and reads "" as 0), so
// white space takes part in the packet type and the ack id; these helpers
// reproduce that so the same inputs are accepted and rejected.

bool is_js_space(char32_t c) noexcept {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
    case 0xFEFF:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// Decodes the UTF-8 character at text[pos] into `c`; returns its length, or
// 0 if the bytes there are not well-formed UTF-8.
std::size_t decode_char(std::string_view text, std::size_t pos, char32_t& c) noexcept {
  // ASCII, nearly always: the packet type and the ack id's digits.
  if (static_cast<unsigned char>(text[pos]) < 0x80) {
    c = static_cast<unsigned char>(text[pos]);
    return 1;
  }
  const std::size_t length = detail::utf8_sequence_length(text, pos);
  const auto* s = reinterpret_cast<const unsigned char*>(text.data()) + pos;
  switch (length) {
    case 1: c = s[0]; break;
    case 2: c = (char32_t(s[0] & 0x1F) << 6) | (s[1] & 0x3F); break;
    case 3: c = (char32_t(s[0] & 0x0F) << 12) | (char32_t(s[1] & 0x3F) << 6) | (s[2] & 0x3F); break;
    case 4:
      c = (char32_t(s[0] & 0x07) << 18) | (char32_t(s[1] & 0x3F) << 12) |
          (char32_t(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
      break;
    default: c = 0; break;
  }
  return length;
}

bool is_digit(char32_t c) noexcept { return c >= '0' && c <= '9'; }

// Length of the character at text[pos] if it is a digit or JS white space
// (Number(c) is not NaN), else 0.
std::size_t numeric_char_length(std::string_view text, std::size_t pos) noexcept {
  char32_t c = 0;
  const std::size_t length = decode_char(text, pos, c);
  return length != 0 && (is_digit(c) || is_js_space(c)) ? length : 0;
}

std::string_view trim_js_space(std::string_view text) noexcept {
  std::size_t begin = 0;
  while (begin < text.size()) {
    char32_t c = 0;
    const std::size_t length = decode_char(text, begin, c);
    if (length == 0 || !is_js_space(c)) break;
    begin += length;
  }
  text.remove_prefix(begin);
  // Every JS space is one to three bytes; step back over whole characters.
  while (!text.empty()) {
    std::size_t start = text.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    char32_t c = 0;
    const std::size_t length = decode_char(text, start, c);
    if (length != text.size() - start || !is_js_space(c)) break;
    text.remove_suffix(length);
  }
  return text;
}

// JavaScript's Number(string) (StringToNumber): white space trimmed, "" is
// 0, then a decimal literal with optional sign, Infinity, or an unsigned
// 0x / 0o / 0b integer. NaN otherwise.
double js_string_to_number(std::string_view text) noexcept {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  text = trim_js_space(text);
  if (text.empty()) return 0;
  if (text.size() > 2 && text[0] == '0') {
    int base = 0;
    switch (text[1]) {
      case 'x': case 'X': base = 16; break;
      case 'o': case 'O': base = 8; break;
      case 'b': case 'B': base = 2; break;
      default: break;
    }
    if (base != 0) {
      double value = 0;
      for (std::size_t i = 2; i < text.size(); ++i) {
        const char c = text[i];
        int digit = 99;
        if (c >= '0' && c <= '9') digit = c - '0';
        else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit >= base) return nan;
        value = value * base + digit;  // exactness is irrelevant: only
                                       // small integers are accepted
      }
      return value;
    }
  }
  std::string_view unsigned_part = text;
  if (unsigned_part[0] == '+' || unsigned_part[0] == '-') unsigned_part.remove_prefix(1);
  if (unsigned_part == "Infinity") {
    return text[0] == '-' ? -std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::infinity();
  }
  return detail::decimal_to_double(text);
}

bool is_js_integer(double value) noexcept { return std::isfinite(value) && std::trunc(value) == value; }

bool payload_valid(PacketType type, const Json& payload) {
  switch (type) {
    case PacketType::connect:
      return payload.is_object();
    case PacketType::disconnect:
      return false;  // a DISCONNECT carries no payload at all
    case PacketType::connect_error:
      return payload.is_string() || payload.is_object();
    case PacketType::event:
    case PacketType::binary_event: {
      const Json::Array* args = payload.if_array();
      if (!args || args->empty()) return false;
      const Json& name = args->front();
      if (name.is_number()) return true;
      const std::string* text = name.if_string();
      return text && !is_reserved_event(*text);
    }
    case PacketType::ack:
    case PacketType::binary_ack:
      return payload.is_array();
  }
  return false;
}

void append_unsigned(std::uint64_t value, std::string& out) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

// Finds the placeholders of a received binary packet the way
// socket.io-parser's _reconstructPacket does: depth first, an object whose
// "_placeholder" is true is a placeholder and is not looked into.
bool collect_placeholders(Json& value, std::size_t attachments,
                          std::vector<std::pair<Json*, std::size_t>>& out) {
  if (Json::Array* elements = value.if_array()) {
    for (Json& element : *elements) {
      if (!collect_placeholders(element, attachments, out)) return false;
    }
    return true;
  }
  if (Json::Object* members = value.if_object()) {
    const Json* marker = value.find("_placeholder");
    if (marker && marker->is_bool() && marker->as_bool()) {
      const Json* num = value.find("num");
      if (!num) return false;
      std::int64_t index = -1;
      if (const std::int64_t* i = num->if_int()) {
        index = *i;
      } else if (const double* d = num->if_double()) {
        if (!is_js_integer(*d) || *d < 0 || *d >= static_cast<double>(attachments)) return false;
        index = static_cast<std::int64_t>(*d);
      } else {
        return false;
      }
      if (index < 0 || static_cast<std::uint64_t>(index) >= attachments) return false;
      out.emplace_back(&value, static_cast<std::size_t>(index));
      return true;
    }
    for (auto& member : *members) {
      if (!collect_placeholders(member.second, attachments, out)) return false;
    }
  }
  return true;
}

}  // namespace

bool is_reserved_event(std::string_view name) noexcept {
  return name == "connect" || name == "connect_error" || name == "disconnect" ||
         name == "disconnecting" || name == "newListener" || name == "removeListener";
}

namespace {

// The header: type, namespace, ack id. Returns the position of the type.
std::size_t encode_header(int type, std::string_view nsp, std::optional<std::uint64_t> id, std::string& out) {
  const std::size_t type_pos = out.size();
  out += static_cast<char>('0' + type);
  if (!nsp.empty() && nsp != "/") {
    out += nsp;
    out += ',';
  }
  if (id) append_unsigned(*id, out);
  return type_pos;
}

// After the JSON of an EVENT / ACK was written with placeholders: turns it
// into BINARY_EVENT / BINARY_ACK if there were binaries (a move of the
// already written text, paid by binary packets alone) and copies them out.
void finish_binary(bool is_event, std::size_t type_pos, const std::vector<const Binary*>& binaries, std::string& out,
                   std::vector<std::string>& attachments) {
  if (binaries.empty()) return;
  out[type_pos] = is_event ? '5' : '6';
  char count[24];
  auto result = std::to_chars(count, count + sizeof count - 1, binaries.size());
  *result.ptr++ = '-';
  out.insert(type_pos + 1, count, static_cast<std::size_t>(result.ptr - count));
  attachments.reserve(attachments.size() + binaries.size());
  for (const Binary* bytes : binaries) attachments.emplace_back(bytes->begin(), bytes->end());
}

}  // namespace

void encode_array(bool ack, std::string_view nsp, std::optional<std::uint64_t> id, const Json::Array& args,
                  std::string& out, std::vector<std::string>& attachments) {
  const std::size_t type_pos = encode_header(ack ? 3 : 2, nsp, id, out);
  std::vector<const Binary*> binaries;
  detail::write_json_array_with_placeholders(args, out, binaries);
  finish_binary(!ack, type_pos, binaries, out, attachments);
}

void encode(const Packet& packet, std::string& out, std::vector<std::string>& attachments) {
  const bool is_event = packet.type == PacketType::event || packet.type == PacketType::binary_event;
  const bool is_ack = packet.type == PacketType::ack || packet.type == PacketType::binary_ack;
  const std::size_t type_pos =
      encode_header(is_event ? 2 : is_ack ? 3 : static_cast<int>(packet.type), packet.nsp, packet.id, out);
  if (!packet.data || packet.data->is_null()) return;

  if (!is_event && !is_ack) {
    detail::write_json(*packet.data, out);
    return;
  }
  // One pass: binaries are collected while writing; only when there are any
  // is the type changed and the count inserted behind it.
  std::vector<const Binary*> binaries;
  detail::write_json_with_placeholders(*packet.data, out, binaries);
  finish_binary(is_event, type_pos, binaries, out, attachments);
}

std::error_code decode_text(std::string_view text, Packet& packet, std::size_t& attachments,
                            std::size_t max_attachments) {
  packet = Packet{};
  attachments = 0;
  const std::size_t size = text.size();

  // Type: Number(str.charAt(0)); "" and white space read as 0 (CONNECT).
  int type = 0;
  std::size_t pos = 0;
  if (size > 0) {
    char32_t c = 0;
    const std::size_t length = decode_char(text, 0, c);
    if (length == 0) return errc::invalid_packet;
    if (is_digit(c)) {
      type = static_cast<int>(c - '0');
    } else if (!is_js_space(c)) {
      return errc::invalid_packet;
    }
    if (type > 6) return errc::invalid_packet;
    pos = length;
  }
  packet.type = static_cast<PacketType>(type);

  // Attachment count: everything up to the first '-', read with Number().
  if (packet.type == PacketType::binary_event || packet.type == PacketType::binary_ack) {
    const std::size_t dash = text.find('-', pos);
    if (dash == std::string_view::npos) return errc::invalid_packet;
    const double count = js_string_to_number(text.substr(pos, dash - pos));
    if (!is_js_integer(count) || count < 1) return errc::invalid_packet;
    if (count > static_cast<double>(max_attachments)) return errc::too_many_attachments;
    attachments = static_cast<std::size_t>(count);
    pos = dash + 1;
  }

  // Namespace: from '/' up to ',' or the end.
  if (pos < size && text[pos] == '/') {
    const std::size_t comma = text.find(',', pos);
    const std::size_t end = comma == std::string_view::npos ? size : comma;
    const std::string_view nsp = text.substr(pos, end - pos);
    for (std::size_t i = 0; i < nsp.size();) {
      const std::size_t length = detail::utf8_sequence_length(nsp, i);
      if (length == 0) return errc::invalid_packet;
      i += length;
    }
    packet.nsp.assign(nsp);
    pos = comma == std::string_view::npos ? size : comma + 1;
  }

  // Ack id: the run of characters Number() does not read as NaN.
  if (pos < size && numeric_char_length(text, pos) != 0) {
    std::size_t end = pos;
    while (end < size) {
      const std::size_t length = numeric_char_length(text, end);
      if (length == 0) break;
      end += length;
    }
    const std::string_view digits = trim_js_space(text.substr(pos, end - pos));
    std::uint64_t id = 0;
    if (!digits.empty()) {
      // Anything but digits left after trimming is NaN in JavaScript.
      const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), id);
      if (result.ec != std::errc() || result.ptr != digits.data() + digits.size()) {
        return errc::invalid_packet;
      }
    }
    packet.id = id;
    pos = end;
  }

  // Payload: the rest, if anything is left.
  if (pos < size) {
    Json payload;
    if (detail::parse_json(text.substr(pos), payload)) return errc::invalid_json;
    if (!payload_valid(packet.type, payload)) return errc::invalid_packet;
    packet.data = std::move(payload);
  }
  return {};
}

std::error_code Decoder::add_text(std::string_view text, std::optional<Packet>& packet) {
  packet.reset();
  if (pending_) return fail(errc::invalid_packet);

  Packet decoded;
  std::size_t attachments = 0;
  if (const std::error_code ec = decode_text(text, decoded, attachments, limits_.max_attachments)) {
    return fail(ec);
  }
  if (decoded.type != PacketType::binary_event && decoded.type != PacketType::binary_ack) {
    packet = std::move(decoded);
    return {};
  }

  if (text.size() > limits_.max_pending_bytes) return fail(errc::payload_too_large);
  decoded.type = decoded.type == PacketType::binary_event ? PacketType::event : PacketType::ack;
  pending_ = std::make_unique<Packet>(std::move(decoded));
  expected_attachments_ = attachments;
  pending_bytes_ = text.size();
  // Collected after the move into pending_: the data's root is an array
  // (payload_valid demands it), so every placeholder lives in heap storage
  // that stays put until the packet is handed out.
  if (pending_->data) {
    std::vector<std::pair<Json*, std::size_t>> found;
    if (!collect_placeholders(*pending_->data, attachments, found)) {
      return fail(errc::invalid_packet);
    }
    placeholders_.reserve(found.size());
    for (const auto& [slot, num] : found) placeholders_.push_back(Placeholder{slot, num});
  }
  attachments_.reserve(attachments);
  return {};
}

std::error_code Decoder::add_binary(std::string_view bytes, std::optional<Packet>& packet) {
  packet.reset();
  if (!pending_) return fail(errc::unexpected_attachment);
  pending_bytes_ += bytes.size();
  if (pending_bytes_ > limits_.max_pending_bytes) return fail(errc::payload_too_large);
  const auto* begin = reinterpret_cast<const std::uint8_t*>(bytes.data());
  attachments_.emplace_back(begin, begin + bytes.size());
  if (attachments_.size() < expected_attachments_) return {};

  // The same num may appear more than once (socket.io-parser allows it):
  // copy for all but the last use, which takes the buffer.
  std::vector<std::size_t> uses(attachments_.size(), 0);
  for (const Placeholder& placeholder : placeholders_) ++uses[placeholder.num];
  for (const Placeholder& placeholder : placeholders_) {
    Binary& source = attachments_[placeholder.num];
    if (--uses[placeholder.num] == 0) {
      *placeholder.slot = Json(std::move(source));
    } else {
      *placeholder.slot = Json(source);
    }
  }
  packet = std::move(*pending_);
  reset();
  return {};
}

void Decoder::reset() noexcept {
  pending_.reset();
  expected_attachments_ = 0;
  pending_bytes_ = 0;
  // Released, not just cleared: most connections never carry binary
  // packets, and those that did should not keep the buffers while idle.
  std::vector<Placeholder>().swap(placeholders_);
  std::vector<Binary>().swap(attachments_);
}

std::error_code Decoder::fail(std::error_code ec) noexcept {
  reset();
  return ec;
}

}  // namespace socketio::sio

#include "redis/msgpack_codec.hpp"

#include <msgpack.hpp>

#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

// Decoding uses msgpack-cxx's visitor parser rather than msgpack::unpack:
// the parser checks every length against the input before it calls us, keeps
// its own explicit stack (no recursion) and lets a visitor stop it, while
// unpack() allocates a claimed array or map size up front (a five-byte
// "array of 4 billion" would ask for 100 GB) and cannot tell fixext1 from
// ext8, which notepack gives different meanings.

namespace socketio::detail::msgpack {

namespace {

// ---- encoding ----------------------------------------------------------------

// msgpack::packer writes to any type with write(const char*, size_t).
struct StringSink {
  std::string& out;
  void write(const char* data, std::size_t size) { out.append(data, size); }
};

std::uint32_t checked_size(std::size_t size, const char* what) {
  // notepack throws for these too ("String too long", ...): MessagePack
  // cannot express a length of 2^32 or more.
  if (size > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error(std::string("msgpack: ") + what + " too large to encode");
  }
  return static_cast<std::uint32_t>(size);
}

// Not packer.pack_double(): msgpack-cxx 4.x packs a double with an integral
// value as an integer (losing -0.0, and with undefined behaviour at 2^64).
// notepack writes every non-integral number as float64; we write every Json
// double so, which Node reads as the same number and which keeps the value's
// kind across a round trip.
void write_float64(double value, StringSink& sink) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  char bytes[9];
  bytes[0] = static_cast<char>(0xcb);
  for (int i = 0; i < 8; ++i) bytes[1 + i] = static_cast<char>(bits >> (56 - 8 * i));
  sink.write(bytes, sizeof bytes);
}

// packer's pack_int64 picks the smallest form (positive fixint, uint8..64 for
// values >= 0; negative fixint, int8..64 below) with the same thresholds as
// notepack's encoder, and pack_str / pack_bin / pack_array / pack_map use
// str8/bin8 as notepack does, so its bytes match notepack's exactly.
void encode_value(const Json& value, ::msgpack::packer<StringSink>& packer, StringSink& sink) {
  switch (value.type()) {
    case Json::Type::null: packer.pack_nil(); break;
    case Json::Type::boolean:
      if (*value.if_bool()) {
        packer.pack_true();
      } else {
        packer.pack_false();
      }
      break;
    case Json::Type::integer: packer.pack_int64(*value.if_int()); break;
    case Json::Type::floating: write_float64(*value.if_double(), sink); break;
    case Json::Type::string: {
      const std::string& text = *value.if_string();
      const std::uint32_t size = checked_size(text.size(), "string");
      packer.pack_str(size);
      packer.pack_str_body(text.data(), size);
      break;
    }
    case Json::Type::binary: {
      const Binary& bytes = *value.if_binary();
      const std::uint32_t size = checked_size(bytes.size(), "binary");
      packer.pack_bin(size);
      packer.pack_bin_body(reinterpret_cast<const char*>(bytes.data()), size);
      break;
    }
    case Json::Type::array: {
      const Json::Array& array = *value.if_array();
      packer.pack_array(checked_size(array.size(), "array"));
      for (const Json& element : array) encode_value(element, packer, sink);
      break;
    }
    case Json::Type::object: {
      const Json::Object& object = *value.if_object();
      packer.pack_map(checked_size(object.size(), "object"));
      for (const auto& [key, member] : object) {
        const std::uint32_t size = checked_size(key.size(), "key");
        packer.pack_str(size);
        packer.pack_str_body(key.data(), size);
        encode_value(member, packer, sink);
      }
      break;
    }
  }
}

// ---- decoding ----------------------------------------------------------------

// Node decodes strings with Buffer.toString("utf8"), which replaces each
// maximal ill-formed subsequence with U+FFFD (WHATWG). Doing the same keeps
// every decoded string valid UTF-8 and equal to what a Node server sees.
std::size_t valid_utf8_prefix(const unsigned char* p, std::size_t size, std::size_t pos,
                              std::size_t* bad_length) {
  // Returns the length of the well-formed sequence at pos, or 0 and the
  // length of the maximal ill-formed subpart in *bad_length.
  const unsigned char lead = p[pos];
  std::size_t need = 0;
  unsigned char low = 0x80, high = 0xBF;  // range of the second byte
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 2;
    if (lead == 0xE0) low = 0xA0;   // no overlongs
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 3;
    if (lead == 0xF0) low = 0x90;   // no overlongs
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    *bad_length = 1;
    return 0;
  }
  std::size_t i = 1;
  for (; i <= need; ++i) {
    if (pos + i >= size) break;
    const unsigned char c = p[pos + i];
    const unsigned char lo = i == 1 ? low : 0x80;
    const unsigned char hi = i == 1 ? high : 0xBF;
    if (c < lo || c > hi) break;
  }
  if (i == need + 1) return need + 1;
  *bad_length = i;  // the lead byte and the continuation bytes that fitted
  return 0;
}

std::string to_utf8(const char* data, std::uint32_t size) {
  std::string text;
  if (size == 0) return text;
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  std::size_t pos = 0;
  // Fast path: most strings are valid.
  while (pos < size) {
    std::size_t bad = 0;
    const std::size_t n = valid_utf8_prefix(p, size, pos, &bad);
    if (n == 0) break;
    pos += n;
  }
  if (pos == size) return std::string(data, size);
  text.reserve(size + 16);
  text.assign(data, pos);
  while (pos < size) {
    std::size_t bad = 0;
    const std::size_t n = valid_utf8_prefix(p, size, pos, &bad);
    if (n > 0) {
      text.append(data + pos, n);
      pos += n;
    } else {
      text += "\xEF\xBF\xBD";
      pos += bad;
    }
  }
  return text;
}

// Builds a Json from the parser's events. Containers under construction
// live on an explicit stack of frames; a finished one is moved into its
// parent, so the parser's own iteration is the only loop and nothing recurses.
class JsonBuilder {
 public:
  explicit JsonBuilder(int max_depth) : max_depth_(max_depth) {}

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  Json take_result() { return std::move(result_); }

  // ---- visitor interface of msgpack-cxx (msgpack/v2/null_visitor.hpp) ----
  bool visit_nil() { return add(Json()); }
  bool visit_boolean(bool v) { return add(Json(v)); }
  bool visit_positive_integer(std::uint64_t v) {
    // Above INT64_MAX the Json constructor stores a double, as JavaScript
    // holds every number.
    return add(Json(v));
  }
  bool visit_negative_integer(std::int64_t v) { return add(Json(v)); }
  bool visit_float32(float v) { return add(Json(static_cast<double>(v))); }
  bool visit_float64(double v) { return add(Json(v)); }
  bool visit_str(const char* v, std::uint32_t size) {
    if (expecting_key()) {
      frames_.back().key = to_utf8(v, size);
      return true;
    }
    return add(Json(to_utf8(v, size)));
  }
  bool visit_bin(const char* v, std::uint32_t size) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(v);
    return add(size == 0 ? Json(Binary{}) : Json(Binary(bytes, bytes + size)));
  }
  // `v` points at the type byte; `size` counts it and the data. The byte
  // before `v` tells fixext (d4..d8, no length) from ext8/16/32 (whose
  // header ends with the length's low byte, which for the fixext sizes 1, 2,
  // 4, 8 and 16 is never d4..d8): notepack gives them different meanings.
  bool visit_ext(const char* v, std::uint32_t size) {
    const auto type = static_cast<std::int8_t>(v[0]);
    const std::uint32_t data_size = size - 1;
    const auto before = static_cast<unsigned char>(v[-1]);
    const bool fixext = (data_size == 1 && before == 0xd4) || (data_size == 2 && before == 0xd5) ||
                        (data_size == 4 && before == 0xd6) || (data_size == 8 && before == 0xd7) ||
                        (data_size == 16 && before == 0xd8);
    if (type == 0 && !fixext) {
      // An ArrayBuffer as notepack before 3.0 wrote it.
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(v + 1);
      return add(data_size == 0 ? Json(Binary{}) : Json(Binary(bytes, bytes + data_size)));
    }
    // d4 00 00 is notepack's `undefined`. Dates (type -1, and the legacy
    // d7 00), notepack's [type, Buffer] pairs and application extensions
    // have no Json form.
    return add(Json());
  }
  bool start_array(std::uint32_t count) {
    if (!open_container()) return false;
    Frame frame;
    frame.value = Json(Json::Array{});
    // Reserve no more than a small amount: the count is only a claim until
    // the elements have actually been read.
    frame.value.if_array()->reserve(count < 1024 ? count : 1024);
    frames_.push_back(std::move(frame));
    return true;
  }
  bool start_array_item() { return true; }
  bool end_array_item() { return true; }
  bool end_array() { return close_container(); }
  bool start_map(std::uint32_t count) {
    if (!open_container()) return false;
    Frame frame;
    frame.value = Json(Json::Object{});
    frame.value.if_object()->reserve(count < 1024 ? count : 1024);
    frame.is_map = true;
    frames_.push_back(std::move(frame));
    return true;
  }
  bool start_map_key() {
    frames_.back().in_key = true;
    return true;
  }
  bool end_map_key() {
    frames_.back().in_key = false;
    return true;
  }
  bool start_map_value() { return true; }
  bool end_map_value() { return true; }
  bool end_map() { return close_container(); }
  void parse_error(std::size_t, std::size_t offset) {
    if (error_.empty()) error_ = "invalid byte at offset " + std::to_string(offset);
  }
  void insufficient_bytes(std::size_t, std::size_t) {
    if (error_.empty()) error_ = "truncated input";
  }
  bool referenced() const { return false; }
  void set_referenced(bool) {}

 private:
  struct Frame {
    Json value;          // the array or object being filled
    bool is_map = false;
    bool in_key = false;
    std::string key;     // the key whose value comes next
    // Built once an object grows large, so duplicate-key checks stay linear
    // overall on hostile input with many members.
    std::unordered_map<std::string, std::size_t> index;
  };

  static constexpr std::size_t index_threshold = 16;

  bool expecting_key() const { return !frames_.empty() && frames_.back().in_key; }

  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  bool open_container() {
    if (expecting_key()) return fail("map key is not a string");
    if (static_cast<long long>(frames_.size()) >= static_cast<long long>(max_depth_)) {
      return fail("nesting deeper than " + std::to_string(max_depth_));
    }
    return true;
  }

  bool close_container() {
    Json value = std::move(frames_.back().value);
    frames_.pop_back();
    return add(std::move(value));
  }

  bool add(Json value) {
    if (frames_.empty()) {
      result_ = std::move(value);
      return true;
    }
    Frame& frame = frames_.back();
    if (!frame.is_map) {
      frame.value.if_array()->push_back(std::move(value));
      return true;
    }
    if (frame.in_key) return fail("map key is not a string");
    // A repeated key keeps its first position and its last value, as
    // assigning members of a JavaScript object does.
    Json::Object& object = *frame.value.if_object();
    if (object.size() < index_threshold) {
      for (auto& member : object) {
        if (member.first == frame.key) {
          member.second = std::move(value);
          return true;
        }
      }
      object.emplace_back(std::move(frame.key), std::move(value));
      if (object.size() == index_threshold) {
        for (std::size_t i = 0; i < object.size(); ++i) frame.index.emplace(object[i].first, i);
      }
      return true;
    }
    auto [it, inserted] = frame.index.emplace(frame.key, object.size());
    if (!inserted) {
      object[it->second].second = std::move(value);
      return true;
    }
    object.emplace_back(std::move(frame.key), std::move(value));
    return true;
  }

  int max_depth_;
  std::vector<Frame> frames_;
  Json result_;
  std::string error_;
};

}  // namespace

std::string encode(const Json& value) {
  std::string out;
  StringSink sink{out};
  ::msgpack::packer<StringSink> packer(sink);
  encode_value(value, packer, sink);
  return out;
}

std::optional<Json> decode(std::string_view bytes, std::string* error, int max_depth) {
  auto failed = [error](std::string message) -> std::optional<Json> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  if (bytes.empty()) return failed("empty input");
  JsonBuilder builder(max_depth);
  std::size_t offset = 0;
  bool ok = false;
  try {
    ok = ::msgpack::parse(bytes.data(), bytes.size(), offset, builder);
  } catch (const std::exception& e) {
    // The parser reports size overflows by exception; allocation failures
    // of absurd (but present) inputs end up here too.
    return failed(std::string("msgpack: ") + e.what());
  }
  if (builder.failed()) return failed(builder.error());
  if (!ok) return failed("invalid msgpack");
  if (offset != bytes.size()) {
    return failed(std::to_string(bytes.size() - offset) + " trailing bytes");
  }
  return builder.take_result();
}

}  // namespace socketio::detail::msgpack

#include "json/json_text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <tuple>

#include "json/json_fast_reader.hpp"
#include "socketio/error.hpp"

// RapidJSON stays behind this file. SAX parsing builds Json values directly,
// with no intermediate DOM. Its SSE2 paths (skipping white space, scanning
// strings 16 bytes at a time) are available on every x86-64.
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2) && !defined(RAPIDJSON_SSE42)
#define RAPIDJSON_SSE2
#endif
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

namespace socketio::detail {

// Objects up to this size are checked for duplicate keys pairwise; larger
// ones are sorted, so hostile input with many keys stays O(n log n).
constexpr std::size_t kSmallObject = 16;

// JSON.parse keeps the first position of a duplicated key and its last value.
void merge_duplicate_keys(Json::Object& members) {
  const std::size_t n = members.size();
  if (n < 2) return;
  // first[i]: index of the first member whose key equals members[i]'s.
  std::vector<std::uint32_t> first;
  if (n <= kSmallObject) {
    bool duplicate = false;
    for (std::size_t i = 1; i < n && !duplicate; ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (members[i].first == members[j].first) {
          duplicate = true;
          break;
        }
      }
    }
    if (!duplicate) return;
    first.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      first[i] = static_cast<std::uint32_t>(i);
      for (std::size_t j = 0; j < i; ++j) {
        if (members[i].first == members[j].first) {
          first[i] = static_cast<std::uint32_t>(j);
          break;
        }
      }
    }
  } else {
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    // Stable, so within a run of equal keys the first index comes first.
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return members[a].first < members[b].first;
    });
    bool duplicate = false;
    for (std::size_t k = 1; k < n; ++k) {
      if (members[order[k]].first == members[order[k - 1]].first) {
        duplicate = true;
        break;
      }
    }
    if (!duplicate) return;
    first.resize(n);
    std::size_t run = 0;
    for (std::size_t k = 0; k < n; ++k) {
      if (k > 0 && members[order[k]].first != members[order[k - 1]].first) run = k;
      first[order[k]] = order[run];
    }
  }
  // Walk in order so the last value of each key is the one that stays.
  std::vector<bool> dropped(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    if (first[i] != i) {
      members[first[i]].second = std::move(members[i].second);
      dropped[i] = true;
    }
  }
  std::size_t out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (dropped[i]) continue;
    if (out != i) members[out] = std::move(members[i]);
    ++out;
  }
  members.resize(out);
}

Json number_from_text(std::string_view text) {
  if (text.find_first_of(".eE") == std::string_view::npos) {
    std::int64_t value = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (result.ec == std::errc() && result.ptr == text.data() + text.size()) return Json(value);
  }
  return Json(decimal_to_double(text));
}

namespace {

// ---------------------------------------------------------------------------
// Parsing

// RapidJSON turns an escaped lone low surrogate ("\udc00") into the bytes
// ED B0 80, which are not UTF-8. JavaScript would keep the lone surrogate; a
// UTF-8 string cannot hold one, so it becomes U+FFFD (same length, in place).
// Raw (unescaped) surrogate bytes never get here: the encoding check rejects
// them.
void replace_lone_surrogates(std::string& text) {
  char* p = text.data();
  char* const end = p + text.size();
  while ((p = static_cast<char*>(std::memchr(p, 0xED, static_cast<std::size_t>(end - p))))) {
    if (end - p >= 3 && (static_cast<unsigned char>(p[1]) & 0xE0) == 0xA0) {
      p[0] = '\xEF';
      p[1] = '\xBF';
      p[2] = '\xBD';
      p += 3;
    } else {
      ++p;
    }
  }
}


// Builds the Json tree from RapidJSON's SAX events. The elements and members
// of open containers collect on two scratch stacks; a container is built
// with one exact-size allocation when it closes, then moved into its parent.
class Builder {
 public:
  /// Ready for a new parse, keeping the scratch stacks' capacity.
  void reset(std::size_t max_depth) {
    max_depth_ = max_depth;
    frames_.clear();
    values_.clear();
    members_.clear();
    depth_exceeded_ = false;
  }

  bool Null() { return add(Json()); }
  bool Bool(bool value) { return add(Json(value)); }
  // Numbers arrive as text (kParseNumbersAsStringsFlag): RapidJSON's own
  // conversion is not always correctly rounded.
  bool RawNumber(const char* text, rapidjson::SizeType length, bool) {
    return add(number_from_text(std::string_view(text, length)));
  }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    std::string value(text, length);
    replace_lone_surrogates(value);
    return add(Json(std::move(value)));
  }
  bool StartObject() {
    if (frames_.size() >= max_depth_) return too_deep();
    frames_.push_back(Frame{true, members_.size()});
    return true;
  }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    std::string key(text, length);
    replace_lone_surrogates(key);
    // Piecewise: no moved-from temporary Json (GCC 12 warns falsely about those).
    members_.emplace_back(std::piecewise_construct, std::forward_as_tuple(std::move(key)),
                          std::forward_as_tuple());
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    const auto first = members_.begin() + static_cast<std::ptrdiff_t>(frames_.back().start);
    Json::Object members(std::make_move_iterator(first), std::make_move_iterator(members_.end()));
    members_.erase(first, members_.end());
    frames_.pop_back();
    merge_duplicate_keys(members);
    return add(Json(std::move(members)));
  }
  bool StartArray() {
    if (frames_.size() >= max_depth_) return too_deep();
    frames_.push_back(Frame{false, values_.size()});
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    const auto first = values_.begin() + static_cast<std::ptrdiff_t>(frames_.back().start);
    Json::Array elements(std::make_move_iterator(first), std::make_move_iterator(values_.end()));
    values_.erase(first, values_.end());
    frames_.pop_back();
    return add(Json(std::move(elements)));
  }
  // Never called with kParseNumbersAsStringsFlag; required by the concept.
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(std::int64_t) { return false; }
  bool Uint64(std::uint64_t) { return false; }
  bool Double(double) { return false; }

  bool depth_exceeded() const noexcept { return depth_exceeded_; }
  // After a successful parse the root is the only value left.
  Json take_root() { return std::move(values_.front()); }

 private:
  struct Frame {
    bool object;
    std::size_t start;  // index of its first element / member on the stack
  };

  bool add(Json&& value) {
    if (!frames_.empty() && frames_.back().object) {
      // Key() pushed the member; this is its value.
      members_.back().second = std::move(value);
    } else {
      values_.push_back(std::move(value));  // an array element, or the root
    }
    return true;
  }
  bool too_deep() {
    depth_exceeded_ = true;
    return false;
  }

  std::size_t max_depth_ = 0;
  std::vector<Frame> frames_;
  std::vector<Json> values_;
  std::vector<Json::Member> members_;
  bool depth_exceeded_ = false;
};

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Value of the four hex digits at text[pos], or -1.
int hex4(std::string_view text, std::size_t pos) noexcept {
  if (pos + 4 > text.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + 4; ++i) {
    const char c = text[i];
    if (!is_hex(c)) return -1;
    value = value * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return value;
}

// RapidJSON rejects an escaped high surrogate not followed by an escaped low
// one, which JSON.parse accepts. This copy of the text has such escapes
// replaced by \ufffd (same length, so error offsets still match). A backslash
// and the character after it are always skipped together, so "\\ud800" (an
// escaped backslash) is left alone; outside strings a backslash is a syntax
// error either way.
std::string replace_lone_high_surrogate_escapes(std::string_view text) {
  std::string fixed(text);
  std::size_t i = 0;
  while (i < fixed.size()) {
    if (fixed[i] != '\\') {
      ++i;
      continue;
    }
    if (i + 1 < fixed.size() && fixed[i + 1] == 'u') {
      const int unit = hex4(fixed, i + 2);
      if (unit >= 0xD800 && unit <= 0xDBFF) {
        const bool paired = i + 7 < fixed.size() && fixed[i + 6] == '\\' && fixed[i + 7] == 'u' &&
                            hex4(fixed, i + 8) >= 0xDC00 && hex4(fixed, i + 8) <= 0xDFFF;
        if (paired) {
          i += 12;
        } else {
          fixed.replace(i + 2, 4, "fffd");
          i += 6;
        }
        continue;
      }
    }
    i += 2;
  }
  return fixed;
}

// No kParseValidateEncodingFlag: parse_json validates the UTF-8 of the whole
// text first, which is faster than RapidJSON's per-character check and
// equivalent (outside strings any non-ASCII byte is a syntax error anyway).
// In situ: RapidJSON unescapes strings inside a copy of the text we own
// (see ParseScratch) instead of copying them character by character onto
// its own stack first.
constexpr unsigned kParseFlags =
    rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseInsituFlag;

/// What one parse needs, kept per thread so that parsing a small message
/// allocates nothing but the values it returns: the copy of the text that
/// RapidJSON parses in situ, RapidJSON's stack and the builder's stacks.
struct ParseScratch {
  std::string text;
  rapidjson::Reader reader;
  Builder builder;
};

ParseScratch& parse_scratch() {
  thread_local ParseScratch scratch;
  return scratch;
}

/// The SSE2 scans read whole aligned 16-byte blocks, up to 15 bytes past
/// the terminating NUL: keep that many bytes of the buffer allocated (and
/// initialised).
constexpr std::size_t kScanPadding = 16;

// Offset of the first byte that does not begin a well-formed UTF-8
// sequence, or text.size().
std::size_t invalid_utf8_offset(std::string_view text) noexcept {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    // ASCII runs eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t block;
      std::memcpy(&block, text.data() + i, sizeof block);
      if (block & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) return i;
    i += length;
  }
  return n;
}

bool is_json_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// One RapidJSON pass. Returns the RapidJSON error code (kParseErrorNone on
// success) and fills `failure`.
rapidjson::ParseErrorCode parse_once(std::string_view text, Json& out, std::size_t max_depth,
                                     JsonParseFailure& failure) {
  // The copy ends with a NUL, so an embedded NUL looks like the end of
  // input to RapidJSON; the explicit end check below catches it.
  ParseScratch& scratch = parse_scratch();
  std::string& buffer = scratch.text;
  buffer.reserve(text.size() + kScanPadding);
  buffer.assign(text.size() + kScanPadding, '\0');
  buffer.resize(text.size());
  std::memcpy(buffer.data(), text.data(), text.size());
  rapidjson::InsituStringStream stream(buffer.data());
  Builder& builder = scratch.builder;
  builder.reset(max_depth);
  const rapidjson::ParseResult result = scratch.reader.Parse<kParseFlags>(stream, builder);
  if (result.IsError()) {
    failure.offset = result.Offset();
    failure.reason = builder.depth_exceeded() ? "nesting too deep"
                                              : rapidjson::GetParseError_En(result.Code());
    return builder.depth_exceeded() ? rapidjson::kParseErrorTermination : result.Code();
  }
  std::size_t pos = stream.Tell();
  while (pos < text.size() && is_json_space(text[pos])) ++pos;
  if (pos != text.size()) {
    failure.offset = pos;
    failure.reason = "unexpected text after the JSON value";
    return rapidjson::kParseErrorDocumentRootNotSingular;
  }
  out = builder.take_root();
  return rapidjson::kParseErrorNone;
}

// ---------------------------------------------------------------------------
// Writing

void append_integer(std::int64_t value, std::string& out) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

// Number.prototype.toString, which JSON.stringify uses: the shortest digits
// that round-trip (std::to_chars gives the same digits, ties resolved the
// same way), laid out by the ECMAScript rules.
void append_double(double value, std::string& out) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  if (value == 0) {  // also -0, which JavaScript prints as 0
    out += '0';
    return;
  }
  // Integers below 2^53 are exact and print as their digits.
  if (std::fabs(value) < 9007199254740992.0 && std::trunc(value) == value) {
    append_integer(static_cast<std::int64_t>(value), out);
    return;
  }
  char buffer[40];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  // buffer: [-]d[.ddd]e(+|-)xx
  const char* p = buffer;
  const char* const end = result.ptr;
  if (*p == '-') {
    out += '-';
    ++p;
  }
  char digits[20];
  int k = 0;
  for (; p != end && *p != 'e'; ++p) {
    if (*p != '.') digits[k++] = *p;
  }
  int exponent = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), end, exponent);
  const int n = exponent + 1;  // value = 0.digits * 10^n
  if (k <= n && n <= 21) {
    out.append(digits, static_cast<std::size_t>(k));
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, static_cast<std::size_t>(n));
    out += '.';
    out.append(digits + n, static_cast<std::size_t>(k - n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out.append(digits, static_cast<std::size_t>(k));
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits + 1, static_cast<std::size_t>(k - 1));
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    append_integer(std::abs(n - 1), out);
  }
}

// Length of the longest prefix at text[pos] that could start a well-formed
// sequence (the "maximal subpart" that becomes one U+FFFD, as in the WHATWG
// decoder Node uses). At least 1.
std::size_t invalid_utf8_length(std::string_view text, std::size_t pos) noexcept {
  const auto lead = static_cast<unsigned char>(text[pos]);
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  std::size_t need = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 2;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 3;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 1;
  }
  std::size_t length = 1;
  for (std::size_t i = 0; i < need && pos + length < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[pos + length]);
    if (c < low || c > high) break;
    low = 0x80;
    high = 0xBF;
    ++length;
  }
  return length;
}

constexpr char kHexDigits[] = "0123456789abcdef";

// Bytes append_string cannot copy verbatim: control characters, '"', '\\'
// and everything non-ASCII (which is checked for well-formed UTF-8).
constexpr std::array<bool, 256> kSpecialByte = [] {
  std::array<bool, 256> table{};
  for (std::size_t c = 0; c < 256; ++c) table[c] = c < 0x20 || c >= 0x80 || c == '"' || c == '\\';
  return table;
}();

void append_string(std::string_view text, std::string& out) {
  out += '"';
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t run = 0;  // start of the bytes copied verbatim
  std::size_t i = 0;
  while (true) {
    while (i < n && !kSpecialByte[s[i]]) ++i;
    if (i == n) break;
    const unsigned char c = s[i];
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(text, i);
      if (length != 0) {
        i += length;
        continue;
      }
      out.append(text.data() + run, i - run);
      out += "\xEF\xBF\xBD";
      i += invalid_utf8_length(text, i);
      run = i;
      continue;
    }
    out.append(text.data() + run, i - run);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        const char escape[] = {'\\', 'u', '0', '0', kHexDigits[c >> 4], kHexDigits[c & 0xF]};
        out.append(escape, sizeof escape);
      }
    }
    ++i;
    run = i;
  }
  out.append(text.data() + run, n - run);
  out += '"';
}

class Writer {
 public:
  Writer(std::string& out, std::vector<const Binary*>* binaries) : out_(out), binaries_(binaries) {}

  void write(const Json& value) {
    switch (value.type()) {
      case Json::Type::null:
        out_ += "null";
        return;
      case Json::Type::boolean:
        out_ += *value.if_bool() ? "true" : "false";
        return;
      case Json::Type::integer:
        append_integer(*value.if_int(), out_);
        return;
      case Json::Type::floating:
        append_double(*value.if_double(), out_);
        return;
      case Json::Type::string:
        append_string(*value.if_string(), out_);
        return;
      case Json::Type::binary:
        write_binary(*value.if_binary());
        return;
      case Json::Type::array:
        write_array(*value.if_array());
        return;
      case Json::Type::object: {
        out_ += '{';
        bool first = true;
        for (const auto& [key, member] : *value.if_object()) {
          if (!first) out_ += ',';
          first = false;
          append_string(key, out_);
          out_ += ':';
          write(member);
        }
        out_ += '}';
        return;
      }
    }
  }

  void write_array(const Json::Array& elements) {
    out_ += '[';
    bool first = true;
    for (const Json& element : elements) {
      if (!first) out_ += ',';
      first = false;
      write(element);
    }
    out_ += ']';
  }

 private:
  void write_binary(const Binary& bytes) {
    if (binaries_) {
      out_ += R"({"_placeholder":true,"num":)";
      append_integer(static_cast<std::int64_t>(binaries_->size()), out_);
      out_ += '}';
      binaries_->push_back(&bytes);
      return;
    }
    out_ += R"({"type":"Buffer","data":[)";
    bool first = true;
    for (const std::uint8_t byte : bytes) {
      if (!first) out_ += ',';
      first = false;
      char buffer[4];
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, byte);
      out_.append(buffer, result.ptr);
    }
    out_ += "]}";
  }

  std::string& out_;
  std::vector<const Binary*>* binaries_;
};

}  // namespace

namespace {

std::error_code parse_json_text(std::string_view text, Json& out, std::size_t max_depth,
                                JsonParseFailure* failure, bool fast_path) {
  out = Json();
  JsonParseFailure local;
  JsonParseFailure& report = failure ? *failure : local;
  // RapidJSON measures strings in 32 bits.
  if (text.size() >= std::numeric_limits<rapidjson::SizeType>::max()) {
    report.offset = 0;
    report.reason = "text too large";
    return make_error_code(errc::invalid_json);
  }
  if (const std::size_t bad = invalid_utf8_offset(text); bad != text.size()) {
    report.offset = bad;
    report.reason = "invalid UTF-8";
    return make_error_code(errc::invalid_json);
  }
  if (fast_path && parse_json_fast(text, out, max_depth)) return {};
  rapidjson::ParseErrorCode code = parse_once(text, out, max_depth, report);
  if (code == rapidjson::kParseErrorStringUnicodeSurrogateInvalid) {
    // Rare: only text with a lone high surrogate escape pays for the copy.
    code = parse_once(replace_lone_high_surrogate_escapes(text), out, max_depth, report);
  }
  if (code != rapidjson::kParseErrorNone) {
    out = Json();
    return make_error_code(errc::invalid_json);
  }
  return {};
}

}  // namespace

std::error_code parse_json(std::string_view text, Json& out, std::size_t max_depth,
                           JsonParseFailure* failure) {
  return parse_json_text(text, out, max_depth, failure, true);
}

std::error_code parse_json_without_fast_path(std::string_view text, Json& out, std::size_t max_depth,
                                             JsonParseFailure* failure) {
  return parse_json_text(text, out, max_depth, failure, false);
}

void write_json(const Json& value, std::string& out) { Writer(out, nullptr).write(value); }

void write_json_with_placeholders(const Json& value, std::string& out,
                                  std::vector<const Binary*>& binaries) {
  Writer(out, &binaries).write(value);
}

void write_json_array_with_placeholders(const Json::Array& elements, std::string& out,
                                        std::vector<const Binary*>& binaries) {
  Writer(out, &binaries).write_array(elements);
}

double decimal_to_double(std::string_view text) noexcept {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  std::size_t i = 0;
  const std::size_t n = text.size();
  bool negative = false;
  if (i < n && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  const std::size_t mantissa_begin = i;
  std::size_t int_digits = 0;
  while (i < n && text[i] >= '0' && text[i] <= '9') ++i, ++int_digits;
  std::size_t frac_digits = 0;
  if (i < n && text[i] == '.') {
    ++i;
    while (i < n && text[i] >= '0' && text[i] <= '9') ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return nan;
  const std::size_t mantissa_end = i;
  // Saturated, which is enough to tell overflow from underflow below.
  long long exponent = 0;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exponent_negative = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) {
      exponent_negative = text[i] == '-';
      ++i;
    }
    if (i == n) return nan;
    while (i < n && text[i] >= '0' && text[i] <= '9') {
      if (exponent < 1'000'000'000) exponent = exponent * 10 + (text[i] - '0');
      ++i;
    }
    if (exponent_negative) exponent = -exponent;
  }
  if (i != n) return nan;

  double value = 0;
  const auto result = std::from_chars(text.data() + mantissa_begin, text.data() + n, value,
                                      std::chars_format::general);
  if (result.ec == std::errc::result_out_of_range) {
    // Out of range: decide between overflow and underflow from the decimal
    // position of the first non-zero digit.
    long long magnitude = 0;
    bool found = false;
    long long position = static_cast<long long>(int_digits);
    for (std::size_t j = mantissa_begin; j < mantissa_end; ++j) {
      if (text[j] == '.') continue;
      if (text[j] != '0') {
        magnitude = position + exponent;
        found = true;
        break;
      }
      --position;
    }
    value = found && magnitude > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  } else if (result.ec != std::errc() || result.ptr != text.data() + n) {
    return nan;
  }
  return negative ? -value : value;
}

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data()) + pos;
  const std::size_t left = text.size() - pos;
  const unsigned char c = s[0];
  if (c < 0x80) return 1;
  auto cont = [&](std::size_t i, unsigned char low = 0x80, unsigned char high = 0xBF) {
    return i < left && s[i] >= low && s[i] <= high;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

}  // namespace socketio::detail

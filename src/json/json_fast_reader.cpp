#include "json/json_fast_reader.hpp"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace socketio::detail {

namespace {

// Deeper text goes to the general parser: the fast reader recurses, and
// typical messages nest two or three levels.
constexpr std::size_t kFastMaxDepth = 32;
// Numbers the general parser may call too big are left to it (see number()).
constexpr std::ptrdiff_t kMaxIntegerDigits = 300;
constexpr std::ptrdiff_t kMaxExponentDigits = 2;

/// One pass over the text, building Json values as it goes. Every method
/// returns false as soon as the text leaves the subset this reader takes
/// (see parse_json_fast); what was built so far is then discarded.
class FastReader {
 public:
  /// `values` and `members`: scratch stacks, empty, kept by the caller so
  /// that their capacity is reused from one parse to the next.
  FastReader(std::string_view text, std::size_t max_depth, std::vector<Json>& values,
             std::vector<Json::Member>& members) noexcept
      : p_(text.data()),
        end_(text.data() + text.size()),
        max_depth_(std::min(max_depth, kFastMaxDepth)),
        values_(values),
        members_(members) {}

  bool document(Json& out) {
    skip_space();
    if (!value(out)) return false;
    skip_space();
    return p_ == end_;
  }

 private:
  static bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  static bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

  void skip_space() noexcept {
    while (p_ != end_ && is_space(*p_)) ++p_;
  }

  bool value(Json& out) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{': return object(out);
      case '[': return array(out);
      case '"': {
        std::string_view text;
        if (!string(text)) return false;
        out = Json(std::string(text));
        return true;
      }
      case 't': return literal("true", Json(true), out);
      case 'f': return literal("false", Json(false), out);
      case 'n': return literal("null", Json(), out);
      default: return number(out);
    }
  }

  bool literal(std::string_view word, Json value, Json& out) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    out = std::move(value);
    return true;
  }

  /// A string with no escapes and no control characters: its bytes are
  /// its value (the text is valid UTF-8, checked by the caller).
  bool string(std::string_view& text) noexcept {
    const char* const begin = ++p_;
    while (p_ != end_) {
      const char c = *p_;
      if (c == '"') {
        text = std::string_view(begin, static_cast<std::size_t>(p_ - begin));
        ++p_;
        return true;
      }
      if (c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
      ++p_;
    }
    return false;
  }

  /// JSON's number grammar, exactly; the value as the general parser
  /// computes it (number_from_text). Declined where RapidJSON reports a
  /// number as too big: more than 300 integer digits, or a positive
  /// exponent past 308 (counting its fraction digits). Exponents of up to
  /// two digits never are.
  bool number(Json& out) {
    const char* const begin = p_;
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ == end_) return false;
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      const char* const digits = p_;
      while (p_ != end_ && is_digit(*p_)) ++p_;
      if (p_ - digits > kMaxIntegerDigits) return false;
    } else {
      return false;
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !is_digit(*p_)) return false;
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !is_digit(*p_)) return false;
      const char* const digits = p_;
      while (p_ != end_ && is_digit(*p_)) ++p_;
      if (p_ - digits > kMaxExponentDigits) return false;
    }
    out = number_from_text(std::string_view(begin, static_cast<std::size_t>(p_ - begin)));
    return true;
  }

  bool array(Json& out) {
    if (depth_ >= max_depth_) return false;
    ++depth_;
    ++p_;
    // Elements gather on the scratch stack, so the array is allocated once,
    // at its final size. Each is parsed into a local first: a nested
    // container pushes onto the same stack.
    const std::size_t start = values_.size();
    skip_space();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
    } else {
      for (;;) {
        Json element;
        if (!value(element)) return false;
        values_.push_back(std::move(element));
        skip_space();
        if (p_ == end_) return false;
        const char c = *p_++;
        if (c == ']') break;
        if (c != ',') return false;
        skip_space();
      }
    }
    --depth_;
    const auto first = values_.begin() + static_cast<std::ptrdiff_t>(start);
    out = Json(Json::Array(std::make_move_iterator(first), std::make_move_iterator(values_.end())));
    values_.erase(first, values_.end());
    return true;
  }

  bool object(Json& out) {
    if (depth_ >= max_depth_) return false;
    ++depth_;
    ++p_;
    const std::size_t start = members_.size();
    skip_space();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
    } else {
      for (;;) {
        std::string_view key;
        if (p_ == end_ || *p_ != '"' || !string(key)) return false;
        skip_space();
        if (p_ == end_ || *p_ != ':') return false;
        ++p_;
        skip_space();
        Json member;
        if (!value(member)) return false;
        members_.emplace_back(std::piecewise_construct, std::forward_as_tuple(key),
                              std::forward_as_tuple(std::move(member)));
        skip_space();
        if (p_ == end_) return false;
        const char c = *p_++;
        if (c == '}') break;
        if (c != ',') return false;
        skip_space();
      }
    }
    --depth_;
    const auto first = members_.begin() + static_cast<std::ptrdiff_t>(start);
    Json::Object members(std::make_move_iterator(first), std::make_move_iterator(members_.end()));
    members_.erase(first, members_.end());
    merge_duplicate_keys(members);
    out = Json(std::move(members));
    return true;
  }

  const char* p_;
  const char* const end_;
  const std::size_t max_depth_;
  std::vector<Json>& values_;
  std::vector<Json::Member>& members_;
  std::size_t depth_ = 0;
};

struct FastScratch {
  std::vector<Json> values;
  std::vector<Json::Member> members;
};

}  // namespace

bool parse_json_fast(std::string_view text, Json& out, std::size_t max_depth) {
  thread_local FastScratch scratch;
  // Emptied first: a declined parse leaves its partial values behind.
  scratch.values.clear();
  scratch.members.clear();
  Json result;
  if (!FastReader(text, max_depth, scratch.values, scratch.members).document(result)) return false;
  out = std::move(result);
  return true;
}

}  // namespace socketio::detail

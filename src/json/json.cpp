#include "socketio/json.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>
#include <tuple>

#include "json/json_text.hpp"
#include "socketio/error.hpp"

namespace socketio {

static_assert(std::is_nothrow_move_constructible_v<Json>);
static_assert(std::is_nothrow_move_assignable_v<Json>);
static_assert(sizeof(Json) <= 40, "Json should stay a small tagged union");

namespace {

const Json& shared_null() noexcept {
  static const Json null;
  return null;
}

// 2^63 as a double: the int64 range is [-2^63, 2^63).
constexpr double kTwoPow63 = 9223372036854775808.0;

bool double_to_int64(double value, std::int64_t& out) noexcept {
  if (!(value >= -kTwoPow63 && value < kTwoPow63) || std::trunc(value) != value) return false;
  out = static_cast<std::int64_t>(value);
  return true;
}

std::string describe(const Json& value) {
  std::string text = Json::type_name(value.type());
  if (value.is_number() || value.is_bool()) {
    text += ' ';
    text += value.dump();
  }
  return text;
}

}  // namespace

namespace detail {

void throw_type_error(const char* expected, const Json& got) {
  throw JsonTypeError(std::string("socketio::Json: expected ") + expected + ", got " +
                      describe(got));
}

void throw_range_error(const char* target, const Json& got) {
  throw JsonTypeError("socketio::Json: " + describe(got) + " does not fit the " + target);
}

}  // namespace detail

void Json::copy_from(const Json& other) {
  switch (other.type_) {
    case Type::null: break;
    case Type::boolean: u_.boolean_ = other.u_.boolean_; break;
    case Type::integer: u_.integer_ = other.u_.integer_; break;
    case Type::floating: u_.floating_ = other.u_.floating_; break;
    case Type::string: ::new (&u_.string_) std::string(other.u_.string_); break;
    case Type::binary: ::new (&u_.binary_) Binary(other.u_.binary_); break;
    case Type::array: ::new (&u_.array_) Array(other.u_.array_); break;
    case Type::object: ::new (&u_.object_) Object(other.u_.object_); break;
  }
  // Set last: if a copy throws, *this is still a valid null.
  type_ = other.type_;
}

void Json::destroy() noexcept {
  switch (type_) {
    case Type::string: u_.string_.~basic_string(); break;
    case Type::binary: u_.binary_.~Binary(); break;
    case Type::array: u_.array_.~Array(); break;
    case Type::object: u_.object_.~Object(); break;
    default: break;
  }
  type_ = Type::null;
}

Json::Json(const char* text) {
  if (text) {
    ::new (&u_.string_) std::string(text);
    type_ = Type::string;
  }
}

Json::Json(std::initializer_list<Json> elements) {
  const bool is_object =
      elements.size() > 0 && std::all_of(elements.begin(), elements.end(), [](const Json& e) {
        const Array* pair = e.if_array();
        return pair && pair->size() == 2 && (*pair)[0].is_string();
      });
  if (is_object) {
    Object members;
    members.reserve(elements.size());
    for (const Json& element : elements) {
      const Array& pair = *element.if_array();
      // operator[] so a repeated key keeps one member, its last value.
      Json& slot = [&]() -> Json& {
        for (auto& member : members) {
          if (member.first == *pair[0].if_string()) return member.second;
        }
        return members.emplace_back(std::piecewise_construct, std::forward_as_tuple(*pair[0].if_string()),
                                      std::forward_as_tuple())
            .second;
      }();
      slot = pair[1];
    }
    *this = Json(std::move(members));
  } else {
    *this = Json(Array(elements.begin(), elements.end()));
  }
}

Json Json::array(std::initializer_list<Json> elements) { return Json(Array(elements.begin(), elements.end())); }

Json Json::object(std::initializer_list<Member> members) {
  Json result(Object{});
  for (const Member& member : members) result[member.first] = member.second;
  return result;
}

const char* Json::type_name(Type type) noexcept {
  switch (type) {
    case Type::null: return "null";
    case Type::boolean: return "boolean";
    case Type::integer: return "integer";
    case Type::floating: return "double";
    case Type::string: return "string";
    case Type::binary: return "binary";
    case Type::array: return "array";
    case Type::object: return "object";
  }
  return "unknown";
}

bool Json::as_bool() const {
  if (const bool* b = if_bool()) return *b;
  detail::throw_type_error("boolean", *this);
}

std::int64_t Json::as_int() const {
  if (const std::int64_t* i = if_int()) return *i;
  if (const double* d = if_double()) {
    std::int64_t value = 0;
    if (double_to_int64(*d, value)) return value;
    detail::throw_range_error("std::int64_t", *this);
  }
  detail::throw_type_error("integer", *this);
}

double Json::as_double() const {
  if (const double* d = if_double()) return *d;
  if (const std::int64_t* i = if_int()) return static_cast<double>(*i);
  detail::throw_type_error("number", *this);
}

const std::string& Json::as_string() const {
  if (const auto* s = if_string()) return *s;
  detail::throw_type_error("string", *this);
}

std::string& Json::as_string() {
  if (auto* s = if_string()) return *s;
  detail::throw_type_error("string", *this);
}

const Binary& Json::as_binary() const {
  if (const auto* b = if_binary()) return *b;
  detail::throw_type_error("binary", *this);
}

Binary& Json::as_binary() {
  if (auto* b = if_binary()) return *b;
  detail::throw_type_error("binary", *this);
}

const Json::Array& Json::as_array() const {
  if (const auto* a = if_array()) return *a;
  detail::throw_type_error("array", *this);
}

Json::Array& Json::as_array() {
  if (auto* a = if_array()) return *a;
  detail::throw_type_error("array", *this);
}

const Json::Object& Json::as_object() const {
  if (const auto* o = if_object()) return *o;
  detail::throw_type_error("object", *this);
}

Json::Object& Json::as_object() {
  if (auto* o = if_object()) return *o;
  detail::throw_type_error("object", *this);
}

const Json& Json::operator[](std::string_view key) const noexcept {
  const Json* member = find(key);
  return member ? *member : shared_null();
}

Json& Json::operator[](std::string_view key) {
  if (is_null()) *this = Json(Object{});
  Object& members = as_object();
  for (auto& member : members) {
    if (member.first == key) return member.second;
  }
  // Piecewise: no moved-from temporary Json (GCC 12 warns falsely about those).
  return members
      .emplace_back(std::piecewise_construct, std::forward_as_tuple(key), std::forward_as_tuple())
      .second;
}

const Json& Json::operator[](std::size_t index) const noexcept {
  const Array* elements = if_array();
  return elements && index < elements->size() ? (*elements)[index] : shared_null();
}

Json& Json::operator[](std::size_t index) {
  if (is_null()) *this = Json(Array{});
  Array& elements = as_array();
  if (index >= elements.size()) elements.resize(index + 1);
  return elements[index];
}

const Json* Json::find(std::string_view key) const noexcept {
  const Object* members = if_object();
  if (!members) return nullptr;
  for (const auto& member : *members) {
    if (member.first == key) return &member.second;
  }
  return nullptr;
}

Json* Json::find(std::string_view key) noexcept {
  return const_cast<Json*>(static_cast<const Json&>(*this).find(key));
}

bool Json::erase(std::string_view key) {
  Object* members = if_object();
  if (!members) return false;
  const auto it = std::find_if(members->begin(), members->end(),
                               [&](const Member& member) { return member.first == key; });
  if (it == members->end()) return false;
  members->erase(it);
  return true;
}

std::size_t Json::size() const noexcept {
  switch (type()) {
    case Type::string: return if_string()->size();
    case Type::binary: return if_binary()->size();
    case Type::array: return if_array()->size();
    case Type::object: return if_object()->size();
    default: return 0;
  }
}

void Json::push_back(Json value) {
  if (is_null()) *this = Json(Array{});
  as_array().push_back(std::move(value));
}

Json Json::parse(std::string_view text, std::error_code& ec) {
  Json result;
  ec = detail::parse_json(text, result);
  return result;
}

Json Json::parse(std::string_view text) {
  Json result;
  detail::JsonParseFailure failure;
  if (const std::error_code ec = detail::parse_json(text, result, max_parse_depth, &failure)) {
    throw JsonParseError(ec, std::string("socketio::Json::parse: ") + failure.reason +
                                 " at offset " + std::to_string(failure.offset));
  }
  return result;
}

std::string Json::dump() const {
  std::string out;
  detail::write_json(*this, out);
  return out;
}

void Json::dump(std::string& out) const { detail::write_json(*this, out); }

bool Json::equals(const Json& other) const noexcept {
  const Type a = type();
  const Type b = other.type();
  if (a != b) {
    // JavaScript has one number type: 1 and 1.0 are the same value, and so
    // are two numbers that become the same double.
    if (a == Type::integer && b == Type::floating) {
      return static_cast<double>(*if_int()) == *other.if_double();
    }
    if (a == Type::floating && b == Type::integer) {
      return *if_double() == static_cast<double>(*other.if_int());
    }
    return false;
  }
  switch (a) {
    case Type::null: return true;
    case Type::boolean: return *if_bool() == *other.if_bool();
    case Type::integer: return *if_int() == *other.if_int();
    case Type::floating: return *if_double() == *other.if_double();
    case Type::string: return *if_string() == *other.if_string();
    case Type::binary: return *if_binary() == *other.if_binary();
    case Type::array: return *if_array() == *other.if_array();
    case Type::object: {
      const Object& mine = *if_object();
      const Object& theirs = *other.if_object();
      if (mine.size() != theirs.size()) return false;
      for (std::size_t i = 0; i < mine.size(); ++i) {
        // Same order is the common case; otherwise look the key up.
        const Json* counterpart = mine[i].first == theirs[i].first ? &theirs[i].second
                                                                    : other.find(mine[i].first);
        if (!counterpart || !(mine[i].second == *counterpart)) return false;
      }
      return true;
    }
  }
  return false;
}

std::ostream& operator<<(std::ostream& os, const Json& j) { return os << j.dump(); }

void from_json(const Json& j, bool& value) { value = j.as_bool(); }
void from_json(const Json& j, double& value) { value = j.as_double(); }
void from_json(const Json& j, float& value) { value = static_cast<float>(j.as_double()); }
void from_json(const Json& j, std::string& value) { value = j.as_string(); }
void from_json(const Json& j, Binary& value) { value = j.as_binary(); }
void from_json(const Json& j, Json& value) { value = j; }

}  // namespace socketio

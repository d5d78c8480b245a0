#pragma once
// socketio::Json: the value type every event argument, acknowledgement and
// handshake payload travels in.
//
// A Json holds one of: null, bool, integer (std::int64_t), double, string
// (UTF-8), binary (socketio::Binary), array, object. Binary is a value kind of
// its own so byte buffers round-trip through Socket.IO binary attachments with
// no user effort.
//
// Objects keep their members in insertion order (as JavaScript objects do for
// string keys) so what goes out on the wire keeps the order the user or the
// client gave. Lookup is linear, which is the fastest choice for the small
// objects events carry.
//
// Thread-safety: a Json is a plain value. Concurrent reads of one Json
// (including const operator[] on missing keys) are safe; any mutation needs
// exclusive access, like a std::vector.
// Lifetime: a Json owns everything it holds; pointers and references obtained
// from accessors are invalidated by any mutation of the containing value, as
// with standard containers.
//
// User types take part through two functions found by argument-dependent
// lookup, in the user type's namespace:
//
//     void to_json(socketio::Json& j, const Move& m) { j = {{"x", m.x}, {"y", m.y}}; }
//     void from_json(const socketio::Json& j, Move& m) { j["x"].get_to(m.x); j["y"].get_to(m.y); }
//
// after which `socketio::Json j = move;` and `auto m = j.get<Move>();` work.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <new>
#include <utility>
#include <vector>

namespace socketio {

class Json;

/// Raw bytes. Sent and received as Socket.IO binary attachments; printed by
/// Json::dump() as Node prints a Buffer: {"type":"Buffer","data":[1,2,3]}.
using Binary = std::vector<std::uint8_t>;

/// Thrown when a Json holds a different kind of value than the one asked for,
/// or a number does not fit the requested type.
class JsonTypeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown by the throwing Json::parse; code() is errc::invalid_json.
class JsonParseError : public std::system_error {
 public:
  JsonParseError(std::error_code ec, const std::string& what) : std::system_error(ec, what) {}
};

// Conversions of standard containers. Declared before Json so the lookups in
// detail below find them by ordinary lookup (ADL alone would miss them for
// std::vector<UserType>, whose associated namespaces are std and the user's).
template <typename T, typename = std::enable_if_t<std::is_constructible_v<Json, const T&>>>
void to_json(Json& j, const std::vector<T>& values);
template <typename T, typename = std::enable_if_t<std::is_constructible_v<Json, const T&>>>
void to_json(Json& j, const std::map<std::string, T>& values);
template <typename T, typename = std::enable_if_t<std::is_constructible_v<Json, const T&>>>
void to_json(Json& j, const std::optional<T>& value);

void from_json(const Json& j, bool& value);
void from_json(const Json& j, double& value);
void from_json(const Json& j, float& value);
void from_json(const Json& j, std::string& value);
void from_json(const Json& j, Binary& value);
void from_json(const Json& j, Json& value);
template <typename T, typename std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>,
                                                int> = 0>
void from_json(const Json& j, T& value);
template <typename T>
void from_json(const Json& j, std::vector<T>& values);
template <typename T>
void from_json(const Json& j, std::map<std::string, T>& values);
template <typename T>
void from_json(const Json& j, std::optional<T>& value);

namespace detail {

template <typename T>
using remove_cvref_t = std::remove_cv_t<std::remove_reference_t<T>>;

template <typename T>
inline constexpr bool is_char_type_v =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char16_t> ||
    std::is_same_v<T, char32_t>
#if defined(__cpp_char8_t)
    || std::is_same_v<T, char8_t>
#endif
    ;

// Integers stored as numbers. Plain char is left out on purpose: Json('a')
// would silently be 97 where the author most likely meant "a".
template <typename T>
inline constexpr bool is_json_integer_v =
    std::is_integral_v<T> && !std::is_same_v<T, bool> && !is_char_type_v<T>;

// Kinds Json stores natively; the to_json constructor leaves them alone.
template <typename T>
struct IsJsonBuiltin
    : std::disjunction<std::is_same<T, Json>, std::is_same<T, std::nullptr_t>,
                       std::is_arithmetic<T>, std::is_same<T, std::string>,
                       std::is_same<T, std::string_view>, std::is_same<T, const char*>,
                       std::is_same<T, char*>, std::is_same<T, Binary>,
                       std::is_same<T, std::vector<Json>>,
                       std::is_same<T, std::vector<std::pair<std::string, Json>>>,
                       std::is_same<T, std::initializer_list<Json>>> {};

template <typename T, typename = void>
struct HasToJson : std::false_type {};
template <typename T>
struct HasToJson<T, std::void_t<decltype(to_json(std::declval<Json&>(), std::declval<const T&>()))>>
    : std::true_type {};

template <typename T, typename = void>
struct HasFromJson : std::false_type {};
template <typename T>
struct HasFromJson<T, std::void_t<decltype(from_json(std::declval<const Json&>(), std::declval<T&>()))>>
    : std::true_type {};

template <typename T>
void call_to_json(Json& j, const T& value) {
  to_json(j, value);
}

template <typename T>
void call_from_json(const Json& j, T& value) {
  from_json(j, value);
}

[[noreturn]] void throw_type_error(const char* expected, const Json& got);
[[noreturn]] void throw_range_error(const char* target, const Json& got);

}  // namespace detail

class Json {
 public:
  enum class Type : std::uint8_t { null, boolean, integer, floating, string, binary, array, object };

  using Array = std::vector<Json>;
  using Member = std::pair<std::string, Json>;
  /// Insertion-ordered members. Keys are unique when the Object comes from
  /// parse() or operator[]; a hand-built Object with duplicate keys is
  /// printed as given and find() returns the first match.
  using Object = std::vector<Member>;

  /// Nesting depth (arrays and objects) parse() accepts. Deeper input is
  /// rejected so hostile text cannot exhaust the stack of the recursive
  /// code (parser, destructor, dump) that handles it.
  static constexpr std::size_t max_parse_depth = 128;

  // ---- construction -------------------------------------------------------

  Json() noexcept {}
  Json(std::nullptr_t) noexcept {}

  // A template so pointers and other scalars do not silently become bools.
  template <typename T, std::enable_if_t<std::is_same_v<T, bool>, int> = 0>
  Json(T value) noexcept : type_(Type::boolean) {
    u_.boolean_ = value;
  }

  /// Any integer type but bool and the character types. An unsigned value
  /// above INT64_MAX is stored as a double, as JavaScript would hold it.
  template <typename T, std::enable_if_t<detail::is_json_integer_v<T>, int> = 0>
  Json(T value) noexcept {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (value > static_cast<T>(std::numeric_limits<std::int64_t>::max())) {
        type_ = Type::floating;
        u_.floating_ = static_cast<double>(value);
        return;
      }
    }
    type_ = Type::integer;
    u_.integer_ = static_cast<std::int64_t>(value);
  }
  template <typename T, std::enable_if_t<detail::is_char_type_v<T>, int> = 0>
  Json(T value) = delete;

  template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  Json(T value) noexcept : type_(Type::floating) {
    u_.floating_ = static_cast<double>(value);
  }

  /// A null pointer gives a null Json.
  Json(const char* text);
  Json(std::string text) noexcept : type_(Type::string) {
    ::new (&u_.string_) std::string(std::move(text));
  }
  Json(std::string_view text) : type_(Type::string) { ::new (&u_.string_) std::string(text); }
  Json(Binary bytes) noexcept : type_(Type::binary) { ::new (&u_.binary_) Binary(std::move(bytes)); }
  Json(Array elements) noexcept : type_(Type::array) {
    ::new (&u_.array_) Array(std::move(elements));
  }
  Json(Object members) noexcept : type_(Type::object) {
    ::new (&u_.object_) Object(std::move(members));
  }

  /// An object if every element is a two-element array whose first element
  /// is a string, otherwise an array (the same rule as nlohmann::json):
  ///     Json j = {{"name", "x"}, {"tags", {1, 2}}};   // {"name":"x","tags":[1,2]}
  ///     Json a = {1, "two", nullptr};                 // [1,"two",null]
  /// Beware that `Json copy{other}` is a one-element list; copy with
  /// parentheses or '='.
  Json(std::initializer_list<Json> elements);

  /// User types with an ADL `to_json(Json&, const T&)`, and std::vector<T>,
  /// std::map<std::string, T>, std::optional<T> (nullopt is null) of
  /// convertible T.
  template <typename T, typename U = detail::remove_cvref_t<T>,
            std::enable_if_t<std::conjunction_v<std::negation<detail::IsJsonBuiltin<U>>,
                                                detail::HasToJson<U>>,
                             int> = 0>
  Json(const T& value) {
    detail::call_to_json(*this, value);
  }

  /// Always an array, even for [["k", v]].
  static Json array(std::initializer_list<Json> elements = {});
  static Json object(std::initializer_list<Member> members = {});
  static Json binary(Binary bytes) { return Json(std::move(bytes)); }

  Json(const Json& other) { copy_from(other); }
  /// Leaves `other` of the same kind; a moved-from array, object or binary
  /// is empty, a string valid but unspecified (empty in practice).
  Json(Json&& other) noexcept { move_from(other); }
  Json& operator=(const Json& other) {
    if (this != &other) {
      Json copy(other);  // first: `other` may live inside *this
      *this = std::move(copy);
    }
    return *this;
  }
  Json& operator=(Json&& other) noexcept {
    if (this == &other) return *this;
    if (type_ < Type::string) {
      move_from(other);  // nothing here can own `other`
    } else {
      Json taken(std::move(other));  // first: `other` may live inside *this
      destroy();
      move_from(taken);
    }
    return *this;
  }
  ~Json() {
    if (type_ >= Type::string) destroy();
  }

  // ---- kind ---------------------------------------------------------------

  Type type() const noexcept { return type_; }
  bool is_null() const noexcept { return type() == Type::null; }
  bool is_bool() const noexcept { return type() == Type::boolean; }
  /// Integer or double.
  bool is_number() const noexcept { return is_integer() || is_double(); }
  /// Stored as an integer (a double with an integral value is not).
  bool is_integer() const noexcept { return type() == Type::integer; }
  bool is_double() const noexcept { return type() == Type::floating; }
  bool is_string() const noexcept { return type() == Type::string; }
  bool is_binary() const noexcept { return type() == Type::binary; }
  bool is_array() const noexcept { return type() == Type::array; }
  bool is_object() const noexcept { return type() == Type::object; }
  /// "null", "boolean", "integer", "double", "string", "binary", "array", "object".
  static const char* type_name(Type type) noexcept;

  // ---- non-throwing access: nullptr when the kind differs -----------------

  const bool* if_bool() const noexcept { return is_bool() ? &u_.boolean_ : nullptr; }
  const std::int64_t* if_int() const noexcept { return is_integer() ? &u_.integer_ : nullptr; }
  const double* if_double() const noexcept { return is_double() ? &u_.floating_ : nullptr; }
  const std::string* if_string() const noexcept { return is_string() ? &u_.string_ : nullptr; }
  std::string* if_string() noexcept { return is_string() ? &u_.string_ : nullptr; }
  const Binary* if_binary() const noexcept { return is_binary() ? &u_.binary_ : nullptr; }
  Binary* if_binary() noexcept { return is_binary() ? &u_.binary_ : nullptr; }
  const Array* if_array() const noexcept { return is_array() ? &u_.array_ : nullptr; }
  Array* if_array() noexcept { return is_array() ? &u_.array_ : nullptr; }
  const Object* if_object() const noexcept { return is_object() ? &u_.object_ : nullptr; }
  Object* if_object() noexcept { return is_object() ? &u_.object_ : nullptr; }

  // ---- throwing access: JsonTypeError when the kind differs ---------------

  bool as_bool() const;
  /// Also accepts a double with an integral value inside the int64 range.
  std::int64_t as_int() const;
  /// Also accepts an integer.
  double as_double() const;
  const std::string& as_string() const;
  std::string& as_string();
  const Binary& as_binary() const;
  Binary& as_binary();
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  /// Converts through from_json (built-in for bool, integers, floating
  /// point, std::string, Binary, Json, std::vector<T>,
  /// std::map<std::string, T>, std::optional<T>; ADL for user types).
  /// Throws JsonTypeError when the value does not fit.
  template <typename T>
  T get() const {
    static_assert(detail::HasFromJson<T>::value,
                  "no from_json(const socketio::Json&, T&) found for T");
    T value{};
    detail::call_from_json(*this, value);
    return value;
  }
  template <typename T>
  T& get_to(T& value) const {
    detail::call_from_json(*this, value);
    return value;
  }

  // ---- containers ---------------------------------------------------------

  /// The member named `key`, or a shared null when this is not an object or
  /// has no such member.
  const Json& operator[](std::string_view key) const noexcept;
  /// The member named `key`, appended as null if missing. A null Json first
  /// becomes an empty object. Throws JsonTypeError for other kinds.
  Json& operator[](std::string_view key);
  /// Element `index`, or a shared null when this is not an array or the
  /// index is out of range.
  const Json& operator[](std::size_t index) const noexcept;
  /// Element `index`; the array grows with nulls to reach it (as assigning
  /// arr[i] does in JavaScript). A null Json first becomes an empty array.
  /// Throws JsonTypeError for other kinds.
  Json& operator[](std::size_t index);

  /// The member named `key`, or nullptr (also when this is not an object).
  const Json* find(std::string_view key) const noexcept;
  Json* find(std::string_view key) noexcept;
  bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }
  /// Removes the member named `key`; returns whether there was one.
  bool erase(std::string_view key);

  /// Elements of an array or object, bytes of a binary or string, 0 otherwise.
  std::size_t size() const noexcept;
  bool empty() const noexcept { return size() == 0; }

  /// Appends to an array; a null Json first becomes an empty array. Throws
  /// JsonTypeError for other kinds.
  void push_back(Json value);

  // ---- text ---------------------------------------------------------------

  /// Parses JSON text (RFC 8259, as JavaScript's JSON.parse). Rejects
  /// invalid UTF-8 and nesting deeper than max_parse_depth. A duplicate key
  /// keeps its first position and its last value, as JSON.parse does. Lone
  /// UTF-16 surrogate escapes ("\ud800") become U+FFFD so strings are always
  /// valid UTF-8. Numbers: integers that fit std::int64_t stay integers,
  /// everything else is a double (out-of-range magnitudes become +-infinity
  /// or 0 as in JavaScript).
  /// On error sets `ec` to errc::invalid_json and returns null.
  static Json parse(std::string_view text, std::error_code& ec);
  /// As above; throws JsonParseError (with the byte offset in what()).
  static Json parse(std::string_view text);

  /// Compact JSON exactly as JavaScript's JSON.stringify prints the same
  /// value: no spaces; doubles in their shortest round-trip form with JS
  /// formatting (1.0 -> 1, 1e21 -> 1e+21, -0 -> 0, NaN/Infinity -> null);
  /// strings escaped as JSON.stringify does, non-ASCII passed through (bytes
  /// that are not valid UTF-8 are printed as U+FFFD); binary as
  /// {"type":"Buffer","data":[...]}. Integers print exactly, also beyond 2^53.
  std::string dump() const;
  /// Appends the dump() text to `out`.
  void dump(std::string& out) const;

  // ---- comparison ---------------------------------------------------------

  /// Deep equality. An integer and a double compare as JavaScript numbers
  /// (1 == 1.0; beyond 2^53 both are rounded to double first), two integers
  /// exactly; objects compare as unordered sets of members; binary never
  /// equals an array.
  friend bool operator==(const Json& a, const Json& b) noexcept { return a.equals(b); }
  friend bool operator!=(const Json& a, const Json& b) noexcept { return !a.equals(b); }

  void swap(Json& other) noexcept {
    Json held(std::move(other));
    other = std::move(*this);
    *this = std::move(held);
  }

 private:
  bool equals(const Json& other) const noexcept;
  void copy_from(const Json& other);
  void destroy() noexcept;  // ends the lifetime of a string/binary/array/object

  // `this` holds nothing that needs destroying (fresh, or destroy()ed).
  void move_from(Json& other) noexcept {
    type_ = other.type_;
    switch (type_) {
      case Type::null: break;
      case Type::boolean: u_.boolean_ = other.u_.boolean_; break;
      case Type::integer: u_.integer_ = other.u_.integer_; break;
      case Type::floating: u_.floating_ = other.u_.floating_; break;
      case Type::string: ::new (&u_.string_) std::string(std::move(other.u_.string_)); break;
      case Type::binary: ::new (&u_.binary_) Binary(std::move(other.u_.binary_)); break;
      case Type::array: ::new (&u_.array_) Array(std::move(other.u_.array_)); break;
      case Type::object: ::new (&u_.object_) Object(std::move(other.u_.object_)); break;
    }
  }

  // A hand-written tagged union rather than std::variant, and zero-filled
  // on construction: GCC 12 reports false -Wmaybe-uninitialized warnings
  // when a std::variant (or a union with indeterminate bytes) is moved at -O2
  // or under sanitizers, which would break -Werror builds of user code.
  union Storage {
    Storage() noexcept : raw_{} {}
    ~Storage() {}
    std::uint64_t raw_[(sizeof(std::string) > sizeof(Array) ? sizeof(std::string) : sizeof(Array)) /
                       sizeof(std::uint64_t)];
    bool boolean_;
    std::int64_t integer_;
    double floating_;
    std::string string_;
    Binary binary_;
    Array array_;
    Object object_;
  };

  Type type_ = Type::null;
  Storage u_;
};

inline void swap(Json& a, Json& b) noexcept { a.swap(b); }

/// Writes j.dump() (for diagnostics and test frameworks).
std::ostream& operator<<(std::ostream& os, const Json& j);

// ---- standard containers ---------------------------------------------------

template <typename T, typename>
void to_json(Json& j, const std::vector<T>& values) {
  Json::Array array;
  array.reserve(values.size());
  for (const auto& value : values) array.emplace_back(value);
  j = Json(std::move(array));
}

template <typename T, typename>
void to_json(Json& j, const std::map<std::string, T>& values) {
  Json::Object object;
  object.reserve(values.size());
  for (const auto& [key, value] : values) object.emplace_back(key, Json(value));
  j = Json(std::move(object));
}

template <typename T, typename>
void to_json(Json& j, const std::optional<T>& value) {
  j = value ? Json(*value) : Json();
}

template <typename T, typename std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>,
                                                int>>
void from_json(const Json& j, T& value) {
  if (const auto* i = j.if_int()) {
    if constexpr (std::is_signed_v<T>) {
      if (*i >= std::numeric_limits<T>::min() && *i <= std::numeric_limits<T>::max()) {
        value = static_cast<T>(*i);
        return;
      }
    } else {
      if (*i >= 0 && static_cast<std::uint64_t>(*i) <= std::numeric_limits<T>::max()) {
        value = static_cast<T>(*i);
        return;
      }
    }
    detail::throw_range_error("integer type", j);
  }
  if (const auto* d = j.if_double()) {
    // Integral doubles are accepted (JSON from JavaScript has no integer
    // type); the bounds are exact powers of two, so the comparisons are
    // exact too.
    constexpr double lower = std::is_signed_v<T>
                                 ? -static_cast<double>(std::numeric_limits<T>::max()) - 1.0
                                 : 0.0;
    constexpr double upper = (static_cast<double>(std::numeric_limits<T>::max() / 2 + 1)) * 2.0;
    if (*d >= lower && *d < upper && static_cast<double>(static_cast<T>(*d)) == *d) {
      value = static_cast<T>(*d);
      return;
    }
    detail::throw_range_error("integer type", j);
  }
  detail::throw_type_error("integer", j);
}

template <typename T>
void from_json(const Json& j, std::vector<T>& values) {
  const auto& array = j.as_array();
  values.clear();
  values.reserve(array.size());
  for (const auto& element : array) values.push_back(element.template get<T>());
}

template <typename T>
void from_json(const Json& j, std::map<std::string, T>& values) {
  const auto& object = j.as_object();
  values.clear();
  for (const auto& [key, value] : object) values.insert_or_assign(key, value.template get<T>());
}

template <typename T>
void from_json(const Json& j, std::optional<T>& value) {
  if (j.is_null()) {
    value.reset();
  } else {
    value = j.template get<T>();
  }
}

}  // namespace socketio

// The parameter adaptation of Socket::on(event, f)
// (include/socketio/detail/handler_traits.hpp), called directly: no server,
// a null SocketPtr, hand-made Args and Ack.

#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "socketio/ack.hpp"
#include "socketio/args.hpp"
#include "socketio/detail/handler_traits.hpp"
#include "socketio/json.hpp"
#include "socketio/socket.hpp"

// Ack's only public constructor makes an Ack nobody waits for; Ack names
// detail::AckAccess as the way to build a pending one.
namespace socketio::detail {
struct AckAccess {
  static Ack make(std::weak_ptr<Socket> socket, std::uint64_t id) { return Ack(std::move(socket), id); }
};
}  // namespace socketio::detail

namespace game {

struct Move {
  int x = 0;
  int y = 0;
  std::string who;
};

// Found by argument-dependent lookup.
void from_json(const socketio::Json& j, Move& m) {
  j["x"].get_to(m.x);
  j["y"].get_to(m.y);
  if (const auto* who = j.find("who")) who->get_to(m.who);
}

}  // namespace game

namespace {

using socketio::Ack;
using socketio::Args;
using socketio::Json;
using socketio::JsonTypeError;
using socketio::SocketPtr;
using socketio::detail::adapt_handler;
using socketio::detail::EventHandler;

Ack pending_ack(std::uint64_t id = 7) { return socketio::detail::AckAccess::make({}, id); }

/// Runs an adapted handler once, with a null socket and no acknowledgement.
void call(const EventHandler& handler, Args args) {
  SocketPtr socket;
  Ack ack;
  handler(socket, args, ack);
}

int free_handler_calls = 0;
int free_handler_sum = 0;
void free_handler(int a, int b) {
  ++free_handler_calls;
  free_handler_sum = a + b;
}

}  // namespace

// ---------------------------------------------------------------------------
// Injected parameters

TEST_CASE("a handler with no parameters ignores the arguments", "[handlers]") {
  int calls = 0;
  auto handler = adapt_handler([&] { ++calls; });
  call(handler, {});
  call(handler, {1, "two", nullptr});
  CHECK(calls == 2);
}

TEST_CASE("a SocketPtr parameter gets the socket the event came from", "[handlers]") {
  bool called = false;
  SocketPtr seen;
  auto handler = adapt_handler([&](SocketPtr socket) {
    called = true;
    seen = socket;
  });
  SocketPtr socket;  // null: the adapter passes it through as is
  Args args{1};
  Ack ack;
  handler(socket, args, ack);
  CHECK(called);
  CHECK(seen == nullptr);

  // By const reference too.
  bool by_ref = false;
  auto handler2 = adapt_handler([&](const SocketPtr& s) { by_ref = (&s == &socket); });
  handler2(socket, args, ack);
  CHECK(by_ref);  // no copy: the very SocketPtr the caller passed
}

TEST_CASE("an Ack parameter takes over the acknowledgement", "[handlers]") {
  std::optional<bool> expected_inside;
  auto handler = adapt_handler([&](Ack ack) { expected_inside = ack.expected(); });
  SocketPtr socket;
  Args args;
  Ack ack = pending_ack();
  REQUIRE(ack.expected());
  handler(socket, args, ack);
  REQUIRE(expected_inside);
  CHECK(*expected_inside);
  CHECK_FALSE(ack.expected());  // moved into the handler
}

TEST_CASE("an Ack parameter is a no-op one when none was asked for", "[handlers]") {
  std::optional<bool> expected_inside;
  auto handler = adapt_handler([&](Ack ack) {
    expected_inside = static_cast<bool>(ack);
    ack("ignored", 1);  // must do nothing (and not crash with a null socket)
  });
  call(handler, {"x"});
  REQUIRE(expected_inside);
  CHECK_FALSE(*expected_inside);
}

TEST_CASE("answering a pending Ack whose socket is gone marks it answered", "[handlers]") {
  bool before = false;
  bool after = true;
  auto handler = adapt_handler([&](Ack ack) {
    before = ack.expected();
    ack("done");
    after = ack.expected();
    ack("twice");  // at most once: ignored
  });
  SocketPtr socket;
  Args args;
  Ack ack = pending_ack();
  handler(socket, args, ack);
  CHECK(before);
  CHECK_FALSE(after);
}

TEST_CASE("an Args parameter gets every argument", "[handlers]") {
  Args seen;
  auto handler = adapt_handler([&](Args args) { seen = args; });
  call(handler, {1, "two", Json::array({3})});
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == Json(1));
  CHECK(seen[1] == Json("two"));
  CHECK(seen[2] == Json::array({3}));

  const Args* address = nullptr;
  auto by_ref = adapt_handler([&](const Args& args) { address = &args; });
  SocketPtr socket;
  Args args{true};
  Ack ack;
  by_ref(socket, args, ack);
  CHECK(address == &args);  // no copy
}

TEST_CASE("injected parameters take no argument and may come in any order", "[handlers]") {
  int a = 0;
  std::string b;
  bool got_ack = false;
  std::size_t all = 0;
  auto handler = adapt_handler([&](Ack ack, int first, SocketPtr, Args args, std::string second) {
    got_ack = ack.expected();
    a = first;
    b = second;
    all = args.size();
  });
  SocketPtr socket;
  Args args{5, "five"};
  Ack ack = pending_ack();
  handler(socket, args, ack);
  CHECK(a == 5);
  CHECK(b == "five");
  CHECK(got_ack);
  CHECK(all == 2);
}

TEST_CASE("the socket, the arguments and the ack together, as in the README", "[handlers]") {
  std::string text;
  bool acked = false;
  auto handler = adapt_handler([&](const SocketPtr& socket, std::string t, Ack ack) {
    CHECK(socket == nullptr);
    text = t;
    acked = ack.expected();
    ack("ok");
  });
  SocketPtr socket;
  Args args{"hello"};
  Ack ack = pending_ack();
  handler(socket, args, ack);
  CHECK(text == "hello");
  CHECK(acked);
}

// ---------------------------------------------------------------------------
// Positional conversion

TEST_CASE("positional parameters convert the arguments in order", "[handlers]") {
  int i = 0;
  std::string s;
  std::vector<int> v;
  double d = 0;
  bool b = false;
  auto handler = adapt_handler([&](int pi, std::string ps, std::vector<int> pv, double pd, bool pb) {
    i = pi;
    s = ps;
    v = pv;
    d = pd;
    b = pb;
  });
  call(handler, {42, "text", Json::array({1, 2, 3}), 2.5, true});
  CHECK(i == 42);
  CHECK(s == "text");
  CHECK(v == std::vector<int>{1, 2, 3});
  CHECK(d == 2.5);
  CHECK(b);
}

TEST_CASE("const reference parameters convert too", "[handlers]") {
  std::string s;
  std::vector<int> v;
  auto handler = adapt_handler([&](const std::string& ps, const std::vector<int>& pv) {
    s = ps;
    v = pv;
  });
  call(handler, {"abc", Json::array({})});
  CHECK(s == "abc");
  CHECK(v.empty());
}

TEST_CASE("an integral double converts to int as JavaScript numbers do", "[handlers]") {
  int i = 0;
  std::int64_t big = 0;
  auto handler = adapt_handler([&](int a, std::int64_t b) {
    i = a;
    big = b;
  });
  call(handler, {3.0, Json(std::int64_t{1} << 40)});
  CHECK(i == 3);
  CHECK(big == (std::int64_t{1} << 40));
}

TEST_CASE("a Json parameter gets the argument as is", "[handlers]") {
  Json first;
  Json second;
  auto handler = adapt_handler([&](Json a, const Json& b) {
    first = a;
    second = b;
  });
  call(handler, {Json::object({{"k", "v"}}), Json::binary({1, 2})});
  CHECK(first == Json::object({{"k", "v"}}));
  CHECK(second.is_binary());
  CHECK(second.as_binary() == socketio::Binary{1, 2});
}

TEST_CASE("std::optional parameters are empty for null and missing arguments", "[handlers]") {
  std::vector<std::optional<int>> ints;
  std::vector<std::optional<std::string>> strings;
  auto handler = adapt_handler([&](std::optional<int> i, std::optional<std::string> s) {
    ints.push_back(i);
    strings.push_back(s);
  });
  call(handler, {7, "x"});
  call(handler, {nullptr, "y"});
  call(handler, {8});
  call(handler, {});
  REQUIRE(ints.size() == 4);
  CHECK(ints[0] == 7);
  CHECK(strings[0] == std::string("x"));
  CHECK_FALSE(ints[1]);
  CHECK(strings[1] == std::string("y"));
  CHECK(ints[2] == 8);
  CHECK_FALSE(strings[2]);
  CHECK_FALSE(ints[3]);
  CHECK_FALSE(strings[3]);
}

TEST_CASE("a std::optional parameter still rejects a value of the wrong kind", "[handlers]") {
  auto handler = adapt_handler([](std::optional<int>) {});
  CHECK_THROWS_AS(call(handler, {"not a number"}), JsonTypeError);
}

TEST_CASE("a user type converts through its ADL from_json", "[handlers]") {
  game::Move move;
  int after = 0;
  auto handler = adapt_handler([&](game::Move m, int n) {
    move = m;
    after = n;
  });
  call(handler, {Json::object({{"x", 1}, {"y", -2}, {"who", "ann"}}), 9});
  CHECK(move.x == 1);
  CHECK(move.y == -2);
  CHECK(move.who == "ann");
  CHECK(after == 9);

  // Containers of user types convert element by element.
  std::vector<game::Move> moves;
  std::optional<game::Move> maybe{game::Move{}};
  auto handler2 = adapt_handler([&](std::vector<game::Move> ms, std::optional<game::Move> m) {
    moves = ms;
    maybe = m;
  });
  call(handler2, {Json::array({Json::object({{"x", 1}, {"y", 2}}), Json::object({{"x", 3}, {"y", 4}})})});
  REQUIRE(moves.size() == 2);
  CHECK(moves[1].x == 3);
  CHECK(moves[1].y == 4);
  CHECK_FALSE(maybe);
}

TEST_CASE("missing arguments convert from null", "[handlers]") {
  // Json and std::optional accept null; a missing int or string does not.
  Json seen = 1;
  auto json_handler = adapt_handler([&](int, Json extra) { seen = extra; });
  call(json_handler, {1});
  CHECK(seen.is_null());

  auto int_handler = adapt_handler([](int) {});
  CHECK_THROWS_AS(call(int_handler, {}), JsonTypeError);
  auto string_handler = adapt_handler([](std::string, std::string) {});
  CHECK_THROWS_AS(call(string_handler, {"only one"}), JsonTypeError);
  auto vector_handler = adapt_handler([](std::vector<int>) {});
  CHECK_THROWS_AS(call(vector_handler, {}), JsonTypeError);
}

TEST_CASE("extra arguments beyond the parameters are ignored", "[handlers]") {
  int seen = 0;
  auto handler = adapt_handler([&](int a) { seen = a; });
  call(handler, {1, 2, 3});
  CHECK(seen == 1);
}

TEST_CASE("a type mismatch throws JsonTypeError and does not call the handler", "[handlers]") {
  int calls = 0;
  auto int_handler = adapt_handler([&](int) { ++calls; });
  CHECK_THROWS_AS(call(int_handler, {"12"}), JsonTypeError);
  CHECK_THROWS_AS(call(int_handler, {true}), JsonTypeError);
  CHECK_THROWS_AS(call(int_handler, {2.5}), JsonTypeError);  // not integral
  CHECK_THROWS_AS(call(int_handler, {Json(std::int64_t{1} << 40)}), JsonTypeError);  // out of range

  auto string_handler = adapt_handler([&](std::string) { ++calls; });
  CHECK_THROWS_AS(call(string_handler, {42}), JsonTypeError);

  auto vector_handler = adapt_handler([&](std::vector<int>) { ++calls; });
  CHECK_THROWS_AS(call(vector_handler, {Json::array({1, "two"})}), JsonTypeError);
  CHECK_THROWS_AS(call(vector_handler, {Json::object({{"a", 1}})}), JsonTypeError);

  auto move_handler = adapt_handler([&](game::Move) { ++calls; });
  CHECK_THROWS_AS(call(move_handler, {Json::object({{"x", "one"}, {"y", 2}})}), JsonTypeError);

  // A mismatch in a later parameter also stops the call.
  auto second_handler = adapt_handler([&](int, int) { ++calls; });
  CHECK_THROWS_AS(call(second_handler, {1, "2"}), JsonTypeError);
  CHECK(calls == 0);
}

TEST_CASE("an exception thrown by the handler goes to the caller", "[handlers]") {
  auto handler = adapt_handler([](int n) {
    if (n < 0) throw std::runtime_error("negative");
  });
  CHECK_NOTHROW(call(handler, {1}));
  CHECK_THROWS_WITH(call(handler, {-1}), "negative");
}

// ---------------------------------------------------------------------------
// Kinds of callables

TEST_CASE("function pointers, std::function and mutable lambdas are adapted", "[handlers]") {
  free_handler_calls = 0;
  auto from_pointer = adapt_handler(&free_handler);
  call(from_pointer, {2, 3});
  auto from_function = adapt_handler(free_handler);
  call(from_function, {4, 5});
  CHECK(free_handler_calls == 2);
  CHECK(free_handler_sum == 9);

  std::string seen;
  std::function<void(std::string, Ack)> function = [&](std::string s, Ack ack) { seen = s + (ack ? "!" : "?"); };
  auto from_std_function = adapt_handler(function);
  call(from_std_function, {"hi"});
  CHECK(seen == "hi?");

  // A mutable lambda keeps its state between calls.
  std::vector<int> counts;
  auto from_mutable = adapt_handler([&counts, n = 0](int add) mutable {
    n += add;
    counts.push_back(n);
  });
  call(from_mutable, {1});
  call(from_mutable, {2});
  call(from_mutable, {3});
  CHECK(counts == std::vector<int>{1, 3, 6});
}

TEST_CASE("the adapted handler can be called many times", "[handlers]") {
  std::vector<std::string> seen;
  auto handler = adapt_handler([&](std::string s, std::optional<int> n) {
    seen.push_back(s + ":" + (n ? std::to_string(*n) : "-"));
  });
  call(handler, {"a", 1});
  call(handler, {"b"});
  call(handler, {"c", nullptr});
  CHECK(seen == std::vector<std::string>{"a:1", "b:-", "c:-"});
}

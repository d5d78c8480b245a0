#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "socketio/detail/handler_table.hpp"

using socketio::Ack;
using socketio::Args;
using socketio::SocketPtr;
using socketio::detail::HandlerTable;
using socketio::detail::make_handler_node;

namespace {

/// Runs what take() returns, as Socket::dispatch does.
void run(HandlerTable& table, const std::string& event, Args args = {}) {
  auto matched = table.take(event);
  if (!matched.first) return;
  Ack ack;
  SocketPtr none;
  matched.first->call(none, args, ack);
  for (const auto& handler : matched.more) handler->call(none, args, ack);
}

}  // namespace

TEST_CASE("handler table runs an event's handlers in order, once-handlers once", "[handler_table]") {
  HandlerTable table;
  std::vector<std::string> calls;
  table.add(make_handler_node("a", false, [&] { calls.push_back("a1"); }));
  table.add(make_handler_node("b", false, [&] { calls.push_back("b"); }));
  table.add(make_handler_node("a", true, [&] { calls.push_back("a-once"); }));
  table.add(make_handler_node("a", false, [&](std::string x) { calls.push_back("a3:" + x); }));
  run(table, "a", Args{socketio::Json("x")});
  run(table, "a", Args{socketio::Json("y")});
  run(table, "missing");
  CHECK(calls == std::vector<std::string>{"a1", "a-once", "a3:x", "a1", "a3:y"});
  table.remove("a");
  calls.clear();
  run(table, "a");
  run(table, "b");
  CHECK(calls == std::vector<std::string>{"b"});
}

TEST_CASE("handlers may change the table while they run", "[handler_table]") {
  HandlerTable table;
  std::vector<std::string> calls;
  // Removes every handler of its own event, itself included, then adds one:
  // the node it runs in must stay alive, and the new one runs next time.
  table.add(make_handler_node("e", false, [&, captured = std::string(64, 'x')] {
    calls.push_back("first:" + std::to_string(captured.size()));
    table.remove("e");
    for (int i = 0; i < 20; ++i) table.add(make_handler_node("other", false, [] {}));
    table.add(make_handler_node("e", false, [&] { calls.push_back("added"); }));
  }));
  table.add(make_handler_node("e", false, [&] { calls.push_back("second"); }));
  run(table, "e");
  CHECK(calls == std::vector<std::string>{"first:64", "second"});
  run(table, "e");
  CHECK(calls == std::vector<std::string>{"first:64", "second", "added"});
  table.clear();
  CHECK(table.empty());
}

TEST_CASE("a handler's name is kept whole: long, empty, with NUL bytes", "[handler_table]") {
  // The name lives in the node's own block, behind the callable.
  HandlerTable table;
  std::vector<std::string> calls;
  const std::string long_name(300, 'n');
  const std::string with_nul("a\0b", 3);
  table.add(make_handler_node(long_name, false, [&, big = std::vector<int>(100, 7)] {
    calls.push_back("long:" + std::to_string(big.size()));
  }));
  table.add(make_handler_node("", false, [&] { calls.push_back("empty"); }));
  table.add(make_handler_node(with_nul, true, [&] { calls.push_back("nul"); }));
  table.add(make_handler_node("message-with-ack", false, [&](std::string text) { calls.push_back(text); }));
  run(table, std::string(299, 'n'));
  run(table, "a");
  run(table, long_name);
  run(table, "");
  run(table, with_nul);
  run(table, with_nul);
  run(table, "message-with-ack", Args{socketio::Json("hi")});
  CHECK(calls == std::vector<std::string>{"long:100", "empty", "nul", "hi"});
}

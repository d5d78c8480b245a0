// InMemoryAdapter without a network.
//
// The room table (add_all, del, del_all, socket_rooms, sockets, rooms) is
// tested on the adapter of a namespace of a socketio::Server whose
// io_context never runs.
//
// The room selection of broadcasts (InMemoryAdapter::select, protected) only
// returns sockets the namespace knows, so those tests need real Socket
// objects: they build a detail::ServerCore with an adapter subclass that
// makes select() public, and connect sockets by handing CONNECT packets to
// detail::Client through an engine::SessionImpl that has no transport (its
// handlers run inline; the io_context is never run there either): the
// FakeServer of tests/support/fake_sockets.hpp.

#include <catch2/catch.hpp>

#include <asio/io_context.hpp>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fake_sockets.hpp"
#include "socketio/adapter.hpp"
#include "socketio/core.hpp"
#include "socketio/namespace.hpp"
#include "socketio/server.hpp"
#include "socketio/socket.hpp"

namespace {

using socketio::Adapter;
using socketio::BroadcastOptions;
using socketio::InMemoryAdapter;
using socketio::Room;
using socketio::SocketId;
using socketio::SocketPtr;
using Rooms = std::set<Room>;

Rooms as_set(const std::vector<Room>& rooms) { return Rooms(rooms.begin(), rooms.end()); }
using Ids = std::set<SocketId>;

/// Makes the protected selection public.
class SelectingAdapter : public InMemoryAdapter {
 public:
  using InMemoryAdapter::InMemoryAdapter;
  using InMemoryAdapter::select;
};

/// A Server on an io_context that is never run.
struct ServerHarness {
  asio::io_context io;
  socketio::Server server{io};
  Adapter& adapter(const std::string& nsp = "/x") { return server.of(nsp).adapter(); }
};

/// Real sockets on a ServerCore, connected without any transport.
class SocketHarness {
 public:
  SocketHarness()
      : server_(io_, socketio::ServerOptions{},
                [](socketio::Namespace& nsp) { return std::make_unique<SelectingAdapter>(nsp); }) {}

  socketio::Namespace& nsp(const std::string& name = "/x") { return server_.nsp(name); }
  /// Runs what is queued (strand jobs, posted callbacks) until idle.
  void run() {
    io_.restart();
    io_.poll();
  }
  SelectingAdapter& adapter(const std::string& name = "/x") {
    return static_cast<SelectingAdapter&>(nsp(name).adapter());
  }

  /// A new socket in namespace `name` (its own engine session and client).
  SocketPtr connect(const std::string& name = "/x") { return server_.connect(name); }
  /// Hands a Socket.IO packet (text form) to the socket's connection.
  void deliver(const SocketPtr& socket, const std::string& text) { server_.deliver(socket, text); }
  /// Closes the socket's engine session (as a vanished transport would).
  void close(const SocketPtr& socket) { server_.close(socket); }

  /// Ids of the sockets `options` selects.
  Ids select(const BroadcastOptions& options, const std::string& name = "/x") {
    Ids ids;
    for (const auto& socket : adapter(name).select(options)) {
      CHECK(ids.insert(socket->id()).second);  // no socket twice
    }
    return ids;
  }

 private:
  asio::io_context io_;  // first: outlives everything below
  socketio::test::FakeServer server_;
};

BroadcastOptions selection(Rooms rooms, Rooms except = {}) {
  BroadcastOptions options;
  options.rooms = std::move(rooms);
  options.except = std::move(except);
  return options;
}

}  // namespace

// ---------------------------------------------------------------------------
// The room table

TEST_CASE("a fresh namespace adapter has no rooms and no sockets", "[adapter]") {
  ServerHarness h;
  auto& adapter = h.adapter();
  CHECK(adapter.rooms().empty());
  CHECK(adapter.sockets({}).empty());
  CHECK(adapter.sockets({"a"}).empty());
  CHECK(as_set(adapter.socket_rooms("nobody")).empty());
  CHECK(&adapter.nsp() == &h.server.of("/x"));
}

TEST_CASE("every namespace has an adapter of its own", "[adapter]") {
  ServerHarness h;
  h.adapter("/x").add_all("s1", {"a"});
  CHECK(h.adapter("/y").rooms().empty());
  CHECK(h.adapter("/").rooms().empty());
  CHECK(h.adapter("/x").rooms() == Rooms{"a"});
  CHECK(&h.adapter("/x") != &h.adapter("/y"));
}

TEST_CASE("add_all records the socket in every room and the rooms of the socket", "[adapter]") {
  ServerHarness h;
  auto& adapter = h.adapter();
  adapter.add_all("s1", {"s1", "a", "b"});
  CHECK(as_set(adapter.socket_rooms("s1")) == Rooms{"s1", "a", "b"});
  CHECK(adapter.rooms() == Rooms{"s1", "a", "b"});
  CHECK(adapter.sockets({"a"}) == Ids{"s1"});
  CHECK(adapter.sockets({"b"}) == Ids{"s1"});
  CHECK(adapter.sockets({"s1"}) == Ids{"s1"});
}

TEST_CASE("add_all is cumulative and idempotent", "[adapter]") {
  ServerHarness h;
  auto& adapter = h.adapter();
  adapter.add_all("s1", {"a"});
  adapter.add_all("s1", {"a", "b"});
  adapter.add_all("s1", {"b"});
  CHECK(as_set(adapter.socket_rooms("s1")) == Rooms{"a", "b"});
  CHECK(adapter.sockets({"a"}) == Ids{"s1"});
  CHECK(adapter.rooms() == Rooms{"a", "b"});
}

TEST_CASE("add_all with no rooms makes the socket known but in no room", "[adapter]") {
  ServerHarness h;
  auto& adapter = h.adapter();
  adapter.add_all("s1", {});
  CHECK(as_set(adapter.socket_rooms("s1")).empty());
  CHECK(adapter.rooms().empty());
  // It counts among "every socket" even though it is in no room.
  CHECK(adapter.sockets({}) == Ids{"s1"});
}

TEST_CASE("sockets() with no rooms lists every socket, with rooms their union", "[adapter]") {
  ServerHarness h;
  auto& adapter = h.adapter();
  adapter.add_all("s1", {"s1", "a"});
  adapter.add_all("s2", {"s2", "a", "b"});
  adapter.add_all("s3", {"s3", "c"});
  CHECK(adapter.sockets({}) == Ids{"s1", "s2", "s3"});
  CHECK(adapter.sockets({"a"}) == Ids{"s1", "s2"});
  CHECK(adapter.sockets({"b"}) == Ids{"s2"});
  CHECK(adapter.sockets({"a", "b"}) == Ids{"s1", "s2"});
  CHECK(adapter.sockets({"b", "c"}) == Ids{"s2", "s3"});
  CHECK(adapter.sockets({"a", "c"}) == Ids{"s1", "s2", "s3"});
  CHECK(adapter.sockets({"nope"}).empty());
  CHECK(adapter.sockets({"nope", "c"}) == Ids{"s3"});
  // A socket's own room selects just it.
  CHECK(adapter.sockets({"s2"}) == Ids{"s2"});
}

TEST_CASE("del removes one membership and forgets rooms that become empty", "[adapter]") {
  ServerHarness h;
  auto& adapter = h.adapter();
  adapter.add_all("s1", {"s1", "a", "b"});
  adapter.add_all("s2", {"s2", "a"});

  adapter.del("s1", "a");
  CHECK(as_set(adapter.socket_rooms("s1")) == Rooms{"s1", "b"});
  CHECK(adapter.sockets({"a"}) == Ids{"s2"});
  CHECK(adapter.rooms() == Rooms{"s1", "s2", "a", "b"});

  adapter.del("s1", "b");
  CHECK(as_set(adapter.socket_rooms("s1")) == Rooms{"s1"});
  CHECK(adapter.rooms() == Rooms{"s1", "s2", "a"});  // "b" had no one left
  CHECK(adapter.sockets({"b"}).empty());

  adapter.del("s2", "a");
  CHECK(adapter.rooms() == Rooms{"s1", "s2"});
}

TEST_CASE("del of an unknown socket or room changes nothing", "[adapter]") {
  ServerHarness h;
  auto& adapter = h.adapter();
  adapter.add_all("s1", {"a"});
  adapter.del("s1", "nope");
  adapter.del("nobody", "a");
  adapter.del("nobody", "nope");
  CHECK(as_set(adapter.socket_rooms("s1")) == Rooms{"a"});
  CHECK(adapter.sockets({"a"}) == Ids{"s1"});
  CHECK(adapter.rooms() == Rooms{"a"});
  CHECK(as_set(adapter.socket_rooms("nobody")).empty());
}

TEST_CASE("a socket that left every room is still known until del_all", "[adapter]") {
  ServerHarness h;
  auto& adapter = h.adapter();
  adapter.add_all("s1", {"a"});
  adapter.del("s1", "a");
  CHECK(as_set(adapter.socket_rooms("s1")).empty());
  CHECK(adapter.sockets({}) == Ids{"s1"});
  adapter.del_all("s1");
  CHECK(adapter.sockets({}).empty());
}

TEST_CASE("del_all removes the socket from every room and forgets it", "[adapter]") {
  ServerHarness h;
  auto& adapter = h.adapter();
  adapter.add_all("s1", {"s1", "a", "b"});
  adapter.add_all("s2", {"s2", "b"});

  adapter.del_all("s1");
  CHECK(as_set(adapter.socket_rooms("s1")).empty());
  CHECK(adapter.sockets({}) == Ids{"s2"});
  CHECK(adapter.sockets({"b"}) == Ids{"s2"});
  CHECK(adapter.sockets({"a"}).empty());
  CHECK(adapter.rooms() == Rooms{"s2", "b"});

  adapter.del_all("s1");      // twice: nothing happens
  adapter.del_all("nobody");  // unknown: nothing happens
  CHECK(adapter.rooms() == Rooms{"s2", "b"});

  adapter.del_all("s2");
  CHECK(adapter.rooms().empty());
  CHECK(adapter.sockets({}).empty());
}

TEST_CASE("a socket can rejoin after del_all", "[adapter]") {
  ServerHarness h;
  auto& adapter = h.adapter();
  adapter.add_all("s1", {"a", "b"});
  adapter.del_all("s1");
  adapter.add_all("s1", {"c"});
  CHECK(as_set(adapter.socket_rooms("s1")) == Rooms{"c"});
  CHECK(adapter.rooms() == Rooms{"c"});
}

TEST_CASE("socket_rooms and rooms return copies", "[adapter]") {
  ServerHarness h;
  auto& adapter = h.adapter();
  adapter.add_all("s1", {"a"});
  auto mine = as_set(adapter.socket_rooms("s1"));
  auto all = adapter.rooms();
  adapter.add_all("s1", {"b"});
  CHECK(mine == Rooms{"a"});
  CHECK(all == Rooms{"a"});
}

TEST_CASE("room names are compared exactly", "[adapter]") {
  ServerHarness h;
  auto& adapter = h.adapter();
  adapter.add_all("s1", {"Room"});
  adapter.add_all("s2", {"room"});
  adapter.add_all("s3", {""});
  CHECK(adapter.sockets({"Room"}) == Ids{"s1"});
  CHECK(adapter.sockets({"room"}) == Ids{"s2"});
  CHECK(adapter.sockets({""}) == Ids{"s3"});
  CHECK(adapter.sockets({"room "}).empty());
}

TEST_CASE("selecting ids the namespace does not know yields no socket", "[adapter]") {
  // The room table may name sockets that are not (or no longer) connected:
  // selection resolves ids through the namespace and skips those.
  asio::io_context io;
  socketio::Server server(io, socketio::ServerOptions{},
                          [](socketio::Namespace& nsp) { return std::make_unique<SelectingAdapter>(nsp); });
  auto& adapter = static_cast<SelectingAdapter&>(server.of("/x").adapter());
  adapter.add_all("ghost", {"ghost", "a"});
  CHECK(adapter.select(selection({})).empty());
  CHECK(adapter.select(selection({"a"})).empty());
  bool called = false;
  std::vector<socketio::RemoteSocket> fetched;
  adapter.fetch_sockets(selection({"a"}), [&](std::error_code error, std::vector<socketio::RemoteSocket> sockets) {
    CHECK(!error);
    called = true;
    fetched = std::move(sockets);
  });
  CHECK_FALSE(called);  // never inside the call
  io.run();
  CHECK(called);
  CHECK(fetched.empty());
  // Broadcasting to them is a no-op (nothing to deliver to).
  adapter.broadcast(socketio::Args{"event", 1}, selection({"a"}));
  // sockets() reports the table as it is.
  CHECK(adapter.sockets({"a"}) == Ids{"ghost"});
}

// ---------------------------------------------------------------------------
// Room selection of broadcasts, on real sockets

TEST_CASE("connected sockets are in their own room", "[adapter]") {
  SocketHarness h;
  auto s1 = h.connect();
  auto s2 = h.connect();
  REQUIRE(s1);
  REQUIRE(s2);
  CHECK(s1->id() != s2->id());
  CHECK(as_set(s1->rooms()) == Rooms{s1->id()});
  CHECK(as_set(h.adapter().socket_rooms(s2->id())) == Rooms{s2->id()});
  CHECK(h.adapter().rooms() == Rooms{s1->id(), s2->id()});
  CHECK(h.nsp().size() == 2);
  CHECK(h.nsp().socket(s1->id()) == s1);
}

TEST_CASE("a socket's own room is shared with others who join it, and can be left", "[adapter]") {
  // The own room is a flag on the socket, not a room entry: everything that
  // reads rooms must still see it as a room like any other.
  SocketHarness h;
  auto s1 = h.connect();
  auto s2 = h.connect();
  auto s3 = h.connect();
  s2->join(s1->id());  // another socket in the room named after s1
  CHECK(h.adapter().sockets({s1->id()}) == Ids{s1->id(), s2->id()});
  CHECK(h.select(selection({s1->id()})) == Ids{s1->id(), s2->id()});
  CHECK(h.select(selection({}, {s1->id()})) == Ids{s3->id()});
  CHECK(h.select(selection({s1->id(), s2->id()})) == Ids{s1->id(), s2->id()});
  CHECK(as_set(s2->rooms()) == Rooms{s2->id(), s1->id()});

  // s1 leaves its own room: to(s1's id) reaches only s2 now.
  s1->leave(s1->id());
  CHECK(s1->rooms().empty());
  CHECK(h.select(selection({s1->id()})) == Ids{s2->id()});
  CHECK(h.select(selection({}, {s1->id()})) == Ids{s1->id(), s3->id()});
  CHECK(h.adapter().rooms() == Rooms{s1->id(), s2->id(), s3->id()});  // s2 keeps "s1" alive
  s2->leave(s1->id());
  CHECK(h.adapter().rooms() == Rooms{s2->id(), s3->id()});
  CHECK(h.select(selection({s1->id()})).empty());
  // Still a socket of the namespace, and it can come back.
  CHECK(h.select(selection({})) == Ids{s1->id(), s2->id(), s3->id()});
  s1->join(s1->id());
  CHECK(s1->rooms() == std::vector<Room>{s1->id()});
  CHECK(h.select(selection({s1->id()})) == Ids{s1->id()});
}

TEST_CASE("an empty selection selects every socket of the namespace", "[adapter]") {
  SocketHarness h;
  auto s1 = h.connect();
  auto s2 = h.connect();
  auto s3 = h.connect();
  auto other = h.connect("/other");  // another namespace: never selected here
  CHECK(h.select(selection({})) == Ids{s1->id(), s2->id(), s3->id()});
  CHECK(h.select(selection({}), "/other") == Ids{other->id()});
}

TEST_CASE("rooms select the union of their members, each socket once", "[adapter]") {
  SocketHarness h;
  auto s1 = h.connect();
  auto s2 = h.connect();
  auto s3 = h.connect();
  auto s4 = h.connect();
  s1->join("a");
  s2->join(std::vector<Room>{"a", "b"});
  s3->join("b");
  // s4 is in no room but its own.

  CHECK(h.select(selection({"a"})) == Ids{s1->id(), s2->id()});
  CHECK(h.select(selection({"b"})) == Ids{s2->id(), s3->id()});
  CHECK(h.select(selection({"a", "b"})) == Ids{s1->id(), s2->id(), s3->id()});  // s2 only once
  CHECK(h.select(selection({"a", s4->id()})) == Ids{s1->id(), s2->id(), s4->id()});
  CHECK(h.select(selection({"nope"})).empty());
  CHECK(h.select(selection({"nope", "b"})) == Ids{s2->id(), s3->id()});
  CHECK(h.adapter().select(selection({"a", "b"})).size() == 3);
}

TEST_CASE("except removes the members of any excepted room", "[adapter]") {
  SocketHarness h;
  auto s1 = h.connect();
  auto s2 = h.connect();
  auto s3 = h.connect();
  s1->join("a");
  s2->join(std::vector<Room>{"a", "b"});
  s3->join("b");

  // From everyone.
  CHECK(h.select(selection({}, {"a"})) == Ids{s3->id()});
  CHECK(h.select(selection({}, {"b"})) == Ids{s1->id()});
  CHECK(h.select(selection({}, {"a", "b"})).empty());
  CHECK(h.select(selection({}, {"nope"})) == Ids{s1->id(), s2->id(), s3->id()});
  // A socket's own room excludes just it (socket.broadcast()).
  CHECK(h.select(selection({}, {s1->id()})) == Ids{s2->id(), s3->id()});

  // From rooms: members of `rooms` minus members of `except`.
  CHECK(h.select(selection({"a"}, {"b"})) == Ids{s1->id()});
  CHECK(h.select(selection({"b"}, {"a"})) == Ids{s3->id()});
  CHECK(h.select(selection({"a", "b"}, {s2->id()})) == Ids{s1->id(), s3->id()});
  // socket.to(room): the room minus the sender.
  CHECK(h.select(selection({"a"}, {s1->id()})) == Ids{s2->id()});
  // Excluding a room one is selected by wins over being selected.
  CHECK(h.select(selection({"a"}, {"a"})).empty());
}

TEST_CASE("selection follows joins and leaves", "[adapter]") {
  SocketHarness h;
  auto s1 = h.connect();
  auto s2 = h.connect();
  s1->join("a");
  CHECK(h.select(selection({"a"})) == Ids{s1->id()});
  s2->join("a");
  CHECK(h.select(selection({"a"})) == Ids{s1->id(), s2->id()});
  s1->leave("a");
  CHECK(h.select(selection({"a"})) == Ids{s2->id()});
  CHECK(as_set(s1->rooms()) == Rooms{s1->id()});
  s2->leave("a");
  CHECK(h.select(selection({"a"})).empty());
  CHECK(h.adapter().rooms() == Rooms{s1->id(), s2->id()});
}

TEST_CASE("sockets_join and sockets_leave act on the selected sockets", "[adapter]") {
  SocketHarness h;
  auto s1 = h.connect();
  auto s2 = h.connect();
  auto s3 = h.connect();
  s1->join("a");
  s2->join("a");

  h.adapter().add_sockets(selection({"a"}, {s2->id()}), {"x", "y"});
  CHECK(as_set(s1->rooms()) == Rooms{s1->id(), "a", "x", "y"});
  CHECK(as_set(s2->rooms()) == Rooms{s2->id(), "a"});
  CHECK(as_set(s3->rooms()) == Rooms{s3->id()});

  h.adapter().add_sockets(selection({}), {"all"});
  CHECK(h.select(selection({"all"})) == Ids{s1->id(), s2->id(), s3->id()});

  h.adapter().del_sockets(selection({"a"}), {"all", "x"});
  CHECK(as_set(s1->rooms()) == Rooms{s1->id(), "a", "y"});
  CHECK(as_set(s2->rooms()) == Rooms{s2->id(), "a"});
  CHECK(h.select(selection({"all"})) == Ids{s3->id()});

  // Through the public operators too.
  h.nsp().in("y").sockets_join("z");
  CHECK(h.select(selection({"z"})) == Ids{s1->id()});
  h.nsp().sockets_leave({"z"});
  CHECK(h.select(selection({"z"})).empty());
}

TEST_CASE("fetch_sockets returns the selected sockets", "[adapter]") {
  SocketHarness h;
  auto s1 = h.connect();
  auto s2 = h.connect();
  s2->join("a");
  CHECK(s2->data() == socketio::Json::object());  // {} until set, as Node's socket.data
  s2->data() = socketio::Json::object({{"user", "bob"}});
  std::vector<socketio::RemoteSocket> fetched;
  auto keep = [&](std::error_code error, std::vector<socketio::RemoteSocket> sockets) {
    CHECK(!error);
    fetched = std::move(sockets);
  };
  h.nsp().in("a").fetch_sockets(keep);
  h.run();
  REQUIRE(fetched.size() == 1);
  CHECK(fetched[0].local() == s2);
  CHECK(fetched[0].id() == s2->id());
  CHECK(fetched[0].rooms() == std::vector<socketio::Room>{s2->id(), "a"});
  CHECK(fetched[0].data()["user"] == "bob");
  h.nsp().except("a").fetch_sockets(keep);
  h.run();
  REQUIRE(fetched.size() == 1);
  CHECK(fetched[0].local() == s1);
  // Acting on a fetched socket reaches the live one.
  fetched[0].join("b");
  CHECK(s1->rooms() == std::vector<socketio::Room>{s1->id(), "b"});
  fetched[0].leave("b");
  CHECK(s1->rooms() == std::vector<socketio::Room>{s1->id()});
}

TEST_CASE("a disconnected socket leaves every room and is no longer selected", "[adapter]") {
  SocketHarness h;
  auto s1 = h.connect();
  auto s2 = h.connect();
  s1->join(std::vector<Room>{"a", "b"});
  s2->join("a");
  std::vector<socketio::DisconnectReason> reasons;
  Rooms rooms_while_disconnecting;
  Rooms rooms_after_disconnect{"unset"};
  s1->on_disconnecting([&, id = s1->id()](socketio::DisconnectReason reason) {
    reasons.push_back(reason);
    rooms_while_disconnecting = as_set(h.adapter().socket_rooms(id));
  });
  s1->on_disconnect([&, id = s1->id()](socketio::DisconnectReason reason) {
    reasons.push_back(reason);
    rooms_after_disconnect = as_set(h.adapter().socket_rooms(id));
  });

  // The client leaves the namespace: DISCONNECT "1/x,".
  h.deliver(s1, "1/x,");
  CHECK_FALSE(s1->connected());
  CHECK(reasons == std::vector<socketio::DisconnectReason>{socketio::DisconnectReason::client_namespace_disconnect,
                                                          socketio::DisconnectReason::client_namespace_disconnect});
  CHECK(rooms_while_disconnecting == Rooms{s1->id(), "a", "b"});
  CHECK(rooms_after_disconnect.empty());
  CHECK(h.adapter().socket_rooms(s1->id()).empty());
  CHECK(h.adapter().rooms() == Rooms{s2->id(), "a"});
  CHECK(h.select(selection({})) == Ids{s2->id()});
  CHECK(h.select(selection({"a"})) == Ids{s2->id()});
  CHECK(h.select(selection({"b"})).empty());
  CHECK(h.nsp().socket(s1->id()) == nullptr);

  // A disconnected socket can no longer join.
  s1->join("c");
  CHECK(h.adapter().sockets({"c"}).empty());
  CHECK(h.adapter().socket_rooms(s1->id()).empty());
}

TEST_CASE("a closed connection takes its socket out of every room", "[adapter]") {
  SocketHarness h;
  auto s1 = h.connect();
  auto s2 = h.connect();
  s1->join("a");
  s2->join("a");
  h.close(s2);
  CHECK_FALSE(s2->connected());
  CHECK(h.select(selection({"a"})) == Ids{s1->id()});
  CHECK(h.adapter().rooms() == Rooms{s1->id(), "a"});
}

TEST_CASE("a socket's rooms keep the order it joined them in, as Node's Set does", "[adapter]") {
  asio::io_context io;
  socketio::Server server(io);
  auto& adapter = server.of("/order").adapter();
  adapter.add_all("s1", {"s1"});
  adapter.add_all("s1", {"zeta"});
  adapter.add_all("s1", {"!alpha"});
  CHECK(adapter.socket_rooms("s1") == std::vector<Room>{"s1", "zeta", "!alpha"});
  adapter.del("s1", "zeta");
  adapter.add_all("s1", {"zeta"});
  CHECK(adapter.socket_rooms("s1") == std::vector<Room>{"s1", "!alpha", "zeta"});
}

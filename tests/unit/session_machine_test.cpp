#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engineio/packet.hpp"
#include "engineio/session_machine.hpp"
#include "socketio/engine/close_reason.hpp"
#include "transport/transport.hpp"

using socketio::engine::CloseReason;
using socketio::engine::encode_binary_message;
using socketio::engine::encode_packet;
using socketio::engine::EncodedPacket;
using socketio::engine::Packet;
using socketio::engine::PacketType;
using socketio::engine::SessionConfig;
using socketio::engine::SessionEnvironment;
using socketio::engine::SessionMachine;
using socketio::engine::SessionTimer;
using std::chrono::milliseconds;

namespace Catch {
template <>
struct StringMaker<CloseReason> {
  static std::string convert(CloseReason reason) { return std::string(socketio::engine::to_string(reason)); }
};
template <>
struct StringMaker<SessionTimer> {
  static std::string convert(SessionTimer timer) {
    switch (timer) {
      case SessionTimer::ping_interval: return "ping_interval";
      case SessionTimer::ping_timeout: return "ping_timeout";
      case SessionTimer::upgrade_timeout: return "upgrade_timeout";
      case SessionTimer::upgrade_check: return "upgrade_check";
      case SessionTimer::close_timeout: return "close_timeout";
    }
    return "unknown timer";
  }
};
template <>
struct StringMaker<SessionMachine::State> {
  static std::string convert(SessionMachine::State state) {
    switch (state) {
      case SessionMachine::State::opening: return "opening";
      case SessionMachine::State::open: return "open";
      case SessionMachine::State::closing: return "closing";
      case SessionMachine::State::closed: return "closed";
    }
    return "unknown state";
  }
};
}  // namespace Catch

namespace {

using Frames = std::vector<std::string>;

constexpr auto kAllTimers = {SessionTimer::ping_interval, SessionTimer::ping_timeout,
                             SessionTimer::upgrade_timeout, SessionTimer::upgrade_check,
                             SessionTimer::close_timeout};

// Text packets as their frame ("4hello"); binary ones as "bin:" + bytes.
std::string describe(const EncodedPacket& packet) {
  return packet.binary ? "bin:" + std::string(packet.frame()) : std::string(packet.frame());
}

Packet packet(PacketType type, std::string data = {}, bool binary = false) {
  Packet p;
  p.type = type;
  p.data = std::move(data);
  p.binary = binary;
  return p;
}

/// Records what the machine asks of the outside world. Timers are never
/// fired by themselves: the tests call machine.on_timer().
class FakeEnvironment final : public SessionEnvironment {
 public:
  void start_timer(SessionTimer timer, milliseconds after) override {
    started.emplace_back(timer, after);
    armed[timer] = after;
  }
  void cancel_timer(SessionTimer timer) override {
    cancelled.push_back(timer);
    armed.erase(timer);
  }
  void deliver_message(std::string data, bool binary) override {
    messages.emplace_back(std::move(data), binary);
  }
  void deliver_close(CloseReason reason) override { closes.push_back(reason); }

  bool is_armed(SessionTimer timer) const { return armed.count(timer) != 0; }
  std::size_t times_started(SessionTimer timer) const {
    std::size_t n = 0;
    for (const auto& s : started) n += s.first == timer;
    return n;
  }
  bool was_cancelled(SessionTimer timer) const {
    for (auto t : cancelled) {
      if (t == timer) return true;
    }
    return false;
  }
  void forget() {
    started.clear();
    cancelled.clear();
  }

  std::vector<std::pair<SessionTimer, milliseconds>> started;
  std::vector<SessionTimer> cancelled;
  std::map<SessionTimer, milliseconds> armed;  ///< started and neither cancelled nor fired
  std::vector<std::pair<std::string, bool>> messages;
  std::vector<CloseReason> closes;
};

/// A transport that records every call. Polling is writable only while the
/// test says a GET is parked, and a send() answers that GET (as the real
/// PollingTransport does); WebSocket is always writable.
class FakeTransport final : public socketio::transport::Transport {
 public:
  FakeTransport(std::string name, bool writable) : name_(std::move(name)), writable_(writable) {}

  std::string_view name() const noexcept override { return name_; }
  bool writable() const noexcept override { return writable_ && closes == 0; }

  void send(const std::vector<EncodedPacket>& packets) override {
    if (!writable()) ++sends_while_unwritable;
    Frames frames;
    for (const auto& p : packets) frames.push_back(describe(p));
    sends.push_back(frames);
    events.push_back("send");
    if (name_ == "polling") writable_ = false;  // the parked GET is answered
  }
  void close() override {
    ++closes;
    events.push_back("close");
    writable_ = name_ != "polling" && writable_;
  }
  void discard() override {
    ++discards;
    events.push_back("discard");
    if (name_ == "polling") writable_ = false;  // a parked GET is answered with NOOP
  }

  /// Polling: a GET arrives and is parked.
  void park() { writable_ = true; }

  /// Every packet sent, in order, across all send() calls.
  Frames all_sent() const {
    Frames all;
    for (const auto& s : sends) all.insert(all.end(), s.begin(), s.end());
    return all;
  }

  std::vector<Frames> sends;
  std::vector<std::string> events;
  int closes = 0;
  int discards = 0;
  int sends_while_unwritable = 0;

 private:
  std::string name_;
  bool writable_;
};

SessionConfig test_config() {
  SessionConfig config;
  config.ping_interval = milliseconds(300);
  config.ping_timeout = milliseconds(200);
  config.upgrade_timeout = milliseconds(1000);
  config.max_payload = 1000000;
  config.upgrades = {"websocket"};
  config.upgrade_check_interval = milliseconds(100);
  config.close_timeout = milliseconds(30000);
  return config;
}

const std::string kOpenFrame =
    R"(0{"sid":"SID","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000})";

struct Session {
  Session() : machine_owner(std::make_shared<SessionMachine>("SID", test_config(), env)), machine(*machine_owner) {}

  /// Opens on polling with the handshake GET parked, which carries OPEN.
  void open_on_polling() {
    machine.open(polling);
    REQUIRE(polling->sends == std::vector<Frames>{{kOpenFrame}});
    polling->sends.clear();
    polling->events.clear();
    env.forget();
  }
  void open_on_websocket() {
    machine.open(websocket);
    REQUIRE(websocket->sends == std::vector<Frames>{{kOpenFrame}});
    websocket->sends.clear();
    websocket->events.clear();
    env.forget();
  }
  /// A polling GET arrives.
  void poll() {
    polling->park();
    machine.on_transport_ready(*polling);
  }
  /// Opens on polling and goes through "2probe" on a WebSocket probe.
  void probe() {
    open_on_polling();
    REQUIRE(machine.begin_upgrade(websocket));
    machine.on_transport_packet(*websocket, packet(PacketType::ping, "probe"));
    REQUIRE(websocket->sends == std::vector<Frames>{{"3probe"}});
    websocket->sends.clear();
    websocket->events.clear();
    env.forget();
  }
  void expect_no_precondition_violations() const {
    CHECK(polling->sends_while_unwritable == 0);
    CHECK(websocket->sends_while_unwritable == 0);
  }

  FakeEnvironment env;
  std::shared_ptr<SessionMachine> machine_owner;
  SessionMachine& machine;
  // Polling starts with the handshake GET parked.
  std::shared_ptr<FakeTransport> polling = std::make_shared<FakeTransport>("polling", true);
  std::shared_ptr<FakeTransport> websocket = std::make_shared<FakeTransport>("websocket", true);
};

}  // namespace

// ---------------------------------------------------------------------------
// Handshake and write buffer

TEST_CASE("open sends the OPEN packet with the handshake values and starts the ping interval",
          "[session_machine]") {
  Session s;
  s.machine.open(s.polling);

  CHECK(s.machine.state() == SessionMachine::State::open);
  CHECK(s.machine.transport() == s.polling);
  CHECK(s.polling->sends == std::vector<Frames>{{kOpenFrame}});
  CHECK(s.env.started == std::vector<std::pair<SessionTimer, milliseconds>>{
                             {SessionTimer::ping_interval, milliseconds(300)}});
  CHECK(s.env.closes.empty());
  s.expect_no_precondition_violations();
}

TEST_CASE("open advertises an empty upgrade list when there is nothing to upgrade to", "[session_machine]") {
  FakeEnvironment env;
  SessionConfig config = test_config();
  config.upgrades.clear();
  config.ping_interval = milliseconds(25000);
  config.ping_timeout = milliseconds(20000);
  config.max_payload = 1000000;
  SessionMachine machine("abc-_DEF", config, env);
  auto websocket = std::make_shared<FakeTransport>("websocket", true);
  machine.open(websocket);

  CHECK(websocket->sends ==
        std::vector<Frames>{
            {R"(0{"sid":"abc-_DEF","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})"}});
  CHECK(env.is_armed(SessionTimer::ping_interval));
}

TEST_CASE("open_packet is the OPEN packet that open sends", "[session_machine]") {
  CHECK(describe(SessionMachine::open_packet("SID", test_config())) == kOpenFrame);
}

TEST_CASE("open with the OPEN packet already sent by the transport queues nothing but starts the heartbeat",
          "[session_machine]") {
  Session s;
  s.machine.open(s.websocket, /*open_packet_sent=*/true);

  CHECK(s.machine.state() == SessionMachine::State::open);
  CHECK(s.websocket->sends.empty());
  CHECK(s.machine.buffered() == 0);
  CHECK(s.env.started == std::vector<std::pair<SessionTimer, milliseconds>>{
                             {SessionTimer::ping_interval, milliseconds(300)}});
  s.machine.send(encode_packet(PacketType::message, "hi"));
  CHECK(s.websocket->sends == std::vector<Frames>{{"4hi"}});
  s.expect_no_precondition_violations();
}

TEST_CASE("packets queued while no poll is parked are flushed together and in order when a GET arrives",
          "[session_machine]") {
  Session s;
  s.open_on_polling();  // the handshake GET was answered: nothing parked now

  s.machine.send(encode_packet(PacketType::message, "one"));
  s.machine.send(encode_binary_message("two"));
  s.machine.send(encode_packet(PacketType::message, "three"));
  CHECK(s.polling->sends.empty());
  CHECK(s.machine.buffered() == 3);

  s.poll();
  CHECK(s.polling->sends == std::vector<Frames>{{"4one", "bin:two", "4three"}});
  CHECK(s.machine.buffered() == 0);

  // The next packet waits for the next GET again.
  s.machine.send(encode_packet(PacketType::message, "four"));
  CHECK(s.polling->sends.size() == 1);
  s.poll();
  CHECK(s.polling->sends.back() == Frames{"4four"});
  s.expect_no_precondition_violations();
}

TEST_CASE("open on a poll that is not parked keeps OPEN until the first GET", "[session_machine]") {
  Session s;
  auto polling = std::make_shared<FakeTransport>("polling", false);
  s.machine.open(polling);
  CHECK(polling->sends.empty());
  CHECK(s.machine.buffered() == 1);

  s.machine.send(encode_packet(PacketType::message, "hi"));
  polling->park();
  s.machine.on_transport_ready(*polling);
  CHECK(polling->sends == std::vector<Frames>{{kOpenFrame, "4hi"}});
  CHECK(polling->sends_while_unwritable == 0);
}

TEST_CASE("a GET with nothing to send stays parked", "[session_machine]") {
  Session s;
  s.open_on_polling();
  s.poll();
  CHECK(s.polling->sends.empty());
  CHECK(s.polling->writable());

  s.machine.send(encode_packet(PacketType::message, "now"));
  CHECK(s.polling->sends == std::vector<Frames>{{"4now"}});
}

// ---------------------------------------------------------------------------
// Heartbeat

TEST_CASE("the ping interval sends a PING and starts the ping timeout", "[session_machine]") {
  Session s;
  s.open_on_websocket();

  s.machine.on_timer(SessionTimer::ping_interval);
  CHECK(s.websocket->sends == std::vector<Frames>{{"2"}});
  CHECK(s.env.started == std::vector<std::pair<SessionTimer, milliseconds>>{
                             {SessionTimer::ping_timeout, milliseconds(200)}});
  CHECK(s.env.closes.empty());
}

TEST_CASE("the ping interval on polling queues the PING for the next GET", "[session_machine]") {
  Session s;
  s.open_on_polling();

  s.machine.on_timer(SessionTimer::ping_interval);
  CHECK(s.polling->sends.empty());
  CHECK(s.env.is_armed(SessionTimer::ping_timeout));
  s.poll();
  CHECK(s.polling->sends == std::vector<Frames>{{"2"}});
}

TEST_CASE("a PONG in time cancels the ping timeout and re-arms the ping interval", "[session_machine]") {
  Session s;
  s.open_on_websocket();
  s.machine.on_timer(SessionTimer::ping_interval);
  s.env.forget();

  s.machine.on_transport_packet(*s.websocket, packet(PacketType::pong));
  CHECK(s.env.was_cancelled(SessionTimer::ping_timeout));
  CHECK_FALSE(s.env.is_armed(SessionTimer::ping_timeout));
  CHECK(s.env.started == std::vector<std::pair<SessionTimer, milliseconds>>{
                             {SessionTimer::ping_interval, milliseconds(300)}});
  CHECK(s.machine.state() == SessionMachine::State::open);

  // The next round works the same way.
  s.machine.on_timer(SessionTimer::ping_interval);
  CHECK(s.websocket->all_sent() == Frames{"2", "2"});
  CHECK(s.env.is_armed(SessionTimer::ping_timeout));
  CHECK(s.env.closes.empty());
}

TEST_CASE("a missed PONG closes with ping timeout, cancels every timer and closes the transport",
          "[session_machine]") {
  Session s;
  s.open_on_polling();
  s.machine.on_timer(SessionTimer::ping_interval);
  s.env.forget();

  s.machine.on_timer(SessionTimer::ping_timeout);
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::ping_timeout});
  CHECK(s.machine.state() == SessionMachine::State::closed);
  for (auto timer : kAllTimers) {
    CAPTURE(timer);
    CHECK(s.env.was_cancelled(timer));
  }
  CHECK(s.env.armed.empty());
  CHECK(s.polling->closes == 1);
  CHECK(s.machine.buffered() == 0);
}

TEST_CASE("a PING from the client breaks the v4 heartbeat direction and closes with transport error",
          "[session_machine]") {
  Session s;
  s.open_on_websocket();

  s.machine.on_transport_packet(*s.websocket, packet(PacketType::ping));
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::transport_error});
  CHECK(s.machine.state() == SessionMachine::State::closed);
  CHECK(s.websocket->closes == 1);
  CHECK(s.websocket->sends.empty());  // no PONG answer
}

// ---------------------------------------------------------------------------
// Incoming packets

TEST_CASE("text and binary MESSAGE packets are delivered in order", "[session_machine]") {
  Session s;
  s.open_on_polling();

  s.machine.on_transport_packet(*s.polling, packet(PacketType::message, "hello"));
  s.machine.on_transport_packet(*s.polling, packet(PacketType::message, std::string("\x00\xff", 2), true));
  s.machine.on_transport_packet(*s.polling, packet(PacketType::message, ""));

  CHECK(s.env.messages == std::vector<std::pair<std::string, bool>>{
                              {"hello", false}, {std::string("\x00\xff", 2), true}, {"", false}});
  CHECK(s.env.closes.empty());
}

TEST_CASE("OPEN, NOOP and UPGRADE packets from the client on its current transport are ignored",
          "[session_machine]") {
  Session s;
  s.open_on_websocket();

  s.machine.on_transport_packet(*s.websocket, packet(PacketType::open));
  s.machine.on_transport_packet(*s.websocket, packet(PacketType::noop));
  s.machine.on_transport_packet(*s.websocket, packet(PacketType::upgrade));

  CHECK(s.machine.state() == SessionMachine::State::open);
  CHECK(s.env.closes.empty());
  CHECK(s.env.messages.empty());
  CHECK(s.env.started.empty());
  CHECK(s.env.cancelled.empty());
  CHECK(s.websocket->events.empty());
  CHECK_FALSE(s.machine.upgraded());
}

// ---------------------------------------------------------------------------
// Upgrade

TEST_CASE("begin_upgrade accepts a WebSocket candidate and starts the upgrade timeout", "[session_machine]") {
  Session s;
  s.open_on_polling();

  CHECK(s.machine.begin_upgrade(s.websocket));
  CHECK(s.machine.upgrading());
  CHECK_FALSE(s.machine.upgraded());
  CHECK(s.machine.transport() == s.polling);
  CHECK(s.env.started == std::vector<std::pair<SessionTimer, milliseconds>>{
                             {SessionTimer::upgrade_timeout, milliseconds(1000)}});
}

TEST_CASE("begin_upgrade rejects a second candidate while an upgrade is under way", "[session_machine]") {
  Session s;
  s.open_on_polling();
  REQUIRE(s.machine.begin_upgrade(s.websocket));

  auto second = std::make_shared<FakeTransport>("websocket", true);
  CHECK_FALSE(s.machine.begin_upgrade(second));
  // The first probe is untouched.
  CHECK(s.machine.upgrading());
  CHECK(s.websocket->events.empty());
  s.machine.on_transport_packet(*s.websocket, packet(PacketType::ping, "probe"));
  CHECK(s.websocket->sends == std::vector<Frames>{{"3probe"}});
}

TEST_CASE("begin_upgrade rejects any candidate once the session has upgraded", "[session_machine]") {
  Session s;
  s.probe();
  s.machine.on_transport_packet(*s.websocket, packet(PacketType::upgrade));
  REQUIRE(s.machine.upgraded());

  auto another = std::make_shared<FakeTransport>("websocket", true);
  CHECK_FALSE(s.machine.begin_upgrade(another));
  CHECK_FALSE(s.machine.upgrading());
}

TEST_CASE("begin_upgrade rejects a candidate of the current transport's kind and after close",
          "[session_machine]") {
  Session s;
  s.open_on_polling();
  CHECK_FALSE(s.machine.begin_upgrade(std::make_shared<FakeTransport>("polling", true)));
  CHECK_FALSE(s.machine.upgrading());

  s.machine.abort(CloseReason::server_shutdown);
  CHECK_FALSE(s.machine.begin_upgrade(s.websocket));
  CHECK_FALSE(s.machine.upgrading());
}

TEST_CASE("a probe PING gets PONG probe, releases a parked poll with NOOP and starts the upgrade check",
          "[session_machine]") {
  Session s;
  s.open_on_polling();
  s.poll();  // a GET is parked
  REQUIRE(s.machine.begin_upgrade(s.websocket));
  s.env.forget();

  s.machine.on_transport_packet(*s.websocket, packet(PacketType::ping, "probe"));
  CHECK(s.websocket->sends == std::vector<Frames>{{"3probe"}});
  CHECK(s.polling->sends == std::vector<Frames>{{"6"}});
  CHECK(s.env.started == std::vector<std::pair<SessionTimer, milliseconds>>{
                             {SessionTimer::upgrade_check, milliseconds(100)}});
  CHECK(s.machine.upgrading());
  CHECK(s.machine.transport() == s.polling);
  s.expect_no_precondition_violations();
}

TEST_CASE("a probe PING with no poll parked sends no NOOP on polling", "[session_machine]") {
  Session s;
  s.open_on_polling();
  REQUIRE(s.machine.begin_upgrade(s.websocket));

  s.machine.on_transport_packet(*s.websocket, packet(PacketType::ping, "probe"));
  CHECK(s.websocket->sends == std::vector<Frames>{{"3probe"}});
  CHECK(s.polling->sends.empty());
  CHECK(s.env.is_armed(SessionTimer::upgrade_check));
  s.expect_no_precondition_violations();
}

TEST_CASE("the upgrade check releases a parked poll with NOOP and re-arms itself", "[session_machine]") {
  Session s;
  s.probe();  // no GET parked

  s.machine.on_timer(SessionTimer::upgrade_check);
  CHECK(s.polling->sends.empty());
  CHECK(s.env.started == std::vector<std::pair<SessionTimer, milliseconds>>{
                             {SessionTimer::upgrade_check, milliseconds(100)}});

  s.polling->park();  // parked without a ready upcall yet
  s.env.forget();
  s.machine.on_timer(SessionTimer::upgrade_check);
  CHECK(s.polling->sends == std::vector<Frames>{{"6"}});
  CHECK(s.env.started == std::vector<std::pair<SessionTimer, milliseconds>>{
                             {SessionTimer::upgrade_check, milliseconds(100)}});
  s.expect_no_precondition_violations();
}

TEST_CASE("a GET arriving after the probe was answered is released with NOOP", "[session_machine]") {
  Session s;
  s.probe();

  s.poll();
  CHECK(s.polling->sends == std::vector<Frames>{{"6"}});
  s.expect_no_precondition_violations();
}

TEST_CASE("an UPGRADE packet on the probe completes the upgrade", "[session_machine]") {
  Session s;
  s.probe();
  s.machine.send(encode_packet(PacketType::message, "queued"));
  s.machine.send(encode_binary_message("bytes"));
  REQUIRE(s.machine.buffered() == 2);

  s.machine.on_transport_packet(*s.websocket, packet(PacketType::upgrade));

  CHECK(s.machine.upgraded());
  CHECK_FALSE(s.machine.upgrading());
  CHECK(s.machine.transport() == s.websocket);
  CHECK(s.machine.state() == SessionMachine::State::open);
  CHECK(s.polling->events == std::vector<std::string>{"discard", "close"});
  CHECK(s.websocket->sends == std::vector<Frames>{{"4queued", "bin:bytes"}});
  CHECK(s.machine.buffered() == 0);
  CHECK(s.env.was_cancelled(SessionTimer::upgrade_timeout));
  CHECK(s.env.was_cancelled(SessionTimer::upgrade_check));
  CHECK_FALSE(s.env.is_armed(SessionTimer::upgrade_timeout));
  CHECK_FALSE(s.env.is_armed(SessionTimer::upgrade_check));
  CHECK(s.env.closes.empty());

  // The session now lives on the WebSocket.
  s.machine.send(encode_packet(PacketType::message, "after"));
  CHECK(s.websocket->sends.back() == Frames{"4after"});
  s.machine.on_transport_packet(*s.websocket, packet(PacketType::message, "from ws"));
  CHECK(s.env.messages == std::vector<std::pair<std::string, bool>>{{"from ws", false}});
  s.expect_no_precondition_violations();
}

TEST_CASE("completing the upgrade while a PONG is overdue clears the ping timeout and resumes pings",
          "[session_machine]") {
  Session s;
  s.probe();
  s.machine.on_timer(SessionTimer::ping_interval);  // PING queued on polling
  REQUIRE(s.env.is_armed(SessionTimer::ping_timeout));

  s.machine.on_transport_packet(*s.websocket, packet(PacketType::upgrade));
  // Node clears the ping timeout when it leaves the old transport.
  CHECK_FALSE(s.env.is_armed(SessionTimer::ping_timeout));
  CHECK(s.env.is_armed(SessionTimer::ping_interval));
  // The queued PING goes out on the WebSocket.
  CHECK(s.websocket->all_sent() == Frames{"2"});
}

TEST_CASE("any other packet on the probe cancels the upgrade and the session stays on polling",
          "[session_machine]") {
  auto other = GENERATE(PacketType::message, PacketType::pong, PacketType::noop, PacketType::open);
  CAPTURE(static_cast<int>(other));
  Session s;
  s.probe();

  s.machine.on_transport_packet(*s.websocket, packet(other, "x"));
  CHECK_FALSE(s.machine.upgrading());
  CHECK_FALSE(s.machine.upgraded());
  CHECK(s.websocket->closes == 1);
  CHECK(s.machine.transport() == s.polling);
  CHECK(s.machine.state() == SessionMachine::State::open);
  CHECK(s.polling->closes == 0);
  CHECK(s.polling->discards == 0);
  CHECK(s.env.messages.empty());
  CHECK(s.env.closes.empty());
  CHECK_FALSE(s.env.is_armed(SessionTimer::upgrade_timeout));
  CHECK_FALSE(s.env.is_armed(SessionTimer::upgrade_check));

  // The cancelled probe is a stranger now.
  s.machine.on_transport_packet(*s.websocket, packet(PacketType::upgrade));
  s.machine.on_transport_close(*s.websocket);
  CHECK_FALSE(s.machine.upgraded());
  CHECK(s.machine.state() == SessionMachine::State::open);

  // Polling carries on as before, without upgrade NOOPs.
  s.machine.send(encode_packet(PacketType::message, "still here"));
  s.poll();
  CHECK(s.polling->sends == std::vector<Frames>{{"4still here"}});
  s.poll();
  CHECK(s.polling->sends.size() == 1);
  // And a new upgrade may be tried.
  CHECK(s.machine.begin_upgrade(std::make_shared<FakeTransport>("websocket", true)));
}

TEST_CASE("a probe PING with other data cancels the upgrade", "[session_machine]") {
  Session s;
  s.open_on_polling();
  REQUIRE(s.machine.begin_upgrade(s.websocket));

  s.machine.on_transport_packet(*s.websocket, packet(PacketType::ping, "prob"));
  CHECK_FALSE(s.machine.upgrading());
  CHECK(s.websocket->sends.empty());
  CHECK(s.websocket->closes == 1);
  CHECK(s.machine.state() == SessionMachine::State::open);
}

TEST_CASE("the upgrade timeout cancels the upgrade", "[session_machine]") {
  Session s;
  s.probe();

  s.machine.on_timer(SessionTimer::upgrade_timeout);
  CHECK_FALSE(s.machine.upgrading());
  CHECK(s.websocket->closes == 1);
  CHECK(s.env.was_cancelled(SessionTimer::upgrade_check));
  CHECK_FALSE(s.env.is_armed(SessionTimer::upgrade_check));
  CHECK(s.machine.state() == SessionMachine::State::open);
  CHECK(s.machine.transport() == s.polling);
  CHECK(s.env.closes.empty());

  // A late upgrade check does nothing and does not re-arm.
  s.env.forget();
  s.polling->park();
  s.machine.on_timer(SessionTimer::upgrade_check);
  CHECK(s.polling->sends.empty());
  CHECK(s.env.started.empty());
}

TEST_CASE("the probe transport closing cancels only the upgrade", "[session_machine]") {
  Session s;
  s.probe();

  s.machine.on_transport_close(*s.websocket);
  CHECK_FALSE(s.machine.upgrading());
  CHECK(s.machine.state() == SessionMachine::State::open);
  CHECK(s.machine.transport() == s.polling);
  CHECK(s.polling->closes == 0);
  CHECK(s.env.closes.empty());
  CHECK_FALSE(s.env.is_armed(SessionTimer::upgrade_timeout));
  CHECK_FALSE(s.env.is_armed(SessionTimer::upgrade_check));
}

TEST_CASE("the probe transport failing cancels only the upgrade", "[session_machine]") {
  Session s;
  s.probe();

  SECTION("transport error") { s.machine.on_transport_error(*s.websocket, "websocket error"); }
  SECTION("parse error") { s.machine.on_transport_parse_error(*s.websocket); }

  CHECK_FALSE(s.machine.upgrading());
  CHECK(s.websocket->closes == 1);
  CHECK(s.machine.state() == SessionMachine::State::open);
  CHECK(s.machine.transport() == s.polling);
  CHECK(s.polling->closes == 0);
  CHECK(s.env.closes.empty());
  CHECK_FALSE(s.env.is_armed(SessionTimer::upgrade_timeout));
  CHECK_FALSE(s.env.is_armed(SessionTimer::upgrade_check));
}

TEST_CASE("the session ending during an upgrade closes the probe too", "[session_machine]") {
  Session s;
  s.probe();

  s.machine.on_transport_close(*s.polling);
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::transport_close});
  CHECK_FALSE(s.machine.upgrading());
  CHECK(s.websocket->closes == 1);
  CHECK(s.polling->closes == 1);
  CHECK(s.env.armed.empty());

  // A late UPGRADE on the probe changes nothing.
  s.machine.on_transport_packet(*s.websocket, packet(PacketType::upgrade));
  CHECK_FALSE(s.machine.upgraded());
  CHECK(s.env.closes.size() == 1);
}

// ---------------------------------------------------------------------------
// Close

TEST_CASE("close from the server on WebSocket finishes at once with forced close", "[session_machine]") {
  Session s;
  s.open_on_websocket();

  s.machine.close();
  CHECK(s.machine.state() == SessionMachine::State::closed);
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::forced_close});
  CHECK(s.websocket->closes == 1);
  CHECK(s.env.armed.empty());
  CHECK_FALSE(s.env.is_armed(SessionTimer::close_timeout));
}

TEST_CASE("close on polling with a parked GET finishes at once", "[session_machine]") {
  Session s;
  s.open_on_polling();
  s.poll();

  s.machine.close();
  CHECK(s.machine.state() == SessionMachine::State::closed);
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::forced_close});
  CHECK(s.polling->events == std::vector<std::string>{"close"});  // answers the GET with CLOSE
  CHECK(s.env.armed.empty());
}

TEST_CASE("close on polling with no parked GET flushes on the next GET and finishes on the following one",
          "[session_machine]") {
  Session s;
  s.open_on_polling();
  s.machine.send(encode_packet(PacketType::message, "a"));
  s.machine.send(encode_packet(PacketType::message, "b"));

  s.machine.close();
  CHECK(s.machine.state() == SessionMachine::State::closing);
  CHECK(s.env.closes.empty());
  CHECK(s.env.started == std::vector<std::pair<SessionTimer, milliseconds>>{
                             {SessionTimer::close_timeout, milliseconds(30000)}});
  CHECK(s.polling->events.empty());

  s.poll();
  CHECK(s.polling->sends == std::vector<Frames>{{"4a", "4b"}});
  CHECK(s.polling->closes == 0);
  CHECK(s.machine.state() == SessionMachine::State::closing);
  CHECK(s.env.closes.empty());

  s.poll();
  CHECK(s.polling->events == std::vector<std::string>{"send", "close"});
  CHECK(s.machine.state() == SessionMachine::State::closed);
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::forced_close});
  CHECK(s.env.armed.empty());
  s.expect_no_precondition_violations();
}

TEST_CASE("close on polling with nothing buffered finishes on the next GET", "[session_machine]") {
  Session s;
  s.open_on_polling();

  s.machine.close();
  CHECK(s.machine.state() == SessionMachine::State::closing);
  CHECK(s.env.is_armed(SessionTimer::close_timeout));

  s.poll();
  CHECK(s.polling->sends.empty());
  CHECK(s.polling->closes == 1);
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::forced_close});
  CHECK(s.env.armed.empty());
}

TEST_CASE("the close timeout finishes a close that no GET came for", "[session_machine]") {
  Session s;
  s.open_on_polling();
  s.machine.send(encode_packet(PacketType::message, "never delivered"));
  s.machine.close();
  REQUIRE(s.env.is_armed(SessionTimer::close_timeout));

  s.machine.on_timer(SessionTimer::close_timeout);
  CHECK(s.machine.state() == SessionMachine::State::closed);
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::forced_close});
  CHECK(s.polling->closes == 1);
  CHECK(s.polling->sends.empty());
  CHECK(s.machine.buffered() == 0);
  CHECK(s.env.armed.empty());
}

TEST_CASE("close keeps the reason it was given", "[session_machine]") {
  Session s;
  s.open_on_polling();
  s.machine.close(CloseReason::server_shutdown);
  s.machine.on_timer(SessionTimer::close_timeout);
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::server_shutdown});
}

TEST_CASE("packets from the client are ignored while closing", "[session_machine]") {
  Session s;
  s.open_on_polling();
  s.machine.close();

  s.machine.on_transport_packet(*s.polling, packet(PacketType::message, "late"));
  s.machine.on_transport_packet(*s.polling, packet(PacketType::ping));
  CHECK(s.env.messages.empty());
  CHECK(s.env.closes.empty());
  CHECK(s.machine.state() == SessionMachine::State::closing);
}

TEST_CASE("a close requested during an upgrade finishes once the upgrade completes", "[session_machine]") {
  Session s;
  s.probe();  // the client has paused polling
  s.machine.send(encode_packet(PacketType::message, "last words"));
  s.machine.close();
  REQUIRE(s.machine.state() == SessionMachine::State::closing);

  s.machine.on_transport_packet(*s.websocket, packet(PacketType::upgrade));
  CHECK(s.websocket->events == std::vector<std::string>{"send", "close"});
  CHECK(s.websocket->sends == std::vector<Frames>{{"4last words"}});
  CHECK(s.machine.state() == SessionMachine::State::closed);
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::forced_close});
  CHECK(s.env.armed.empty());
}

TEST_CASE("the client closing the transport ends the session with transport close", "[session_machine]") {
  Session s;
  s.open_on_polling();
  s.machine.send(encode_packet(PacketType::message, "pending"));

  s.machine.on_transport_close(*s.polling);
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::transport_close});
  CHECK(s.machine.state() == SessionMachine::State::closed);
  CHECK(s.polling->closes == 1);
  CHECK(s.polling->sends.empty());
  CHECK(s.env.armed.empty());
}

TEST_CASE("a transport error ends the session with transport error", "[session_machine]") {
  Session s;
  s.open_on_websocket();

  s.machine.on_transport_error(*s.websocket, "websocket error");
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::transport_error});
  CHECK(s.machine.state() == SessionMachine::State::closed);
  CHECK(s.websocket->closes == 1);
  CHECK(s.env.armed.empty());
}

TEST_CASE("a parse error ends the session with parse error", "[session_machine]") {
  Session s;
  s.open_on_polling();

  s.machine.on_transport_parse_error(*s.polling);
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::parse_error});
  CHECK(s.machine.state() == SessionMachine::State::closed);
  CHECK(s.polling->closes == 1);
  CHECK(s.env.armed.empty());
}

TEST_CASE("the close is delivered exactly once whatever happens afterwards", "[session_machine]") {
  Session s;
  s.open_on_polling();
  s.machine.close();
  s.poll();  // finishes the close
  REQUIRE(s.env.closes == std::vector<CloseReason>{CloseReason::forced_close});
  const auto closes_before = s.polling->closes;

  s.machine.abort(CloseReason::server_shutdown);
  s.machine.close();
  for (auto timer : kAllTimers) s.machine.on_timer(timer);
  s.machine.on_transport_close(*s.polling);
  s.machine.on_transport_error(*s.polling, "late");
  s.machine.on_transport_parse_error(*s.polling);
  s.machine.on_transport_packet(*s.polling, packet(PacketType::ping));
  s.machine.on_transport_packet(*s.polling, packet(PacketType::message, "late"));
  s.poll();

  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::forced_close});
  CHECK(s.env.messages.empty());
  CHECK(s.env.armed.empty());  // no timer was started after the close
  CHECK(s.polling->sends.empty());
  CHECK(s.polling->closes >= closes_before);
  CHECK(s.machine.state() == SessionMachine::State::closed);
}

TEST_CASE("abort after an abort does not deliver a second close", "[session_machine]") {
  Session s;
  s.open_on_websocket();
  s.machine.abort(CloseReason::server_shutdown);
  s.machine.abort(CloseReason::transport_error);
  s.machine.on_timer(SessionTimer::ping_timeout);
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::server_shutdown});
}

TEST_CASE("send after close is ignored", "[session_machine]") {
  Session s;
  s.open_on_polling();

  SECTION("while closing") {
    s.machine.close();
    s.machine.send(encode_packet(PacketType::message, "too late"));
    CHECK(s.machine.buffered() == 0);
    s.poll();
    CHECK(s.polling->sends.empty());
    CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::forced_close});
  }
  SECTION("once closed") {
    s.machine.abort(CloseReason::forced_close);
    s.polling->park();
    s.machine.send(encode_packet(PacketType::message, "too late"));
    CHECK(s.machine.buffered() == 0);
    CHECK(s.polling->sends.empty());
  }
}

// ---------------------------------------------------------------------------
// Stale and unknown transports

TEST_CASE("upcalls from a stale or unknown transport are ignored", "[session_machine]") {
  Session s;
  auto unknown = std::make_shared<FakeTransport>("websocket", true);
  s.probe();
  s.machine.on_transport_packet(*s.websocket, packet(PacketType::upgrade));
  REQUIRE(s.machine.transport() == s.websocket);
  auto& stale = *s.polling;
  s.env.forget();
  s.websocket->events.clear();
  const auto stale_events = stale.events;

  for (socketio::transport::Transport* from : {static_cast<socketio::transport::Transport*>(&stale),
                                               static_cast<socketio::transport::Transport*>(unknown.get())}) {
    s.machine.on_transport_packet(*from, packet(PacketType::message, "ghost"));
    s.machine.on_transport_packet(*from, packet(PacketType::ping));
    s.machine.on_transport_packet(*from, packet(PacketType::pong));
    s.machine.on_transport_packet(*from, packet(PacketType::upgrade));
    s.machine.on_transport_ready(*from);
    s.machine.on_transport_close(*from);
    s.machine.on_transport_error(*from, "ghost");
    s.machine.on_transport_parse_error(*from);
  }

  CHECK(s.machine.state() == SessionMachine::State::open);
  CHECK(s.machine.transport() == s.websocket);
  CHECK(s.env.messages.empty());
  CHECK(s.env.closes.empty());
  CHECK(s.env.started.empty());
  CHECK(s.env.cancelled.empty());
  CHECK(s.websocket->events.empty());
  CHECK(unknown->events.empty());
  CHECK(stale.events == stale_events);
}

TEST_CASE("upcalls from an unknown transport are ignored before any upgrade", "[session_machine]") {
  Session s;
  s.open_on_polling();
  auto unknown = std::make_shared<FakeTransport>("polling", true);

  s.machine.send(encode_packet(PacketType::message, "queued"));
  s.machine.on_transport_ready(*unknown);
  s.machine.on_transport_packet(*unknown, packet(PacketType::message, "ghost"));
  s.machine.on_transport_close(*unknown);
  s.machine.on_transport_error(*unknown, "ghost");
  s.machine.on_transport_parse_error(*unknown);

  CHECK(unknown->events.empty());
  CHECK(s.machine.buffered() == 1);
  CHECK(s.env.messages.empty());
  CHECK(s.env.closes.empty());
  CHECK(s.machine.state() == SessionMachine::State::open);
}

// ---------------------------------------------------------------------------
// Before open. The Server registers a session (where Server::close() can
// find it and abort it from another thread) before it posts start() to the
// session's strand, so abort() can reach a machine that has no transport yet.

TEST_CASE("abort before open ends the session once and a later open does not revive it",
          "[session_machine]") {
  Session s;
  REQUIRE(s.machine.state() == SessionMachine::State::opening);

  s.machine.abort(CloseReason::server_shutdown);
  CHECK(s.machine.state() == SessionMachine::State::closed);
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::server_shutdown});

  s.machine.open(s.polling);
  CHECK(s.machine.state() == SessionMachine::State::closed);
  CHECK(s.polling->sends.empty());
  CHECK(s.env.armed.empty());
  CHECK(s.env.closes.size() == 1);
}

TEST_CASE("a client that never polls is cut off once its queued output passes the limit", "[session_machine]") {
  Session s;
  s.open_on_polling();  // the handshake GET carried OPEN; no GET is parked now
  const std::string kilobyte(1000, 'x');
  const std::size_t limit = test_config().max_buffered_bytes;
  std::size_t queued = 0;
  while (queued + 1001 <= limit) {
    s.machine.send(socketio::engine::encode_packet(PacketType::message, kilobyte));
    queued += 1001;
  }
  CHECK(s.env.closes.empty());
  s.machine.send(socketio::engine::encode_packet(PacketType::message, kilobyte));
  CHECK(s.env.closes == std::vector<CloseReason>{CloseReason::transport_error});
  CHECK(s.machine.state() == SessionMachine::State::closed);
  CHECK(s.machine.buffered() == 0);
}

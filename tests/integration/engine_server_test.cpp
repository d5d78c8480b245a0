// engine::Server against real sockets on 127.0.0.1: HTTP long-polling,
// WebSocket, the upgrade between them, heartbeats, refusals, hostile input
// and shutdown. Expected behaviour is Node's engine.io 6.6 (see the notes on
// each test where the library deliberately differs).
//
// Every test ends with ServerFixture::shutdown(), which closes the server and
// requires the io_context to run out of work by itself: that proves there is
// no leaked timer, parked request or connection.

#include <catch2/catch.hpp>
#include <random>

#include "support.hpp"

using namespace it;
using socketio::engine::CloseReason;

namespace {

const std::string kPath = "/engine.io/";
const std::string kHandshake = kPath + "?EIO=4&transport=polling";

std::string error_body(int code, const std::string& message) {
  return "{\"code\":" + std::to_string(code) + ",\"message\":\"" + message + "\"}";
}

engine::Options slow_ping_options() {
  // For tests that need a GET to stay parked: no PING may answer it.
  engine::Options options = test_options();
  options.ping_interval = 3000ms;
  options.ping_timeout = 3000ms;
  return options;
}

std::string ws_target(const std::string& sid = {}) {
  return kPath + "?EIO=4&transport=websocket" + (sid.empty() ? "" : "&sid=" + sid);
}

void require_drained(ServerFixture& fx) {
  INFO("the io_context must run out of work by itself after server.close()");
  REQUIRE(fx.shutdown(5000ms));
}

}  // namespace

TEST_CASE("polling handshake answers OPEN with Node's headers", "[engine][polling]") {
  ServerFixture fx;
  auto r = http_request(fx.port(), "GET", kHandshake);
  REQUIRE(r.received);
  CHECK(r.status == 200);
  REQUIRE(r.body.size() > 2);
  CHECK(r.body.compare(0, 2, "0{") == 0);
  CHECK(r.header("Content-Type") == "text/plain; charset=UTF-8");
  CHECK(lower(r.header("Connection")) != "close");  // persistent: HTTP/1.1 keep-alive
  CHECK(r.header("Cache-Control").find("no-store") != std::string::npos);
  CHECK(r.header("Content-Length") == std::to_string(r.body.size()));

  const std::string json = r.body.substr(1);
  auto sid = json_member(json, "sid");
  REQUIRE(sid);
  CHECK(sid->size() == 20);
  CHECK(json_member(json, "upgrades") == std::optional<std::string>("[\"websocket\"]"));
  CHECK(json_member(json, "pingInterval") == std::optional<std::string>("200"));
  CHECK(json_member(json, "pingTimeout") == std::optional<std::string>("200"));
  CHECK(json_member(json, "maxPayload") == std::optional<std::string>("1000000"));

  // The session exists, was announced and is counted.
  CHECK(fx.wait_session(*sid) != nullptr);
  CHECK(fx.server().clients_count() == 1);
  CHECK(fx.session(*sid)->request().query_param("EIO") != nullptr);
  CHECK(fx.session(*sid)->request().remote_address == "127.0.0.1");

  require_drained(fx);
  CHECK(fx.close_reason(*sid) == CloseReason::server_shutdown);
}

TEST_CASE("polling: POST then GET echoes text", "[engine][polling]") {
  ServerFixture fx;
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);
  REQUIRE_FALSE(pc.sid.empty());

  auto post = pc.post("4hello");
  CHECK(post.status == 200);
  CHECK(post.body == "ok");
  CHECK(post.header("Content-Type") == "text/html");
  CHECK(post.header("Access-Control-Allow-Origin").empty());  // CORS is off by default

  auto packets = pc.poll();
  INFO("last GET: " << pc.last.raw);
  CHECK(packets == std::vector<std::string>{"4hello"});
  CHECK(pc.last.header("Content-Type") == "text/plain; charset=UTF-8");
  if (pc.pings_answered == 0) CHECK(pc.last.body == "4hello");

  auto messages = fx.messages(pc.sid);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].data == "hello");
  CHECK_FALSE(messages[0].binary);
  CHECK(messages[0].transport == "polling");

  // The session survives several heartbeats when the client answers PINGs.
  for (int i = 0; i < 3; ++i) {
    REQUIRE(pc.post("4again" + std::to_string(i)).status == 200);
    CHECK(pc.poll() == std::vector<std::string>{"4again" + std::to_string(i)});
  }
  CHECK_FALSE(fx.close_reason(pc.sid));

  require_drained(fx);
}

TEST_CASE("polling: binary messages travel as base64 and are echoed", "[engine][polling]") {
  ServerFixture fx;
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);

  auto post = pc.post("bAQIDBA==");
  CHECK(post.status == 200);
  CHECK(post.body == "ok");
  CHECK(pc.poll() == std::vector<std::string>{"bAQIDBA=="});

  auto messages = fx.messages(pc.sid);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].binary);
  CHECK(messages[0].data == std::string("\x01\x02\x03\x04", 4));

  require_drained(fx);
}

TEST_CASE("polling: several packets in one POST come back joined, in order", "[engine][polling]") {
  ServerFixture fx;
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);

  const std::vector<std::string> sent{"4first", "bAQIDBA==", "4", "4third \xc3\xa9", "bAA=="};
  REQUIRE(pc.post(join_payload(sent)).status == 200);
  auto packets = pc.poll();
  CHECK(packets == sent);
  if (pc.pings_answered == 0) CHECK(pc.last.body == join_payload(sent));

  auto messages = fx.messages(pc.sid);
  REQUIRE(messages.size() == 5);
  CHECK(messages[0].data == "first");
  CHECK(messages[1].binary);
  CHECK(messages[2].data.empty());
  CHECK(messages[3].data == "third \xc3\xa9");
  CHECK(messages[4].data == std::string(1, '\0'));

  require_drained(fx);
}

TEST_CASE("polling: a parked GET is answered by a later server-side send", "[engine][polling]") {
  ServerFixture fx(slow_ping_options());
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);
  auto session = fx.wait_session(pc.sid);
  REQUIRE(session);

  auto parked = std::async(std::launch::async, [&] { return pc.get(); });
  CHECK(parked.wait_for(200ms) == std::future_status::timeout);  // it is parked
  session->send_text("later");  // from the test thread
  REQUIRE(parked.wait_for(3s) == std::future_status::ready);
  auto r = parked.get();
  CHECK(r.status == 200);
  CHECK(r.body == "4later");

  // The usual client pattern: a GET stays parked while a POST arrives on
  // another connection; the echo releases the GET.
  auto parked2 = std::async(std::launch::async, [&] { return pc.get(); });
  REQUIRE(parked2.wait_for(100ms) == std::future_status::timeout);
  auto post = pc.post("4ping-pong");
  CHECK(post.status == 200);
  REQUIRE(parked2.wait_for(3s) == std::future_status::ready);
  CHECK(parked2.get().body == "4ping-pong");

  // Sends queued while no GET is parked go out together with the next one.
  session->send_text("one");
  session->send_binary(std::string("\xff\x00", 2));
  session->send_text("two");
  std::this_thread::sleep_for(50ms);
  auto next = pc.get();
  CHECK(next.status == 200);
  CHECK(next.body == join_payload({"4one", "b/wA=", "4two"}));

  require_drained(fx);
}

TEST_CASE("refused requests carry Node's status, code and message", "[engine][polling][refusal]") {
  ServerFixture fx;
  const auto port = fx.port();

  auto check_refusal = [](const HttpResult& r, int code, const std::string& message) {
    INFO("response: " << r.raw);
    CHECK(r.status == 400);
    CHECK(r.body == error_body(code, message));
    CHECK(r.header("Content-Type") == "application/json");
  };

  SECTION("unknown sid") {
    check_refusal(http_request(port, "GET", kHandshake + "&sid=AAAAAAAAAAAAAAAAAAAA"), 1, "Session ID unknown");
    check_refusal(http_request(port, "POST", kHandshake + "&sid=nope", "4x"), 1, "Session ID unknown");
  }
  SECTION("unknown or missing transport") {
    check_refusal(http_request(port, "GET", kPath + "?EIO=4&transport=carrier-pigeon"), 0, "Transport unknown");
    check_refusal(http_request(port, "GET", kPath + "?EIO=4"), 0, "Transport unknown");
  }
  SECTION("handshake with POST") {
    check_refusal(http_request(port, "POST", kHandshake, "4x"), 2, "Bad handshake method");
  }
  SECTION("missing or bad EIO") {
    check_refusal(http_request(port, "GET", kPath + "?transport=polling"), 5, "Unsupported protocol version");
    check_refusal(http_request(port, "GET", kPath + "?EIO=abc&transport=polling"), 5,
                  "Unsupported protocol version");
    check_refusal(http_request(port, "GET", kPath + "?EIO=3&transport=polling"), 5, "Unsupported protocol version");
  }
  SECTION("transport=websocket over plain HTTP") {
    check_refusal(http_request(port, "GET", kPath + "?EIO=4&transport=websocket"), 3, "Bad request");
  }
  SECTION("a polling request with the sid of a polling session but transport=websocket") {
    PollingClient pc(port);
    REQUIRE(pc.handshake().status == 200);
    check_refusal(http_request(port, "GET", kPath + "?EIO=4&transport=websocket&sid=" + pc.sid), 3, "Bad request");
  }
  SECTION("a path outside the engine path") {
    auto r = http_request(port, "GET", "/elsewhere/?EIO=4&transport=polling");
    CHECK(r.status == 404);
    auto r2 = http_request(port, "GET", "/engine.iox/?EIO=4&transport=polling");
    CHECK(r2.status == 404);
  }
  SECTION("WebSocket upgrades are refused the same way") {
    WsClient unknown_sid(port, ws_target("AAAAAAAAAAAAAAAAAAAA"));
    CHECK_FALSE(unknown_sid.wait_open());
    CHECK(unknown_sid.http_status() == 400);
    WsClient bad_eio(port, kPath + "?EIO=5&transport=websocket");
    CHECK_FALSE(bad_eio.wait_open());
    CHECK(bad_eio.http_status() == 400);
    WsClient elsewhere(port, "/elsewhere/?EIO=4&transport=websocket");
    CHECK_FALSE(elsewhere.wait_open());
    CHECK(elsewhere.http_status() == 404);
  }

  CHECK(fx.wait_clients_count(0));
  require_drained(fx);
}

TEST_CASE("polling: a second GET while one is parked closes the session", "[engine][polling]") {
  ServerFixture fx(slow_ping_options());
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);

  auto first = std::async(std::launch::async, [&] { return pc.get(); });
  REQUIRE(first.wait_for(200ms) == std::future_status::timeout);
  auto second = pc.get();
  CHECK(second.status == 400);
  REQUIRE(first.wait_for(3s) == std::future_status::ready);
  auto r = first.get();
  CHECK(r.status == 200);
  CHECK(r.body == "1");

  CHECK(fx.wait_close(pc.sid) == CloseReason::transport_error);
  auto after = pc.get();
  CHECK(after.status == 400);
  CHECK(after.body == error_body(1, "Session ID unknown"));
  CHECK(fx.server().clients_count() == 0);

  require_drained(fx);
}

TEST_CASE("polling: a malformed POST body closes the session with parse error", "[engine][polling]") {
  ServerFixture fx(slow_ping_options());
  std::string body;
  SECTION("unknown packet type") { body = "9oops"; }
  SECTION("empty packet between separators") { body = std::string("4a\x1e\x1e") + "4b"; }
  SECTION("bad base64") { body = "b!!!!"; }
  SECTION("invalid UTF-8") { body = "4\xff\xfe"; }

  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);
  auto r = pc.post(body);
  // Node answers 200 "ok" and then closes the session; this library answers
  // 400. Either way the client's session is over: only the close is checked.
  UNSCOPED_INFO("status of the malformed POST: " << r.status);
  CHECK(fx.wait_close(pc.sid) == CloseReason::parse_error);
  // (Node would still deliver the packets before the bad one in a
  // multi-packet body; this library delivers none. Only single-packet
  // bodies are checked here.)
  if (body.find('\x1e') == std::string::npos) CHECK(fx.messages(pc.sid).empty());
  CHECK(fx.wait_clients_count(0));
  CHECK(pc.get().body == error_body(1, "Session ID unknown"));

  require_drained(fx);
}

TEST_CASE("polling: a POST over max_http_buffer_size gets 413 and closes the session", "[engine][polling]") {
  engine::Options options = slow_ping_options();
  options.max_http_buffer_size = 1000;
  ServerFixture fx(options);
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);
  CHECK(json_member(pc.open_json, "maxPayload") == std::optional<std::string>("1000"));

  // Exactly the limit is fine.
  auto ok = pc.post("4" + std::string(999, 'x'));
  CHECK(ok.status == 200);

  auto r = pc.post("4" + std::string(1500, 'x'));
  CHECK(r.status == 413);
  CHECK(fx.wait_close(pc.sid) == CloseReason::transport_error);
  CHECK(fx.wait_clients_count(0));

  require_drained(fx);
}

TEST_CASE("polling: a chunked POST is refused", "[engine][polling]") {
  ServerFixture fx(slow_ping_options());
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);

  auto r = http_request(fx.port(), "POST", pc.target(), "6\r\n4hello\r\n0\r\n\r\n",
                        {{"Transfer-Encoding", "chunked"}});
  INFO("response: " << r.raw);
  REQUIRE(r.received);
  CHECK(r.status >= 400);
  CHECK(r.status < 500);
  // Nothing was delivered from it.
  std::this_thread::sleep_for(50ms);
  CHECK(fx.messages(pc.sid).empty());

  require_drained(fx);
}

TEST_CASE("websocket: a direct connection opens without upgrades and echoes", "[engine][websocket]") {
  ServerFixture fx;
  WsClient ws(fx.port(), ws_target());
  REQUIRE(ws.wait_open());
  auto open = ws.next();
  REQUIRE(open);
  CHECK_FALSE(open->binary);
  REQUIRE(open->data.size() > 2);
  CHECK(open->data.compare(0, 2, "0{") == 0);
  const std::string json = open->data.substr(1);
  CHECK(json_member(json, "upgrades") == std::optional<std::string>("[]"));
  CHECK(json_member(json, "pingInterval") == std::optional<std::string>("200"));
  const std::string sid = json_member(json, "sid").value_or("");
  REQUIRE(sid.size() == 20);
  REQUIRE(fx.wait_session(sid));

  ws.send_text("4hello");
  auto echo = ws.next();
  REQUIRE(echo);
  CHECK(echo->data == "4hello");
  CHECK_FALSE(echo->binary);

  const std::string bytes("\x01\x02\x00\xff", 4);
  ws.send_binary(bytes);
  auto bin = ws.next();
  REQUIRE(bin);
  CHECK(bin->binary);
  CHECK(bin->data == bytes);

  auto messages = fx.messages(sid);
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].transport == "websocket");
  CHECK(messages[1].binary);
  CHECK(fx.transport_on_strand(sid) == "websocket");

  // A server-side send from the test thread.
  fx.session(sid)->send_text("pushed");
  auto pushed = ws.next();
  REQUIRE(pushed);
  CHECK(pushed->data == "4pushed");

  // The client leaving closes the session.
  ws.close();
  CHECK(fx.wait_close(sid) == CloseReason::transport_close);
  CHECK(fx.wait_clients_count(0));

  require_drained(fx);
}

TEST_CASE("polling: a CLOSE packet releases the parked GET and ends the session", "[engine][polling]") {
  ServerFixture fx(slow_ping_options());
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);
  auto parked = std::async(std::launch::async, [&] { return pc.get(); });
  REQUIRE(parked.wait_for(100ms) == std::future_status::timeout);
  auto post = pc.post("1");
  CHECK(post.status == 200);
  REQUIRE(parked.wait_for(3s) == std::future_status::ready);
  CHECK(parked.get().body == "6");  // Node answers the parked GET with NOOP
  CHECK(fx.wait_close(pc.sid) == CloseReason::transport_close);
  CHECK(fx.wait_clients_count(0));
  require_drained(fx);
}

TEST_CASE("polling: protocol violations close the session", "[engine][polling]") {
  ServerFixture fx(slow_ping_options());
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);
  SECTION("a binary (v3) POST body") {
    auto r = pc.post("\x01\x02", {{"Content-Type", "application/octet-stream"}});
    CHECK(r.status == 400);
    CHECK(fx.wait_close(pc.sid) == CloseReason::transport_error);
  }
  SECTION("a PING from the client") {
    CHECK(pc.post("2").status == 200);
    CHECK(fx.wait_close(pc.sid) == CloseReason::transport_error);
  }
  SECTION("a method other than GET or POST with a sid") {
    auto r = http_request(fx.port(), "PUT", pc.target(), "4x");
    CHECK(r.status == 500);  // as Node
    CHECK_FALSE(fx.close_reason(pc.sid));
  }
  require_drained(fx);
}

TEST_CASE("websocket: protocol violations close the session", "[engine][websocket]") {
  ServerFixture fx;
  WsClient ws(fx.port(), ws_target());
  REQUIRE(ws.wait_open());
  auto open = ws.next();
  REQUIRE(open);
  const std::string sid = json_member(open->data.substr(1), "sid").value_or("");
  REQUIRE(fx.wait_session(sid));
  SECTION("an unknown packet type") {
    ws.send_text("9oops");
    CHECK(fx.wait_close(sid) == CloseReason::parse_error);
  }
  SECTION("a PING from the client") {
    ws.send_text("2");
    CHECK(fx.wait_close(sid) == CloseReason::transport_error);
  }
  SECTION("polling with the sid of a WebSocket session") {
    auto r = http_request(fx.port(), "GET", kHandshake + "&sid=" + sid);
    CHECK(r.status == 400);
    CHECK(r.body == error_body(3, "Bad request"));
    CHECK_FALSE(fx.close_reason(sid));
  }
  SECTION("a second WebSocket with the sid of a WebSocket session") {
    WsClient second(fx.port(), ws_target(sid));
    CHECK(second.wait_closed());
    ws.send_text("4ok");
    auto echo = ws.next();
    REQUIRE(echo);
    CHECK(echo->data == "4ok");
  }
  CHECK(fx.messages(sid).size() <= 1);
  require_drained(fx);
}

TEST_CASE("websocket: a CLOSE packet ends the session", "[engine][websocket]") {
  ServerFixture fx;
  WsClient ws(fx.port(), ws_target());
  REQUIRE(ws.wait_open());
  auto open = ws.next();
  REQUIRE(open);
  const std::string sid = json_member(open->data.substr(1), "sid").value_or("");
  ws.send_text("1");
  CHECK(fx.wait_close(sid) == CloseReason::transport_close);
  CHECK(ws.wait_closed());
  require_drained(fx);
}

TEST_CASE("websocket: a frame over maxPayload closes with 1009", "[engine][websocket]") {
  engine::Options options = test_options();
  options.max_http_buffer_size = 1000;
  ServerFixture fx(options);
  WsClient ws(fx.port(), ws_target());
  REQUIRE(ws.wait_open());
  auto open = ws.next();
  REQUIRE(open);
  const std::string sid = json_member(open->data.substr(1), "sid").value_or("");
  REQUIRE(fx.wait_session(sid));

  ws.send_text("4" + std::string(999, 'x'));  // exactly the limit
  auto echo = ws.next();
  REQUIRE(echo);
  CHECK(echo->data.size() == 1000);

  ws.send_text("4" + std::string(2000, 'x'));
  REQUIRE(ws.wait_closed());
  CHECK(ws.remote_close_code() == 1009);
  CHECK(fx.wait_close(sid) == CloseReason::transport_error);
  CHECK(fx.wait_clients_count(0));

  require_drained(fx);
}

TEST_CASE("websocket: PONGs keep the session alive over several intervals", "[engine][websocket][heartbeat]") {
  ServerFixture fx;
  WsClient ws(fx.port(), ws_target(), /*auto_pong=*/true);
  REQUIRE(ws.wait_open());
  auto open = ws.next();
  REQUIRE(open);
  const std::string sid = json_member(open->data.substr(1), "sid").value_or("");
  REQUIRE(fx.wait_session(sid));

  std::this_thread::sleep_for(1100ms);  // five intervals of 200 ms (+ the PONG round trips)
  CHECK(ws.pings() >= 3);
  CHECK_FALSE(fx.close_reason(sid));
  CHECK(ws.is_open());
  ws.send_text("4still here");
  auto echo = ws.next();
  REQUIRE(echo);
  CHECK(echo->data == "4still here");

  require_drained(fx);
  CHECK(fx.close_reason(sid) == CloseReason::server_shutdown);
}

TEST_CASE("websocket: silence closes the session with ping timeout", "[engine][websocket][heartbeat]") {
  ServerFixture fx;
  WsClient ws(fx.port(), ws_target(), /*auto_pong=*/false);
  REQUIRE(ws.wait_open());
  auto open = ws.next();
  REQUIRE(open);
  const std::string sid = json_member(open->data.substr(1), "sid").value_or("");
  REQUIRE(fx.wait_session(sid));
  const auto start = Clock::now();

  auto ping = ws.next(1000ms);
  REQUIRE(ping);
  CHECK(ping->data == "2");
  CHECK(fx.wait_close(sid, 2000ms) == CloseReason::ping_timeout);
  const auto elapsed = std::chrono::duration_cast<Ms>(Clock::now() - start);
  CHECK(elapsed >= 350ms);  // ping_interval + ping_timeout, minus scheduling slack
  CHECK(ws.wait_closed());
  CHECK(fx.wait_clients_count(0));

  require_drained(fx);
}

TEST_CASE("polling: a silent polling client is closed by ping timeout", "[engine][polling][heartbeat]") {
  ServerFixture fx;
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);
  CHECK(fx.wait_close(pc.sid, 2000ms) == CloseReason::ping_timeout);
  // The PING the server queued is never delivered; the sid is gone.
  CHECK(pc.get().body == error_body(1, "Session ID unknown"));
  require_drained(fx);
}

TEST_CASE("polling: a client that polls but never answers PING gets CLOSE on its parked GET",
          "[engine][polling][heartbeat]") {
  ServerFixture fx;
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);
  auto ping = pc.get();  // released by the first PING
  CHECK(ping.body == "2");
  auto last = pc.get();  // parked; no PONG was sent
  CHECK(last.status == 200);
  CHECK(last.body == "1");
  CHECK(fx.wait_close(pc.sid) == CloseReason::ping_timeout);
  require_drained(fx);
}

TEST_CASE("Session::close flushes queued messages, then CLOSE", "[engine][polling][websocket]") {
  ServerFixture fx(slow_ping_options());
  SECTION("polling") {
    PollingClient pc(fx.port());
    REQUIRE(pc.handshake().status == 200);
    auto session = fx.wait_session(pc.sid);
    REQUIRE(session);
    session->send_text("bye");
    session->close();
    std::vector<std::string> packets;
    for (int i = 0; i < 3 && (packets.empty() || packets.back() != "1"); ++i) {
      auto r = pc.get();
      REQUIRE(r.status == 200);
      for (auto& p : split_payload(r.body)) packets.push_back(p);
    }
    // Node sends "4bye", then "6\x1e1" (NOOP then CLOSE) on the next poll.
    packets.erase(std::remove(packets.begin(), packets.end(), "6"), packets.end());
    CHECK(packets == std::vector<std::string>{"4bye", "1"});
    CHECK(fx.wait_close(pc.sid) == CloseReason::forced_close);
  }
  SECTION("websocket") {
    WsClient ws(fx.port(), ws_target());
    REQUIRE(ws.wait_open());
    auto open = ws.next();
    REQUIRE(open);
    const std::string sid = json_member(open->data.substr(1), "sid").value_or("");
    auto session = fx.wait_session(sid);
    REQUIRE(session);
    session->send_text("bye");
    session->close();
    auto bye = ws.next();
    REQUIRE(bye);
    CHECK(bye->data == "4bye");
    CHECK(ws.wait_closed());
    CHECK(fx.wait_close(sid) == CloseReason::forced_close);
  }
  CHECK(fx.wait_clients_count(0));
  require_drained(fx);
}

namespace {

/// GETs until a response contains NOOP ("6"), answering PINGs; returns the
/// last response.
HttpResult wait_for_noop(PollingClient& pc, std::future<HttpResult> parked) {
  HttpResult r = parked.get();
  for (int i = 0; i < 5; ++i) {
    auto packets = split_payload(r.body);
    if (r.status != 200 || std::find(packets.begin(), packets.end(), "6") != packets.end()) return r;
    if (std::find(packets.begin(), packets.end(), "2") != packets.end()) pc.post("3");
    r = pc.get();
  }
  return r;
}

}  // namespace

TEST_CASE("upgrade: polling to websocket", "[engine][upgrade]") {
  engine::Options options = test_options();
  options.ping_interval = 500ms;
  options.ping_timeout = 500ms;
  ServerFixture fx(options);
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);
  REQUIRE(fx.wait_session(pc.sid));
  CHECK(fx.transport_on_strand(pc.sid) == "polling");

  // A message before the upgrade, over polling.
  REQUIRE(pc.post("4before").status == 200);
  CHECK(pc.poll() == std::vector<std::string>{"4before"});

  auto parked = std::async(std::launch::async, [&] { return pc.get(); });
  std::this_thread::sleep_for(50ms);

  WsClient ws(fx.port(), ws_target(pc.sid));
  REQUIRE(ws.wait_open());
  ws.send_text("2probe");
  auto probe = ws.next();
  REQUIRE(probe);
  CHECK(probe->data == "3probe");

  // The parked GET is released with NOOP so the client can finish.
  REQUIRE(parked.wait_for(3s) == std::future_status::ready);
  auto released = wait_for_noop(pc, std::move(parked));
  CHECK(released.status == 200);
  CHECK(released.body == "6");
  CHECK(fx.transport_on_strand(pc.sid) == "polling");  // not yet upgraded

  // A server-side send while the client has paused polling: it waits in the
  // buffer and goes out over the WebSocket once the upgrade is done.
  fx.session(pc.sid)->send_text("during upgrade");
  std::this_thread::sleep_for(150ms);  // past an upgrade-check tick

  ws.send_text("5");
  auto during = ws.next();
  REQUIRE(during);
  CHECK(during->data == "4during upgrade");
  ws.send_text("4over websocket");
  auto echo = ws.next();
  REQUIRE(echo);
  CHECK(echo->data == "4over websocket");
  ws.send_binary(std::string("\x00\x01", 2));
  auto bin = ws.next();
  REQUIRE(bin);
  CHECK(bin->binary);
  CHECK(bin->data == std::string("\x00\x01", 2));

  auto messages = fx.messages(pc.sid);
  REQUIRE(messages.size() == 3);
  CHECK(messages[0].transport == "polling");
  CHECK(messages[1].transport == "websocket");
  CHECK(messages[2].transport == "websocket");
  CHECK(fx.transport_on_strand(pc.sid) == "websocket");

  // Server-side sends now go over the WebSocket.
  fx.session(pc.sid)->send_text("pushed");
  auto pushed = ws.next();
  REQUIRE(pushed);
  CHECK(pushed->data == "4pushed");

  SECTION("a polling GET after the upgrade gets 400") {
    auto r = pc.get();
    CHECK(r.status == 400);
    CHECK(r.body == error_body(3, "Bad request"));
    auto post = pc.post("4late");
    CHECK(post.status == 400);
  }
  SECTION("a second WebSocket with the same sid is closed") {
    WsClient second(fx.port(), ws_target(pc.sid));
    CHECK(second.wait_closed());
    // The session itself is untouched.
    ws.send_text("4still");
    auto still = ws.next();
    REQUIRE(still);
    CHECK(still->data == "4still");
  }
  SECTION("heartbeats continue over the WebSocket") {
    std::this_thread::sleep_for(1200ms);
    CHECK(ws.pings() >= 1);
    CHECK_FALSE(fx.close_reason(pc.sid));
  }

  CHECK_FALSE(fx.close_reason(pc.sid));
  CHECK(fx.server().clients_count() == 1);
  ws.close();
  CHECK(fx.wait_close(pc.sid) == CloseReason::transport_close);
  CHECK(fx.wait_clients_count(0));
  require_drained(fx);
}

TEST_CASE("upgrade: a failed upgrade leaves the session on polling", "[engine][upgrade]") {
  engine::Options options = slow_ping_options();
  options.upgrade_timeout = 300ms;
  ServerFixture fx(options);
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);

  SECTION("no probe: the upgrade times out and the server closes the WebSocket") {
    WsClient ws(fx.port(), ws_target(pc.sid));
    REQUIRE(ws.wait_open());
    CHECK(ws.wait_closed(2000ms));
  }
  SECTION("the client drops the WebSocket after the probe") {
    WsClient ws(fx.port(), ws_target(pc.sid));
    REQUIRE(ws.wait_open());
    ws.send_text("2probe");
    auto probe = ws.next();
    REQUIRE(probe);
    CHECK(probe->data == "3probe");
    ws.close();
    CHECK(ws.wait_closed());
  }
  SECTION("the client sends a message on the probe instead of UPGRADE") {
    WsClient ws(fx.port(), ws_target(pc.sid));
    REQUIRE(ws.wait_open());
    ws.send_text("2probe");
    REQUIRE(ws.next());
    ws.send_text("4not yet");
    CHECK(ws.wait_closed());  // as Node: the probe transport is closed
  }
  REQUIRE(pc.post("4after").status == 200);
  CHECK(pc.poll() == std::vector<std::string>{"4after"});
  CHECK(fx.transport_on_strand(pc.sid) == "polling");
  CHECK_FALSE(fx.close_reason(pc.sid));
  require_drained(fx);
}

TEST_CASE("a client that vanishes with a parked GET is closed by ping timeout", "[engine][polling][hostile]") {
  ServerFixture fx;
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);
  {
    RawConnection raw(fx.port());
    REQUIRE(raw.connected());
    raw.write("GET " + pc.target() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::this_thread::sleep_for(30ms);
    raw.reset();
  }
  CHECK(fx.wait_close(pc.sid, 3000ms) == CloseReason::ping_timeout);
  CHECK(fx.wait_clients_count(0));
  require_drained(fx);
}

namespace {

std::string random_garbage(std::mt19937& rng, std::uint16_t port) {
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  auto random_bytes = [&](std::size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(pick(256));
    return s;
  };
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  switch (pick(12)) {
    case 0:
      return random_bytes(1 + pick(2000));
    case 1:
      return random_bytes(1 + pick(200)) + "\r\n\r\n";
    case 2:
      return "GET " + kHandshake + "&sid=" + random_bytes(8) + " HTTP/1.1\r\n" + host + "\r\n";
    case 3:  // a body shorter than announced, then silence
      return "POST " + kHandshake + " HTTP/1.1\r\n" + host + "Content-Length: 50\r\n\r\n4abc";
    case 4:
      return "FOO BAR\r\n\r\n";
    case 5:
      return "GET " + kHandshake + " HTTP/1.1\r\n" + host + "Content-Length: -5\r\n\r\n";
    case 6:  // a broken WebSocket upgrade
      return "GET " + ws_target() + " HTTP/1.1\r\n" + host +
             "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 99\r\n\r\n";
    case 7:
      return "GET " + kPath + "?EIO=%zz&transport=%%%&sid=%00 HTTP/1.1\r\n" + host + "\r\n";
    case 8:  // a real handshake whose client never polls
      return "GET " + kHandshake + " HTTP/1.1\r\n" + host + "\r\n";
    case 9:
      return "POST " + kHandshake + "&sid=x HTTP/1.1\r\n" + host + "Content-Length: 99999999999999999999\r\n\r\n4";
    case 10:
      return "GET " + kHandshake + " HTTP/1.1\r\n" + host + "X-Junk: " + random_bytes(40) + "\r\n\r\n";
    default:  // a valid WebSocket upgrade, then garbage frames
      return "GET " + ws_target() + " HTTP/1.1\r\n" + host +
             "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" +
             random_bytes(1 + pick(300));
  }
}

}  // namespace

TEST_CASE("hostile input does not hurt the server", "[engine][hostile]") {
  ServerFixture fx;
  const auto port = fx.port();

  // A client that connects and sends nothing, for the whole test.
  RawConnection silent(port);
  REQUIRE(silent.connected());

  // A client that vanishes with a parked GET.
  PollingClient vanishing(port);
  REQUIRE(vanishing.handshake().status == 200);
  {
    RawConnection raw(port);
    raw.write("GET " + vanishing.target() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::this_thread::sleep_for(20ms);
    raw.reset();
  }

  // 200 connections of garbage, 10 at a time.
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 10; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1234 + t);
      for (int i = 0; i < 20; ++i) {
        auto r = http_raw(port, random_garbage(rng, port), 250ms);
        if (r.received) ++answered;
      }
    });
  }
  for (auto& t : threads) t.join();
  UNSCOPED_INFO(answered.load() << " of 200 garbage connections got an HTTP response");

  {  // oversize headers
    std::string request = "GET " + kHandshake + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " +
                          std::string(20000, 'a') + "\r\n\r\n";
    auto r = http_raw(port, request, 3000ms);
    INFO("response: " << r.raw.substr(0, 200));
    CHECK(r.status == 431);
    std::string many = "GET " + kHandshake + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < 2000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
    auto r2 = http_raw(port, many + "\r\n", 3000ms);
    CHECK(r2.status == 431);
  }
  {  // oversize WebSocket upgrade headers
    std::string request = "GET " + ws_target() +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Big: " +
                          std::string(20000, 'a') + "\r\n\r\n";
    auto r = http_raw(port, request, 3000ms);
    CHECK(r.status == 431);
  }

  // The server still serves a normal client, on both transports.
  PollingClient pc(port);
  auto handshake = pc.handshake();
  CHECK(handshake.status == 200);
  REQUIRE(pc.post("4alive").status == 200);
  CHECK(pc.poll() == std::vector<std::string>{"4alive"});
  {
    WsClient ws(port, ws_target());
    REQUIRE(ws.wait_open());
    REQUIRE(ws.next());
    ws.send_text("4alive");
    auto echo = ws.next();
    REQUIRE(echo);
    CHECK(echo->data == "4alive");
  }

  CHECK(fx.wait_close(vanishing.sid) == CloseReason::ping_timeout);
  silent.close();
  // Everybody but `pc` goes away (ping timeouts, closed sockets).
  CHECK(fx.wait_close(pc.sid, 3000ms) == CloseReason::ping_timeout);
  INFO("clients left: " << fx.server().clients_count());
  CHECK(fx.wait_clients_count(0, 3000ms));
  require_drained(fx);
}

TEST_CASE("many concurrent sessions echo independently", "[engine][polling][websocket]") {
  ServerFixture fx(slow_ping_options(), 2);
  const auto port = fx.port();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      if (t % 2) {
        PollingClient pc(port);
        if (pc.handshake().status != 200) {
          ++failures;
          return;
        }
        for (int i = 0; i < 10; ++i) {
          std::string msg = "4t" + std::to_string(t) + "-" + std::to_string(i);
          if (pc.post(msg).status != 200 || pc.poll() != std::vector<std::string>{msg}) ++failures;
        }
      } else {
        WsClient ws(port, ws_target());
        if (!ws.wait_open() || !ws.next()) {
          ++failures;
          return;
        }
        for (int i = 0; i < 50; ++i) ws.send_text("4w" + std::to_string(t) + "-" + std::to_string(i));
        for (int i = 0; i < 50; ++i) {
          auto m = ws.next();
          if (!m || m->data != "4w" + std::to_string(t) + "-" + std::to_string(i)) ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(fx.session_ids().size() == 8);
  require_drained(fx);
}

TEST_CASE("server.close() answers parked GETs and closes WebSockets", "[engine][shutdown]") {
  ServerFixture fx(slow_ping_options());
  PollingClient pc(fx.port());
  REQUIRE(pc.handshake().status == 200);
  auto parked = std::async(std::launch::async, [&] { return pc.get(); });
  REQUIRE(parked.wait_for(100ms) == std::future_status::timeout);

  WsClient ws(fx.port(), ws_target());
  REQUIRE(ws.wait_open());
  auto open = ws.next();
  REQUIRE(open);
  const std::string ws_sid = json_member(open->data.substr(1), "sid").value_or("");

  // An upgraded session too.
  PollingClient up(fx.port());
  REQUIRE(up.handshake().status == 200);
  WsClient upgraded(fx.port(), ws_target(up.sid));
  REQUIRE(upgraded.wait_open());
  upgraded.send_text("2probe");
  REQUIRE(upgraded.next());
  auto noop = up.get();
  CHECK(noop.body == "6");
  upgraded.send_text("5");
  CHECK(eventually([&] { return fx.transport_on_strand(up.sid) == "websocket"; }));

  REQUIRE(fx.wait_clients_count(3));
  fx.server().close();

  REQUIRE(parked.wait_for(3s) == std::future_status::ready);
  auto r = parked.get();
  CHECK(r.status == 200);
  CHECK(r.body == "1");
  CHECK(ws.wait_closed());
  CHECK(upgraded.wait_closed());
  CHECK(fx.wait_close(pc.sid) == CloseReason::server_shutdown);
  CHECK(fx.wait_close(ws_sid) == CloseReason::server_shutdown);
  CHECK(fx.wait_close(up.sid) == CloseReason::server_shutdown);
  CHECK(fx.wait_clients_count(0));
  CHECK(fx.close_count(pc.sid) == 1);

  // No new connections are accepted.
  CHECK(eventually([&] { return !http_request(fx.port(), "GET", kHandshake, {}, {}, 500ms).received; }));
  // Closing again is harmless.
  fx.server().close();
  require_drained(fx);
}

TEST_CASE("destroying the server without close() still lets the io_context drain", "[engine][shutdown]") {
  asio::io_context io;
  std::promise<void> done;
  auto server = std::make_unique<engine::Server>(io, test_options());
  server->listen("127.0.0.1", 0);
  const auto port = server->port();
  std::thread thread([&] {
    io.run();
    done.set_value();
  });
  PollingClient pc(port);
  REQUIRE(pc.handshake().status == 200);
  auto parked = std::async(std::launch::async, [&] { return pc.get(); });
  std::this_thread::sleep_for(50ms);
  server.reset();  // ~Server closes it
  auto r = parked.get();
  CHECK(r.status == 200);
  auto future = done.get_future();
  bool drained = future.wait_for(5s) == std::future_status::ready;
  if (!drained) io.stop();
  thread.join();
  CHECK(drained);
}

TEST_CASE("server.close() during a burst of new sessions", "[engine][shutdown][stress]") {
  // close() races session creation on the io threads: every session must
  // still end with server_shutdown (or never be announced) and the
  // io_context must drain.
  for (int round = 0; round < 15; ++round) {
    ServerFixture fx(slow_ping_options(), 2);
    const auto port = fx.port();
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&, t] {
        while (!stop) {
          if (t == 3) {
            WsClient ws(port, ws_target());
            ws.wait_open(500ms);
          } else {
            http_request(port, "GET", kHandshake, {}, {}, 500ms);
          }
        }
      });
    }
    std::this_thread::sleep_for(Ms(10 + 3 * round));
    fx.server().close();
    stop = true;
    for (auto& t : clients) t.join();
    INFO("round " << round);
    CHECK(fx.wait_clients_count(0, 3000ms));
    for (const auto& sid : fx.session_ids()) {
      auto reason = fx.wait_close(sid, 1000ms);
      CHECK(reason);
    }
    REQUIRE(fx.shutdown(5000ms));
  }
}

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "random_inputs.hpp"
#include "socketio/error.hpp"
#include "socketio/json.hpp"
#include "socketio/packet.hpp"

using socketio::Binary;
using socketio::errc;
using socketio::Json;
using socketio::sio::decode_text;
using socketio::sio::Decoder;
using socketio::sio::DecoderLimits;
using socketio::sio::encode;
using socketio::sio::is_reserved_event;
using socketio::sio::Packet;
using socketio::sio::PacketType;

namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

Packet make(PacketType type, std::string nsp, std::optional<Json> data,
            std::optional<std::uint64_t> id = std::nullopt) {
  Packet packet;
  packet.type = type;
  packet.nsp = std::move(nsp);
  packet.data = std::move(data);
  packet.id = id;
  return packet;
}

struct Encoded {
  std::string text;
  std::vector<std::string> attachments;
};

Encoded encoded(const Packet& packet) {
  Encoded out;
  encode(packet, out.text, out.attachments);
  return out;
}

std::string text_of(const Packet& packet) {
  const Encoded out = encoded(packet);
  CHECK(out.attachments.empty());
  return out.text;
}

std::string bytes(std::initializer_list<std::uint8_t> values) {
  return std::string(values.begin(), values.end());
}

// Decodes a text packet that needs no attachments.
Packet decode_ok(std::string_view text) {
  INFO("text: " << text);
  Decoder decoder;
  std::optional<Packet> packet;
  REQUIRE_FALSE(decoder.add_text(text, packet));
  REQUIRE(packet);
  return std::move(*packet);
}

std::error_code decode_error(std::string_view text, DecoderLimits limits = {}) {
  Decoder decoder(limits);
  std::optional<Packet> packet;
  const std::error_code ec = decoder.add_text(text, packet);
  if (ec) {
    CHECK_FALSE(packet);
    CHECK_FALSE(decoder.awaiting_attachments());
  }
  return ec;
}

bool same_packet(const Packet& a, const Packet& b) {
  return a.type == b.type && a.nsp == b.nsp && a.id == b.id && a.data.has_value() == b.data.has_value() &&
         (!a.data || *a.data == *b.data);
}

// Feeds an encoded packet (text and attachments) to a fresh decoder.
std::optional<Packet> roundtrip(const Packet& packet) {
  const Encoded out = encoded(packet);
  Decoder decoder;
  std::optional<Packet> result;
  REQUIRE_FALSE(decoder.add_text(out.text, result));
  for (const std::string& attachment : out.attachments) {
    REQUIRE_FALSE(result);
    REQUIRE_FALSE(decoder.add_binary(attachment, result));
  }
  return result;
}

}  // namespace

// ---- encoding --------------------------------------------------------------

TEST_CASE("sio encode: text packets match socket.io-parser byte for byte", "[sio]") {
  CHECK(text_of(make(PacketType::event, "/", Json{"message-back", 1, "2", {{"3", {true}}}})) ==
        R"(2["message-back",1,"2",{"3":[true]}])");
  CHECK(text_of(make(PacketType::ack, "/", Json{1, "2"}, 456)) == R"(3456[1,"2"])");
  CHECK(text_of(make(PacketType::event, "/custom", Json{"auth", Json::object()})) ==
        R"(2/custom,["auth",{}])");
  CHECK(text_of(make(PacketType::connect, "/", Json::object({{"sid", "abc"}}))) == R"(0{"sid":"abc"})");
  CHECK(text_of(make(PacketType::connect_error, "/", Json::object({{"message", "Invalid namespace"}}))) ==
        R"(4{"message":"Invalid namespace"})");
  CHECK(text_of(make(PacketType::connect_error, "/random",
                     Json::object({{"message", "Invalid namespace"}}))) ==
        R"(4/random,{"message":"Invalid namespace"})");
  // The protocol Readme's examples.
  CHECK(text_of(make(PacketType::connect, "/", std::nullopt)) == "0");
  CHECK(text_of(make(PacketType::connect, "/admin", Json::object({{"sid", "oSO0OpakMV_3jnilAAAA"}}))) ==
        R"(0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"})");
  CHECK(text_of(make(PacketType::connect_error, "/", Json::object({{"message", "Not authorized"}}))) ==
        R"(4{"message":"Not authorized"})");
  CHECK(text_of(make(PacketType::event, "/", Json{"foo"})) == R"(2["foo"])");
  CHECK(text_of(make(PacketType::event, "/admin", Json{"bar"})) == R"(2/admin,["bar"])");
  CHECK(text_of(make(PacketType::event, "/", Json{"foo"}, 12)) == R"(212["foo"])");
  CHECK(text_of(make(PacketType::ack, "/admin", Json{"bar"}, 13)) == R"(3/admin,13["bar"])");
  CHECK(text_of(make(PacketType::ack, "/", Json::array(), 12)) == R"(312[])");
  CHECK(text_of(make(PacketType::disconnect, "/", std::nullopt)) == "1");
  CHECK(text_of(make(PacketType::disconnect, "/admin", std::nullopt)) == "1/admin,");
  CHECK(text_of(make(PacketType::connect, "/admin", std::nullopt)) == "0/admin,");
  CHECK(text_of(make(PacketType::event, "/", Json{"hey", "Jude"})) == R"(2["hey","Jude"])");
  CHECK(text_of(make(PacketType::connect_error, "/", Json("plain"))) == R"(4"plain")");
}

TEST_CASE("sio encode: appends, skips null data and the main namespace", "[sio]") {
  std::string out = "4";  // the Engine.IO message type put there by the caller
  std::vector<std::string> attachments;
  encode(make(PacketType::event, "/", Json{"hello"}), out, attachments);
  CHECK(out == R"(42["hello"])");
  // socket.io-parser writes data only when it is not null, and "" is "/".
  CHECK(text_of(make(PacketType::connect, "", Json())) == "0");
  CHECK(text_of(make(PacketType::event, "", Json{"x"})) == R"(2["x"])");
  CHECK(text_of(make(PacketType::ack, "/", std::nullopt, 0)) == "30");
  CHECK(text_of(make(PacketType::event, "/", Json{"big"}, 18446744073709551615ull)) ==
        R"(218446744073709551615["big"])");
}

TEST_CASE("sio encode: binary data becomes placeholders and attachments", "[sio]") {
  SECTION("event") {
    const Encoded out = encoded(
        make(PacketType::event, "/", Json{"message-back", Binary{1, 2, 3}, Binary{4, 5, 6}}));
    CHECK(out.text ==
          R"(52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    CHECK(out.attachments == std::vector<std::string>{bytes({1, 2, 3}), bytes({4, 5, 6})});
  }
  SECTION("ack with id") {
    const Encoded out = encoded(make(PacketType::ack, "/", Json{Binary{1}, Binary{2}}, 789));
    CHECK(out.text == R"(62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    CHECK(out.attachments.size() == 2);
  }
  SECTION("the Readme's examples") {
    CHECK(encoded(make(PacketType::event, "/", Json{"baz", Binary{1, 2, 3, 4}})).text ==
          R"(51-["baz",{"_placeholder":true,"num":0}])");
    const Encoded two =
        encoded(make(PacketType::event, "/admin", Json{"baz", Binary{1, 2}, Binary{3, 4}}));
    CHECK(two.text == R"(52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    CHECK(two.attachments == std::vector<std::string>{bytes({1, 2}), bytes({3, 4})});
    CHECK(encoded(make(PacketType::ack, "/", Json{"bar", Binary{1, 2, 3, 4}}, 15)).text ==
          R"(61-15["bar",{"_placeholder":true,"num":0}])");
    CHECK(encoded(make(PacketType::ack, "/admin", Json{Binary{0}}, 1)).text ==
          R"(61-/admin,1[{"_placeholder":true,"num":0}])");
  }
  SECTION("nested, in depth-first order, after the caller's prefix") {
    Json data = {"e", {{"a", Binary{1}}, {"b", {Binary{2}, {{"c", Binary{3}}}}}}, Binary{4}};
    std::string out = "4";
    std::vector<std::string> attachments = {"earlier"};
    encode(make(PacketType::event, "/n", data, 7), out, attachments);
    CHECK(out ==
          R"(454-/n,7["e",{"a":{"_placeholder":true,"num":0},"b":[{"_placeholder":true,"num":1},)"
          R"({"c":{"_placeholder":true,"num":2}}]},{"_placeholder":true,"num":3}])");
    CHECK(attachments ==
          std::vector<std::string>{"earlier", bytes({1}), bytes({2}), bytes({3}), bytes({4})});
  }
  SECTION("binary_* types follow the data") {
    CHECK(text_of(make(PacketType::binary_event, "/", Json{"plain"})) == R"(2["plain"])");
    CHECK(text_of(make(PacketType::binary_ack, "/", Json::array(), 3)) == "33[]");
    CHECK(encoded(make(PacketType::binary_event, "/", Json{"b", Binary{}})).text ==
          R"(51-["b",{"_placeholder":true,"num":0}])");
  }
  SECTION("other packet types print a Buffer as JSON.stringify does") {
    CHECK(text_of(make(PacketType::connect, "/", Json::object({{"key", Binary{1, 2}}}))) ==
          R"(0{"key":{"type":"Buffer","data":[1,2]}})");
  }
}

TEST_CASE("sio: reserved event names", "[sio]") {
  for (const char* name :
       {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}) {
    CHECK(is_reserved_event(name));
  }
  CHECK_FALSE(is_reserved_event("message"));
  CHECK_FALSE(is_reserved_event("Connect"));
}

// ---- decoding --------------------------------------------------------------

TEST_CASE("sio decode: the protocol's text packets", "[sio]") {
  CHECK(same_packet(decode_ok("0"), make(PacketType::connect, "/", std::nullopt)));
  CHECK(same_packet(decode_ok("0/admin,"), make(PacketType::connect, "/admin", std::nullopt)));
  CHECK(same_packet(decode_ok(R"(0/admin,{"token":"123"})"),
                    make(PacketType::connect, "/admin", Json::object({{"token", "123"}}))));
  CHECK(same_packet(decode_ok("1"), make(PacketType::disconnect, "/", std::nullopt)));
  CHECK(same_packet(decode_ok("1/admin,"), make(PacketType::disconnect, "/admin", std::nullopt)));
  CHECK(same_packet(decode_ok(R"(2["foo"])"), make(PacketType::event, "/", Json{"foo"})));
  CHECK(same_packet(decode_ok(R"(2/admin,["bar"])"), make(PacketType::event, "/admin", Json{"bar"})));
  CHECK(same_packet(decode_ok(R"(212["foo"])"), make(PacketType::event, "/", Json{"foo"}, 12)));
  CHECK(same_packet(decode_ok(R"(3/admin,13["bar"])"), make(PacketType::ack, "/admin", Json{"bar"}, 13)));
  CHECK(same_packet(decode_ok("312[]"), make(PacketType::ack, "/", Json::array(), 12)));
  CHECK(same_packet(decode_ok(R"(4{"message":"Not authorized"})"),
                    make(PacketType::connect_error, "/", Json::object({{"message", "Not authorized"}}))));
  CHECK(same_packet(decode_ok(R"(4"text")"), make(PacketType::connect_error, "/", Json("text"))));
  CHECK(same_packet(decode_ok(R"(2/custom,["message-with-ack",1,"2",{"3":[false]}])"),
                    make(PacketType::event, "/custom", Json{"message-with-ack", 1, "2", {{"3", {false}}}})));
  // A number is a valid event name.
  CHECK(same_packet(decode_ok("2[1]"), make(PacketType::event, "/", Json{1})));
  // The test suite connects with "0/random" (no comma).
  CHECK(same_packet(decode_ok("0/random"), make(PacketType::connect, "/random", std::nullopt)));
  CHECK(same_packet(decode_ok("0/"), make(PacketType::connect, "/", std::nullopt)));
  // No payload is allowed for every type at this layer (socket.io-parser).
  CHECK(same_packet(decode_ok("2"), make(PacketType::event, "/", std::nullopt)));
  CHECK(same_packet(decode_ok("312"), make(PacketType::ack, "/", std::nullopt, 12)));
  CHECK(same_packet(decode_ok("4"), make(PacketType::connect_error, "/", std::nullopt)));
  // JSON white space inside and after the payload. (Before it, white space
  // is read as an ack id: see the next test.)
  CHECK(same_packet(decode_ok("2[ \"x\" ]\n"), make(PacketType::event, "/", Json{"x"})));
}

TEST_CASE("sio decode: JavaScript Number() quirks of socket.io-parser are kept", "[sio]") {
  // Number("") and Number(" ") are 0: an empty message is CONNECT to "/".
  CHECK(same_packet(decode_ok(""), make(PacketType::connect, "/", std::nullopt)));
  CHECK(same_packet(decode_ok(" "), make(PacketType::connect, "/", std::nullopt)));
  CHECK(same_packet(decode_ok("\xC2\xA0{}"), make(PacketType::connect, "/", Json::object())));
  // White space takes part in the ack id.
  CHECK(same_packet(decode_ok("2 5[\"a\"]"), make(PacketType::event, "/", Json{"a"}, 5)));
  CHECK(same_packet(decode_ok("2  [\"a\"]"), make(PacketType::event, "/", Json{"a"}, 0)));
  CHECK(same_packet(decode_ok("2 [\"x\"] "), make(PacketType::event, "/", Json{"x"}, 0)));
  CHECK(same_packet(decode_ok("4 1"), make(PacketType::connect_error, "/", std::nullopt, 1)));
  CHECK(same_packet(decode_ok("25\xE3\x80\x80[\"a\"]"), make(PacketType::event, "/", Json{"a"}, 5)));
  CHECK(same_packet(decode_ok("2007[\"a\"]"), make(PacketType::event, "/", Json{"a"}, 7)));
  // The attachment count is read with Number() as well.
  std::size_t attachments = 0;
  Packet packet;
  for (const auto& [text, count] : {std::pair{"51-[\"a\"]"sv, 1}, {"5 2 -[\"a\"]"sv, 2}, {"50x3-"sv, 3},
                                    {"5+1-"sv, 1}, {"51e1-"sv, 10}, {"52.0-"sv, 2}, {"50b11-"sv, 3},
                                    {"50o7-"sv, 7}, {"5.1e1-"sv, 1}}) {
    INFO(text);
    REQUIRE_FALSE(decode_text(text, packet, attachments));
    CHECK(packet.type == PacketType::binary_event);
    CHECK(attachments == static_cast<std::size_t>(count));
  }
  CHECK(decode_text("55.4e1-", packet, attachments) == errc::too_many_attachments);
}

TEST_CASE("sio decode: malformed packets are errors", "[sio]") {
  // From the protocol test suite (after the Engine.IO "4").
  CHECK(decode_error("abc") == errc::invalid_packet);          // unknown packet type
  CHECK(decode_error("2{}") == errc::invalid_packet);          // invalid payload format
  CHECK(decode_error(R"(2abc["message-with-ack",1,"2",{"3":[false]}])") ==
        errc::invalid_json);                                   // invalid ack id
  // Type.
  CHECK(decode_error("7") == errc::invalid_packet);
  CHECK(decode_error("9[]") == errc::invalid_packet);
  CHECK(decode_error("-1") == errc::invalid_packet);
  CHECK(decode_error("\xFF") == errc::invalid_packet);
  CHECK(decode_error("\xE2\x80\x8B[\"a\"]") == errc::invalid_packet);  // U+200B is not space
  // Payload shape per type.
  CHECK(decode_error("0[]") == errc::invalid_packet);
  CHECK(decode_error(R"(0"x")") == errc::invalid_packet);
  CHECK(decode_error("0null") == errc::invalid_packet);
  CHECK(decode_error("1{}") == errc::invalid_packet);
  CHECK(decode_error("1null") == errc::invalid_packet);
  CHECK(decode_error("2[]") == errc::invalid_packet);
  CHECK(decode_error("2[{}]") == errc::invalid_packet);
  CHECK(decode_error("2[null]") == errc::invalid_packet);
  CHECK(decode_error(R"(2"x")") == errc::invalid_packet);
  CHECK(decode_error("3{}") == errc::invalid_packet);
  CHECK(decode_error("3\"x\"") == errc::invalid_packet);
  CHECK(decode_error("4[]") == errc::invalid_packet);
  CHECK(decode_error("41") == std::error_code());  // CONNECT_ERROR with ack id 1, no payload
  for (const char* name :
       {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}) {
    INFO(name);
    CHECK(decode_error("2[\""s + name + "\"]") == errc::invalid_packet);
    CHECK(decode_error("5"s + "1-[\"" + name + "\",{\"_placeholder\":true,\"num\":0}]") ==
          errc::invalid_packet);
  }
  CHECK_FALSE(decode_error(R"(3["connect"])"));  // acks may carry any array
  // JSON.
  CHECK(decode_error("2[") == errc::invalid_json);
  CHECK(decode_error("2[\"a\"]x") == errc::invalid_json);
  CHECK(decode_error("2[\"a\"]\0"sv) == errc::invalid_json);
  CHECK(decode_error("2[\"\xFF\"]") == errc::invalid_json);
  CHECK(decode_error(std::string("2") + std::string(200, '[') + std::string(200, ']')) ==
        errc::invalid_json);
  // Namespace.
  CHECK(decode_error("2/a\xFF,[\"x\"]") == errc::invalid_packet);
  // Ack ids JavaScript reads as NaN, or that overflow std::uint64_t.
  CHECK(decode_error("21 2[\"a\"]") == errc::invalid_packet);
  CHECK(decode_error("218446744073709551616[\"a\"]") == errc::invalid_packet);
  CHECK_FALSE(decode_error("218446744073709551615[\"a\"]"));
  // Attachment counts.
  CHECK(decode_error("5") == errc::invalid_packet);
  CHECK(decode_error("5[\"a\"]") == errc::invalid_packet);
  CHECK(decode_error("5-[\"a\"]") == errc::invalid_packet);   // Number("") is 0: < 1
  CHECK(decode_error("50-[\"a\"]") == errc::invalid_packet);  // socket.io-parser 4.2.7
  CHECK(decode_error("5 -[\"a\"]") == errc::invalid_packet);
  CHECK(decode_error("5a-[\"a\"]") == errc::invalid_packet);
  CHECK(decode_error("51.5-[\"a\"]") == errc::invalid_packet);
  CHECK(decode_error("5Infinity-[\"a\"]") == errc::invalid_packet);
  CHECK(decode_error("5-0x1-[\"a\"]") == errc::invalid_packet);
  CHECK(decode_error("51_0-[\"a\"]") == errc::invalid_packet);
  CHECK(decode_error("511-[\"a\"]") == errc::too_many_attachments);
  CHECK(decode_error("61e400-[]") == errc::invalid_packet);
  CHECK(decode_error("6999999999999999999999999-[]") == errc::too_many_attachments);
}

TEST_CASE("sio decode: binary packets are reassembled", "[sio]") {
  SECTION("event with two attachments over several calls") {
    Decoder decoder;
    std::optional<Packet> packet;
    REQUIRE_FALSE(decoder.add_text(
        R"(52-["message",{"_placeholder":true,"num":0},{"x":[{"_placeholder":true,"num":1}]}])", packet));
    CHECK_FALSE(packet);
    CHECK(decoder.awaiting_attachments());
    REQUIRE_FALSE(decoder.add_binary(bytes({1, 2, 3}), packet));
    CHECK_FALSE(packet);
    REQUIRE_FALSE(decoder.add_binary(bytes({4, 5, 6}), packet));
    REQUIRE(packet);
    CHECK_FALSE(decoder.awaiting_attachments());
    CHECK(packet->type == PacketType::event);
    CHECK(same_packet(*packet, make(PacketType::event, "/",
                                    Json{"message", Binary{1, 2, 3}, {{"x", {Binary{4, 5, 6}}}}})));
  }
  SECTION("ack with namespace and id; the decoder is reusable afterwards") {
    Decoder decoder;
    std::optional<Packet> packet;
    REQUIRE_FALSE(decoder.add_text(R"(61-/admin,1[{"_placeholder":true,"num":0}])", packet));
    REQUIRE_FALSE(decoder.add_binary(""sv, packet));
    REQUIRE(packet);
    CHECK(same_packet(*packet, make(PacketType::ack, "/admin", Json{Binary{}}, 1)));
    REQUIRE_FALSE(decoder.add_text(R"(2["next"])", packet));
    CHECK(same_packet(*packet, make(PacketType::event, "/", Json{"next"})));
  }
  SECTION("a num used twice, attachments nobody references, num as 1.0") {
    Decoder decoder;
    std::optional<Packet> packet;
    REQUIRE_FALSE(decoder.add_text(
        R"(53-["e",{"_placeholder":true,"num":1.0},{"_placeholder":true,"num":1,"extra":1}])", packet));
    REQUIRE_FALSE(decoder.add_binary("a"sv, packet));
    REQUIRE_FALSE(decoder.add_binary("b"sv, packet));
    REQUIRE_FALSE(decoder.add_binary("c"sv, packet));
    REQUIRE(packet);
    CHECK(packet->data->dump() ==
          R"(["e",{"type":"Buffer","data":[98]},{"type":"Buffer","data":[98]}])");
  }
  SECTION("placeholder-like objects that are not placeholders stay objects") {
    const Packet packet = decode_ok(R"(2["e",{"_placeholder":true,"num":0}])");
    CHECK(packet.data->dump() == R"(["e",{"_placeholder":true,"num":0}])");
    Decoder decoder;
    std::optional<Packet> result;
    REQUIRE_FALSE(decoder.add_text(
        R"(51-["e",{"_placeholder":false,"num":0},{"_placeholder":"true"},{"_placeholder":true,"num":0}])",
        result));
    REQUIRE_FALSE(decoder.add_binary("z"sv, result));
    REQUIRE(result);
    CHECK(result->data->dump() ==
          R"(["e",{"_placeholder":false,"num":0},{"_placeholder":"true"},{"type":"Buffer","data":[122]}])");
  }
  SECTION("no payload") {
    Decoder decoder;
    std::optional<Packet> packet;
    REQUIRE_FALSE(decoder.add_text("51-", packet));
    REQUIRE_FALSE(decoder.add_binary("x"sv, packet));
    REQUIRE(packet);
    CHECK(same_packet(*packet, make(PacketType::event, "/", std::nullopt)));
  }
  SECTION("a moved decoder keeps its pending packet") {
    Decoder first;
    std::optional<Packet> packet;
    REQUIRE_FALSE(first.add_text(R"(51-["e",[{"_placeholder":true,"num":0}]])", packet));
    Decoder second = std::move(first);
    REQUIRE_FALSE(second.add_binary("q"sv, packet));
    REQUIRE(packet);
    CHECK(same_packet(*packet, make(PacketType::event, "/", Json{"e", {Binary{'q'}}})));
  }
}

TEST_CASE("sio decode: reassembly errors", "[sio]") {
  Decoder decoder;
  std::optional<Packet> packet;
  SECTION("binary frame when none is expected") {
    CHECK(decoder.add_binary("x"sv, packet) == errc::unexpected_attachment);
  }
  SECTION("text while attachments are pending") {
    REQUIRE_FALSE(decoder.add_text(R"(52-["a",{"_placeholder":true,"num":0}])", packet));
    REQUIRE_FALSE(decoder.add_binary("x"sv, packet));
    CHECK(decoder.add_text(R"(2["b"])", packet) == errc::invalid_packet);
    CHECK_FALSE(decoder.awaiting_attachments());
    // Reset after the error: the decoder starts over.
    REQUIRE_FALSE(decoder.add_text(R"(2["c"])", packet));
    CHECK(packet);
  }
  SECTION("bad placeholders") {
    for (const char* text : {
             R"(51-["a",{"_placeholder":true,"num":1}])",
             R"(51-["a",{"_placeholder":true,"num":-1}])",
             R"(51-["a",{"_placeholder":true,"num":0.5}])",
             R"(51-["a",{"_placeholder":true,"num":"0"}])",
             R"(51-["a",{"_placeholder":true}])",
             R"(51-["a",{"_placeholder":true,"num":null}])",
             R"(51-["a",{"_placeholder":true,"num":1e300}])",
             R"(52-["a",{"x":{"_placeholder":true,"num":2}}])",
         }) {
      INFO(text);
      CHECK(decoder.add_text(text, packet) == errc::invalid_packet);
      CHECK_FALSE(decoder.awaiting_attachments());
    }
  }
  SECTION("reset drops a partial packet") {
    REQUIRE_FALSE(decoder.add_text(R"(51-["a",{"_placeholder":true,"num":0}])", packet));
    decoder.reset();
    CHECK(decoder.add_binary("x"sv, packet) == errc::unexpected_attachment);
  }
}

TEST_CASE("sio decode: limits", "[sio]") {
  std::optional<Packet> packet;
  SECTION("max_attachments") {
    CHECK(decode_error("510-[\"a\"]") == std::error_code());
    CHECK(decode_error("511-[\"a\"]") == errc::too_many_attachments);
    CHECK(decode_error("53-[\"a\"]", DecoderLimits{2, 1000}) == errc::too_many_attachments);
    CHECK(decode_error("52-[\"a\"]", DecoderLimits{2, 1000}) == std::error_code());
  }
  SECTION("pending bytes: the text alone") {
    const std::string text = R"(51-["a",{"_placeholder":true,"num":0}])";
    CHECK(decode_error(text, DecoderLimits{10, text.size() - 1}) == errc::payload_too_large);
    CHECK(decode_error(text, DecoderLimits{10, text.size()}) == std::error_code());
  }
  SECTION("pending bytes: text plus attachments") {
    const std::string text = R"(52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])";
    Decoder decoder(DecoderLimits{10, text.size() + 100});
    REQUIRE_FALSE(decoder.add_text(text, packet));
    REQUIRE_FALSE(decoder.add_binary(std::string(60, 'x'), packet));
    CHECK(decoder.add_binary(std::string(41, 'y'), packet) == errc::payload_too_large);
    CHECK_FALSE(decoder.awaiting_attachments());
    CHECK_FALSE(packet);

    Decoder exact(DecoderLimits{10, text.size() + 100});
    REQUIRE_FALSE(exact.add_text(text, packet));
    REQUIRE_FALSE(exact.add_binary(std::string(60, 'x'), packet));
    REQUIRE_FALSE(exact.add_binary(std::string(40, 'y'), packet));
    CHECK(packet);
  }
}

TEST_CASE("sio: every packet type round-trips through encode and decode", "[sio]") {
  const Packet packets[] = {
      make(PacketType::connect, "/", std::nullopt),
      make(PacketType::connect, "/admin", Json::object({{"token", "123"}, {"n", 1.5}})),
      make(PacketType::disconnect, "/", std::nullopt),
      make(PacketType::disconnect, "/admin", std::nullopt),
      make(PacketType::event, "/", Json{"foo", nullptr, true, -1, 2.5, "\xC3\xA9\n"}),
      make(PacketType::event, "/chat", Json{"msg", {{"a", {1, 2}}}}, 0),
      make(PacketType::event, "/", Json{42}, 7),
      make(PacketType::ack, "/", Json::array(), 12),
      make(PacketType::ack, "/x", Json{"r"}, 18446744073709551615ull),
      make(PacketType::connect_error, "/", Json::object({{"message", "no"}, {"data", {1}}})),
      make(PacketType::connect_error, "/a", Json("text")),
      make(PacketType::event, "/", Json{"bin", Binary{1, 2}, {{"deep", {Binary{}, Binary{255}}}}}),
      make(PacketType::ack, "/admin", Json{Binary{9}}, 3),
      make(PacketType::event, "/nsp/with/slashes", Json{"e", Binary{0}}, 99),
  };
  for (const Packet& packet : packets) {
    const std::optional<Packet> back = roundtrip(packet);
    INFO(encoded(packet).text);
    REQUIRE(back);
    CHECK(same_packet(*back, packet));
  }
}

TEST_CASE("sio decode: random garbage never crashes the decoder", "[sio]") {
  // Run under ASan/UBSan in CI. Inputs mix random bytes with the pieces of
  // real packets so that many get deep into the parser; whatever decodes
  // must survive an encode/decode round trip unchanged.
  std::mt19937_64 rng(20240601);
  const char* pieces[] = {
      "0", "1", "2", "3", "4", "5", "6", "7", "9", "-", "/", "/admin", ",", " ", "\xC2\xA0",
      "[", "]", "{", "}", ":", "\"", "\"e\"", "\"connect\"", "null", "true", "1.5", "1e400",
      "{\"_placeholder\":true,\"num\":", "}", "0x", "\xFF", "\\u", "12345678901234567890",
  };
  const char* prefixes[] = {"2[\"e\",", "51-[\"e\",", "52-/a,3[", "62-[", "0{", "4", "3/x,1["};
  Decoder decoder(DecoderLimits{4, 4096});
  std::size_t decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string input;
    if (rng() % 3 == 0) input = prefixes[rng() % (sizeof prefixes / sizeof *prefixes)];
    input += socketio::test::random_mix(rng, rng() % 16, pieces, 5);
    std::optional<Packet> packet;
    std::error_code ec;
    if (rng() % 4 == 0) {
      ec = decoder.add_binary(input, packet);
    } else {
      ec = decoder.add_text(input, packet);
    }
    if (ec) {
      CHECK_FALSE(packet);
      continue;
    }
    if (!packet) continue;
    ++decoded;
    const std::optional<Packet> back = roundtrip(*packet);
    INFO(input);
    REQUIRE(back);
    CHECK(same_packet(*back, *packet));
  }
  CHECK(decoded > 100);
}

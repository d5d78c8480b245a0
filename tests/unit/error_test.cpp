#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <system_error>

#include "socketio/error.hpp"

using socketio::errc;

namespace {

const errc kAllErrors[] = {
    errc::empty_packet,         errc::unknown_packet_type,   errc::invalid_base64,
    errc::invalid_utf8,         errc::payload_too_large,     errc::invalid_packet,
    errc::invalid_json,         errc::too_many_attachments,  errc::unexpected_attachment,
    errc::timeout,              errc::not_connected,         errc::server_closed,
};

}  // namespace

TEST_CASE("the error category is named socketio", "[error]") {
  CHECK(std::string(socketio::error_category().name()) == "socketio");
}

TEST_CASE("the error category is a single object", "[error]") {
  CHECK(&socketio::error_category() == &socketio::error_category());
}

TEST_CASE("an errc converts implicitly to an error_code of the socketio category",
          "[error]") {
  const std::error_code ec = errc::invalid_base64;
  CHECK(ec);
  CHECK(ec.category() == socketio::error_category());
  CHECK(ec.value() == static_cast<int>(errc::invalid_base64));
  CHECK(ec == errc::invalid_base64);
  CHECK(ec != errc::invalid_utf8);
  CHECK(ec == socketio::make_error_code(errc::invalid_base64));
}

TEST_CASE("socketio error codes never equal same-valued codes of other categories",
          "[error]") {
  const std::error_code ours = errc::empty_packet;
  const std::error_code generic(static_cast<int>(errc::empty_packet), std::generic_category());
  CHECK(ours != generic);
}

TEST_CASE("every error code has its own message", "[error]") {
  const std::string unknown = socketio::error_category().message(0);
  std::set<std::string> seen;
  for (errc e : kAllErrors) {
    const std::string message = std::error_code(e).message();
    CAPTURE(static_cast<int>(e), message);
    CHECK_FALSE(message.empty());
    CHECK(message != unknown);
    CHECK(seen.insert(message).second);
  }
}

TEST_CASE("unknown error values get a default message", "[error]") {
  for (int value : {0, -1, 16, 999}) {
    const std::string message = socketio::error_category().message(value);
    CAPTURE(value, message);
    CHECK(message.find("unknown") != std::string::npos);
  }
}

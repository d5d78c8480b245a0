#include <catch2/catch.hpp>

#include <random>

#include "random_inputs.hpp"
#include "transport/http_request_parser.hpp"

using socketio::transport::HttpRequestParser;
using State = HttpRequestParser::State;

namespace {

HttpRequestParser::Limits limits() { return {1024, 100}; }

/// Feeds `bytes` in pieces of `step` and returns the parser.
HttpRequestParser parse(const std::string& bytes, std::size_t step, std::size_t* used_out = nullptr) {
  HttpRequestParser parser(limits());
  std::size_t used = 0;
  for (std::size_t at = 0; at < bytes.size() && parser.state() != State::done && parser.state() != State::error;
       at += step) {
    used += parser.feed(std::string_view(bytes).substr(at, step));
  }
  if (used_out) *used_out = used;
  return parser;
}

}  // namespace

TEST_CASE("http parser: a request with a body, split at every byte boundary", "[http_parser]") {
  const std::string request =
      "\r\nPOST /engine.io/?EIO=4&sid=a%20b HTTP/1.1\r\nHost: x\r\ncontent-LENGTH: 5\r\nX-Empty:\r\n"
      "X-Pad:   v  \r\n\r\nhelloGET /next";
  for (std::size_t split = 1; split <= request.size(); ++split) {
    INFO("piece size " << split);
    HttpRequestParser parser(limits());
    std::size_t used = parser.feed(std::string_view(request).substr(0, split));
    if (parser.state() != State::done) used += parser.feed(std::string_view(request).substr(used));
    REQUIRE(parser.state() == State::done);
    CHECK(used == request.size() - 9);  // "GET /next" belongs to the next request
    CHECK(parser.head().method == "POST");
    CHECK(parser.head().target == "/engine.io/?EIO=4&sid=a%20b");
    CHECK(parser.head().minor_version == 1);
    REQUIRE(parser.head().find("content-length"));
    CHECK(*parser.head().find("Content-Length") == "5");
    CHECK(*parser.head().find("x-pad") == "v");
    CHECK(parser.head().find("x-empty")->empty());
    CHECK(parser.body() == "hello");
  }
  for (std::size_t step = 1; step < 8; ++step) {
    auto parser = parse(request, step);
    CHECK(parser.state() == State::done);
    CHECK(parser.body() == "hello");
  }
}

TEST_CASE("http parser: errors and limits", "[http_parser]") {
  auto status = [](const std::string& bytes) {
    auto parser = parse(bytes, bytes.size());
    return parser.state() == State::error ? parser.error_status() : 0;
  };
  CHECK(status("GET / HTTP/1.1\r\n\r\n") == 0);
  CHECK(status("GET / HTTP/1.0\r\n\r\n") == 0);
  CHECK(status("GET /\r\n\r\n") == 400);
  CHECK(status("GET  / HTTP/1.1\r\n\r\n") == 400);
  CHECK(status("G(T / HTTP/1.1\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/1.1 \r\n\r\n") == 400);
  CHECK(status("GET / HTTQ/1.1\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/2.0\r\n\r\n") == 505);
  CHECK(status("GET / HTTP/1.1\r\nNo colon\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/1.1\r\n: empty name\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/1.1\r\nName : space\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n") == 400);
  CHECK(status("GET /\x7f HTTP/1.1\r\n\r\n") == 400);
  CHECK(status("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == 400);
  CHECK(status("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n") == 400);
  CHECK(status("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n") == 400);
  CHECK(status("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n") == 400);
  CHECK(status("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n") == 413);
  CHECK(status("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n") == 413);
  CHECK(status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") == 411);
  CHECK(status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/1.1\r\nX: " + std::string(1100, 'a') + "\r\n\r\n") == 431);
  // Too big before the end of the head arrives: refused without waiting.
  auto parser = parse("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a'), 100);
  CHECK(parser.state() == State::error);
  CHECK(parser.error_status() == 431);
}

TEST_CASE("http parser: reset serves the next request", "[http_parser]") {
  HttpRequestParser parser(limits());
  parser.feed("GET /a HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n\r\n");
  REQUIRE(parser.state() == State::done);
  CHECK(parser.head().has_token("connection", "upgrade"));
  CHECK(!parser.head().has_token("connection", "close"));
  parser.reset();
  CHECK(!parser.started());
  parser.feed("GET /b HT");
  CHECK(parser.started());
  parser.feed("TP/1.1\r\n\r\n");
  REQUIRE(parser.state() == State::done);
  CHECK(parser.head().target == "/b");
  CHECK(parser.head().headers.empty());
}

TEST_CASE("http parser: hostile input never crashes and ends cleanly", "[http_parser][fuzz]") {
  std::mt19937_64 rng(20261122);
  const std::string pieces[] = {"GET ", "POST ", "/", " HTTP/1.1", " HTTP/1.0", "\r\n", "\r\n\r\n", "\n", ":",
                                "Content-Length: ", "Transfer-Encoding: chunked", "5", "0", "99999999999", " ",
                                "\t", "Host", "a", "\x80", std::string(1, '\0')};
  for (int i = 0; i < 3000; ++i) {
    const std::string input = socketio::test::random_mix(rng, 1 + rng() % 60, pieces, 8);
    const std::size_t step = 1 + rng() % 16;
    std::size_t used = 0;
    auto parser = parse(input, step, &used);
    CHECK(used <= input.size());
    if (parser.state() == State::error) {
      const int s = parser.error_status();
      CHECK((s == 400 || s == 411 || s == 413 || s == 431 || s == 505));
    }
    if (parser.state() == State::done) CHECK(parser.body().size() <= 100);
  }
}

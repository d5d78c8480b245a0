#pragma once
// An incremental HTTP/1.1 request parser for the front end: request line,
// headers and a Content-Length body, fed in pieces as they arrive.
//
// Thread-safety: none; one parser belongs to one connection.
// Lifetime: reusable; reset() prepares it for the next request on a
// persistent connection.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace socketio::transport {

struct HttpRequestHead {
  std::string method;
  std::string target;
  int minor_version = 1;  ///< HTTP/1.<minor_version>
  /// Names as sent (case kept), in order; values without surrounding blanks.
  std::vector<std::pair<std::string, std::string>> headers;

  /// The first header named `name` (ASCII case-insensitive), or nullptr.
  const std::string* find(std::string_view name) const noexcept;
  /// True if the comma-separated header `name` lists `token` (case-insensitive).
  bool has_token(std::string_view name, std::string_view token) const noexcept;
};

class HttpRequestParser {
 public:
  enum class State { head, body, done, error };

  struct Limits {
    std::size_t max_head_size = 16 * 1024;  ///< request line + headers; above: 431
    std::size_t max_body_size = 2000000;    ///< above: 413
  };

  explicit HttpRequestParser(Limits limits) : limits_(limits) {}

  /// Consumes bytes of the current request and returns how many it used: on
  /// `done` the rest belongs to the next request (or, after an upgrade, to
  /// the WebSocket). Does nothing once done or failed.
  std::size_t feed(std::string_view data);

  State state() const noexcept { return state_; }
  /// On error: the status to answer with (400, 411, 413, 431, 501, 505).
  int error_status() const noexcept { return error_status_; }
  /// True once some byte of the current request has arrived.
  bool started() const noexcept { return started_; }

  HttpRequestHead& head() noexcept { return head_; }
  std::string& body() noexcept { return body_; }

  /// Forgets the current request (and releases its buffers).
  void reset();

 private:
  void fail(int status) {
    state_ = State::error;
    error_status_ = status;
  }
  bool parse_head(std::string_view text);

  Limits limits_;
  State state_ = State::head;
  int error_status_ = 0;
  bool started_ = false;
  std::string raw_head_;  ///< the head's bytes until its blank line arrives
  HttpRequestHead head_;
  std::string body_;
  std::size_t body_remaining_ = 0;
};

/// The standard reason phrase of `status` ("OK", "Not Found"), or "Unknown".
std::string_view http_reason_phrase(int status) noexcept;

/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace socketio::transport

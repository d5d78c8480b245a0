#include "transport/http_request_parser.hpp"

#include <algorithm>
#include <cstdint>

namespace socketio::transport {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

/// RFC 9110 tchar: what method and header names are made of.
bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

const std::string* HttpRequestHead::find(std::string_view name) const noexcept {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return &value;
  }
  return nullptr;
}

bool HttpRequestHead::has_token(std::string_view name, std::string_view token) const noexcept {
  // Every header of that name counts (a list may be split over several).
  for (const auto& [key, value] : headers) {
    if (!iequals(key, name)) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      if (iequals(trim(rest.substr(0, comma)), token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

void HttpRequestParser::reset() {
  state_ = State::head;
  error_status_ = 0;
  started_ = false;
  std::string().swap(raw_head_);
  head_ = HttpRequestHead{};
  std::string().swap(body_);
  body_remaining_ = 0;
}

std::size_t HttpRequestParser::feed(std::string_view data) {
  std::size_t used = 0;
  if (state_ == State::head) {
    // RFC 9112 2.2: ignore empty lines before the request line.
    if (raw_head_.empty()) {
      while (used < data.size() && (data[used] == '\r' || data[used] == '\n')) ++used;
      data.remove_prefix(used);
      if (data.empty()) return used;
    }
    started_ = true;
    // The blank line may straddle the previous piece: search from up to 3
    // bytes before the end of what we have.
    const std::size_t old = raw_head_.size();
    const std::size_t from = old >= 3 ? old - 3 : 0;
    std::size_t end = std::string_view::npos;
    if (old == 0) {
      const std::size_t at = data.find("\r\n\r\n");
      if (at != std::string_view::npos) end = at + 4;
    } else {
      // Only the few bytes that can complete a terminator are appended
      // before searching, so a long piece is not copied needlessly.
      const std::size_t look = std::min<std::size_t>(data.size(), limits_.max_head_size + 4);
      raw_head_.append(data.data(), look);
      const std::size_t at = raw_head_.find("\r\n\r\n", from);
      raw_head_.resize(old);
      if (at != std::string::npos) end = at + 4 - old;
    }
    if (end == std::string_view::npos) {
      if (old + data.size() > limits_.max_head_size) {
        fail(431);
        return used + data.size();
      }
      raw_head_.append(data);
      return used + data.size();
    }
    if (old + end > limits_.max_head_size) {
      fail(431);
      return used + end;
    }
    bool ok;
    if (old == 0) {
      ok = parse_head(data.substr(0, end));
    } else {
      raw_head_.append(data.data(), end);
      ok = parse_head(raw_head_);
      std::string().swap(raw_head_);
    }
    used += end;
    data.remove_prefix(end);
    if (!ok) return used;
  }
  if (state_ == State::body) {
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(body_remaining_, data.size()));
    body_.append(data.data(), take);
    body_remaining_ -= take;
    used += take;
    if (body_remaining_ == 0) state_ = State::done;
  }
  return used;
}

bool HttpRequestParser::parse_head(std::string_view text) {
  // text ends with "\r\n\r\n"; drop the final blank line.
  text.remove_suffix(2);
  std::size_t eol = text.find("\r\n");
  std::string_view line = text.substr(0, eol);
  text.remove_prefix(eol + 2);

  // Request line: method SP target SP HTTP/1.x
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp1 == 0 || sp2 == sp1 + 1) {
    fail(400);
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  for (char c : method) {
    if (!is_tchar(c)) {
      fail(400);
      return false;
    }
  }
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) {
      fail(400);
      return false;
    }
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
      version[5] > '9' || version[7] < '0' || version[7] > '9') {
    fail(400);
    return false;
  }
  if (version[5] != '1') {
    fail(505);
    return false;
  }
  head_.method.assign(method);
  head_.target.assign(target);
  head_.minor_version = version[7] - '0';

  while (!text.empty()) {
    eol = text.find("\r\n");
    line = text.substr(0, eol);
    text.remove_prefix(eol + 2);
    const std::size_t colon = line.find(':');
    // No obsolete line folding, no blank before the colon (RFC 9112 5.1).
    if (colon == std::string_view::npos || colon == 0) {
      fail(400);
      return false;
    }
    const std::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (!is_tchar(c)) {
        fail(400);
        return false;
      }
    }
    const std::string_view value = trim(line.substr(colon + 1));
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && u != '\t') || u == 0x7F) {
        fail(400);
        return false;
      }
    }
    head_.headers.emplace_back(std::string(name), std::string(value));
  }

  // Body framing. Chunked request bodies are refused (411: send a length);
  // no Engine.IO client sends them.
  if (head_.find("transfer-encoding")) {
    fail(head_.find("content-length") ? 400 : 411);
    return false;
  }
  body_remaining_ = 0;
  bool seen = false;
  for (const auto& [key, value] : head_.headers) {
    if (!iequals(key, "content-length")) continue;
    if (value.empty() || value.size() > 18) {
      fail(value.size() > 18 ? 413 : 400);
      return false;
    }
    std::uint64_t n = 0;
    for (char c : value) {
      if (c < '0' || c > '9') {
        fail(400);
        return false;
      }
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (seen && n != body_remaining_) {
      fail(400);  // conflicting lengths: request smuggling
      return false;
    }
    seen = true;
    body_remaining_ = n;
  }
  if (body_remaining_ > limits_.max_body_size) {
    fail(413);
    return false;
  }
  if (body_remaining_ > 0) body_.reserve(body_remaining_);
  state_ = body_remaining_ > 0 ? State::body : State::done;
  return true;
}

std::string_view http_reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

}  // namespace socketio::transport

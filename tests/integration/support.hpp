#pragma once
// Test support for the integration tests: an in-process engine::Server
// fixture (own io_context, background threads, an echo handler that records
// every session, message and close), the same for socketio::Server, a tiny
// blocking HTTP/1.1 client over Asio, an Engine.IO polling client built on
// it, a WebSocket client (websocketpp, config::asio_client) and a Socket.IO
// client speaking raw frames over it.
//
// Everything here is test code: it favours obviousness over speed.

#include <algorithm>
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

#include "engineio/session.hpp"  // SessionImpl::strand(), to read state on the strand
#include "socketio/engine/server.hpp"
#include "socketio/socketio.hpp"

namespace it {

namespace engine = socketio::engine;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

/// Polls `pred` until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& pred, Ms timeout = 3000ms) {
  const auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

inline std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Splits a polling payload on the record separator.
inline std::vector<std::string> split_payload(const std::string& body) {
  std::vector<std::string> parts;
  std::size_t pos = 0;
  for (;;) {
    auto sep = body.find('\x1e', pos);
    parts.push_back(body.substr(pos, sep == std::string::npos ? std::string::npos : sep - pos));
    if (sep == std::string::npos) return parts;
    pos = sep + 1;
  }
}

inline std::string join_payload(const std::vector<std::string>& packets) {
  std::string out;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    if (i) out += '\x1e';
    out += packets[i];
  }
  return out;
}

/// The value of a JSON string or number member in a flat JSON object (test
/// use only: no escapes, no nesting beyond arrays of plain strings).
inline std::optional<std::string> json_member(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  auto pos = json.find(needle);
  if (pos == std::string::npos) return std::nullopt;
  pos += needle.size();
  if (pos >= json.size()) return std::nullopt;
  if (json[pos] == '"') {
    auto end = json.find('"', pos + 1);
    if (end == std::string::npos) return std::nullopt;
    return json.substr(pos + 1, end - pos - 1);
  }
  if (json[pos] == '[') {
    auto end = json.find(']', pos);
    if (end == std::string::npos) return std::nullopt;
    return json.substr(pos, end - pos + 1);
  }
  auto end = json.find_first_of(",}", pos);
  if (end == std::string::npos) return std::nullopt;
  return json.substr(pos, end - pos);
}

// ---------------------------------------------------------------------------
// Server fixtures

/// Runs an io_context on background threads with no work guard: once its
/// server is closed, the io_context must run out of work by itself.
class IoThreads {
 public:
  explicit IoThreads(asio::io_context& io) : io_(io) {}
  ~IoThreads() {
    if (!threads_.empty()) join(0ms);
  }

  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  void start(unsigned count) {
    for (unsigned i = 0; i < count; ++i) {
      threads_.emplace_back([this] {
        io_.run();
        std::lock_guard<std::mutex> lock(mutex_);
        ++done_;
        cv_.notify_all();
      });
    }
  }

  /// Waits for every thread to return by itself and joins them. True if
  /// they all did within `timeout`; otherwise the io_context is stopped by
  /// force.
  bool join(Ms timeout) {
    bool drained;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      drained = cv_.wait_for(lock, timeout, [this] { return done_ == threads_.size(); });
    }
    if (!drained) io_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    done_ = 0;
    return drained;
  }

 private:
  asio::io_context& io_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t done_ = 0;
};

inline engine::Options test_options() {
  engine::Options options;
  options.ping_interval = 200ms;
  options.ping_timeout = 200ms;
  return options;
}

struct RecordedMessage {
  std::string sid;
  std::string data;
  bool binary = false;
  std::string transport;  ///< transport_name() read inside the handler (on the strand)
};

class ServerFixture {
 public:
  explicit ServerFixture(engine::Options options = test_options(), unsigned threads = 2)
      : server_(std::make_unique<engine::Server>(io_, std::move(options))) {
    server_->set_log_hook([this](socketio::LogLevel, std::string_view message) {
      std::lock_guard<std::mutex> lock(mutex_);
      logs_.emplace_back(message);
    });
    server_->on_connection([this](engine::SessionPtr session) { on_connection(std::move(session)); });
    server_->listen("127.0.0.1", 0);
    // The acceptor keeps the io_context busy until the server is closed.
    threads_.start(threads);
  }

  ~ServerFixture() {
    if (!shut_down_) shutdown(5000ms);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sessions_.clear();
    }
    server_.reset();
    io_.restart();
    io_.poll();
  }

  ServerFixture(const ServerFixture&) = delete;
  ServerFixture& operator=(const ServerFixture&) = delete;

  engine::Server& server() { return *server_; }
  std::uint16_t port() const { return server_->port(); }
  asio::io_context& io() { return io_; }

  /// Closes the server and waits for the io_context to run out of work.
  /// True if every io thread returned within `timeout` by itself (no leaked
  /// timers, parked requests or connections); otherwise stops it by force.
  bool shutdown(Ms timeout = 5000ms) {
    shut_down_ = true;
    server_->close();
    return threads_.join(timeout);
  }

  // --- what the echo handler saw

  engine::SessionPtr session(const std::string& sid) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(sid);
    return it == sessions_.end() ? nullptr : it->second;
  }

  engine::SessionPtr wait_session(const std::string& sid, Ms timeout = 3000ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return sessions_.count(sid) != 0; });
    auto it = sessions_.find(sid);
    return it == sessions_.end() ? nullptr : it->second;
  }

  /// All session ids announced so far, in order.
  std::vector<std::string> session_ids() {
    std::lock_guard<std::mutex> lock(mutex_);
    return session_order_;
  }

  std::optional<engine::CloseReason> close_reason(const std::string& sid) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = closes_.find(sid);
    if (it == closes_.end()) return std::nullopt;
    return it->second;
  }

  std::optional<engine::CloseReason> wait_close(const std::string& sid, Ms timeout = 3000ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return closes_.count(sid) != 0; });
    auto it = closes_.find(sid);
    if (it == closes_.end()) return std::nullopt;
    return it->second;
  }

  int close_count(const std::string& sid) {
    std::lock_guard<std::mutex> lock(mutex_);
    return close_counts_[sid];
  }

  std::vector<RecordedMessage> messages(const std::string& sid) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<RecordedMessage> out;
    for (const auto& m : messages_)
      if (m.sid == sid) out.push_back(m);
    return out;
  }

  bool wait_message_count(const std::string& sid, std::size_t n, Ms timeout = 3000ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
      return static_cast<std::size_t>(std::count_if(messages_.begin(), messages_.end(),
                                                    [&](const RecordedMessage& m) { return m.sid == sid; })) >= n;
    });
  }

  bool wait_clients_count(std::size_t n, Ms timeout = 3000ms) {
    return eventually([&] { return server_->clients_count() == n; }, timeout);
  }

  /// Session::transport_name() read on the session's own strand.
  std::string transport_on_strand(const std::string& sid) {
    auto session = std::dynamic_pointer_cast<engine::SessionImpl>(this->session(sid));
    if (!session) return "<no session>";
    auto promise = std::make_shared<std::promise<std::string>>();
    auto future = promise->get_future();
    asio::post(session->strand(), [session, promise] { promise->set_value(std::string(session->transport_name())); });
    if (future.wait_for(3s) != std::future_status::ready) return "<strand timeout>";
    return future.get();
  }

  std::vector<std::string> logs() {
    std::lock_guard<std::mutex> lock(mutex_);
    return logs_;
  }

 private:
  void on_connection(engine::SessionPtr session) {
    const std::string sid = session->id();
    std::weak_ptr<engine::Session> weak = session;
    session->on_message([this, weak, sid](std::string data, bool binary) {
      auto s = weak.lock();
      if (!s) return;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        messages_.push_back({sid, data, binary, std::string(s->transport_name())});
        cv_.notify_all();
      }
      if (binary) {
        s->send_binary(std::move(data));
      } else {
        s->send_text(std::move(data));
      }
    });
    session->on_close([this, sid](engine::CloseReason reason) {
      std::lock_guard<std::mutex> lock(mutex_);
      closes_.emplace(sid, reason);
      ++close_counts_[sid];
      cv_.notify_all();
    });
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_.emplace(sid, std::move(session));
    session_order_.push_back(sid);
    cv_.notify_all();
  }

  asio::io_context io_;
  std::unique_ptr<engine::Server> server_;
  IoThreads threads_{io_};
  bool shut_down_ = false;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, engine::SessionPtr> sessions_;
  std::vector<std::string> session_order_;
  std::map<std::string, engine::CloseReason> closes_;
  std::map<std::string, int> close_counts_;
  std::vector<RecordedMessage> messages_;
  std::vector<std::string> logs_;
};

/// Socket.IO server options for the tests: short heartbeats (200/200 ms) and
/// a 300 ms connect timeout.
inline socketio::ServerOptions sio_options() {
  socketio::ServerOptions options;
  options.ping_interval = 200ms;
  options.ping_timeout = 200ms;
  options.connect_timeout = 300ms;
  return options;
}

/// Strings recorded by server-side handlers (any thread), waited on by the test.
class Recorder {
 public:
  void add(std::string item) {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.push_back(std::move(item));
    cv_.notify_all();
  }
  std::vector<std::string> items() {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_;
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_.size();
  }
  bool wait_count(std::size_t n, Ms timeout = 3000ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return items_.size() >= n; });
  }
  bool wait_item(const std::string& item, Ms timeout = 3000ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return std::find(items_.begin(), items_.end(), item) != items_.end(); });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> items_;
};

/// A socketio::Server on its own io_context, run by `threads` threads with
/// no work guard: once closed, the io_context must run out of work.
class SioFixture {
 public:
  using Setup = std::function<void(socketio::Server&)>;

  /// `setup` runs after the fixture's on_error (and may replace it).
  explicit SioFixture(const Setup& setup, socketio::ServerOptions options = sio_options(), unsigned threads = 2)
      : server_(std::make_unique<socketio::Server>(io_, std::move(options))) {
    server_->on_error([this](const std::string& where, const std::string& what) { errors.add(where + ": " + what); });
    setup(*server_);
    server_->listen("127.0.0.1", 0);
    threads_.start(threads);
  }

  ~SioFixture() {
    if (!shut_down_) shutdown();
    server_.reset();
    io_.restart();
    io_.poll();
  }

  SioFixture(const SioFixture&) = delete;
  SioFixture& operator=(const SioFixture&) = delete;

  socketio::Server& server() { return *server_; }
  std::uint16_t port() const { return server_->port(); }

  /// server.close(), then waits for every io thread to return by itself.
  /// False (and the io_context is stopped by force) if they did not.
  bool shutdown(Ms timeout = 5000ms) {
    shut_down_ = true;
    server_->close();
    return threads_.join(timeout);
  }

  /// What server.on_error saw: "where: what".
  Recorder errors;

 private:
  asio::io_context io_;
  std::unique_ptr<socketio::Server> server_;
  IoThreads threads_{io_};
  bool shut_down_ = false;
};

// ---------------------------------------------------------------------------
// A tiny blocking HTTP/1.1 client: one request per connection, response read
// until the server closes the connection.

struct HttpResult {
  bool received = false;  ///< a complete status line and header block arrived
  std::string error;      ///< transport-level problem ("timeout", connect error...)
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  std::string raw;

  std::string header(const std::string& name) const {
    auto it = headers.find(lower(name));
    return it == headers.end() ? std::string() : it->second;
  }
};

inline void parse_http_response(HttpResult& result) {
  const std::string& raw = result.raw;
  auto header_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || header_end == std::string::npos) return;
  auto line_end = raw.find("\r\n");
  auto sp = raw.find(' ');
  if (sp == std::string::npos || sp > line_end) return;
  try {
    result.status = std::stoi(raw.substr(sp + 1, 3));
  } catch (const std::exception&) {
    return;
  }
  std::size_t pos = line_end + 2;
  while (pos < header_end) {
    auto eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      result.headers[lower(line.substr(0, colon))] = value;
    }
    pos = eol + 2;
  }
  result.body = raw.substr(header_end + 4);
  auto cl = result.headers.find("content-length");
  if (cl != result.headers.end()) {
    try {
      auto n = static_cast<std::size_t>(std::stoul(cl->second));
      if (result.body.size() > n) result.body.resize(n);
    } catch (const std::exception&) {
    }
  }
  result.received = true;
}

/// True once `data` holds a whole HTTP response: its head and as many body
/// bytes as its Content-Length says (none without one, e.g. a 101).
inline bool response_complete(std::string_view data) {
  const auto header_end = data.find("\r\n\r\n");
  if (header_end == std::string_view::npos) return false;
  std::size_t length = 0;
  std::size_t pos = data.find("\r\n") + 2;
  while (pos < header_end) {
    const auto eol = data.find("\r\n", pos);
    const std::string line = lower(std::string(data.substr(pos, eol - pos)));
    if (line.rfind("content-length:", 0) == 0) {
      try {
        length = std::stoul(line.substr(15));
      } catch (const std::exception&) {
      }
    }
    pos = eol + 2;
  }
  return data.size() >= header_end + 4 + length;
}

/// Sends `bytes` as they are and reads one response, or until the server
/// closes the connection, or until `timeout` passes (then the client closes it).
inline HttpResult http_raw(std::uint16_t port, const std::string& bytes, Ms timeout = 5000ms) {
  HttpResult result;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  asio::streambuf buffer;
  bool done = false;
  socket.async_connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](const std::error_code& ec) {
        if (ec) {
          result.error = "connect: " + ec.message();
          done = true;
          return;
        }
        asio::async_write(socket, asio::buffer(bytes), [&](const std::error_code& wec, std::size_t) {
          // A write error (the server may refuse early and reset) is not
          // final: read whatever it answered.
          if (wec) result.error = "write: " + wec.message();
          // Until the server closes the connection or one whole response
          // (head and Content-Length body) is in: connections are
          // persistent, the server does not close after responding.
          auto complete = [&](const std::error_code& rec, std::size_t) -> std::size_t {
            if (rec) return 0;
            std::string_view data(static_cast<const char*>(buffer.data().data()), buffer.size());
            return response_complete(data) ? 0 : 65536;
          };
          asio::async_read(socket, buffer, complete, [&](const std::error_code& rec, std::size_t) {
            if (rec && rec != asio::error::eof && result.error.empty()) result.error = "read: " + rec.message();
            done = true;
          });
        });
      });
  io.run_for(timeout);
  if (!done) {
    result.error = "timeout";
    std::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    io.restart();
    io.run_for(200ms);  // let the aborted handlers finish
  }
  result.raw.assign(asio::buffers_begin(buffer.data()), asio::buffers_end(buffer.data()));
  parse_http_response(result);
  return result;
}

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                               const std::string& body = {}, const HeaderList& headers = {},
                               Ms timeout = 5000ms) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  bool has_length = false;
  for (const auto& [name, value] : headers) {
    request += name + ": " + value + "\r\n";
    if (lower(name) == "content-length" || lower(name) == "transfer-encoding") has_length = true;
  }
  if (!has_length && (method == "POST" || !body.empty())) {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  return http_raw(port, request, timeout);
}

// ---------------------------------------------------------------------------
// An Engine.IO long-polling client on top of http_request.

class PollingClient {
 public:
  explicit PollingClient(std::uint16_t port, std::string path = "/engine.io/") : port_(port), path_(std::move(path)) {}

  /// GET ?EIO=4&transport=polling; on success remembers the sid.
  HttpResult handshake() {
    auto r = http_request(port_, "GET", path_ + "?EIO=4&transport=polling");
    if (r.status == 200 && r.body.size() > 1 && r.body[0] == '0') {
      open_json = r.body.substr(1);
      sid = json_member(open_json, "sid").value_or("");
    }
    return r;
  }

  std::string target() const { return path_ + "?EIO=4&transport=polling&sid=" + sid; }

  HttpResult get(Ms timeout = 5000ms) { return http_request(port_, "GET", target(), {}, {}, timeout); }
  HttpResult post(const std::string& body, const HeaderList& headers = {}) {
    return http_request(port_, "POST", target(), body, headers);
  }

  /// Runs GETs until one carries something other than PINGs (answering each
  /// PING with a PONG), and returns that GET's packets minus the PINGs.
  /// Empty on an HTTP failure; `last` holds the final response.
  std::vector<std::string> poll(Ms timeout = 5000ms) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      last = get(timeout);
      if (last.status != 200) return {};
      std::vector<std::string> packets;
      bool pinged = false;
      for (auto& p : split_payload(last.body)) {
        if (p == "2") {
          pinged = true;
        } else {
          packets.push_back(std::move(p));
        }
      }
      if (pinged) {
        ++pings_answered;
        post("3");
      }
      if (!packets.empty()) return packets;
    }
    return {};
  }

  std::string sid;
  std::string open_json;
  HttpResult last;
  int pings_answered = 0;

 private:
  std::uint16_t port_;
  std::string path_;
};

// ---------------------------------------------------------------------------
// A WebSocket client (websocketpp) on its own io_context and thread.

struct WsMessage {
  std::string data;
  bool binary = false;
};

class WsClient {
 public:
  using Client = websocketpp::client<websocketpp::config::asio_client>;

  /// Connects to ws://127.0.0.1:port<target>. With auto_pong, every "2"
  /// (PING) is answered with "3" and not queued.
  WsClient(std::uint16_t port, const std::string& target, bool auto_pong = true) : auto_pong_(auto_pong) {
    client_.clear_access_channels(websocketpp::log::alevel::all);
    client_.clear_error_channels(websocketpp::log::elevel::all);
    std::error_code ec;
    client_.init_asio(&io_, ec);
    client_.set_max_message_size(64 * 1024 * 1024);
    client_.set_open_handler([this](websocketpp::connection_hdl) {
      std::lock_guard<std::mutex> lock(mutex_);
      state_ = State::open;
      cv_.notify_all();
    });
    client_.set_fail_handler([this](websocketpp::connection_hdl hdl) {
      std::error_code ec2;
      auto con = client_.get_con_from_hdl(hdl, ec2);
      std::lock_guard<std::mutex> lock(mutex_);
      state_ = State::failed;
      if (con) {
        fail_reason_ = con->get_ec().message();
        http_status_ = static_cast<int>(con->get_response_code());
      }
      cv_.notify_all();
    });
    client_.set_close_handler([this](websocketpp::connection_hdl hdl) {
      std::error_code ec2;
      auto con = client_.get_con_from_hdl(hdl, ec2);
      std::lock_guard<std::mutex> lock(mutex_);
      state_ = State::closed;
      if (con) remote_close_code_ = static_cast<int>(con->get_remote_close_code());
      cv_.notify_all();
    });
    client_.set_message_handler([this](websocketpp::connection_hdl hdl, Client::message_ptr msg) {
      bool binary = msg->get_opcode() == websocketpp::frame::opcode::binary;
      std::string payload = msg->get_payload();
      if (auto_pong_ && !binary && payload == "2") {
        std::error_code ec2;
        client_.send(hdl, "3", websocketpp::frame::opcode::text, ec2);
        std::lock_guard<std::mutex> lock(mutex_);
        ++pings_;
        cv_.notify_all();
        return;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (!binary && payload == "2") ++pings_;
      queue_.push_back({std::move(payload), binary});
      cv_.notify_all();
    });
    auto con = client_.get_connection("ws://127.0.0.1:" + std::to_string(port) + target, ec);
    if (ec) {
      state_ = State::failed;
      fail_reason_ = ec.message();
      return;
    }
    hdl_ = con->get_handle();
    client_.connect(con);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~WsClient() {
    close();
    if (thread_.joinable()) {
      // The client's io_context runs out of work once the connection is gone.
      bool finished = eventually([this] { return io_.stopped(); }, 3000ms);
      if (!finished) io_.stop();
      thread_.join();
    }
  }

  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  bool wait_open(Ms timeout = 3000ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, timeout, [this] { return state_ != State::connecting; });
    return state_ == State::open;
  }

  /// True once the connection is closed (or failed).
  bool wait_closed(Ms timeout = 3000ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return state_ == State::closed || state_ == State::failed; });
  }

  bool is_open() {
    std::lock_guard<std::mutex> lock(mutex_);
    return state_ == State::open;
  }
  bool failed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return state_ == State::failed;
  }
  int remote_close_code() {
    std::lock_guard<std::mutex> lock(mutex_);
    return remote_close_code_;
  }
  int http_status() {
    std::lock_guard<std::mutex> lock(mutex_);
    return http_status_;
  }
  std::string fail_reason() {
    std::lock_guard<std::mutex> lock(mutex_);
    return fail_reason_;
  }
  int pings() {
    std::lock_guard<std::mutex> lock(mutex_);
    return pings_;
  }

  void send_text(const std::string& text) {
    std::error_code ec;
    client_.send(hdl_, text, websocketpp::frame::opcode::text, ec);
  }
  void send_binary(const std::string& bytes) {
    std::error_code ec;
    client_.send(hdl_, bytes, websocketpp::frame::opcode::binary, ec);
  }

  /// The next queued message, or nullopt after `timeout`.
  std::optional<WsMessage> next(Ms timeout = 3000ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [this] { return !queue_.empty(); })) return std::nullopt;
    auto m = std::move(queue_.front());
    queue_.pop_front();
    return m;
  }

  /// Starts a normal close (1000) if the connection is open.
  void close(int code = 1000) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (state_ != State::open) return;
    }
    std::error_code ec;
    client_.close(hdl_, static_cast<websocketpp::close::status::value>(code), "", ec);
  }

 private:
  enum class State { connecting, open, closed, failed };

  asio::io_context io_;
  Client client_;
  websocketpp::connection_hdl hdl_;
  bool auto_pong_;
  std::thread thread_;

  std::mutex mutex_;
  std::condition_variable cv_;
  State state_ = State::connecting;
  std::deque<WsMessage> queue_;
  int remote_close_code_ = 0;
  int http_status_ = 0;
  std::string fail_reason_;
  int pings_ = 0;
};

// ---------------------------------------------------------------------------
// A Socket.IO client speaking raw frames over WsClient (PINGs are answered by
// it), so every byte on the wire is the test's.

class SioClient {
 public:
  explicit SioClient(std::uint16_t port) : ws_(port, "/socket.io/?EIO=4&transport=websocket") {}

  /// Waits for the WebSocket and the Engine.IO OPEN packet.
  bool open(Ms timeout = 3000ms) {
    if (!ws_.wait_open(timeout)) return false;
    auto m = ws_.next(timeout);
    if (!m || m->binary || m->data.empty() || m->data[0] != '0') return false;
    engine_sid = json_member(m->data.substr(1), "sid").value_or("");
    return !engine_sid.empty();
  }

  /// Sends CONNECT ("40" + rest) and returns the server's answer (the next
  /// message).
  std::string connect(const std::string& rest = "", Ms timeout = 3000ms) {
    send("40" + rest);
    return next_text(timeout);
  }

  /// open() and CONNECT to "/" with `auth`; the socket id, or "" on failure
  /// (or if anything but the answer came first).
  std::string open_and_connect(const std::string& auth = "", Ms timeout = 3000ms) {
    if (!open(timeout)) return {};
    return sid_of_connect(connect(auth, timeout));
  }

  /// The same, skipping whatever comes before the answer to the CONNECT: a
  /// broadcast from another thread to the whole namespace can overtake it.
  std::string open_and_connect_amid_broadcasts(const std::string& auth, Ms timeout) {
    if (!open(timeout)) return {};
    send("40" + auth);
    std::string reply;
    if (!wait_for([](const std::string& m) { return m.rfind("40", 0) == 0 || m.rfind("44", 0) == 0; }, timeout,
                  &reply)) {
      return {};
    }
    return sid_of_connect(reply);
  }

  void send(const std::string& frame) { ws_.send_text(frame); }
  void send_binary(const std::string& bytes) { ws_.send_binary(bytes); }

  std::optional<WsMessage> next(Ms timeout = 3000ms) { return ws_.next(timeout); }
  /// The next message if it is text, else "<binary>" or "<timeout>".
  std::string next_text(Ms timeout = 3000ms) {
    auto m = ws_.next(timeout);
    if (!m) return "<timeout>";
    if (m->binary) return "<binary>";
    return m->data;
  }

  /// Consumes messages until a text one satisfies `pred` (true) or `timeout`.
  bool wait_for(const std::function<bool(const std::string&)>& pred, Ms timeout, std::string* out = nullptr) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now());
      if (left <= 0ms) return false;
      auto m = ws_.next(left);
      if (!m) return false;
      if (!m->binary && pred(m->data)) {
        if (out) *out = m->data;
        return true;
      }
    }
  }

  /// Drains what has arrived, calling `f` on each text message.
  void drain(const std::function<void(const std::string&)>& f, Ms wait = 0ms) {
    while (auto m = ws_.next(wait)) {
      if (!m->binary) f(m->data);
      wait = 0ms;
    }
  }

  bool wait_closed(Ms timeout = 3000ms) { return ws_.wait_closed(timeout); }
  bool is_open() { return ws_.is_open(); }
  void close() { ws_.close(); }

  /// Sends an acknowledged event and returns the ACK frame ("43<id>[...]").
  std::string call(const std::string& event_json_array, int id) {
    send("42" + std::to_string(id) + event_json_array);
    return next_text();
  }

  std::string engine_sid;

 private:
  /// The socket id in a CONNECT answer "40{...}", or "".
  static std::string sid_of_connect(const std::string& reply) {
    if (reply.rfind("40{", 0) != 0) return {};
    return json_member(reply.substr(2), "sid").value_or("");
  }

  WsClient ws_;
};

// ---------------------------------------------------------------------------
// A raw TCP connection (for clients that misbehave at the byte level).

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : socket_(io_) {
    socket_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec_);
  }
  ~RawConnection() { close(); }

  bool connected() const { return !ec_; }
  void write(const std::string& bytes) {
    std::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
  }
  /// Closes abruptly (RST, as a vanished peer would look after a crash).
  void reset() {
    std::error_code ec;
    socket_.set_option(asio::socket_base::linger(true, 0), ec);
    socket_.close(ec);
  }
  void close() {
    std::error_code ec;
    socket_.close(ec);
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::error_code ec_;
};

}  // namespace it

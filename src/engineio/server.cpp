#include "socketio/engine/server.hpp"

#include <algorithm>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "engineio/request_error.hpp"
#include "engineio/session.hpp"
#include "engineio/session_id.hpp"
#include "transport/http_frontend.hpp"
#include "transport/polling_transport.hpp"
#include "transport/websocket_transport.hpp"

namespace socketio::engine {

using transport::HttpExchangePtr;
using transport::HttpResponse;

class Server::Impl final : public transport::HttpFrontendHandler, public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, Options options) : io_(io), options_(std::move(options)) {
    if (options_.path.empty() || options_.path.back() != '/') options_.path += '/';
  }

  ~Impl() override {
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_.clear();
  }

  void on_connection(ConnectionHandler handler) { connection_handler_ = std::move(handler); }
  void set_log_hook(LogHook hook) {
    log_ = std::move(hook);
    std::lock_guard<std::mutex> lock(mutex_);
    session_shared_.reset();  // sessions made from now on log to the new hook
  }
  void on_http_request(HttpHandler handler) { http_handler_ = std::move(handler); }

  void listen(const std::string& host, std::uint16_t port, std::error_code& ec) {
    transport::HttpFrontendOptions frontend_options;
    frontend_options.max_message_size = options_.max_http_buffer_size;
    // The parser refuses bodies above this (413) before we see them; keep it
    // above our own limit so that a slightly oversize POST still reaches the
    // polling transport, which answers 413 and also closes the session.
    frontend_options.max_body_size = options_.max_http_buffer_size * 2 + 4096;
    frontend_options.max_buffered_bytes = max_buffered_bytes();
    frontend_options.log = log_;
    frontend_ = std::make_unique<transport::HttpFrontend>(io_, weak_from_this(), std::move(frontend_options));
    frontend_->listen(host, port, ec);
  }

  std::uint16_t port() const noexcept { return frontend_ ? frontend_->port() : 0; }

  void close() {
    if (closed_.exchange(true)) return;
    if (frontend_) frontend_->stop();
    std::vector<std::shared_ptr<SessionImpl>> sessions;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& [sid, session] : sessions_) sessions.push_back(session);
    }
    for (auto& session : sessions) session->abort(CloseReason::server_shutdown);
  }

  std::size_t clients_count() const noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    return sessions_.size();
  }

  const Options& options() const noexcept { return options_; }

  // HttpFrontendHandler

  void on_http_request(HttpExchangePtr exchange) override {
    const RequestInfo& request = exchange->request();
    if (!is_engine_path(request)) {
      serve_other(exchange);
      return;
    }
    exchange->extra_headers = cors_headers(request);
    if (request.method == "OPTIONS" && options_.cors.enabled) {
      exchange->respond(preflight_response(request));
      return;
    }
    if (auto error = verify(request, /*upgrade=*/false)) {
      exchange->respond(request_error_response(*error));
      return;
    }
    if (const std::string* sid = request.query_param("sid")) {
      auto session = find_session(*sid);
      if (!session) {
        exchange->respond(request_error_response(RequestError::unknown_sid));
        return;
      }
      asio::post(session->strand(), [session, exchange] { session->handle_polling_request(exchange); });
      return;
    }
    auto polling = std::make_shared<transport::PollingTransport>(options_.max_http_buffer_size);
    // A copy of the request: the exchange keeps its own.
    auto session = create_session(request, polling->name(), generate_session_id());
    asio::post(session->strand(), [self = shared_from_this(), session, polling, exchange] {
      session->start(polling);
      polling->on_request(exchange);
      self->announce(session);
    });
  }

  std::optional<HttpResponse> validate_websocket(const RequestInfo& request,
                                                 transport::WsGreeting& greeting) override {
    if (!is_engine_path(request)) return HttpResponse{404, {{"Content-Type", "text/plain"}}, "Not Found"};
    if (auto error = verify(request, /*upgrade=*/true)) return request_error_response(*error);
    if (!request.query_param("sid")) {
      // A new session over WebSocket: its OPEN packet goes out with the 101
      // response. The sid is chosen now and the session created on open.
      std::string sid = generate_session_id();
      greeting.text = std::string(SessionMachine::open_packet(sid, session_config("websocket")).frame());
      greeting.context = std::move(sid);
    }
    return std::nullopt;
  }

  std::shared_ptr<transport::WsListener> on_websocket_open(transport::WsConnectionPtr connection, RequestInfo request,
                                                           transport::WsGreeting greeting) override {
    if (const std::string* sid = request.query_param("sid")) {
      auto session = find_session(*sid);
      if (!session) return nullptr;
      auto ws = std::make_shared<transport::WebSocketTransport>(std::move(connection), session->strand());
      asio::post(session->strand(), [session, ws] {
        // A second WebSocket for a session that is already upgrading or
        // upgraded is closed, as Node does.
        if (!session->try_upgrade(ws)) ws->close();
      });
      return ws;
    }
    const bool open_packet_sent = !greeting.text.empty();
    auto session = create_session(std::move(request), "websocket",
                                  open_packet_sent ? std::move(greeting.context) : generate_session_id());
    auto ws = std::make_shared<transport::WebSocketTransport>(std::move(connection), session->strand());
    asio::post(session->strand(), [self = shared_from_this(), session, ws, open_packet_sent] {
      session->start(ws, open_packet_sent);
      self->announce(session);
    });
    return ws;
  }

 private:
  /// Per-session bound on output waiting for a slow client.
  std::size_t max_buffered_bytes() const { return std::max<std::size_t>(16 * options_.max_http_buffer_size, 1 << 20); }

  /// A request outside the engine path: the host's handler, or 404.
  void serve_other(const HttpExchangePtr& exchange) {
    if (!http_handler_) {
      exchange->respond(HttpResponse{404, {{"Content-Type", "text/plain"}}, "Not Found"});
      return;
    }
    const RequestInfo& info = exchange->request();
    socketio::HttpRequest request;
    request.method = info.method;
    request.url = info.url;
    request.path = info.path;
    request.headers = info.headers.to_map();
    request.query = info.query.to_map();
    request.body = exchange->body();
    request.remote_address = info.remote_address;
    HttpResponder respond = [exchange](socketio::HttpResponse response) {
      exchange->respond(HttpResponse{response.status, std::move(response.headers), std::move(response.body)});
    };
    try {
      http_handler_(request, std::move(respond));
    } catch (const std::exception& e) {
      if (log_) log_(LogLevel::error, std::string("HTTP handler threw: ") + e.what());
      exchange->respond(HttpResponse{500, {{"Content-Type", "text/plain"}}, "Internal Server Error"});
    }
  }

  bool is_engine_path(const RequestInfo& request) const {
    // Node matches the raw URL's prefix against the path with its slash.
    return request.url.compare(0, options_.path.size(), options_.path) == 0;
  }

  bool transport_enabled(std::string_view name) const {
    return std::find(options_.transports.begin(), options_.transports.end(), name) != options_.transports.end();
  }

  /// Node's Server.verify + the protocol check of Server.handshake, in
  /// Node's order (so the same request gets the same code).
  std::optional<RequestError> verify(const RequestInfo& request, bool upgrade) const {
    const std::string* transport = request.query_param("transport");
    if (!transport || !transport_enabled(*transport) ||
        (*transport != "polling" && *transport != "websocket")) {
      return RequestError::unknown_transport;
    }
    if (const std::string* sid = request.query_param("sid")) {
      if (!find_session(*sid)) return RequestError::unknown_sid;
      if (upgrade && !options_.allow_upgrades) return RequestError::bad_request;
      if (!upgrade && *transport != "polling") return RequestError::bad_request;
      return std::nullopt;
    }
    if (request.method != "GET") return RequestError::bad_handshake_method;
    if (*transport == "websocket" && !upgrade) return RequestError::bad_request;
    const std::string* eio = request.query_param("EIO");
    if (!eio || *eio != "4") return RequestError::unsupported_protocol_version;
    return std::nullopt;
  }

  std::shared_ptr<SessionImpl> find_session(const std::string& sid) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(sid);
    return it == sessions_.end() ? nullptr : it->second;
  }

  SessionConfig session_config(std::string_view transport) const {
    SessionConfig config;
    config.ping_interval = options_.ping_interval;
    config.ping_timeout = options_.ping_timeout;
    config.upgrade_timeout = options_.upgrade_timeout;
    config.max_payload = options_.max_http_buffer_size;
    config.max_buffered_bytes = max_buffered_bytes();
    if (transport == "polling" && options_.allow_upgrades && transport_enabled("websocket")) {
      config.upgrades.emplace_back("websocket");
    }
    return config;
  }

  std::shared_ptr<SessionImpl> create_session(RequestInfo request, std::string_view transport, std::string sid) {
    std::shared_ptr<const SessionConfig> config;
    std::shared_ptr<const SessionImpl::Shared> shared;
    {
      // One config per transport and one set of hooks for all sessions,
      // made on first use (weak_from_this is not available earlier).
      std::lock_guard<std::mutex> lock(mutex_);
      auto& slot = transport == "polling" ? polling_config_ : websocket_config_;
      if (!slot) slot = std::make_shared<const SessionConfig>(session_config(transport));
      config = slot;
      if (!session_shared_) {
        session_shared_ = std::make_shared<const SessionImpl::Shared>(SessionImpl::Shared{
            log_, [weak = weak_from_this()](const std::string& closed_sid) {
              if (auto self = weak.lock()) {
                std::lock_guard<std::mutex> lock(self->mutex_);
                self->sessions_.erase(closed_sid);
              }
            }});
      }
      shared = session_shared_;
    }
    auto session = std::make_shared<SessionImpl>(io_, sid, std::move(config), std::move(request), std::move(shared));
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_.emplace(std::move(sid), session);
    return session;
  }

  /// Hands a new session to the user (on its strand, after OPEN is queued).
  void announce(const std::shared_ptr<SessionImpl>& session) {
    if (closed_) {
      session->abort(CloseReason::server_shutdown);
      return;
    }
    if (!connection_handler_) return;
    try {
      connection_handler_(session);
    } catch (const std::exception& e) {
      if (log_) log_(LogLevel::error, std::string("connection handler threw: ") + e.what());
    }
  }

  transport::HttpHeaders cors_headers(const RequestInfo& request) const {
    transport::HttpHeaders headers;
    const CorsOptions& cors = options_.cors;
    if (!cors.enabled) return headers;
    const std::string* origin = request.header("origin");
    if (cors.origins.empty()) {
      if (cors.credentials && origin) {
        // Browsers refuse "*" on credentialed requests: echo the origin.
        headers.emplace_back("Access-Control-Allow-Origin", *origin);
        headers.emplace_back("Vary", "Origin");
      } else {
        headers.emplace_back("Access-Control-Allow-Origin", "*");
      }
    } else {
      if (origin && std::find(cors.origins.begin(), cors.origins.end(), *origin) != cors.origins.end()) {
        headers.emplace_back("Access-Control-Allow-Origin", *origin);
      }
      headers.emplace_back("Vary", "Origin");
    }
    if (cors.credentials) headers.emplace_back("Access-Control-Allow-Credentials", "true");
    return headers;
  }

  HttpResponse preflight_response(const RequestInfo& request) const {
    const CorsOptions& cors = options_.cors;
    HttpResponse response;
    response.status = 204;
    std::string methods;
    for (const auto& method : cors.methods) methods += (methods.empty() ? "" : ",") + method;
    response.headers.emplace_back("Access-Control-Allow-Methods", methods);
    if (!cors.allowed_headers.empty()) {
      std::string allowed;
      for (const auto& h : cors.allowed_headers) allowed += (allowed.empty() ? "" : ",") + h;
      response.headers.emplace_back("Access-Control-Allow-Headers", allowed);
    } else if (const std::string* requested = request.header("access-control-request-headers")) {
      response.headers.emplace_back("Access-Control-Allow-Headers", *requested);
      response.headers.emplace_back("Vary", "Access-Control-Request-Headers");
    }
    if (cors.max_age_seconds >= 0) {
      response.headers.emplace_back("Access-Control-Max-Age", std::to_string(cors.max_age_seconds));
    }
    response.headers.emplace_back("Content-Length", "0");
    return response;
  }

  asio::io_context& io_;
  Options options_;
  std::unique_ptr<transport::HttpFrontend> frontend_;
  ConnectionHandler connection_handler_;
  HttpHandler http_handler_;
  LogHook log_;
  std::shared_ptr<const SessionConfig> polling_config_;
  std::shared_ptr<const SessionConfig> websocket_config_;
  std::shared_ptr<const SessionImpl::Shared> session_shared_;
  std::atomic<bool> closed_{false};
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<SessionImpl>> sessions_;
};

Server::Server(asio::io_context& io, Options options) : impl_(std::make_shared<Impl>(io, std::move(options))) {}

Server::~Server() { impl_->close(); }

void Server::on_connection(ConnectionHandler handler) { impl_->on_connection(std::move(handler)); }

void Server::set_log_hook(LogHook hook) { impl_->set_log_hook(std::move(hook)); }

void Server::on_http_request(HttpHandler handler) { impl_->on_http_request(std::move(handler)); }

void Server::listen(const std::string& host, std::uint16_t port, std::error_code& ec) {
  impl_->listen(host, port, ec);
}

void Server::listen(const std::string& host, std::uint16_t port) {
  std::error_code ec;
  impl_->listen(host, port, ec);
  if (ec) throw std::system_error(ec, "socketio: listen on " + host + ":" + std::to_string(port));
}

std::uint16_t Server::port() const noexcept { return impl_->port(); }

void Server::close() { impl_->close(); }

std::size_t Server::clients_count() const noexcept { return impl_->clients_count(); }

const Options& Server::options() const noexcept { return impl_->options(); }

}  // namespace socketio::engine

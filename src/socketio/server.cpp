#include "socketio/server.hpp"

#include "socketio/core.hpp"

namespace socketio {

namespace detail {

ServerCore::ServerCore(asio::io_context& io, ServerOptions options, AdapterFactory adapter)
    : io_(io),
      options_(std::move(options)),
      adapter_factory_(adapter ? std::move(adapter)
                               : AdapterFactory([](Namespace& nsp) { return std::make_unique<InMemoryAdapter>(nsp); })),
      engine_(io, static_cast<const engine::Options&>(options_)) {}

ServerCore::~ServerCore() = default;

Namespace& ServerCore::of(const std::string& raw_name) {
  std::string name = raw_name.empty() || raw_name[0] != '/' ? "/" + raw_name : raw_name;
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = namespaces_[name];
  if (!slot) slot = std::make_unique<Namespace>(*this, name);
  return *slot;
}

Namespace& ServerCore::add_parent(Server::NamespacePredicate predicate) {
  std::lock_guard<std::mutex> lock(mutex_);
  parents_.push_back(Parent{std::move(predicate), std::make_unique<Namespace>(*this, "/_parent", Namespace::Kind::parent)});
  return *parents_.back().nsp;
}

Namespace* ServerCore::resolve(const std::string& name, const Json& auth) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = namespaces_.find(name); it != namespaces_.end()) return it->second.get();
  for (auto& parent : parents_) {
    bool match = false;
    run_user("namespace predicate", [&] { match = parent.predicate(name, auth); });
    if (!match) continue;
    auto child = std::make_unique<Namespace>(*this, name);
    child->inherit(*parent.nsp);
    Namespace* result = child.get();
    namespaces_.emplace(name, std::move(child));
    return result;
  }
  return nullptr;
}

std::vector<Namespace*> ServerCore::namespaces() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Namespace*> result;
  for (auto& [name, nsp] : namespaces_) result.push_back(nsp.get());
  return result;
}

void ServerCore::set_log_hook(LogHook hook) {
  log_hook_ = hook;
  engine_.set_log_hook(std::move(hook));
}

void ServerCore::report_error(const std::string& where, const std::string& what) noexcept {
  try {
    if (error_hook_) {
      error_hook_(where, what);
    } else {
      log(LogLevel::error, where + " threw: " + what);
    }
  } catch (...) {
  }
}

void ServerCore::log(LogLevel level, std::string_view message) const {
  if (log_hook_) log_hook_(level, message);
}

void ServerCore::close() {
  if (closed_.exchange(true)) return;
  for (Namespace* nsp : namespaces()) {
    for (auto& socket : nsp->sockets()) SocketAccess::close(socket, DisconnectReason::server_shutting_down);
  }
  // After the sockets: their departures may still reach the cluster.
  for (Namespace* nsp : namespaces()) nsp->adapter().close();
  engine_.close();
}

}  // namespace detail

Server::Server(asio::io_context& io, ServerOptions options) : Server(io, std::move(options), nullptr) {}

Server::Server(asio::io_context& io, ServerOptions options, AdapterFactory adapter)
    : core_(std::make_shared<detail::ServerCore>(io, std::move(options), std::move(adapter))) {
  core_->of("/");
  core_->engine().on_connection([weak = std::weak_ptr<detail::ServerCore>(core_)](engine::SessionPtr session) {
    auto core = weak.lock();
    if (!core) return;
    auto client = std::make_shared<detail::Client>(core, std::static_pointer_cast<engine::SessionImpl>(session));
    client->start();
  });
}

Server::~Server() { core_->close(); }

Namespace& Server::of(const std::string& name) { return core_->of(name); }

Namespace& Server::of(const std::regex& pattern) {
  return core_->add_parent([pattern](const std::string& name, const Json&) { return std::regex_match(name, pattern); });
}

Namespace& Server::of(NamespacePredicate predicate) { return core_->add_parent(std::move(predicate)); }

void Server::on_http_request(HttpHandler handler) { core_->engine().on_http_request(std::move(handler)); }

void Server::on_error(ErrorHook hook) { core_->set_error_hook(std::move(hook)); }

void Server::set_log_hook(LogHook hook) { core_->set_log_hook(std::move(hook)); }

void Server::listen(const std::string& host, std::uint16_t port, std::error_code& ec) {
  core_->engine().listen(host, port, ec);
}

void Server::listen(const std::string& host, std::uint16_t port) {
  std::error_code ec;
  listen(host, port, ec);
  if (ec) throw std::system_error(ec, "socketio: listen on " + host + ":" + std::to_string(port));
}

std::uint16_t Server::port() const noexcept { return core_->engine().port(); }

void Server::close() { core_->close(); }

const ServerOptions& Server::options() const noexcept { return core_->options(); }

}  // namespace socketio

#include "socketio/namespace.hpp"

#include <asio/post.hpp>
#include <ctime>
#include <iterator>
#include <stdexcept>

#include "engineio/session_id.hpp"
#include "socketio/core.hpp"

namespace socketio {

namespace {

/// Node's `new Date().toString()`, in UTC.
std::string js_date_string(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[96];
  std::strftime(buffer, sizeof buffer, "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", &tm);
  return buffer;
}

Handshake build_handshake(const engine::RequestInfo& request, Json auth) {
  Handshake handshake;
  handshake.headers = request.headers;
  handshake.time = js_date_string(request.time);
  handshake.address = request.remote_address;
  handshake.xdomain = request.header("origin") != nullptr;
  handshake.secure = request.secure;
  handshake.issued =
      std::chrono::duration_cast<std::chrono::milliseconds>(request.time.time_since_epoch()).count();
  handshake.url = request.url;
  handshake.query = request.query;
  handshake.auth = std::move(auth);
  return handshake;
}

}  // namespace

Namespace::Namespace(detail::ServerCore& server, std::string name, Kind kind)
    : server_(server), name_(std::move(name)) {
  adapter_ = kind == Kind::parent ? std::make_unique<InMemoryAdapter>(*this) : server_.make_adapter(*this);
}

Namespace::~Namespace() = default;

void Namespace::use(Middleware middleware) { middlewares_.push_back(std::move(middleware)); }

void Namespace::on_connection(ConnectionHandler handler) { connection_handlers_.push_back(std::move(handler)); }

void Namespace::inherit(const Namespace& parent) {
  middlewares_ = parent.middlewares_;
  connection_handlers_ = parent.connection_handlers_;
  server_handlers_ = parent.server_handlers_;
}

void Namespace::add_server_handler(const std::string& event, detail::EventHandler handler) {
  if (event == "connection" || event == "connect" || event == "new_namespace") {
    throw std::invalid_argument("\"" + event + "\" is a reserved event name");
  }
  server_handlers_[event].push_back(std::move(handler));
}

void Namespace::server_side_emit_args(std::string event, Args args) {
  adapter_->server_side_emit(detail::make_event_packet(std::move(event), std::move(args)));
}

void Namespace::server_side_emit_with_ack(std::string event, Args args, Adapter::ServerAckCallback callback) {
  adapter_->server_side_emit_with_ack(detail::make_event_packet(std::move(event), std::move(args)),
                                      std::move(callback));
}

void Namespace::dispatch_server_side_emit(Args packet, std::function<void(Args)> reply) {
  if (packet.empty() || !packet[0].is_string()) return;
  std::string event = packet[0].get<std::string>();
  auto it = server_handlers_.find(event);
  if (it == server_handlers_.end()) return;
  Args args(std::vector<Json>(std::make_move_iterator(packet.begin() + 1), std::make_move_iterator(packet.end())));
  // Only the first handler can answer (as a Node callback argument can be
  // called once); the others get a no-op Ack.
  bool first = true;
  for (auto& handler : it->second) {
    Args copy = args;
    Ack ack = first ? detail::AckAccess::make(reply) : Ack();
    first = false;
    server_.run_user("server-side event handler", [&] { handler(nullptr, copy, ack); });
  }
}

SocketPtr Namespace::socket(const SocketId& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = sockets_.find(id);
  return it == sockets_.end() ? nullptr : it->second;
}

std::vector<SocketPtr> Namespace::sockets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<SocketPtr> result;
  result.reserve(sockets_.size());
  for (const auto& [id, socket] : sockets_) result.push_back(socket);
  return result;
}

std::size_t Namespace::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sockets_.size();
}

void Namespace::remove(const SocketId& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = sockets_.find(id); it != sockets_.end()) sockets_.erase(it);
}

void Namespace::add(const std::shared_ptr<detail::Client>& client, Json auth) {
  SocketPtr socket(new Socket(*this, client, engine::generate_session_id(),
                              build_handshake(client->request(), std::move(auth))));

  // Called once the middleware chain has finished (on the client's strand).
  auto admit = [this, client, socket](std::optional<ConnectError> error) {
    if (!client->open()) return;
    if (error) {
      Json body = Json::object({{"message", error->message}});
      if (!error->data.is_null()) body["data"] = error->data;
      sio::Packet refusal;
      refusal.type = sio::PacketType::connect_error;
      refusal.nsp = name_;
      refusal.data = std::move(body);
      client->send_packet(refusal);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sockets_[std::string_view(socket->id())] = socket;
    }
    adapter_->add_all(socket->id(), {socket->id()});
    client->attach(socket);
    sio::Packet connect;
    connect.type = sio::PacketType::connect;
    connect.nsp = name_;
    connect.data = Json::object({{"sid", socket->id()}});
    client->send_packet(connect);
    for (auto& handler : connection_handlers_) server_.run_user("connection handler", [&] { handler(socket); });
  };

  if (middlewares_.empty()) {
    admit(std::nullopt);
    return;
  }
  // Middleware may call next() later and from any thread: each step hops
  // back onto the client's strand.
  auto run = std::make_shared<std::function<void(std::size_t)>>();
  std::weak_ptr<std::function<void(std::size_t)>> weak_run = run;
  *run = [this, client, socket, admit, weak_run](std::size_t index) {
    if (index == middlewares_.size()) {
      admit(std::nullopt);
      return;
    }
    auto self_run = weak_run.lock();
    auto once = std::make_shared<std::atomic<bool>>(false);
    Next next = [client, admit, self_run, index, once](std::optional<ConnectError> error) {
      if (once->exchange(true)) return;
      asio::post(client->session().strand(), [admit, self_run, index, error = std::move(error)]() mutable {
        if (error) {
          admit(std::move(error));
        } else {
          (*self_run)(index + 1);
        }
      });
    };
    bool threw = true;
    server_.run_user("namespace middleware", [&] {
      middlewares_[index](socket, next);
      threw = false;
    });
    if (threw) next(ConnectError{"middleware error", Json()});
  };
  (*run)(0);
}

}  // namespace socketio

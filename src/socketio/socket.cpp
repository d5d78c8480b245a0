#include "socketio/socket.hpp"

#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include "socketio/core.hpp"
#include "socketio/namespace.hpp"

namespace socketio {

/// An acknowledgement this socket waits for from its client.
struct Socket::PendingAck {
  AckCallback callback;
  std::unique_ptr<asio::steady_timer> timer;
};

Socket::Socket(Namespace& nsp, std::shared_ptr<detail::Client> client, SocketId id, Handshake handshake)
    : nsp_(nsp), client_(std::move(client)), id_(std::move(id)), handshake_(std::move(handshake)) {}

Socket::~Socket() = default;

template <class F>
void Socket::run_on_strand(F&& f) {
  auto client = client_;
  if (!client) return;
  asio::dispatch(client->session().strand(), [self = shared_from_this(), f = std::forward<F>(f)]() mutable {
    if (self->connected()) f(*self);
  });
}

std::vector<Room> Socket::rooms() const { return nsp_.adapter().socket_rooms(id_); }

bool Socket::connected() const noexcept { return connected_.load(std::memory_order_acquire); }

std::string Socket::transport_name() const {
  return client_ ? std::string(client_->session().transport_name()) : std::string();
}

void Socket::join(const Room& room) { join(std::vector<Room>{room}); }

void Socket::join(const std::vector<Room>& rooms) {
  if (!connected()) return;
  std::set<Room> unique;
  for (const auto& room : rooms) unique.insert(room);
  // add_all takes a set; keep the caller's order by adding one at a time.
  for (const auto& room : rooms) {
    if (unique.erase(room)) nsp_.adapter().add_all(id_, {room});
  }
}

void Socket::leave(const Room& room) {
  if (!connected()) return;
  nsp_.adapter().del(id_, room);
}

void Socket::off(const std::string& event) { handlers_.remove(event); }
Socket::Hooks& Socket::hooks() {
  if (!hooks_) hooks_ = std::make_unique<Hooks>();
  return *hooks_;
}
void Socket::on_any(AnyHandler handler) { hooks().any.push_back(std::move(handler)); }
void Socket::on_any_outgoing(AnyHandler handler) { hooks().outgoing_any.push_back(std::move(handler)); }
void Socket::use(PacketMiddleware middleware) { hooks().middlewares.push_back(std::move(middleware)); }
void Socket::on_disconnecting(DisconnectHandler handler) { hooks().disconnecting.push_back(std::move(handler)); }
void Socket::on_disconnect(DisconnectHandler handler) { hooks().disconnect.push_back(std::move(handler)); }
void Socket::on_error(ErrorHandler handler) { hooks().error.push_back(std::move(handler)); }

void Socket::emit_args(std::string event, Args args) {
  Args packet = detail::make_event_packet(std::move(event), std::move(args));
  run_on_strand([packet = std::move(packet)](Socket& self) mutable {
    self.notify_outgoing(packet);
    self.client_->send_array(false, self.nsp_.name(), std::nullopt, packet);
  });
}

void Socket::emit_with_ack(std::string event, Args args, AckCallback callback) {
  emit_with_ack_impl(std::move(event), std::move(args), std::move(callback), std::nullopt);
}

void Socket::emit_with_ack_impl(std::string event, Args args, AckCallback callback,
                                std::optional<std::chrono::milliseconds> timeout) {
  Args packet = detail::make_event_packet(std::move(event), std::move(args));
  if (!connected() || !client_) {
    if (callback) callback(make_error_code(errc::not_connected), {});
    return;
  }
  run_on_strand([packet = std::move(packet), callback = std::move(callback), timeout](Socket& self) mutable {
    auto id = self.nsp_.next_ack_id();
    self.register_ack(id, std::move(callback), timeout);
    self.notify_outgoing(packet);
    self.client_->send_array(false, self.nsp_.name(), id, packet);
  });
}

void Socket::register_ack(std::uint64_t id, AckCallback callback, std::optional<std::chrono::milliseconds> timeout) {
  auto pending = std::make_shared<PendingAck>();
  pending->callback = std::move(callback);
  if (timeout) {
    pending->timer = std::make_unique<asio::steady_timer>(client_->session().strand(), *timeout);
    // A strong reference: the callback must learn of the timeout even if the
    // client has gone and nothing else holds the socket (Node calls it too).
    pending->timer->async_wait([self = shared_from_this(), id](const std::error_code& ec) {
      if (ec) return;
      if (!self->acks_) return;
      auto it = self->acks_->find(id);
      if (it == self->acks_->end()) return;
      auto callback = std::move(it->second->callback);
      self->acks_->erase(it);
      if (callback) {
        self->nsp_.server_.run_user("acknowledgement callback",
                                    [&] { callback(make_error_code(errc::timeout), {}); });
      }
    });
  }
  if (!acks_) acks_ = std::make_unique<PendingAcks>();
  (*acks_)[id] = std::move(pending);
}

void Socket::send_ack(std::uint64_t id, const Args& args) {
  // Answered from the event's own handler, on the session's strand (the
  // common case): encoded straight from the caller's arguments, no copy.
  if (client_ && client_->session().strand().running_in_this_thread()) {
    if (connected()) client_->send_array(true, nsp_.name(), id, args);
    return;
  }
  send_ack(id, Args(args));
}

void Socket::send_ack(std::uint64_t id, Args&& args) {
  run_on_strand([id, args = std::move(args)](Socket& self) {
    self.client_->send_array(true, self.nsp_.name(), id, args);
  });
}

BroadcastOperator Socket::to(const Room& room) const {
  BroadcastOptions options;
  options.except.insert(id_);
  return BroadcastOperator(nsp_, std::move(options)).to(room);
}

BroadcastOperator Socket::to(const std::vector<Room>& rooms) const {
  BroadcastOptions options;
  options.except.insert(id_);
  return BroadcastOperator(nsp_, std::move(options)).to(rooms);
}

BroadcastOperator Socket::except(const std::vector<Room>& rooms) const {
  BroadcastOptions options;
  options.except.insert(id_);
  return BroadcastOperator(nsp_, std::move(options)).except(rooms);
}

BroadcastOperator Socket::except(const Room& room) const {
  BroadcastOptions options;
  options.except.insert(id_);
  return BroadcastOperator(nsp_, std::move(options)).except(room);
}

BroadcastOperator Socket::broadcast() const {
  BroadcastOptions options;
  options.except.insert(id_);
  return BroadcastOperator(nsp_, std::move(options));
}

void Socket::disconnect(bool close) {
  run_on_strand([close](Socket& self) {
    if (close) {
      self.client_->disconnect_all();
      return;
    }
    sio::Packet out;
    out.type = sio::PacketType::disconnect;
    out.nsp = self.nsp_.name();
    self.client_->send_packet(out);
    self.on_close(DisconnectReason::server_namespace_disconnect);
  });
}

namespace {

/// The event name of [event, ...args]. socket.io-parser also admits a
/// number there; like Node's EventEmitter, use its text as the name.
std::string event_name(const Json& first) { return first.is_string() ? first.as_string() : first.dump(); }

}  // namespace

void Socket::on_event(Args args, std::optional<std::uint64_t> ack_id) {
  if (hooks_ && !hooks_->any.empty() && !args.empty()) {
    const std::string event = event_name(args[0]);
    Args rest(args.begin() + 1, args.end());
    auto handlers = hooks_->any;  // a handler may add handlers, reallocating the list
    for (auto& handler : handlers) nsp_.server_.run_user("on_any handler", [&] { handler(event, rest); });
  }
  if (!hooks_ || hooks_->middlewares.empty()) {
    dispatch(std::move(args), ack_id);
    return;
  }
  // Run the per-packet middleware chain; each step may finish later, from
  // another thread, so the continuation hops back onto the strand.
  auto state = std::make_shared<Args>(std::move(args));
  auto step = std::make_shared<std::function<void(std::size_t)>>();
  *step = [weak = weak_from_this(), state, ack_id, step_weak = std::weak_ptr<std::function<void(std::size_t)>>(step)](
              std::size_t index) {
    auto self = weak.lock();
    if (!self || !self->connected() || !self->hooks_) return;
    if (index >= self->hooks_->middlewares.size()) {
      self->dispatch(std::move(*state), ack_id);
      return;
    }
    auto step = step_weak.lock();
    if (!step) return;
    Next next = [self, step, index](std::optional<std::string> error) {
      self->run_on_strand([step, index, error = std::move(error)](Socket& s) {
        if (error) {
          if (!s.hooks_) return;
          auto handlers = s.hooks_->error;
          for (auto& handler : handlers) s.nsp_.server_.run_user("error handler", [&] { handler(*error); });
          return;
        }
        (*step)(index + 1);
      });
    };
    auto middleware = self->hooks_->middlewares[index];
    self->nsp_.server_.run_user("packet middleware", [&] { middleware(*state, next); });
  };
  (*step)(0);
}

void Socket::dispatch(Args args, std::optional<std::uint64_t> ack_id) {
  if (args.empty()) return;
  // Looked up by the name in place (no copy of it for string names).
  const std::string* name = args[0].if_string();
  auto matched = name ? handlers_.take(*name) : handlers_.take(event_name(args[0]));
  if (!matched.first) return;
  args.erase(args.begin());
  Ack ack = ack_id ? Ack(weak_from_this(), *ack_id) : Ack();
  auto self = shared_from_this();
  nsp_.server_.run_user("event handler", [&] { matched.first->call(self, args, ack); });
  for (const auto& handler : matched.more) {
    nsp_.server_.run_user("event handler", [&] { handler->call(self, args, ack); });
  }
}

void Socket::on_ack(std::uint64_t id, Args args) {
  if (!acks_) return;
  auto it = acks_->find(id);
  if (it == acks_->end()) return;
  auto pending = std::move(it->second);
  acks_->erase(it);
  if (pending->timer) pending->timer->cancel();
  if (pending->callback) {
    nsp_.server_.run_user("acknowledgement callback", [&] { pending->callback({}, std::move(args)); });
  }
}

void Socket::notify_outgoing(const Args& packet) {
  if (!has_outgoing_listeners() || packet.empty() || !packet[0].is_string()) return;
  auto handlers = hooks_->outgoing_any;  // a handler may disconnect, clearing the list
  Args rest(packet.begin() + 1, packet.end());
  for (auto& handler : handlers) {
    nsp_.server_.run_user("on_any_outgoing handler", [&] { handler(packet[0].as_string(), rest); });
  }
}

void Socket::on_close(DisconnectReason reason) {
  if (!connected_.exchange(false)) return;
  auto self = shared_from_this();
  // "disconnecting" still sees the rooms; "disconnect" no longer does.
  if (hooks_) {
    auto handlers = hooks_->disconnecting;  // a handler may register more
    for (auto& handler : handlers) nsp_.server_.run_user("disconnecting handler", [&] { handler(reason); });
  }
  nsp_.adapter().del_all(id_);
  nsp_.remove(id_);
  if (client_) client_->detach(nsp_.name());
  if (hooks_) {
    auto handlers = hooks_->disconnect;
    for (auto& handler : handlers) nsp_.server_.run_user("disconnect handler", [&] { handler(reason); });
  }
  // Handlers commonly capture this socket: drop them to break the cycle.
  // Not now: on_close may run from inside one of these very handlers (a
  // middleware or error handler that disconnects), still iterating the
  // lists. Clear them once the current handler has returned.
  if (client_) {
    asio::post(client_->session().strand(), [self] {
      self->handlers_.clear();
      self->hooks_.reset();
      // Untimed acknowledgements can never be answered now; timed ones
      // still report their timeout (their timers hold the socket).
      if (self->acks_) {
        for (auto it = self->acks_->begin(); it != self->acks_->end();) {
          it = it->second->timer ? std::next(it) : self->acks_->erase(it);
        }
      }
    });
  }
}

// Ack lives here: it needs Socket's private send_ack.
void Ack::send(const Args& args) {
  if (!pending_) return;
  pending_ = false;
  if (reply_) {
    std::exchange(reply_, nullptr)(args);
    return;
  }
  if (auto socket = socket_.lock()) socket->send_ack(id_, args);
}

void Ack::send(Args&& args) {
  if (!pending_) return;
  pending_ = false;
  if (reply_) {
    std::exchange(reply_, nullptr)(std::move(args));
    return;
  }
  if (auto socket = socket_.lock()) socket->send_ack(id_, std::move(args));
}

}  // namespace socketio

namespace socketio::detail {

void SocketAccess::deliver(const SocketPtr& socket, const EncodedMessage& message,
                           const std::shared_ptr<const Args>& packet, bool is_volatile) {
  socket->run_on_strand([message, packet, is_volatile](Socket& self) {
    if (self.has_outgoing_listeners()) self.notify_outgoing(*packet);
    self.client_->send(message, is_volatile);
  });
}

void SocketAccess::snapshot(const SocketPtr& socket, std::function<void(std::optional<RemoteSocket>)> callback) {
  auto client = socket->client_;
  if (!client) {
    asio::post(socket->nsp_.server_.io(), [callback = std::move(callback)] { callback(std::nullopt); });
    return;
  }
  asio::post(client->session().strand(), [socket, callback = std::move(callback)] {
    if (!socket->connected()) return callback(std::nullopt);
    callback(RemoteSocket(socket->nsp_, socket->id_, socket->handshake_, socket->rooms(), socket->data_, socket));
  });
}

void SocketAccess::deliver_with_ack(const SocketPtr& socket, const EncodedMessage& message,
                                    const std::shared_ptr<const Args>& packet, std::uint64_t ack_id,
                                    Socket::AckCallback callback) {
  socket->run_on_strand([message, packet, ack_id, callback = std::move(callback)](Socket& self) mutable {
    self.register_ack(ack_id, std::move(callback), std::nullopt);
    if (self.has_outgoing_listeners()) self.notify_outgoing(*packet);
    self.client_->send(message);
  });
}

void SocketAccess::close(const SocketPtr& socket, DisconnectReason reason) {
  socket->run_on_strand([reason](Socket& self) { self.on_close(reason); });
}

}  // namespace socketio::detail

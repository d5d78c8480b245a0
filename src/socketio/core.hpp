#pragma once
// Internals shared by Server, Namespace, Socket and the adapters:
// ServerCore (what Server owns) and Client (one engine session carrying
// the sockets of several namespaces, with its packet decoder).

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/packet.hpp"
#include "engineio/session.hpp"
#include "socketio/engine/server.hpp"
#include "socketio/server.hpp"
#include "socketio/socket.hpp"
#include "socketio/packet.hpp"

namespace socketio::detail {

/// An outgoing Socket.IO packet in Engine.IO form: the text packet, then
/// one binary message per attachment. Shared by every target of a broadcast.
using EncodedMessage = std::shared_ptr<const std::vector<engine::EncodedPacket>>;
EncodedMessage encode_message(const sio::Packet& packet);
/// encode_message of an EVENT [event, ...args] (`packet`) in namespace
/// `nsp`, asking for acknowledgement `id` if set; reads `packet` in place.
EncodedMessage encode_event_message(const std::string& nsp, const Args& packet, std::optional<std::uint64_t> id);

/// [event, ...args], the data of an EVENT packet. Throws
/// std::invalid_argument for the names socket.io reserves ("connect", ...).
Args make_event_packet(std::string event, Args args);

class ServerCore : public std::enable_shared_from_this<ServerCore> {
 public:
  ServerCore(asio::io_context& io, ServerOptions options, AdapterFactory adapter);
  ~ServerCore();

  asio::io_context& io() noexcept { return io_; }
  const ServerOptions& options() const noexcept { return options_; }
  engine::Server& engine() noexcept { return engine_; }

  Namespace& of(const std::string& name);
  Namespace& add_parent(Server::NamespacePredicate predicate);
  /// The namespace for a CONNECT: an existing one, or a dynamic child
  /// created now; nullptr if none matches.
  Namespace* resolve(const std::string& name, const Json& auth);
  std::vector<Namespace*> namespaces();
  std::unique_ptr<Adapter> make_adapter(Namespace& nsp) { return adapter_factory_(nsp); }

  void set_error_hook(Server::ErrorHook hook) { error_hook_ = std::move(hook); }
  void set_log_hook(LogHook hook);
  /// Runs user code; an exception is reported to the error hook, not thrown.
  template <class F>
  void run_user(const char* where, F&& f) noexcept {
    try {
      f();
    } catch (const std::exception& e) {
      report_error(where, e.what());
    } catch (...) {
      report_error(where, "unknown exception");
    }
  }
  void report_error(const std::string& where, const std::string& what) noexcept;
  void log(LogLevel level, std::string_view message) const;

  void close();
  bool closed() const noexcept { return closed_; }

 private:
  struct Parent {
    Server::NamespacePredicate predicate;
    std::unique_ptr<Namespace> nsp;
  };

  asio::io_context& io_;
  ServerOptions options_;
  AdapterFactory adapter_factory_;
  engine::Server engine_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Namespace>> namespaces_;
  std::vector<Parent> parents_;
  Server::ErrorHook error_hook_;
  LogHook log_hook_;
  std::atomic<bool> closed_{false};
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(std::shared_ptr<ServerCore> server, std::shared_ptr<engine::SessionImpl> session);

  /// Strand only, right after the engine session opened.
  void start();

  ServerCore& server() noexcept { return *server_; }
  engine::SessionImpl& session() noexcept { return *session_; }
  const engine::RequestInfo& request() const noexcept { return session_->request(); }
  bool open() const noexcept { return open_; }

  /// Strand only:
  void send(const EncodedMessage& message, bool is_volatile = false);
  void send_packet(const sio::Packet& packet);
  /// An EVENT (ack = false) or ACK of `args` in namespace `nsp`, with ack
  /// id `id` if set: send_packet without building a Packet around `args`.
  void send_array(bool ack, const std::string& nsp, std::optional<std::uint64_t> id, const Json::Array& args);
  void attach(const SocketPtr& socket);
  void detach(const std::string& nsp);
  /// socket.disconnect(true): every namespace, then the connection.
  void disconnect_all();

 private:
  void on_message(std::string data, bool binary);
  void on_packet(sio::Packet packet);
  void on_engine_close(engine::CloseReason reason);
  void fail(const char* why);
  /// Sends an encoded packet: the text, then its attachments.
  void send_encoded(std::string text, std::vector<std::string>& attachments);

  std::shared_ptr<ServerCore> server_;
  std::shared_ptr<engine::SessionImpl> session_;
  sio::Decoder decoder_;
  /// Its sockets, one per namespace, in the order they connected (Node's
  /// client.sockets is a Map in insertion order). A vector searched by the
  /// socket's namespace name: clients use one namespace or a few, and a
  /// std::map cost a tree node and a copy of the name per socket.
  std::vector<SocketPtr> sockets_;
  SocketPtr* find_socket(std::string_view nsp) noexcept;
  /// Reused by send_encoded, so that a send allocates no vector.
  std::vector<engine::EncodedPacket> outgoing_;
  /// Until the first namespace connects (connect_timeout); then released.
  std::unique_ptr<asio::steady_timer> connect_timer_;
  bool open_ = true;
};

/// What the adapters and the server need from a Socket beyond its public API.
struct SocketAccess {
  /// Hands an encoded broadcast to the socket's connection (on its strand).
  /// `packet` is only read for on_any_outgoing listeners.
  static void deliver(const SocketPtr& socket, const EncodedMessage& message,
                      const std::shared_ptr<const Args>& packet, bool is_volatile);
  /// Registers `ack_id` (of a broadcast) on the socket, then delivers.
  static void deliver_with_ack(const SocketPtr& socket, const EncodedMessage& message,
                               const std::shared_ptr<const Args>& packet, std::uint64_t ack_id,
                               Socket::AckCallback callback);
  /// Disconnects on the socket's strand with `reason`, sending nothing.
  static void close(const SocketPtr& socket, DisconnectReason reason);
  /// Copies the socket's id, handshake, rooms and data on its strand and
  /// passes them on (nullopt if it disconnected meanwhile). Always calls
  /// back, never inside this call.
  static void snapshot(const SocketPtr& socket, std::function<void(std::optional<RemoteSocket>)> callback);
};

struct AckAccess {
  /// An Ack whose answer goes to `reply` (server-side events).
  static Ack make(std::function<void(Args)> reply) { return Ack(std::move(reply)); }
};

}  // namespace socketio::detail

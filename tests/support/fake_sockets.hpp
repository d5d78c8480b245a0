#pragma once
// Real Socket.IO sockets without a network, for the tests of what lies above
// the transport (adapters, rooms, broadcasts): a detail::ServerCore whose
// sockets each have their own detail::Client on an engine::SessionImpl with
// no transport. The session's handlers run inline, so handing it a CONNECT
// packet admits the socket to its namespace at once.
//
//   socketio::test::FakeServer server(io, socketio::ServerOptions{}, adapter_factory);
//   SocketPtr socket = server.connect("/x");
//   server.deliver(socket, "2/x,[\"event\"]");   // a Socket.IO packet, text form
//   server.close(socket);                        // as a vanished transport would

#include <catch2/catch.hpp>

#include <algorithm>
#include <asio/io_context.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engineio/session.hpp"
#include "socketio/core.hpp"

namespace socketio::test {

class FakeServer {
 public:
  FakeServer(asio::io_context& io, ServerOptions options, AdapterFactory adapter)
      : io_(io), core_(std::make_shared<detail::ServerCore>(io, std::move(options), std::move(adapter))) {}

  ~FakeServer() { close_sessions(); }

  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  detail::ServerCore& core() { return *core_; }
  Namespace& nsp(const std::string& name) { return core_->of(name); }

  /// A new socket in namespace `name` (its own engine session and client).
  SocketPtr connect(const std::string& name) {
    auto& ns = nsp(name);
    auto before = ns.sockets();
    auto session = std::make_shared<engine::SessionImpl>(io_, "engine-" + std::to_string(sessions_.size()),
                                                         engine::SessionConfig{}, engine::RequestInfo{}, nullptr,
                                                         nullptr);
    auto client = std::make_shared<detail::Client>(core_, session);
    client->start();
    sessions_.push_back(session);
    // The Engine.IO layer hands Socket.IO the text after its "4".
    session->deliver_message(name == "/" ? "0" : "0" + name + ",", false);
    for (auto& socket : ns.sockets()) {
      if (std::find(before.begin(), before.end(), socket) == before.end()) {
        session_of_[socket->id()] = session;
        return socket;
      }
    }
    FAIL("no socket was admitted to " << name);
    return nullptr;
  }

  /// Hands a Socket.IO packet (text form) to the socket's connection.
  void deliver(const SocketPtr& socket, const std::string& text) {
    session_of_.at(socket->id())->deliver_message(text, false);
  }
  /// Closes the socket's engine session (as a vanished transport would).
  void close(const SocketPtr& socket) {
    session_of_.at(socket->id())->deliver_close(engine::CloseReason::transport_close);
  }

  /// Closes every session. Each close runs Client::on_engine_close inline:
  /// every socket leaves its namespace and the session drops its handlers
  /// (which hold the client), so nothing is leaked.
  void close_sessions() {
    for (auto& session : sessions_) session->deliver_close(engine::CloseReason::transport_close);
    sessions_.clear();
    session_of_.clear();
  }

 private:
  asio::io_context& io_;
  std::shared_ptr<detail::ServerCore> core_;
  std::vector<std::shared_ptr<engine::SessionImpl>> sessions_;
  std::map<SocketId, std::shared_ptr<engine::SessionImpl>> session_of_;
};

}  // namespace socketio::test

#pragma once
// Ack: the answer to a client's event that asked for an acknowledgement.
//
// Move-only; answers at most once (later calls do nothing). Does nothing when
// the client asked for no acknowledgement or the socket is gone.
// Thread-safety: send() may be called from any thread, also long after the
// handler returned (the answer is posted to the socket's strand); one Ack
// object must not be used from two threads at once.

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "socketio/args.hpp"
#include "socketio/fwd.hpp"

namespace socketio {

namespace detail {
struct AckAccess;
}

class Ack {
 public:
  Ack() = default;
  Ack(Ack&& other) noexcept { *this = std::move(other); }
  Ack& operator=(Ack&& other) noexcept {
    socket_ = std::move(other.socket_);
    reply_ = std::move(other.reply_);
    id_ = other.id_;
    pending_ = std::exchange(other.pending_, false);
    return *this;
  }
  Ack(const Ack&) = delete;
  Ack& operator=(const Ack&) = delete;

  /// True while the client waits for this acknowledgement.
  bool expected() const noexcept { return pending_; }
  explicit operator bool() const noexcept { return pending_; }

  /// Answers with these arguments: `ack("ok", 42)`.
  template <class... T>
  void operator()(T&&... args) {
    send(Args{Json(std::forward<T>(args))...});
  }
  void send(const Args& args);
  void send(Args&& args);

 private:
  friend struct detail::AckAccess;
  friend class Socket;
  Ack(std::weak_ptr<Socket> socket, std::uint64_t id) : socket_(std::move(socket)), id_(id), pending_(true) {}
  /// An answer that goes to a function instead of a client: server-side
  /// events from other servers of a cluster.
  explicit Ack(std::function<void(Args)> reply) : reply_(std::move(reply)), pending_(static_cast<bool>(reply_)) {}

  std::weak_ptr<Socket> socket_;
  std::function<void(Args)> reply_;
  std::uint64_t id_ = 0;
  bool pending_ = false;
};

}  // namespace socketio

#include "socketio/broadcast_operator.hpp"

#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <mutex>
#include <stdexcept>

#include "socketio/core.hpp"
#include "socketio/namespace.hpp"
#include "socketio/socket.hpp"

namespace socketio {

namespace {

/// Collects the replies of a broadcast with acknowledgements: complete when
/// every server reported its client count and that many replies arrived,
/// or when the timeout fires. Replies come from many strands: locked.
class AckCollector : public std::enable_shared_from_this<AckCollector> {
 public:
  AckCollector(asio::io_context& io, BroadcastOperator::AckCallback callback)
      : timer_(asio::make_strand(io)), callback_(std::move(callback)) {}

  void start_timer(std::chrono::milliseconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (!ec) self->finish(make_error_code(errc::timeout));
    });
  }
  void set_server_count(std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    expected_servers_ = count;
    check(lock);
  }
  void add_client_count(std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    expected_clients_ += count;
    ++reported_servers_;
    check(lock);
  }
  void add_reply(Json reply) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (done_) return;
    replies_.push_back(std::move(reply));
    check(lock);
  }

 private:
  void check(std::unique_lock<std::mutex>& lock) {
    if (done_ || !expected_servers_ || reported_servers_ != *expected_servers_ ||
        replies_.size() != expected_clients_) {
      return;
    }
    lock.unlock();
    finish({});
  }
  void finish(std::error_code error) {
    std::vector<Json> replies;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (done_) return;
      done_ = true;
      replies = std::move(replies_);
    }
    timer_.cancel();
    if (callback_) callback_(error, std::move(replies));
  }

  asio::steady_timer timer_;
  BroadcastOperator::AckCallback callback_;
  std::mutex mutex_;
  std::optional<std::size_t> expected_servers_;
  std::size_t reported_servers_ = 0;
  std::size_t expected_clients_ = 0;
  std::vector<Json> replies_;
  bool done_ = false;
};

}  // namespace

BroadcastOperator BroadcastOperator::to(const Room& room) const {
  BroadcastOperator copy = *this;
  copy.options_.rooms.insert(room);
  return copy;
}

BroadcastOperator BroadcastOperator::to(const std::vector<Room>& rooms) const {
  BroadcastOperator copy = *this;
  copy.options_.rooms.insert(rooms.begin(), rooms.end());
  return copy;
}

BroadcastOperator BroadcastOperator::except(const Room& room) const {
  BroadcastOperator copy = *this;
  copy.options_.except.insert(room);
  return copy;
}

BroadcastOperator BroadcastOperator::except(const std::vector<Room>& rooms) const {
  BroadcastOperator copy = *this;
  copy.options_.except.insert(rooms.begin(), rooms.end());
  return copy;
}

BroadcastOperator BroadcastOperator::local() const {
  BroadcastOperator copy = *this;
  copy.options_.flags.local = true;
  return copy;
}

BroadcastOperator BroadcastOperator::as_volatile() const {
  BroadcastOperator copy = *this;
  copy.options_.flags.is_volatile = true;
  return copy;
}

BroadcastOperator BroadcastOperator::compress(bool value) const {
  BroadcastOperator copy = *this;
  copy.options_.flags.compress = value;
  return copy;
}

BroadcastOperator BroadcastOperator::timeout(std::chrono::milliseconds timeout) const {
  BroadcastOperator copy = *this;
  copy.options_.flags.timeout = timeout;
  return copy;
}

void BroadcastOperator::emit_args(std::string event, Args args) const {
  nsp_->adapter().broadcast(detail::make_event_packet(std::move(event), std::move(args)), options_);
}

void BroadcastOperator::emit_with_ack(std::string event, Args args, AckCallback callback) const {
  Args packet = detail::make_event_packet(std::move(event), std::move(args));
  auto collector = std::make_shared<AckCollector>(nsp_->server_.io(), std::move(callback));
  if (options_.flags.timeout) collector->start_timer(*options_.flags.timeout);
  nsp_->adapter().broadcast_with_ack(
      packet, options_, [collector](std::size_t count) { collector->add_client_count(count); },
      [collector](Json reply) { collector->add_reply(std::move(reply)); });
  nsp_->adapter().server_count([collector](std::size_t count) { collector->set_server_count(count); });
}

void BroadcastOperator::fetch_sockets(Adapter::FetchCallback callback) const {
  nsp_->adapter().fetch_sockets(options_, std::move(callback));
}

void BroadcastOperator::sockets_join(const std::vector<Room>& rooms) const {
  nsp_->adapter().add_sockets(options_, rooms);
}

void BroadcastOperator::sockets_leave(const std::vector<Room>& rooms) const {
  nsp_->adapter().del_sockets(options_, rooms);
}

void BroadcastOperator::disconnect_sockets(bool close) const { nsp_->adapter().disconnect_sockets(options_, close); }

}  // namespace socketio

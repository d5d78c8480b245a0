#pragma once
// A socket's event handlers (Socket::on / once / off), stored for many idle
// connections: one heap node per handler, holding the event's name, the flag
// and the user's callable together, and one flat vector of pointers to them.
// (A std::map of event names to shared vectors of std::function cost about
// 160 bytes and four allocations per handler; this costs one allocation of
// the name, the callable and 24 bytes of bookkeeping, plus 8 in the vector.)
//
// Threading: not thread-safe; a socket uses its table on its strand only.
// Lifetime: nodes are reference-counted (without atomics, for the same
// reason), so a dispatch keeps the handlers it runs alive while one of them
// adds or removes handlers of the same table.

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "socketio/ack.hpp"
#include "socketio/args.hpp"
#include "socketio/detail/handler_traits.hpp"
#include "socketio/fwd.hpp"

namespace socketio::detail {

/// One registered handler.
class HandlerNode {
 public:
  HandlerNode(std::string event, bool once) : event_(std::move(event)), once_(once) {}
  virtual ~HandlerNode() = default;
  HandlerNode(const HandlerNode&) = delete;
  HandlerNode& operator=(const HandlerNode&) = delete;

  virtual void call(const SocketPtr& socket, Args& args, Ack& ack) = 0;
  const std::string& event() const noexcept { return event_; }
  bool once() const noexcept { return once_; }

 private:
  friend class HandlerRef;
  std::string event_;
  unsigned refs_ = 0;
  bool once_;
};

/// A user's callable adapted to the event's arguments (handler_traits.hpp).
template <class F>
class HandlerNodeOf final : public HandlerNode {
 public:
  template <class G>
  HandlerNodeOf(std::string event, bool once, G&& f) : HandlerNode(std::move(event), once), f_(std::forward<G>(f)) {}
  void call(const SocketPtr& socket, Args& args, Ack& ack) override {
    using Params = typename callable_traits<F>::params;
    invoke_handler<F, Params>(f_, socket, args, ack, std::make_index_sequence<std::tuple_size_v<Params>>{});
  }

 private:
  F f_;
};

/// An owning, non-atomic reference to a HandlerNode.
class HandlerRef {
 public:
  HandlerRef() noexcept = default;
  explicit HandlerRef(HandlerNode* node) noexcept : node_(node) {
    if (node_) ++node_->refs_;
  }
  HandlerRef(const HandlerRef& other) noexcept : HandlerRef(other.node_) {}
  HandlerRef(HandlerRef&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  HandlerRef& operator=(HandlerRef other) noexcept {
    std::swap(node_, other.node_);
    return *this;
  }
  ~HandlerRef() {
    if (node_ && --node_->refs_ == 0) delete node_;
  }
  HandlerNode* operator->() const noexcept { return node_; }
  HandlerNode& operator*() const noexcept { return *node_; }
  explicit operator bool() const noexcept { return node_ != nullptr; }

 private:
  HandlerNode* node_ = nullptr;
};

template <class F>
HandlerRef make_handler_node(std::string event, bool once, F&& f) {
  return HandlerRef(new HandlerNodeOf<std::decay_t<F>>(std::move(event), once, std::forward<F>(f)));
}

class HandlerTable {
 public:
  void add(HandlerRef node) { nodes_.push_back(std::move(node)); }

  /// Removes every handler of `event`.
  void remove(std::string_view event) {
    std::vector<HandlerRef> kept;
    for (auto& node : nodes_) {
      if (node->event() != event) kept.push_back(std::move(node));
    }
    nodes_ = std::move(kept);
    if (nodes_.empty()) std::vector<HandlerRef>().swap(nodes_);
  }

  void clear() noexcept { std::vector<HandlerRef>().swap(nodes_); }
  bool empty() const noexcept { return nodes_.empty(); }

  /// The handlers of one event, held while they run.
  struct Matched {
    HandlerRef first;
    std::vector<HandlerRef> more;  ///< allocated only for a second handler
  };

  /// The handlers of `event` as they are now, in registration order, for
  /// the caller to run; `once` handlers among them are removed from the
  /// table first. Handlers added while they run are not among them.
  Matched take(std::string_view event) {
    Matched matched;
    bool any_once = false;
    for (const auto& node : nodes_) {
      if (node->event() != event) continue;
      if (!matched.first) {
        matched.first = node;
      } else {
        matched.more.push_back(node);
      }
      any_once = any_once || node->once();
    }
    if (any_once) {
      std::vector<HandlerRef> kept;
      kept.reserve(nodes_.size());
      for (auto& node : nodes_) {
        if (!(node->once() && node->event() == event)) kept.push_back(std::move(node));
      }
      nodes_ = std::move(kept);
    }
    return matched;
  }

 private:
  std::vector<HandlerRef> nodes_;
};

}  // namespace socketio::detail

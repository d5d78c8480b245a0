#pragma once
// A socket's event handlers (Socket::on / once / off), stored for many idle
// connections: one heap block per handler, holding the user's callable, the
// flag and the event's name together, and one flat vector of pointers to them.
// (A std::map of event names to shared vectors of std::function cost about
// 160 bytes and four allocations per handler; this costs one allocation of
// the callable, the name and 24 bytes of bookkeeping, plus 8 in the vector.)
//
// Threading: not thread-safe; a socket uses its table on its strand only.
// Lifetime: nodes are reference-counted (without atomics, for the same
// reason), so a dispatch keeps the handlers it runs alive while one of them
// adds or removes handlers of the same table.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
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

/// One registered handler. Allocated by make_handler_node as one block: the
/// node, then the event's name right behind it (no std::string: the name
/// needs no capacity, no terminator and no second allocation when it is
/// longer than 15 bytes).
class HandlerNode {
 public:
  HandlerNode(const HandlerNode&) = delete;
  HandlerNode& operator=(const HandlerNode&) = delete;

  virtual void call(const SocketPtr& socket, Args& args, Ack& ack) = 0;
  std::string_view event() const noexcept {
    return {reinterpret_cast<const char*>(this) + name_offset_, name_size_};
  }
  bool once() const noexcept { return once_; }

 protected:
  /// `name_offset`: where the name starts, counted from this node's address
  /// (the size of the whole node object).
  HandlerNode(std::uint32_t name_offset, std::uint32_t name_size, bool once) noexcept
      : name_offset_(name_offset), name_size_(name_size), once_(once) {}
  ~HandlerNode() = default;
  /// Runs the node's destructor and frees its block (name included).
  virtual void destroy() noexcept = 0;

 private:
  friend class HandlerRef;
  unsigned refs_ = 0;
  std::uint32_t name_offset_;
  std::uint32_t name_size_;
  bool once_;
};

/// A node holding the callable `F` as the user gave it.
template <class F>
class HandlerNodeOf final : public HandlerNode {
 public:
  /// Builds the node and its name in one block.
  template <class G>
  static HandlerNodeOf* create(std::string_view event, bool once, G&& f) {
    static_assert(alignof(HandlerNodeOf) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__,
                  "an over-aligned handler needs an aligned allocation");
    void* block = ::operator new(sizeof(HandlerNodeOf) + event.size());
    char* name = static_cast<char*>(block) + sizeof(HandlerNodeOf);
    if (!event.empty()) std::memcpy(name, event.data(), event.size());
    try {
      return ::new (block) HandlerNodeOf(static_cast<std::uint32_t>(event.size()), once, std::forward<G>(f));
    } catch (...) {
      ::operator delete(block);
      throw;
    }
  }

  void call(const SocketPtr& socket, Args& args, Ack& ack) override {
    using Params = typename callable_traits<F>::params;
    invoke_handler<F, Params>(f_, socket, args, ack, std::make_index_sequence<std::tuple_size_v<Params>>{});
  }

 private:
  template <class G>
  HandlerNodeOf(std::uint32_t name_size, bool once, G&& f)
      : HandlerNode(static_cast<std::uint32_t>(sizeof(HandlerNodeOf)), name_size, once), f_(std::forward<G>(f)) {}
  ~HandlerNodeOf() = default;

  void destroy() noexcept override {
    void* block = this;
    this->~HandlerNodeOf();
    ::operator delete(block);
  }

  F f_;
};

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
    if (node_ && --node_->refs_ == 0) node_->destroy();
  }
  HandlerNode* operator->() const noexcept { return node_; }
  HandlerNode& operator*() const noexcept { return *node_; }
  explicit operator bool() const noexcept { return node_ != nullptr; }

 private:
  HandlerNode* node_ = nullptr;
};

template <class F>
HandlerRef make_handler_node(std::string_view event, bool once, F&& f) {
  return HandlerRef(HandlerNodeOf<std::decay_t<F>>::create(event, once, std::forward<F>(f)));
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

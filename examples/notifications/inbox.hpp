#pragma once
// Inbox: every user's unread notifications, shared by all the threads that
// run the io_context, behind one mutex.
//
// Each change returns an UnreadState stamped with a version taken from one
// counter under the lock. Pushes of that state to a user's sockets may reach
// a socket out of order (an emit from the socket's own strand runs at once,
// one from another thread is queued), so clients keep the state with the
// highest version and drop older ones.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "socketio/json.hpp"

namespace notifications {

struct Notification {
  std::string id;
  std::string title;
  std::string body;
  std::int64_t ts = 0;  ///< ms since the Unix epoch

  socketio::Json to_json() const {
    return socketio::Json::object({{"id", id}, {"title", title}, {"body", body}, {"ts", ts}});
  }
};

/// What the `unread` event carries: {count, ids, version}.
struct UnreadState {
  std::size_t count = 0;
  std::vector<std::string> ids;  ///< oldest first
  std::uint64_t version = 0;

  socketio::Json to_json() const {
    socketio::Json list = socketio::Json::array();
    for (const auto& id : ids) list.push_back(id);
    return socketio::Json::object({{"count", count}, {"ids", std::move(list)}, {"version", version}});
  }
};

class Inbox {
 public:
  /// Unread notifications kept per user; older ones are dropped (counted as read).
  static constexpr std::size_t kMaxUnreadPerUser = 100;

  /// A notification with a fresh id ("n1", "n2", ...) and the current time.
  Notification create(std::string title, std::string body);

  /// Adds `n` to each user's unread list; the new state of each, in order.
  std::vector<UnreadState> add(const std::vector<std::string>& users, const Notification& n);
  /// Marks one notification read (unknown or already read ids are fine).
  UnreadState mark_read(const std::string& user, const std::string& id);
  UnreadState mark_all_read(const std::string& user);
  UnreadState state(const std::string& user);

  struct Snapshot {
    UnreadState state;
    std::vector<Notification> items;  ///< the unread notifications, oldest first
  };
  /// The state and the notifications it counts, taken together.
  Snapshot snapshot(const std::string& user);

 private:
  UnreadState state_locked(const std::string& user);

  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Notification>> unread_;
  std::uint64_t next_id_ = 1;
  std::uint64_t version_ = 0;
};

}  // namespace notifications

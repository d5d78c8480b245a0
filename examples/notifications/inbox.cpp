#include "inbox.hpp"

#include <algorithm>
#include <chrono>

namespace notifications {

Notification Inbox::create(std::string title, std::string body) {
  Notification n;
  n.title = std::move(title);
  n.body = std::move(body);
  n.ts = std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count();
  std::lock_guard<std::mutex> lock(mutex_);
  n.id = "n" + std::to_string(next_id_++);
  return n;
}

std::vector<UnreadState> Inbox::add(const std::vector<std::string>& users, const Notification& n) {
  std::vector<UnreadState> states;
  states.reserve(users.size());
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& user : users) {
    auto& list = unread_[user];
    list.push_back(n);
    while (list.size() > kMaxUnreadPerUser) list.pop_front();
    states.push_back(state_locked(user));
  }
  return states;
}

UnreadState Inbox::mark_read(const std::string& user, const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = unread_.find(user); it != unread_.end()) {
    auto& list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(), [&](const Notification& n) { return n.id == id; }),
               list.end());
    if (list.empty()) unread_.erase(it);
  }
  return state_locked(user);
}

UnreadState Inbox::mark_all_read(const std::string& user) {
  std::lock_guard<std::mutex> lock(mutex_);
  unread_.erase(user);
  return state_locked(user);
}

UnreadState Inbox::state(const std::string& user) {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_locked(user);
}

Inbox::Snapshot Inbox::snapshot(const std::string& user) {
  std::lock_guard<std::mutex> lock(mutex_);
  Snapshot snapshot;
  snapshot.state = state_locked(user);
  if (auto it = unread_.find(user); it != unread_.end()) snapshot.items.assign(it->second.begin(), it->second.end());
  return snapshot;
}

UnreadState Inbox::state_locked(const std::string& user) {
  UnreadState s;
  s.version = ++version_;
  if (auto it = unread_.find(user); it != unread_.end()) {
    s.count = it->second.size();
    s.ids.reserve(it->second.size());
    for (const auto& n : it->second) s.ids.push_back(n.id);
  }
  return s;
}

}  // namespace notifications

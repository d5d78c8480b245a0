#pragma once
// StringMap: a sorted string-to-string map (request headers, query
// parameters) stored flat, as one sorted vector of key/value pairs, whose
// copies share that vector until one of them is changed (copy on write).
// The engine keeps a session's request headers, and every socket's
// handshake of that session refers to the same entries: a copy costs 16
// bytes. Flat, an entry costs its two strings (64 bytes, short ones inline)
// and no tree node or allocation of its own: about 50 bytes less per header
// than a std::map, for a few hundred bytes per connection.
//
// Reads look like a const std::map's (find, at, count, iteration in key
// order, size); writes (operator[], emplace, insert_or_assign, erase) work
// as on a std::map but first copy the entries if another StringMap shares
// them. Iterators are those of the vector: a write invalidates them.
//
// Thread-safety: as a std::map's: concurrent reads of shared copies are
// safe (shared entries are never written); a StringMap being written must
// not be read or written by another thread meanwhile.

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace socketio {

class StringMap {
 public:
  using key_type = std::string;
  using mapped_type = std::string;
  using value_type = std::pair<std::string, std::string>;
  /// The entries: sorted by key, keys unique.
  using container_type = std::vector<value_type>;
  using size_type = container_type::size_type;
  using const_iterator = container_type::const_iterator;
  using iterator = const_iterator;

  StringMap() = default;
  /// From entries in any order; of equal keys the last one stays (as
  /// repeated insert_or_assign would leave it).
  StringMap(container_type entries) { assign(std::move(entries)); }
  StringMap(std::initializer_list<value_type> values) : StringMap(container_type(values)) {}
  StringMap(const std::map<std::string, std::string>& map) {
    if (map.empty()) return;
    container_type entries(map.begin(), map.end());
    entries_ = std::make_shared<const container_type>(std::move(entries));
  }

  const_iterator begin() const noexcept { return entries().begin(); }
  const_iterator end() const noexcept { return entries().end(); }
  const_iterator cbegin() const noexcept { return begin(); }
  const_iterator cend() const noexcept { return end(); }
  size_type size() const noexcept { return entries_ ? entries_->size() : 0; }
  bool empty() const noexcept { return size() == 0; }
  const_iterator find(const key_type& key) const {
    const auto it = lower_bound(entries(), key);
    return it != end() && it->first == key ? it : end();
  }
  size_type count(const key_type& key) const { return find(key) != end() ? 1 : 0; }
  bool contains(const key_type& key) const { return count(key) != 0; }
  const mapped_type& at(const key_type& key) const {
    const auto it = find(key);
    if (it == end()) throw std::out_of_range("StringMap::at: no such key");
    return it->second;
  }

  /// The entries themselves (read-only), sorted by key.
  const container_type& entries() const noexcept { return entries_ ? *entries_ : empty_entries(); }
  /// A std::map copy, for code that wants one.
  std::map<std::string, std::string> to_map() const { return {begin(), end()}; }

  mapped_type& operator[](const key_type& key) { return emplace_entry(key, mapped_type()).first->second; }
  /// As std::map::emplace: inserts (key, value) unless the key is there.
  /// Returns the entry and whether it was inserted.
  template <class K, class V>
  std::pair<const_iterator, bool> emplace(K&& key, V&& value) {
    auto [it, inserted] = emplace_entry(std::forward<K>(key), std::forward<V>(value));
    return {it, inserted};
  }
  /// As emplace; `hint` is accepted for std::map compatibility. Appending
  /// keys in order (hint end()) costs no search.
  template <class K, class V>
  const_iterator emplace_hint(const_iterator, K&& key, V&& value) {
    container_type& own = writable();
    if (own.empty() || own.back().first < key) {
      own.emplace_back(std::forward<K>(key), std::forward<V>(value));
      return std::prev(own.cend());
    }
    return emplace_entry(std::forward<K>(key), std::forward<V>(value)).first;
  }
  template <class V>
  std::pair<const_iterator, bool> insert_or_assign(const key_type& key, V&& value) {
    container_type& own = writable();
    auto it = lower_bound(own, key);
    if (it != own.end() && it->first == key) {
      it->second = std::forward<V>(value);
      return {it, false};
    }
    return {own.emplace(it, key, std::forward<V>(value)), true};
  }
  size_type erase(const key_type& key) {
    if (!contains(key)) return 0;
    container_type& own = writable();
    own.erase(lower_bound(own, key));
    if (own.empty()) entries_.reset();
    return 1;
  }
  void clear() noexcept { entries_.reset(); }

  friend bool operator==(const StringMap& a, const StringMap& b) {
    return a.entries_ == b.entries_ || a.entries() == b.entries();
  }
  friend bool operator!=(const StringMap& a, const StringMap& b) { return !(a == b); }

 private:
  template <class Entries>
  static auto lower_bound(Entries& entries, const key_type& key) -> decltype(entries.begin()) {
    return std::lower_bound(entries.begin(), entries.end(), key,
                            [](const value_type& entry, const key_type& k) { return entry.first < k; });
  }
  static const container_type& empty_entries() noexcept {
    static const container_type empty;
    return empty;
  }
  void assign(container_type entries) {
    if (entries.empty()) return;
    std::stable_sort(entries.begin(), entries.end(),
                     [](const value_type& a, const value_type& b) { return a.first < b.first; });
    // Of a run of equal keys keep the last: move it to the run's front.
    std::size_t out = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (out > 0 && entries[out - 1].first == entries[i].first) {
        entries[out - 1].second = std::move(entries[i].second);
      } else {
        if (out != i) entries[out] = std::move(entries[i]);
        ++out;
      }
    }
    entries.resize(out);
    entries.shrink_to_fit();
    entries_ = std::make_shared<const container_type>(std::move(entries));
  }
  template <class K, class V>
  std::pair<container_type::iterator, bool> emplace_entry(K&& key, V&& value) {
    container_type& own = writable();
    auto it = lower_bound(own, key);
    if (it != own.end() && it->first == key) return {it, false};
    return {own.emplace(it, std::forward<K>(key), std::forward<V>(value)), true};
  }
  /// The entries, owned by this copy alone (copied first if shared).
  container_type& writable() {
    if (!entries_) {
      entries_ = std::make_shared<const container_type>();
    } else if (entries_.use_count() != 1) {
      entries_ = std::make_shared<const container_type>(*entries_);
    }
    // Only when this copy is the sole owner: then nobody else can see the
    // write, and the vector was created non-const (make_shared above).
    return const_cast<container_type&>(*entries_);
  }

  std::shared_ptr<const container_type> entries_;
};

}  // namespace socketio

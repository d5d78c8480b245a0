#pragma once
// StringMap: a sorted string-to-string map (request headers, query
// parameters) whose copies share one immutable std::map until one of them is
// changed (copy on write). The engine keeps a session's request headers and
// every socket's handshake of that session refers to the same map: a copy
// costs 16 bytes instead of a node per header (about 0.7 KB per connection
// for a browser's headers).
//
// Reads look like a const std::map (find, at, count, iteration, size);
// writes (operator[], emplace, erase, ...) work as on a std::map but first
// copy the map if another StringMap shares it.
//
// Thread-safety: as a std::map's: concurrent reads of shared copies are
// safe (the shared map is never written); a StringMap being written must not
// be read or written by another thread meanwhile.

#include <cstddef>
#include <initializer_list>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace socketio {

class StringMap {
 public:
  using map_type = std::map<std::string, std::string>;
  using key_type = map_type::key_type;
  using mapped_type = map_type::mapped_type;
  using value_type = map_type::value_type;
  using size_type = map_type::size_type;
  using const_iterator = map_type::const_iterator;
  using iterator = const_iterator;

  StringMap() = default;
  StringMap(map_type map) : map_(map.empty() ? nullptr : std::make_shared<const map_type>(std::move(map))) {}
  StringMap(std::initializer_list<value_type> values) : StringMap(map_type(values)) {}

  const_iterator begin() const noexcept { return map().begin(); }
  const_iterator end() const noexcept { return map().end(); }
  const_iterator cbegin() const noexcept { return begin(); }
  const_iterator cend() const noexcept { return end(); }
  size_type size() const noexcept { return map_ ? map_->size() : 0; }
  bool empty() const noexcept { return size() == 0; }
  const_iterator find(const key_type& key) const { return map().find(key); }
  size_type count(const key_type& key) const { return map().count(key); }
  bool contains(const key_type& key) const { return count(key) != 0; }
  const mapped_type& at(const key_type& key) const { return map().at(key); }

  /// The map itself (read-only), for code that wants a std::map.
  const map_type& map() const noexcept { return map_ ? *map_ : empty_map(); }
  operator const map_type&() const noexcept { return map(); }

  mapped_type& operator[](const key_type& key) { return writable()[key]; }
  template <class... A>
  std::pair<const_iterator, bool> emplace(A&&... args) {
    return writable().emplace(std::forward<A>(args)...);
  }
  /// As std::map::emplace_hint; the hint only helps when this copy owns
  /// its map alone (it is ignored when the map must be copied first).
  template <class... A>
  const_iterator emplace_hint(const_iterator hint, A&&... args) {
    if (map_ && map_.use_count() == 1) return own().emplace_hint(hint, std::forward<A>(args)...);
    return writable().emplace(std::forward<A>(args)...).first;
  }
  template <class V>
  std::pair<const_iterator, bool> insert_or_assign(const key_type& key, V&& value) {
    return writable().insert_or_assign(key, std::forward<V>(value));
  }
  size_type erase(const key_type& key) { return contains(key) ? writable().erase(key) : 0; }
  void clear() noexcept { map_.reset(); }

  friend bool operator==(const StringMap& a, const StringMap& b) { return a.map_ == b.map_ || a.map() == b.map(); }
  friend bool operator!=(const StringMap& a, const StringMap& b) { return !(a == b); }

 private:
  static const map_type& empty_map() noexcept {
    static const map_type empty;
    return empty;
  }
  /// The map, owned by this copy alone (copied first if shared).
  map_type& writable() {
    if (!map_) {
      map_ = std::make_shared<const map_type>();
    } else if (map_.use_count() != 1) {
      map_ = std::make_shared<const map_type>(*map_);
    }
    return own();
  }
  /// Only when this copy is the map's sole owner: then nobody else can see
  /// the write, and the map was created non-const (make_shared above).
  map_type& own() noexcept { return const_cast<map_type&>(*map_); }

  std::shared_ptr<const map_type> map_;
};

}  // namespace socketio

#include "engineio/session_id.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <stdexcept>

namespace socketio::engine {
namespace {

// getrandom(2) per id would be a syscall per connection; draw a block and
// hand it out under a lock instead.
class RandomPool {
 public:
  void fill(std::uint8_t* out, std::size_t n) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::size_t i = 0; i < n; ++i) {
      if (used_ == pool_.size()) refill();
      out[i] = pool_[used_++];
    }
  }

 private:
  void refill() {
    std::size_t got = 0;
    while (got < pool_.size()) {
      ssize_t n = getrandom(pool_.data() + got, pool_.size() - got, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error("socketio: getrandom failed");
      }
      got += static_cast<std::size_t>(n);
    }
    used_ = 0;
  }

  std::mutex mutex_;
  std::array<std::uint8_t, 4096> pool_{};
  std::size_t used_ = pool_.size();
};

}  // namespace

std::string generate_session_id() {
  static RandomPool pool;
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::array<std::uint8_t, 15> bytes;
  pool.fill(bytes.data(), bytes.size());
  std::string id;
  id.reserve(20);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    id += alphabet[(v >> 18) & 63];
    id += alphabet[(v >> 12) & 63];
    id += alphabet[(v >> 6) & 63];
    id += alphabet[v & 63];
  }
  return id;
}

}  // namespace socketio::engine

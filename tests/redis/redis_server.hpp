#pragma once
// RedisServerProcess: a private redis-server for one test, on 127.0.0.1 and
// a free port, with persistence off.
//
//     RedisServerProcess redis;            // started and answering PING
//     options.port = redis.port();
//     redis.kill();                        // SIGKILL, as a crash
//     redis.start_again();                 // same port, empty data set
//
// The executable is SOCKETIO_REDIS_SERVER (set by tests/redis/CMakeLists.txt)
// or else `redis-server` from PATH. No shell is involved; its stdout goes to
// /dev/null (stderr is kept for diagnostics). The child gets SIGKILL if the
// thread that started it dies, so a crashed test leaves no server behind:
// start it from the test's main thread.
//
// Thread-safety: none; use one object from one thread.
// Lifetime: the destructor stops the server (SIGTERM, then SIGKILL after
// 5 s) and reaps it.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace socketio::test {

class RedisServerProcess {
 public:
#ifdef SOCKETIO_REDIS_SERVER
  static constexpr const char* default_executable = SOCKETIO_REDIS_SERVER;
#else
  static constexpr const char* default_executable = "redis-server";
#endif

  /// Starts the server; throws std::runtime_error if it does not answer.
  explicit RedisServerProcess(std::string executable = default_executable)
      : executable_(std::move(executable)) {
    // Another process may take the port between our probe and Redis' bind:
    // then Redis exits, and we try another port.
    for (int attempt = 0; attempt < 10; ++attempt) {
      port_ = free_port();
      if (launch()) return;
    }
    throw std::runtime_error("redis-server did not start: " + executable_);
  }

  ~RedisServerProcess() { stop(); }

  RedisServerProcess(const RedisServerProcess&) = delete;
  RedisServerProcess& operator=(const RedisServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  /// SIGTERM and wait (SIGKILL after 5 s). Idempotent.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!reaped(WNOHANG)) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        reaped(0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
  }

  /// SIGKILL and wait: Redis dies as in a crash, connections are reset.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    reaped(0);
    pid_ = -1;
  }

  /// Starts a new server on the same port (after stop() or kill()).
  /// Throws std::runtime_error if it does not come up.
  void start_again() {
    if (pid_ > 0) return;
    // The old listening socket may linger for a moment; Redis binds with
    // SO_REUSEADDR, so a few retries suffice.
    for (int attempt = 0; attempt < 20; ++attempt) {
      if (launch()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("redis-server did not start again on port " + std::to_string(port_));
  }

 private:
  static std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket(): " + std::string(std::strerror(errno)));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw std::runtime_error("cannot find a free port: " + why);
    }
    ::close(fd);
    return ntohs(address.sin_port);
  }

  // Starts the child and waits until it answers PING (true), or exits or
  // stays silent for 10 s (false, child reaped).
  bool launch() {
    const std::string port = std::to_string(port_);
    std::vector<std::string> args{executable_, "--save",     "",          "--appendonly",
                                  "no",        "--port",     port,        "--bind",
                                  "127.0.0.1", "--loglevel", "warning"};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();

    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork(): " + std::string(std::strerror(errno)));
    if (pid == 0) {
      // Child: only async-signal-safe calls until exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      const int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) {
        ::dup2(null, STDOUT_FILENO);
        if (null != STDOUT_FILENO) ::close(null);
      }
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    pid_ = pid;

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (reaped(WNOHANG)) {
        pid_ = -1;
        return false;  // exited: port taken, or bad executable
      }
      if (answers_ping()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    reaped(0);
    pid_ = -1;
    return false;
  }

  // waitpid on our child; true once it is gone.
  bool reaped(int flags) {
    int status = 0;
    for (;;) {
      const pid_t r = ::waitpid(pid_, &status, flags);
      if (r == pid_) return true;
      if (r == 0) return false;
      if (errno == EINTR) continue;
      return true;  // ECHILD: nothing left to wait for
    }
  }

  bool answers_ping() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port_);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
      const char ping[] = "PING\r\n";
      if (::send(fd, ping, sizeof ping - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof ping - 1)) {
        pollfd p{fd, POLLIN, 0};
        char reply[64] = {};
        if (::poll(&p, 1, 500) == 1) {
          const ssize_t n = ::recv(fd, reply, sizeof reply - 1, 0);
          ok = n >= 5 && std::strncmp(reply, "+PONG", 5) == 0;
        }
      }
    }
    ::close(fd);
    return ok;
  }

  std::string executable_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace socketio::test

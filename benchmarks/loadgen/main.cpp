// loadgen: a single-threaded Socket.IO v5 / Engine.IO v4 load generator.
//
// It speaks the protocols itself over standalone Asio: a minimal RFC 6455
// WebSocket client (client handshake, masked frames, text/binary,
// fragmentation, ping/pong, close) and a minimal HTTP/1.1 client for the
// long-polling transport (one request per TCP connection). Sockets are driven
// reactor-style (async_wait + non-blocking read into one shared buffer), so an
// idle connection costs a socket and a few empty strings: tens of thousands fit
// in one process and one thread.
//
// Scenarios (--scenario):
//   connect  --n N             open N WebSocket clients (--window handshakes in
//                              flight); handshakes/s; server RSS per connection
//                              right after and after an idle hold of --duration s;
//                              idle server CPU during the hold.
//   fanout   --n S             S subscribers join room "bench"; one publisher emits
//                              `to-room` with a sequence number and a timestamp,
//                              at most --msg-window messages not yet delivered to
//                              every subscriber; deliveries/s, server CPU per
//                              million deliveries, latency p50/p99, loss/reordering.
//   echo     --n C             C clients doing closed-loop `message-with-ack` round
//                              trips for --duration s after --warmup s.
//   polling  --n C             C clients on HTTP long-polling only doing closed-loop
//                              `message` -> `message-back`.
//
// Server CPU (utime+stime) and RSS come from /proc/<pid>/stat and
// /proc/<pid>/status of --server-pid, sampled at the edges of each measurement
// window. Results are printed one per line on stdout:
//     RESULT <TAB> <label> <TAB> <metric> <TAB> <value> <TAB> <unit>
// progress and errors go to stderr. Every phase has a deadline; the program
// always ends by itself (exit 0 on success, 1 if the scenario could not run
// or lost/reordered messages).

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

const Clock::time_point g_epoch = Clock::now();

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - g_epoch).count());
}

double seconds(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }

std::chrono::nanoseconds secs(double s) {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(s * 1e9));
}

// ---------------------------------------------------------------- options

struct Options {
  std::string scenario;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string path = "/socket.io/";
  long server_pid = 0;
  std::string label;
  std::size_t n = 1000;
  double duration = 10;     // measurement window (idle hold for connect)
  double warmup = 1;        // echo/polling: untimed round trips first
  std::size_t window = 200; // handshakes in flight
  std::size_t msg_window = 8;  // fanout: messages not yet fully delivered
  std::size_t warmup_conns = 0;  // connect: clients opened before measuring, kept open
  double timeout = 180;     // hard deadline for the whole run
  bool quiet = false;
};

[[noreturn]] void usage(const std::string& error) {
  std::cerr << "loadgen: " << error << "\n"
            << "usage: loadgen --scenario connect|fanout|echo|polling --port PORT [--host 127.0.0.1]\n"
               "               [--path /socket.io/] [--server-pid PID] [--label TEXT] [--n N]\n"
               "               [--duration S] [--warmup S] [--window N] [--msg-window N]\n"
               "               [--warmup-conns N] [--timeout S] [--quiet]\n";
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + arg);
      return argv[++i];
    };
    try {
      if (arg == "--scenario") o.scenario = value();
      else if (arg == "--host") o.host = value();
      else if (arg == "--port") o.port = static_cast<std::uint16_t>(std::stoul(value()));
      else if (arg == "--path") o.path = value();
      else if (arg == "--server-pid") o.server_pid = std::stol(value());
      else if (arg == "--label") o.label = value();
      else if (arg == "--n") o.n = std::stoul(value());
      else if (arg == "--duration") o.duration = std::stod(value());
      else if (arg == "--warmup") o.warmup = std::stod(value());
      else if (arg == "--window") o.window = std::stoul(value());
      else if (arg == "--msg-window") o.msg_window = std::stoul(value());
      else if (arg == "--warmup-conns") o.warmup_conns = std::stoul(value());
      else if (arg == "--timeout") o.timeout = std::stod(value());
      else if (arg == "--quiet") o.quiet = true;
      else usage("unknown option " + arg);
    } catch (const std::logic_error&) {
      usage("bad value for " + arg);
    }
  }
  if (o.scenario != "connect" && o.scenario != "fanout" && o.scenario != "echo" && o.scenario != "polling")
    usage("--scenario must be connect, fanout, echo or polling");
  if (o.port == 0) usage("--port is required");
  if (o.n == 0 || o.window == 0 || o.msg_window == 0) usage("--n, --window and --msg-window must be positive");
  if (o.label.empty()) o.label = o.scenario + " n=" + std::to_string(o.n);
  return o;
}

const Options* g_opts = nullptr;

void log(const std::string& line) {
  if (!g_opts->quiet) std::cerr << "loadgen: " << line << std::endl;
}

void result(const std::string& metric, double value, const std::string& unit) {
  std::printf("RESULT\t%s\t%s\t%.6g\t%s\n", g_opts->label.c_str(), metric.c_str(), value, unit.c_str());
  std::fflush(stdout);
}

// ----------------------------------------------------------- /proc samples

struct ProcSample {
  double cpu_s = 0;   // utime + stime, every thread
  double rss_kb = 0;  // VmRSS
  // From /proc/<pid>/task/*/schedstat (live threads): time on a CPU and time
  // runnable but waiting for one. The second shows how much a busy machine
  // held the process back; it does not change the CPU figures.
  double run_s = 0;
  double wait_s = 0;
  bool ok = false;
};

/// Share of the window the process was runnable but not running, in percent.
double runqueue_wait_pct(const ProcSample& a, const ProcSample& b) {
  const double run = b.run_s - a.run_s, wait = b.wait_s - a.wait_s;
  return run + wait > 0 ? wait / (run + wait) * 100.0 : 0.0;
}

/// pid 0 is this process.
ProcSample sample_proc(long pid) {
  ProcSample s;
  const std::string base = pid > 0 ? "/proc/" + std::to_string(pid) : std::string("/proc/self");
  std::ifstream stat(base + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  for (std::string f; rest >> f;) fields.push_back(f);
  if (fields.size() < 13) return s;
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_s = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;  // utime (14), stime (15)
  std::ifstream status(base + "/status");
  for (std::string l; std::getline(status, l);) {
    if (l.rfind("VmRSS:", 0) == 0) {
      s.rss_kb = std::stod(l.substr(6));
      break;
    }
  }
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(base + "/task", ec)) {
    std::ifstream sched(task.path() / "schedstat");
    double run_ns = 0, wait_ns = 0;
    if (sched >> run_ns >> wait_ns) {
      s.run_s += run_ns / 1e9;
      s.wait_s += wait_ns / 1e9;
    }
  }
  s.ok = true;
  return s;
}

// ----------------------------------------------------------------- helpers

struct Latencies {
  std::vector<std::uint64_t> ns;
  void add(std::uint64_t v) { ns.push_back(v); }
  /// Nearest-rank percentile in microseconds (0 when empty).
  double percentile_us(double p) {
    if (ns.empty()) return 0;
    std::size_t rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(ns.size())));
    rank = std::min(std::max<std::size_t>(rank, 1), ns.size()) - 1;
    std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(rank), ns.end());
    return static_cast<double>(ns[rank]) / 1e3;
  }
};

/// Reads the unsigned integer that follows `key` in `text` (0 / false if absent).
bool number_after(std::string_view text, std::string_view key, std::uint64_t& value, std::size_t from = 0) {
  auto at = text.find(key, from);
  if (at == std::string_view::npos) return false;
  at += key.size();
  std::uint64_t v = 0;
  bool any = false;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
    v = v * 10 + static_cast<std::uint64_t>(text[at] - '0');
    ++at;
    any = true;
  }
  value = v;
  return any;
}

std::uint32_t xorshift() {
  static std::uint32_t state = 0x9E3779B9u;
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

void raise_nofile_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  rlimit want = lim;
  want.rlim_cur = want.rlim_max = std::max<rlim_t>(lim.rlim_max, 1 << 20);
  if (setrlimit(RLIMIT_NOFILE, &want) != 0) {  // not root: soft up to hard
    want = lim;
    want.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &want);
  }
}

// ========================================================= WebSocket client

struct Conn;

struct Handler {
  virtual ~Handler() = default;
  /// The Socket.IO CONNECT to "/" was acknowledged.
  virtual void on_ready(Conn&) {}
  /// An EVENT; `json` is the payload array, e.g. ["room-message",1,2].
  virtual void on_event(Conn&, std::string_view /*json*/) {}
  virtual void on_ack(Conn&, std::uint64_t /*id*/, std::string_view /*json*/) {}
  /// The connection ended by itself (not through Net::close_all).
  virtual void on_closed(Conn&, bool /*was_ready*/, const std::string& /*why*/) {}
};

struct Conn {
  explicit Conn(asio::io_context& io) : sock(io) {}
  enum class St { idle, connecting, upgrading, eio_open, sio_connect, ready, closed };
  St st = St::idle;
  tcp::socket sock;
  std::uint64_t gen = 0;  // bumped on close: stale handlers see a different value
  std::string in, out, wbuf;
  bool writing = false;
  bool in_read = false;
  std::string frag;
  std::uint8_t frag_op = 0;
  int attempts = 0;
  std::size_t index = 0;
  int role = 0;
  // scenario state
  std::uint64_t next_ack = 0;
  std::uint64_t pending_ack = 0;
  std::uint64_t sent_at = 0;
  std::uint64_t expected = 0;
  std::uint64_t received = 0;
  std::uint64_t lost = 0;
  std::uint64_t reordered = 0;
};

class Net {
 public:
  Net(asio::io_context& io, const Options& o, Handler& handler) : io_(io), handler_(handler) {
    endpoint_ = tcp::endpoint(asio::ip::make_address(o.host), o.port);
    upgrade_request_ = "GET " + o.path +
                       "?EIO=4&transport=websocket HTTP/1.1\r\n"
                       "Host: " + o.host + ":" + std::to_string(o.port) + "\r\n"
                       "Upgrade: websocket\r\n"
                       "Connection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n";
  }

  /// Connects every connection, at most `window` handshakes in flight, with up
  /// to 3 attempts each; `done` runs once each is ready or has failed.
  void connect_all(const std::vector<Conn*>& list, std::size_t window, std::function<void()> done) {
    queue_ = list;
    next_ = 0;
    in_flight_ = 0;
    pending_ = list.size();
    window_ = window;
    done_ = std::move(done);
    if (pending_ == 0) {
      asio::post(io_, done_);
      return;
    }
    launch();
  }

  std::size_t handshake_failures() const { return handshake_failures_; }
  const std::string& last_error() const { return last_error_; }

  /// Sends one Engine.IO text message.
  void send_text(Conn& c, std::string_view text) {
    if (c.st == Conn::St::closed || c.st == Conn::St::idle) return;
    append_frame(c.out, 0x1, text);
    if (!c.in_read) flush(c);
  }

  /// Sends a Socket.IO packet on "/": "4" + `sio`.
  void send_sio(Conn& c, std::string_view sio) {
    std::string text;
    text.reserve(sio.size() + 1);
    text += '4';
    text.append(sio);
    send_text(c, text);
  }

  void close_all(const std::vector<Conn*>& list) {
    stopping_ = true;
    for (Conn* c : list) {
      if (c->st == Conn::St::closed) continue;
      std::error_code ec;
      c->sock.close(ec);
      ++c->gen;
      c->st = Conn::St::closed;
    }
  }

 private:
  void launch() {
    while (in_flight_ < window_ && next_ < queue_.size()) {
      ++in_flight_;
      start(*queue_[next_++]);
    }
  }

  void finished_one() {
    --in_flight_;
    if (--pending_ == 0) {
      if (done_) asio::post(io_, std::move(done_));
    } else {
      launch();
    }
  }

  void start(Conn& c) {
    ++c.gen;
    ++c.attempts;
    c.st = Conn::St::connecting;
    c.in_read = false;
    c.in.clear();
    c.out.clear();
    c.wbuf.clear();
    c.writing = false;
    c.frag.clear();
    const std::uint64_t gen = c.gen;
    c.sock.async_connect(endpoint_, [this, &c, gen](const std::error_code& ec) {
      if (c.gen != gen) return;
      if (ec) {
        fail(c, "connect: " + ec.message());
        return;
      }
      std::error_code ignored;
      c.sock.set_option(tcp::no_delay(true), ignored);
      c.sock.non_blocking(true, ignored);
      c.st = Conn::St::upgrading;
      c.out = upgrade_request_;
      flush(c);
      arm_read(c);
    });
  }

  void fail(Conn& c, const std::string& why) {
    if (c.st == Conn::St::closed || c.st == Conn::St::idle) return;
    const bool was_ready = c.st == Conn::St::ready;
    std::error_code ec;
    c.sock.close(ec);
    ++c.gen;
    c.writing = false;
    c.in.clear();
    c.out.clear();
    c.wbuf.clear();
    if (!was_ready && !stopping_ && c.attempts < 3) {
      c.st = Conn::St::idle;
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(200 * c.attempts));
      timer->async_wait([this, &c, timer](const std::error_code&) {
        if (!stopping_ && c.st == Conn::St::idle) start(c);
      });
      return;
    }
    c.st = Conn::St::closed;
    if (!was_ready) {
      ++handshake_failures_;
      last_error_ = why;
      if (!stopping_) finished_one();
    }
    handler_.on_closed(c, was_ready, why);
  }

  void arm_read(Conn& c) {
    const std::uint64_t gen = c.gen;
    c.sock.async_wait(tcp::socket::wait_read, [this, &c, gen](const std::error_code& ec) {
      if (c.gen != gen) return;
      if (ec) {
        fail(c, "wait: " + ec.message());
        return;
      }
      on_readable(c);
    });
  }

  void on_readable(Conn& c) {
    const std::uint64_t gen = c.gen;
    c.in_read = true;
    for (int i = 0; i < 8; ++i) {
      std::error_code ec;
      const std::size_t n = c.sock.read_some(asio::buffer(scratch_), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) break;
      if (ec) {
        c.in_read = false;
        fail(c, "read: " + ec.message());
        return;
      }
      c.in.append(scratch_.data(), n);
      if (n < scratch_.size()) break;
    }
    process(c);
    if (c.gen != gen) return;  // closed while processing
    c.in_read = false;
    flush(c);
    if (c.gen != gen) return;
    arm_read(c);
  }

  void flush(Conn& c) {
    if (c.writing || c.out.empty()) return;
    if (c.st == Conn::St::closed || c.st == Conn::St::idle || c.st == Conn::St::connecting) return;
    std::error_code ec;
    std::size_t n = c.sock.write_some(asio::buffer(c.out), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      n = 0;
    } else if (ec) {
      fail(c, "write: " + ec.message());
      return;
    }
    if (n == c.out.size()) {
      c.out.clear();
      return;
    }
    c.wbuf.assign(c.out, n, std::string::npos);
    c.out.clear();
    c.writing = true;
    const std::uint64_t gen = c.gen;
    asio::async_write(c.sock, asio::buffer(c.wbuf), [this, &c, gen](const std::error_code& ec2, std::size_t) {
      if (c.gen != gen) return;
      c.writing = false;
      if (ec2) {
        fail(c, "write: " + ec2.message());
        return;
      }
      c.wbuf.clear();
      flush(c);
    });
  }

  static void append_frame(std::string& out, std::uint8_t opcode, std::string_view payload) {
    const std::size_t n = payload.size();
    unsigned char header[14];
    std::size_t h = 0;
    header[h++] = static_cast<unsigned char>(0x80 | opcode);
    if (n < 126) {
      header[h++] = static_cast<unsigned char>(0x80 | n);
    } else if (n < 65536) {
      header[h++] = 0x80 | 126;
      header[h++] = static_cast<unsigned char>(n >> 8);
      header[h++] = static_cast<unsigned char>(n & 0xff);
    } else {
      header[h++] = 0x80 | 127;
      for (int i = 7; i >= 0; --i) header[h++] = static_cast<unsigned char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xff);
    }
    const std::uint32_t mask = xorshift();
    unsigned char key[4] = {static_cast<unsigned char>(mask >> 24), static_cast<unsigned char>(mask >> 16),
                            static_cast<unsigned char>(mask >> 8), static_cast<unsigned char>(mask)};
    std::memcpy(header + h, key, 4);
    h += 4;
    out.append(reinterpret_cast<const char*>(header), h);
    const std::size_t base = out.size();
    out.append(payload);
    for (std::size_t i = 0; i < n; ++i) out[base + i] = static_cast<char>(out[base + i] ^ key[i & 3]);
  }

  void process(Conn& c) {
    const std::uint64_t gen = c.gen;
    std::size_t pos = 0;
    if (c.st == Conn::St::upgrading) {
      const auto end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (c.in.size() > 16384) fail(c, "upgrade: response headers too long");
        return;
      }
      if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
        fail(c, "upgrade refused: " + c.in.substr(0, c.in.find("\r\n")));
        return;
      }
      c.st = Conn::St::eio_open;
      pos = end + 4;
    }
    while (true) {
      const std::size_t avail = c.in.size() - pos;
      if (avail < 2) break;
      const auto* p = reinterpret_cast<unsigned char*>(&c.in[pos]);
      const bool fin = (p[0] & 0x80) != 0;
      const std::uint8_t op = p[0] & 0x0f;
      const bool masked = (p[1] & 0x80) != 0;
      std::uint64_t len = p[1] & 0x7f;
      std::size_t h = 2;
      if (len == 126) {
        if (avail < 4) break;
        len = (static_cast<std::uint64_t>(p[2]) << 8) | p[3];
        h = 4;
      } else if (len == 127) {
        if (avail < 10) break;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
        h = 10;
      }
      const std::size_t key_at = h;
      if (masked) h += 4;
      if (avail < h + len) break;
      char* data = &c.in[pos + h];
      if (masked) {
        for (std::uint64_t i = 0; i < len; ++i) data[i] = static_cast<char>(data[i] ^ p[key_at + (i & 3)]);
      }
      const std::string_view payload(data, static_cast<std::size_t>(len));
      pos += h + static_cast<std::size_t>(len);
      on_frame(c, fin, op, payload);
      if (c.gen != gen) return;
    }
    c.in.erase(0, pos);
  }

  void on_frame(Conn& c, bool fin, std::uint8_t op, std::string_view payload) {
    switch (op) {
      case 0x0:  // continuation
        c.frag.append(payload);
        if (fin) {
          std::string whole;
          whole.swap(c.frag);
          if (c.frag_op == 0x1) on_engine_text(c, whole);
        }
        break;
      case 0x1:
      case 0x2:
        if (!fin) {
          c.frag.assign(payload);
          c.frag_op = op;
        } else if (op == 0x1) {
          on_engine_text(c, payload);
        }  // binary messages are not used by these scenarios
        break;
      case 0x8:
        fail(c, "websocket close from server");
        break;
      case 0x9:
        append_frame(c.out, 0xA, payload);
        break;
      default:
        break;
    }
  }

  void on_engine_text(Conn& c, std::string_view m) {
    if (m.empty()) return;
    switch (m[0]) {
      case '0':
        if (c.st == Conn::St::eio_open) {
          c.st = Conn::St::sio_connect;
          send_text(c, "40");
        }
        break;
      case '1':
        fail(c, "engine.io close");
        break;
      case '2': {
        std::string pong(m);
        pong[0] = '3';
        send_text(c, pong);
        break;
      }
      case '4':
        on_sio(c, m.substr(1));
        break;
      default:
        break;
    }
  }

  void on_sio(Conn& c, std::string_view p) {
    if (p.empty()) return;
    const char type = p[0];
    p.remove_prefix(1);
    if (!p.empty() && p[0] == '/') return;  // another namespace: not ours
    std::uint64_t id = 0;
    while (!p.empty() && p[0] >= '0' && p[0] <= '9') {
      id = id * 10 + static_cast<std::uint64_t>(p[0] - '0');
      p.remove_prefix(1);
    }
    switch (type) {
      case '0':
        if (c.st == Conn::St::sio_connect) {
          c.st = Conn::St::ready;
          if (!stopping_) finished_one();
          handler_.on_ready(c);
        }
        break;
      case '1':
        fail(c, "socket.io disconnect from server");
        break;
      case '2':
        handler_.on_event(c, p);
        break;
      case '3':
        handler_.on_ack(c, id, p);
        break;
      case '4':
        fail(c, "socket.io connect_error: " + std::string(p));
        break;
      default:
        break;
    }
  }

  asio::io_context& io_;
  Handler& handler_;
  tcp::endpoint endpoint_;
  std::string upgrade_request_;
  std::array<char, 65536> scratch_{};
  std::vector<Conn*> queue_;
  std::size_t next_ = 0, in_flight_ = 0, pending_ = 0, window_ = 1;
  std::function<void()> done_;
  std::size_t handshake_failures_ = 0;
  std::string last_error_;
  bool stopping_ = false;
};

struct Pool {
  std::vector<std::unique_ptr<Conn>> owned;
  std::vector<Conn*> all;
  Pool(asio::io_context& io, std::size_t n) {
    owned.reserve(n);
    all.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      owned.push_back(std::make_unique<Conn>(io));
      owned.back()->index = i;
      all.push_back(owned.back().get());
    }
  }
};

/// Ends the run after `seconds` whatever state it is in.
void arm_deadline(asio::steady_timer& timer, double seconds_, bool& timed_out, asio::io_context& io) {
  timer.expires_after(secs(seconds_));
  timer.async_wait([&timed_out, &io](const std::error_code& ec) {
    if (ec) return;
    timed_out = true;
    std::cerr << "loadgen: deadline reached, giving up" << std::endl;
    io.stop();
  });
}

// ================================================================ connect

int run_connect(const Options& o) {
  asio::io_context io;
  struct H : Handler {
    std::size_t dropped = 0;
    std::string why;
    void on_closed(Conn&, bool was_ready, const std::string& w) override {
      if (was_ready) {
        ++dropped;
        why = w;
      }
    }
  } handler;
  Net net(io, o, handler);
  Pool warm_pool(io, o.warmup_conns);
  Pool pool(io, o.n);

  ProcSample base, self0, connected, held, self1;
  std::uint64_t t0 = 0, t1 = 0;
  std::size_t failures_before = 0;
  bool timed_out = false, finished = false;
  asio::steady_timer deadline(io), hold(io), settle(io);
  arm_deadline(deadline, o.timeout, timed_out, io);

  auto measure = [&] {
    log("measurement window starts");
    failures_before = net.handshake_failures();
    base = sample_proc(o.server_pid);
    self0 = sample_proc(0);
    t0 = now_ns();
    log("connecting " + std::to_string(o.n) + " clients");
    net.connect_all(pool.all, o.window, [&] {
      t1 = now_ns();
      connected = sample_proc(o.server_pid);
      self1 = sample_proc(0);
      log("connected in " + std::to_string(seconds(t1 - t0)) + " s; holding " + std::to_string(o.duration) + " s");
      hold.expires_after(secs(o.duration));
      hold.async_wait([&](const std::error_code&) {
        held = sample_proc(o.server_pid);
        finished = true;
        net.close_all(warm_pool.all);
        net.close_all(pool.all);
        deadline.cancel();
        io.stop();
      });
    });
  };

  if (o.warmup_conns > 0) {
    // Warm-up clients first, so a JIT-compiled server is warm as a
    // long-running one is. They stay connected (idle) until the end: closing
    // them would leave freed memory that the measured connections reuse.
    log("warming up with " + std::to_string(o.warmup_conns) + " connections (kept open)");
    net.connect_all(warm_pool.all, o.window, [&] {
      if (net.handshake_failures()) {
        std::cerr << "loadgen: warm-up connections failed: " << net.last_error() << std::endl;
        io.stop();
        return;
      }
      settle.expires_after(std::chrono::seconds(1));
      settle.async_wait([&](const std::error_code& ec) {
        if (!ec) measure();
      });
    });
  } else {
    measure();
  }
  io.run();
  if (timed_out || !finished) return 1;

  const std::size_t failures = net.handshake_failures() - failures_before;
  const double n = static_cast<double>(o.n - failures);
  const double elapsed = seconds(t1 - t0);
  result("handshakes_per_s", n / elapsed, "/s");
  result("handshake_failures", static_cast<double>(failures), "count");
  if (failures) log("last handshake error: " + net.last_error());
  if (base.ok && connected.ok && held.ok && n > 0) {
    result("server_cpu_per_handshake", (connected.cpu_s - base.cpu_s) / n * 1e6, "us");
    result("rss_per_conn_connected", (connected.rss_kb - base.rss_kb) / n, "KiB");
    result("rss_per_conn_idle", (held.rss_kb - base.rss_kb) / n, "KiB");
    result("server_rss_idle", held.rss_kb / 1024.0, "MiB");
    result("idle_server_cpu", (held.cpu_s - connected.cpu_s) / o.duration * 100.0, "%core");
  }
  result("server_runqueue_wait", runqueue_wait_pct(base, connected), "%");
  result("dropped_during_hold", static_cast<double>(handler.dropped), "count");
  if (handler.dropped) log("dropped: " + handler.why);
  result("loadgen_cpu_connecting", (self1.cpu_s - self0.cpu_s) / elapsed * 100.0, "%core");
  result("loadgen_runqueue_wait", runqueue_wait_pct(self0, self1), "%");
  return failures == 0 && handler.dropped == 0 ? 0 : 1;
}

// ================================================================= fanout

int run_fanout(const Options& o) {
  asio::io_context io;
  enum Role { subscriber = 0, publisher = 1 };

  struct H : Handler {
    Net* net = nullptr;
    const Options* o = nullptr;
    std::size_t subscribers = 0, joined = 0;
    bool publisher_ready = false, publishing = false, finished = false;
    Conn* pub = nullptr;
    std::uint64_t published = 0, completed = 0, deliveries = 0, dropped = 0, bad = 0;
    std::vector<std::uint32_t> per_seq;  // deliveries of each sequence number
    Latencies latency;
    std::function<void()> on_all_joined, on_drained;

    void on_ready(Conn& c) override {
      if (c.role == publisher) {
        publisher_ready = true;
        return;
      }
      c.pending_ack = c.next_ack++;
      net->send_sio(c, "2" + std::to_string(c.pending_ack) + "[\"join\",\"bench\"]");
    }
    void on_ack(Conn& c, std::uint64_t id, std::string_view) override {
      if (c.role == subscriber && id == c.pending_ack && ++joined == subscribers && on_all_joined) on_all_joined();
    }
    void on_event(Conn& c, std::string_view json) override {
      static constexpr std::string_view prefix = "[\"room-message\",";
      if (c.role != subscriber || json.substr(0, prefix.size()) != prefix) return;
      const std::uint64_t now = now_ns();
      std::uint64_t seq = 0, sent = 0;
      std::size_t at = prefix.size();
      if (!number_after(json, "", seq, at)) {
        ++bad;
        return;
      }
      at = json.find(',', at);
      if (at == std::string_view::npos || !number_after(json, ",", sent, at)) {
        ++bad;
        return;
      }
      latency.add(now - sent);
      ++deliveries;
      ++c.received;
      if (seq == c.expected) {
        ++c.expected;
      } else if (seq > c.expected) {
        c.lost += seq - c.expected;
        c.expected = seq + 1;
      } else {
        ++c.reordered;
      }
      if (seq < per_seq.size() && ++per_seq[seq] == subscribers) {
        ++completed;
        pump();
      }
    }
    void on_closed(Conn&, bool was_ready, const std::string& why) override {
      if (was_ready) {
        ++dropped;
        std::cerr << "loadgen: connection dropped: " << why << std::endl;
      }
    }
    void pump() {
      while (publishing && published - completed < o->msg_window) {
        const std::uint64_t seq = published++;
        per_seq.push_back(0);
        net->send_sio(*pub, "2[\"to-room\",\"bench\"," + std::to_string(seq) + "," + std::to_string(now_ns()) +
                                ",\"hello world\"]");
      }
      if (!publishing && completed == published && on_drained) {
        auto cb = std::move(on_drained);
        on_drained = nullptr;
        cb();
      }
    }
  } h;

  Net net(io, o, h);
  Pool pool(io, o.n + 1);
  h.net = &net;
  h.o = &o;
  h.subscribers = o.n;
  h.pub = pool.all.back();
  h.pub->role = publisher;
  h.per_seq.reserve(1 << 16);
  h.latency.ns.reserve(1'000'000);

  bool timed_out = false;
  asio::steady_timer deadline(io), phase(io);
  arm_deadline(deadline, o.timeout, timed_out, io);
  ProcSample cpu0, cpu1, self0, self1;
  std::uint64_t t_start = 0, t_end = 0;
  bool done = false;

  auto finish = [&] {
    t_end = now_ns();
    cpu1 = sample_proc(o.server_pid);
    self1 = sample_proc(0);
    done = true;
    net.close_all(pool.all);
    deadline.cancel();
    phase.cancel();
    io.stop();
  };

  h.on_all_joined = [&] {
    log(std::to_string(o.n) + " subscribers joined; publishing for " + std::to_string(o.duration) + " s");
    phase.expires_after(std::chrono::milliseconds(300));  // let the join acks settle
    phase.async_wait([&](const std::error_code& ec) {
      if (ec) return;
      if (!h.publisher_ready) {
        std::cerr << "loadgen: publisher not connected" << std::endl;
        io.stop();
        return;
      }
      log("measurement window starts");
      cpu0 = sample_proc(o.server_pid);
      self0 = sample_proc(0);
      t_start = now_ns();
      h.publishing = true;
      h.pump();
      phase.expires_after(secs(o.duration));
      phase.async_wait([&](const std::error_code& ec2) {
        if (ec2) return;
        h.publishing = false;
        h.on_drained = finish;
        h.pump();
        // Lost messages never complete: give the rest 20 s at most.
        phase.expires_after(std::chrono::seconds(20));
        phase.async_wait([&](const std::error_code& ec3) {
          if (ec3 || done) return;
          std::cerr << "loadgen: not every message reached every subscriber" << std::endl;
          h.on_drained = nullptr;
          finish();
        });
      });
    });
  };

  log("connecting " + std::to_string(o.n) + " subscribers and a publisher");
  net.connect_all(pool.all, o.window, [&] {
    if (net.handshake_failures()) {
      std::cerr << "loadgen: " << net.handshake_failures() << " handshakes failed: " << net.last_error() << std::endl;
      io.stop();
    }
  });
  io.run();
  if (!done) return 1;

  std::uint64_t lost = 0, reordered = 0;
  for (std::size_t i = 0; i < o.n; ++i) {
    const Conn& c = *pool.all[i];
    lost += c.lost + (h.published > c.expected ? h.published - c.expected : 0);
    reordered += c.reordered;
  }
  const double elapsed = seconds(t_end - t_start);
  const double deliveries = static_cast<double>(h.deliveries);
  result("deliveries_per_s", deliveries / elapsed, "/s");
  result("messages_published", static_cast<double>(h.published), "count");
  if (cpu0.ok && cpu1.ok && deliveries > 0)
    result("server_cpu_per_M_deliveries", (cpu1.cpu_s - cpu0.cpu_s) / deliveries * 1e6, "cpu-s");
  result("latency_p50", h.latency.percentile_us(0.50) / 1e3, "ms");
  result("latency_p99", h.latency.percentile_us(0.99) / 1e3, "ms");
  result("lost", static_cast<double>(lost), "count");
  result("reordered", static_cast<double>(reordered), "count");
  result("dropped_connections", static_cast<double>(h.dropped), "count");
  result("loadgen_cpu", (self1.cpu_s - self0.cpu_s) / elapsed * 100.0, "%core");
  result("server_runqueue_wait", runqueue_wait_pct(cpu0, cpu1), "%");
  result("loadgen_runqueue_wait", runqueue_wait_pct(self0, self1), "%");
  return lost == 0 && reordered == 0 && h.dropped == 0 && h.bad == 0 ? 0 : 1;
}

// ================================================================== echo

constexpr std::string_view kEchoBody = "[\"message-with-ack\",{\"user\":\"a\",\"text\":\"hello world\",\"seq\":";

int run_echo(const Options& o) {
  asio::io_context io;
  struct H : Handler {
    Net* net = nullptr;
    std::size_t clients = 0, ready = 0;
    bool running = false, measuring = false;
    std::uint64_t measure_from = 0, round_trips = 0, mismatched = 0, dropped = 0;
    Latencies latency;
    std::function<void()> on_all_ready;

    void send_next(Conn& c) {
      if (!running) return;
      c.pending_ack = c.next_ack++;
      c.sent_at = now_ns();
      std::string sio = "2" + std::to_string(c.pending_ack);
      sio.append(kEchoBody);
      sio += std::to_string(c.pending_ack);
      sio += "}]";
      net->send_sio(c, sio);
    }
    void on_ready(Conn&) override {
      if (++ready == clients && on_all_ready) on_all_ready();
    }
    void on_ack(Conn& c, std::uint64_t id, std::string_view json) override {
      const std::uint64_t now = now_ns();
      std::uint64_t seq = 0;
      if (id != c.pending_ack || !number_after(json, "\"seq\":", seq) || seq != id) ++mismatched;
      if (measuring) {
        ++round_trips;
        if (c.sent_at >= measure_from) latency.add(now - c.sent_at);
      }
      send_next(c);
    }
    void on_closed(Conn&, bool was_ready, const std::string& why) override {
      if (was_ready) {
        ++dropped;
        std::cerr << "loadgen: connection dropped: " << why << std::endl;
      }
    }
  } h;
  Net net(io, o, h);
  Pool pool(io, o.n);
  h.net = &net;
  h.clients = o.n;
  h.latency.ns.reserve(4'000'000);

  bool timed_out = false, done = false;
  asio::steady_timer deadline(io), phase(io);
  arm_deadline(deadline, o.timeout, timed_out, io);
  ProcSample cpu0, cpu1, self0, self1;
  std::uint64_t t_start = 0, t_end = 0;

  h.on_all_ready = [&] {
    log(std::to_string(o.n) + " clients ready; warm-up " + std::to_string(o.warmup) + " s, then " +
        std::to_string(o.duration) + " s");
    h.running = true;
    for (Conn* c : pool.all) h.send_next(*c);
    phase.expires_after(secs(o.warmup));
    phase.async_wait([&](const std::error_code& ec) {
      if (ec) return;
      log("measurement window starts");
      cpu0 = sample_proc(o.server_pid);
      self0 = sample_proc(0);
      t_start = h.measure_from = now_ns();
      h.measuring = true;
      phase.expires_after(secs(o.duration));
      phase.async_wait([&](const std::error_code& ec2) {
        if (ec2) return;
        t_end = now_ns();
        cpu1 = sample_proc(o.server_pid);
        self1 = sample_proc(0);
        h.measuring = false;
        h.running = false;
        done = true;
        net.close_all(pool.all);
        deadline.cancel();
        io.stop();
      });
    });
  };

  log("connecting " + std::to_string(o.n) + " clients");
  net.connect_all(pool.all, o.window, [&] {
    if (net.handshake_failures()) {
      std::cerr << "loadgen: " << net.handshake_failures() << " handshakes failed: " << net.last_error() << std::endl;
      io.stop();
    }
  });
  io.run();
  if (!done) return 1;

  const double elapsed = seconds(t_end - t_start);
  const double n = static_cast<double>(h.round_trips);
  result("round_trips_per_s", n / elapsed, "/s");
  if (cpu0.ok && cpu1.ok && n > 0) result("server_cpu_per_M_round_trips", (cpu1.cpu_s - cpu0.cpu_s) / n * 1e6, "cpu-s");
  result("latency_p50", h.latency.percentile_us(0.50), "us");
  result("latency_p99", h.latency.percentile_us(0.99), "us");
  result("mismatched_acks", static_cast<double>(h.mismatched), "count");
  result("dropped_connections", static_cast<double>(h.dropped), "count");
  result("loadgen_cpu", (self1.cpu_s - self0.cpu_s) / elapsed * 100.0, "%core");
  result("server_runqueue_wait", runqueue_wait_pct(cpu0, cpu1), "%");
  result("loadgen_runqueue_wait", runqueue_wait_pct(self0, self1), "%");
  return h.mismatched == 0 && h.dropped == 0 ? 0 : 1;
}

// =============================================================== polling

/// One HTTP/1.1 request on its own TCP connection ("Connection: close").
struct HttpRequest : std::enable_shared_from_this<HttpRequest> {
  explicit HttpRequest(asio::io_context& io) : sock(io) {}
  tcp::socket sock;
  std::string request, response;
  std::array<char, 16384> buf{};
  std::function<void(int status, std::string body, const std::string& error)> done;
  std::unordered_set<HttpRequest*>* registry = nullptr;
  bool finished = false;

  void start(const tcp::endpoint& ep) {
    registry->insert(this);
    auto self = shared_from_this();
    sock.async_connect(ep, [self](const std::error_code& ec) {
      if (ec) return self->finish(0, "connect: " + ec.message());
      std::error_code ignored;
      self->sock.set_option(tcp::no_delay(true), ignored);
      asio::async_write(self->sock, asio::buffer(self->request), [self](const std::error_code& ec2, std::size_t) {
        if (ec2) return self->finish(0, "write: " + ec2.message());
        self->read();
      });
    });
  }

  void read() {
    auto self = shared_from_this();
    sock.async_read_some(asio::buffer(buf), [self](const std::error_code& ec, std::size_t n) {
      if (self->finished) return;
      self->response.append(self->buf.data(), n);
      if (ec == asio::error::eof || self->complete()) return self->finish(0, "");
      if (ec) return self->finish(0, "read: " + ec.message());
      self->read();
    });
  }

  /// True once the headers and Content-Length bytes of body (or the final
  /// chunk) are in.
  bool complete() const {
    const auto end = response.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    const std::string_view head(response.data(), end);
    std::uint64_t length = 0;
    for (std::string_view key : {"Content-Length: ", "content-length: "}) {
      if (number_after(head, key, length)) return response.size() - (end + 4) >= length;
    }
    return response.size() >= 5 && response.compare(response.size() - 5, 5, "0\r\n\r\n") == 0 &&
           (head.find("chunked") != std::string_view::npos);
  }

  void finish(int, const std::string& error) {
    if (finished) return;
    finished = true;
    registry->erase(this);
    std::error_code ignored;
    sock.close(ignored);
    auto cb = std::move(done);
    if (!error.empty()) return cb(0, "", error);
    int status = 0;
    const auto end = response.find("\r\n\r\n");
    if (response.rfind("HTTP/1.", 0) != 0 || end == std::string::npos || response.size() < 12)
      return cb(0, "", "malformed response");
    status = std::atoi(response.c_str() + 9);
    std::string body = response.substr(end + 4);
    const std::string_view head(response.data(), end);
    if (head.find("chunked") != std::string_view::npos) {
      std::string plain;
      std::size_t at = 0;
      while (at < body.size()) {
        const std::size_t size = std::strtoul(body.c_str() + at, nullptr, 16);
        const auto line_end = body.find("\r\n", at);
        if (size == 0 || line_end == std::string::npos) break;
        plain.append(body, line_end + 2, size);
        at = line_end + 2 + size + 2;
      }
      body.swap(plain);
    }
    cb(status, std::move(body), "");
  }
};

int run_polling(const Options& o) {
  asio::io_context io;
  const tcp::endpoint ep(asio::ip::make_address(o.host), o.port);
  const std::string base_target = o.path + "?EIO=4&transport=polling";
  const std::string host_header = "Host: " + o.host + ":" + std::to_string(o.port) + "\r\n";
  std::unordered_set<HttpRequest*> registry;

  struct Client {
    std::size_t index = 0;
    std::string sid;
    bool ready = false, closed = false, post_in_flight = false;
    std::vector<std::string> post_queue;
    std::uint64_t seq = 0, sent_at = 0;
  };
  std::vector<Client> clients(o.n);
  std::size_t ready = 0, errors = 0;
  bool running = false, measuring = false, stopping = false, done = false, timed_out = false;
  std::uint64_t measure_from = 0, messages = 0, mismatched = 0;
  std::string last_error;
  Latencies latency;
  latency.ns.reserve(1'000'000);
  std::function<void()> on_all_ready;

  auto http = [&](const std::string& method, const std::string& target, const std::string& body,
                  std::function<void(int, std::string, const std::string&)> cb) {
    auto req = std::make_shared<HttpRequest>(io);
    req->registry = &registry;
    req->request = method + " " + target + " HTTP/1.1\r\n" + host_header + "Connection: close\r\nAccept: */*\r\n";
    if (method == "POST") {
      req->request += "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\n\r\n" + body;
    } else {
      req->request += "\r\n";
    }
    req->done = std::move(cb);
    req->start(ep);
  };

  auto client_error = [&](Client& c, const std::string& what) {
    if (stopping) return;
    ++errors;
    last_error = what;
    c.closed = true;
    std::cerr << "loadgen: polling client " << c.index << ": " << what << std::endl;
  };

  std::function<void(Client&)> pump_post = [&](Client& c) {
    if (c.closed || stopping || c.post_in_flight || c.post_queue.empty()) return;
    std::string body;
    for (std::size_t i = 0; i < c.post_queue.size(); ++i) {
      if (i) body += '\x1e';
      body += c.post_queue[i];
    }
    c.post_queue.clear();
    c.post_in_flight = true;
    http("POST", base_target + "&sid=" + c.sid, body, [&, pc = &c](int status, std::string reply, const std::string& err) {
      pc->post_in_flight = false;
      if (!err.empty() || status != 200) return client_error(*pc, "POST: " + (err.empty() ? "HTTP " + std::to_string(status) + " " + reply : err));
      pump_post(*pc);
    });
  };
  auto post = [&](Client& c, std::string packet) {
    c.post_queue.push_back(std::move(packet));
    pump_post(c);
  };
  auto send_next = [&](Client& c) {
    if (!running || c.closed) return;
    c.sent_at = now_ns();
    ++c.seq;
    post(c, "42[\"message\",{\"user\":\"a\",\"text\":\"hello world\",\"seq\":" + std::to_string(c.seq) + "}]");
  };

  auto on_packet = [&](Client& c, std::string_view p) {
    if (p.empty()) return;
    if (p[0] == '2') {
      post(c, "3");
    } else if (p[0] == '1') {
      client_error(c, "engine.io close");
    } else if (p.substr(0, 2) == "40") {
      if (!c.ready) {
        c.ready = true;
        if (++ready == clients.size() && on_all_ready) on_all_ready();
      }
    } else if (p.substr(0, 2) == "44") {
      client_error(c, "connect_error " + std::string(p));
    } else if (p.substr(0, 16) == "42[\"message-back") {
      const std::uint64_t now = now_ns();
      std::uint64_t seq = 0;
      if (!number_after(p, "\"seq\":", seq) || seq != c.seq) ++mismatched;
      if (measuring) {
        ++messages;
        if (c.sent_at >= measure_from) latency.add(now - c.sent_at);
      }
      send_next(c);
    }
  };

  std::function<void(Client&)> poll = [&](Client& c) {
    if (c.closed || stopping) return;
    http("GET", base_target + "&sid=" + c.sid, "", [&, pc = &c](int status, std::string body, const std::string& err) {
      if (stopping) return;
      if (!err.empty() || status != 200) return client_error(*pc, "GET: " + (err.empty() ? "HTTP " + std::to_string(status) + " " + body : err));
      std::size_t at = 0;
      while (at <= body.size()) {
        auto sep = body.find('\x1e', at);
        if (sep == std::string::npos) sep = body.size();
        on_packet(*pc, std::string_view(body).substr(at, sep - at));
        at = sep + 1;
      }
      poll(*pc);
    });
  };

  auto open = [&](Client& c) {
    http("GET", base_target, "", [&, pc = &c](int status, std::string body, const std::string& err) {
      if (!err.empty() || status != 200 || body.empty() || body[0] != '0')
        return client_error(*pc, "handshake: " + (err.empty() ? "HTTP " + std::to_string(status) + " " + body : err));
      const auto at = body.find("\"sid\":\"");
      if (at == std::string::npos) return client_error(*pc, "handshake without sid");
      const auto end = body.find('"', at + 7);
      pc->sid = body.substr(at + 7, end - (at + 7));
      post(*pc, "40");
      poll(*pc);
    });
  };

  asio::steady_timer deadline(io), phase(io), open_check(io);
  arm_deadline(deadline, o.timeout, timed_out, io);
  ProcSample cpu0, cpu1, self0, self1;
  std::uint64_t t_start = 0, t_end = 0;
  auto stop_all = [&] {
    stopping = true;
    for (HttpRequest* r : std::vector<HttpRequest*>(registry.begin(), registry.end())) {
      std::error_code ignored;
      r->sock.close(ignored);
    }
    deadline.cancel();
    phase.cancel();
    open_check.cancel();
  };

  on_all_ready = [&] {
    log(std::to_string(o.n) + " polling clients ready; warm-up " + std::to_string(o.warmup) + " s, then " +
        std::to_string(o.duration) + " s");
    running = true;
    for (Client& c : clients) send_next(c);
    phase.expires_after(secs(o.warmup));
    phase.async_wait([&](const std::error_code& ec) {
      if (ec) return;
      log("measurement window starts");
      cpu0 = sample_proc(o.server_pid);
      self0 = sample_proc(0);
      t_start = measure_from = now_ns();
      measuring = true;
      phase.expires_after(secs(o.duration));
      phase.async_wait([&](const std::error_code& ec2) {
        if (ec2) return;
        t_end = now_ns();
        cpu1 = sample_proc(o.server_pid);
        self1 = sample_proc(0);
        measuring = false;
        running = false;
        done = true;
        stop_all();
      });
    });
  };

  log("opening " + std::to_string(o.n) + " polling sessions");
  for (std::size_t i = 0; i < clients.size(); ++i) {
    clients[i].index = i;
    open(clients[i]);
  }
  // A stuck handshake would otherwise only end at the hard deadline.
  open_check.expires_after(std::chrono::seconds(30));
  open_check.async_wait([&](const std::error_code& ec) {
    if (ec || ready == clients.size() || done) return;
    std::cerr << "loadgen: only " << ready << " of " << clients.size() << " polling sessions opened" << std::endl;
    stop_all();
  });
  io.run_for(secs(o.timeout + 5));
  if (!done) return 1;

  const double elapsed = seconds(t_end - t_start);
  const double n = static_cast<double>(messages);
  result("messages_per_s", n / elapsed, "/s");
  if (cpu0.ok && cpu1.ok && n > 0) result("server_cpu_per_message", (cpu1.cpu_s - cpu0.cpu_s) / n * 1e6, "us");
  result("latency_p50", latency.percentile_us(0.50), "us");
  result("latency_p99", latency.percentile_us(0.99), "us");
  result("mismatched", static_cast<double>(mismatched), "count");
  result("errors", static_cast<double>(errors), "count");
  result("loadgen_cpu", (self1.cpu_s - self0.cpu_s) / elapsed * 100.0, "%core");
  result("server_runqueue_wait", runqueue_wait_pct(cpu0, cpu1), "%");
  result("loadgen_runqueue_wait", runqueue_wait_pct(self0, self1), "%");
  if (errors) log("last error: " + last_error);
  return errors == 0 && mismatched == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_args(argc, argv);
  g_opts = &options;
  raise_nofile_limit();
  try {
    if (options.scenario == "connect") return run_connect(options);
    if (options.scenario == "fanout") return run_fanout(options);
    if (options.scenario == "echo") return run_echo(options);
    return run_polling(options);
  } catch (const std::exception& e) {
    std::cerr << "loadgen: " << e.what() << std::endl;
    return 1;
  }
}

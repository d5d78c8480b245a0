#include "redis/redis_client.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <asio/dispatch.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "socketio/error.hpp"

// How hiredis is driven (hiredis 0.14.1, async API):
//
// - Each connection has a redisAsyncContext. Its event hooks (ev.addRead,
//   ev.addWrite, ...) arm async_wait on an asio::posix::stream_descriptor
//   that watches the context's fd; when the fd is ready we call
//   redisAsyncHandleRead/Write. hiredis owns and closes the fd, so the
//   descriptor is release()d, never closed.
// - Everything (hooks, waits, timers, our state) runs on one strand.
// - hiredis calls our reply callbacks from inside redisAsyncHandleRead and
//   from inside redisAsyncFree. They only convert the reply and post the
//   rest to the strand: user code never runs inside hiredis, so user code
//   may call any member without re-entering hiredis.
// - hiredis frees a context by itself on any error (EOF, reset, protocol
//   error, failed connect). The ev.cleanup hook is the one signal every such
//   path gives; it posts on_link_closed(), which schedules the reconnect.

namespace socketio::detail {

namespace {

using Clock = std::chrono::steady_clock;
using Strand = asio::strand<asio::io_context::executor_type>;

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::string;
      out.string.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::status;
      out.string.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::error;
      out.string.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default: out.type = RedisReply::Type::nil; break;
  }
  return out;
}

bool is_string(const redisReply* r) {
  return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS;
}

std::string_view text_of(const redisReply* r) { return std::string_view(r->str, r->len); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// Commands that would switch the command connection into subscriber or
// monitor mode, which hiredis and this client cannot handle there (and
// SSUBSCRIBE aborts hiredis 0.14 on the first message).
bool is_mode_command(std::string_view name) {
  for (const char* forbidden : {"SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE",
                                "SSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR"}) {
    if (iequals(name, forbidden)) return true;
  }
  return false;
}

// hiredis 0.14 writes with write(2), which raises SIGPIPE when Redis has gone
// away, and SIGPIPE's default action ends the process. Block it on this
// thread around hiredis' write and discard what the write raised, without
// touching the process's signal disposition.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{0, 0};
        while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

// publish() drops messages while this much output waits to be written.
constexpr std::size_t max_unsent_bytes = 64u << 20;

class RedisClientImpl final : public RedisClient {
 public:
  RedisClientImpl(asio::io_context& io, RedisClientOptions options)
      : options_(std::move(options)),
        strand_(asio::make_strand(io)),
        command_link_(Role::command, strand_, options_.reconnect_min),
        subscriber_link_(Role::subscriber, strand_, options_.reconnect_min),
        command_timer_(strand_) {}

  ~RedisClientImpl() override {
    // Only reached with live contexts when stop() was never called and the
    // io_context is being destroyed with our handlers. Detach everything
    // from hiredis first so that freeing the contexts calls none of our
    // code, then let hiredis close the fds.
    for (Link* link : {&command_link_, &subscriber_link_}) {
      redisAsyncContext* ac = link->context;
      if (!ac) continue;
      link->context = nullptr;
      if (link->watcher) {
        link->watcher->context = nullptr;
        link->watcher->descriptor.release();
      }
      ac->data = nullptr;
      ac->ev.data = nullptr;
      ac->ev.addRead = nullptr;
      ac->ev.delRead = nullptr;
      ac->ev.addWrite = nullptr;
      ac->ev.delWrite = nullptr;
      ac->ev.cleanup = nullptr;
      ac->onConnect = nullptr;
      ac->onDisconnect = nullptr;
      redisAsyncFree(ac);
    }
  }

  void start() override {
    asio::post(strand_, [self = self()] { self->do_start(); });
  }

  void stop() override {
    if (strand_.running_in_this_thread()) {
      do_stop();
    } else {
      asio::post(strand_, [self = self()] { self->do_stop(); });
    }
  }

  void command(std::vector<std::string> args, ReplyHandler handler) override {
    asio::post(strand_, [self = self(), args = std::move(args), handler = std::move(handler)]() mutable {
      self->do_command(std::move(args), std::move(handler));
    });
  }

  void publish(std::string channel, std::string payload) override {
    asio::post(strand_, [self = self(), channel = std::move(channel), payload = std::move(payload)] {
      self->do_publish(channel, payload);
    });
  }

  SubscriptionId subscribe(std::vector<std::string> channels, MessageHandler handler) override {
    const SubscriptionId id = next_subscription_.fetch_add(1);
    asio::dispatch(strand_, [self = self(), id, channels = std::move(channels),
                             handler = std::move(handler)]() mutable {
      self->do_subscribe(id, false, std::move(channels), std::move(handler));
    });
    return id;
  }

  SubscriptionId psubscribe(std::string pattern, MessageHandler handler) override {
    const SubscriptionId id = next_subscription_.fetch_add(1);
    asio::dispatch(strand_, [self = self(), id, pattern = std::move(pattern),
                             handler = std::move(handler)]() mutable {
      self->do_subscribe(id, true, {std::move(pattern)}, std::move(handler));
    });
    return id;
  }

  void unsubscribe(SubscriptionId id) override {
    asio::dispatch(strand_, [self = self(), id] { self->do_unsubscribe(id); });
  }

  void on_state(StateHandler handler) override {
    asio::dispatch(strand_, [self = self(), handler = std::move(handler)]() mutable {
      if (!self->stopped_) self->state_handler_ = std::move(handler);
    });
  }

  bool connected() const override { return connected_.load(); }
  std::uint64_t dropped_publishes() const override { return dropped_.load(); }

 private:
  enum class Role { command, subscriber };
  // idle -> connecting -> ready -> waiting (backoff) -> connecting ...;
  // stopped is final.
  enum class LinkState { idle, connecting, ready, waiting, stopped };

  struct Link;

  // The Asio side of one redisAsyncContext. Shared with the pending waits so
  // it outlives the context it watched.
  struct Watcher : std::enable_shared_from_this<Watcher> {
    Watcher(RedisClientImpl& owner, Link& link, std::uint64_t generation, const Strand& strand)
        : owner(owner), link(link), generation(generation), descriptor(strand) {}
    RedisClientImpl& owner;
    Link& link;
    const std::uint64_t generation;
    asio::posix::stream_descriptor descriptor;
    redisAsyncContext* context = nullptr;  // null once hiredis cleaned up
    bool want_read = false;
    bool want_write = false;
    bool reading = false;  // an async_wait is outstanding
    bool writing = false;
    std::string error;  // why hiredis gave up, for the log
  };

  struct Link {
    Link(Role role, const Strand& strand, std::chrono::milliseconds backoff)
        : role(role), connect_timer(strand), retry_timer(strand), resolver(strand), backoff(backoff) {}
    const Role role;
    LinkState state = LinkState::idle;
    std::uint64_t generation = 0;  // one per connection attempt
    redisAsyncContext* context = nullptr;
    std::shared_ptr<Watcher> watcher;
    asio::steady_timer connect_timer;
    asio::steady_timer retry_timer;
    asio::ip::tcp::resolver resolver;
    std::chrono::milliseconds backoff;
    std::size_t failures = 0;  // attempts failed in a row
    // Handshake: the PING reply and, on the subscriber, the confirmations
    // of every re-issued subscription ("c" or "p" + name).
    bool pong = false;
    std::multiset<std::string> awaiting;
    const char* name() const { return role == Role::command ? "command" : "subscriber"; }
  };

  struct Pending {
    ReplyHandler handler;
    Clock::time_point deadline;
  };

  struct Subscription {
    bool pattern = false;
    std::vector<std::string> names;
    std::shared_ptr<MessageHandler> handler;
  };

  // What the subscriber connection received, carried from inside hiredis
  // to the strand.
  struct SubscriberEvent {
    enum class Kind { message, pmessage, subscribed, psubscribed, pong, error } kind;
    std::string pattern;  // pmessage
    std::string channel;  // message, pmessage, (p)subscribed: the name
    std::string payload;  // message, pmessage; error: the text
  };

  std::shared_ptr<RedisClientImpl> self() {
    return std::static_pointer_cast<RedisClientImpl>(shared_from_this());
  }

  void log(LogLevel level, const std::string& message) const {
    if (!options_.log) return;
    try {
      options_.log(level, "redis: " + message);
    } catch (...) {
      // A log hook must not take the client down.
    }
  }

  template <typename F>
  void guarded(const char* what, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      log(LogLevel::error, std::string(what) + " threw: " + e.what());
    } catch (...) {
      log(LogLevel::error, std::string(what) + " threw");
    }
  }

  void respond(const ReplyHandler& handler, std::error_code ec, RedisReply result = {}) {
    if (!handler) return;
    guarded("reply handler", [&] { handler(ec, std::move(result)); });
  }

  // ---- lifecycle --------------------------------------------------------------

  void do_start() {
    if (started_ || stopped_) return;
    started_ = true;
    begin_attempt(command_link_);
    begin_attempt(subscriber_link_);
  }

  void do_stop() {
    if (stopped_) return;
    stopped_ = true;
    connected_ = false;
    reported_ = false;
    command_timer_.cancel();
    for (Link* link : {&command_link_, &subscriber_link_}) {
      link->state = LinkState::stopped;
      link->connect_timer.cancel();
      link->retry_timer.cancel();
      link->resolver.cancel();
    }
    // Fail what waits for a reply. Posted: stop() may run on the strand, and
    // handlers never run inside the call that caused them.
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, entry] : pending) {
      asio::post(strand_, [self = self(), handler = std::move(entry.handler)] {
        self->respond(handler, make_error_code(errc::server_closed));
      });
    }
    // Frees the contexts now; their callbacks see stopped_ and do nothing,
    // the cleanup hooks release the descriptors (which aborts the waits).
    for (Link* link : {&command_link_, &subscriber_link_}) {
      if (link->context) redisAsyncFree(link->context);
    }
    // Drop user callbacks: they may hold the client.
    subscriptions_.clear();
    channels_.clear();
    patterns_.clear();
    state_handler_ = nullptr;
    log(LogLevel::debug, "stopped");
  }

  // ---- connecting -------------------------------------------------------------

  void begin_attempt(Link& link) {
    if (stopped_) return;
    const std::uint64_t generation = ++link.generation;
    link.state = LinkState::connecting;
    link.pong = false;
    link.awaiting.clear();
    // One deadline for resolving, connecting and the handshake.
    link.connect_timer.expires_after(options_.connect_timeout);
    link.connect_timer.async_wait([self = self(), &link, generation](const asio::error_code& ec) {
      if (!ec) self->on_connect_timeout(link, generation);
    });
    asio::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (!ec) {
      open_context(link, generation, address.to_string());
      return;
    }
    // hiredis would resolve the name with a blocking getaddrinfo() on our
    // thread; Asio's resolver does it off the strand.
    link.resolver.async_resolve(
        options_.host, std::to_string(options_.port),
        [self = self(), &link, generation](const asio::error_code& ec,
                                           asio::ip::tcp::resolver::results_type results) {
          self->on_resolved(link, generation, ec, results);
        });
  }

  void on_resolved(Link& link, std::uint64_t generation, const asio::error_code& ec,
                   const asio::ip::tcp::resolver::results_type& results) {
    if (stopped_ || generation != link.generation || link.state != LinkState::connecting) return;
    if (ec || results.empty()) {
      attempt_failed(link, generation, "cannot resolve " + options_.host + ": " + ec.message());
      return;
    }
    // IPv4 first, as hiredis itself does: "localhost" often lists ::1
    // first while Redis listens on 127.0.0.1 only.
    auto chosen = results.begin();
    for (auto it = results.begin(); it != results.end(); ++it) {
      if (it->endpoint().address().is_v4()) {
        chosen = it;
        break;
      }
    }
    open_context(link, generation, chosen->endpoint().address().to_string());
  }

  void open_context(Link& link, std::uint64_t generation, const std::string& ip) {
    redisAsyncContext* ac = redisAsyncConnect(ip.c_str(), options_.port);
    if (!ac) {
      attempt_failed(link, generation, "out of memory");
      return;
    }
    if (ac->err) {
      // Refused at once (loopback) or no socket: hiredis gave up already.
      std::string why = ac->errstr ? ac->errstr : "connect failed";
      redisAsyncFree(ac);
      attempt_failed(link, generation, why);
      return;
    }
    auto watcher = std::make_shared<Watcher>(*this, link, generation, strand_);
    asio::error_code ec;
    watcher->descriptor.assign(ac->c.fd, ec);
    if (ec) {
      redisAsyncFree(ac);
      attempt_failed(link, generation, "cannot watch the socket: " + ec.message());
      return;
    }
    // Notice a peer that vanished without a FIN (the subscriber connection
    // may otherwise wait forever).
    redisEnableKeepAlive(&ac->c);  // probes after 15 s idle
    watcher->context = ac;
    ac->data = watcher.get();
    ac->ev.data = watcher.get();
    ac->ev.addRead = &RedisClientImpl::hook_add_read;
    ac->ev.delRead = &RedisClientImpl::hook_del_read;
    ac->ev.addWrite = &RedisClientImpl::hook_add_write;
    ac->ev.delWrite = &RedisClientImpl::hook_del_write;
    ac->ev.cleanup = &RedisClientImpl::hook_cleanup;
    link.context = ac;
    link.watcher = watcher;
    redisAsyncSetConnectCallback(ac, &RedisClientImpl::on_connected);  // arms the first write wait
    redisAsyncSetDisconnectCallback(ac, &RedisClientImpl::on_disconnected);

    // The handshake goes out as soon as the socket connects. PING proves
    // that Redis serves (not loading, no auth error), and on the subscriber
    // it goes first because a PING sent in subscriber mode gets an array
    // reply that hiredis would route as a message.
    static const std::vector<std::string> ping{"PING"};
    bool sent;
    if (link.role == Role::command) {
      sent = send(ac, ping, &RedisClientImpl::on_command_reply, nullptr);
    } else {
      sent = send(ac, ping, &RedisClientImpl::on_subscriber_reply, nullptr);
      for (const auto& [channel, ids] : channels_) link.awaiting.insert("c" + channel);
      for (const auto& [pattern, ids] : patterns_) link.awaiting.insert("p" + pattern);
      sent = sent && send_names(ac, "SUBSCRIBE", keys_of(channels_)) &&
             send_names(ac, "PSUBSCRIBE", keys_of(patterns_));
    }
    if (!sent) {
      watcher->error = "cannot queue the handshake";
      redisAsyncFree(ac);  // cleanup hook -> on_link_closed
    }
  }

  void on_connect_timeout(Link& link, std::uint64_t generation) {
    if (stopped_ || generation != link.generation || link.state != LinkState::connecting) return;
    if (link.context) {
      link.watcher->error = "no answer within " + std::to_string(options_.connect_timeout.count()) + " ms";
      redisAsyncFree(link.context);  // cleanup hook -> on_link_closed
    } else {
      link.resolver.cancel();
      attempt_failed(link, generation, "resolving " + options_.host + " timed out");
    }
  }

  void maybe_ready(Link& link) {
    if (link.state != LinkState::connecting || !link.pong || !link.awaiting.empty()) return;
    link.state = LinkState::ready;
    link.connect_timer.cancel();
    link.backoff = options_.reconnect_min;
    if (link.failures > 0) {
      log(LogLevel::info, std::string(link.name()) + " connection restored");
    } else {
      log(LogLevel::debug, std::string(link.name()) + " connection up");
    }
    link.failures = 0;
    update_state();
  }

  void attempt_failed(Link& link, std::uint64_t generation, const std::string& why) {
    if (stopped_ || generation != link.generation) return;
    if (link.state == LinkState::waiting || link.state == LinkState::stopped) return;
    const bool was_ready = link.state == LinkState::ready;
    link.state = LinkState::waiting;
    link.connect_timer.cancel();
    const auto delay = link.backoff;
    link.backoff = std::min(link.backoff * 2, options_.reconnect_max);
    const std::string where = std::string(link.name()) + " connection to " + options_.host + ":" +
                              std::to_string(options_.port);
    if (was_ready) {
      log(LogLevel::warning, where + " lost (" + why + "); reconnecting");
    } else if (link.failures == 0) {
      log(LogLevel::warning, where + " failed (" + why + "); retrying in " +
                                 std::to_string(delay.count()) + " ms");
    } else {
      log(LogLevel::debug, where + " failed (" + why + "); retrying in " +
                               std::to_string(delay.count()) + " ms");
    }
    ++link.failures;
    link.retry_timer.expires_after(delay);
    link.retry_timer.async_wait([self = self(), &link, generation](const asio::error_code& ec) {
      if (ec || self->stopped_ || link.generation != generation || link.state != LinkState::waiting) return;
      self->begin_attempt(link);
    });
    update_state();
  }

  // Posted by the cleanup hook: hiredis has freed the context.
  void on_link_closed(Link& link, const std::shared_ptr<Watcher>& watcher) {
    if (link.watcher == watcher) link.watcher.reset();
    attempt_failed(link, watcher->generation,
                   watcher->error.empty() ? "connection closed" : watcher->error);
  }

  void update_state() {
    const bool now =
        !stopped_ && command_link_.state == LinkState::ready && subscriber_link_.state == LinkState::ready;
    if (now == reported_) return;
    reported_ = now;
    connected_ = now;
    if (state_handler_) {
      auto handler = state_handler_;
      guarded("state handler", [&] { handler(now); });
    }
  }

  // ---- hiredis event hooks (called inside hiredis, on the strand) ---------

  static void hook_add_read(void* data) {
    auto* w = static_cast<Watcher*>(data);
    w->want_read = true;
    if (!w->reading) w->owner.wait_readable(*w);
  }
  static void hook_del_read(void* data) { static_cast<Watcher*>(data)->want_read = false; }
  static void hook_add_write(void* data) {
    auto* w = static_cast<Watcher*>(data);
    w->want_write = true;
    if (!w->writing) w->owner.wait_writable(*w);
  }
  static void hook_del_write(void* data) { static_cast<Watcher*>(data)->want_write = false; }
  static void hook_cleanup(void* data) {
    auto* w = static_cast<Watcher*>(data);
    w->owner.on_context_gone(*w);
  }

  // A wait that completes after del*() is simply not renewed; one that
  // completes after cleanup finds context == nullptr.
  void wait_readable(Watcher& w) {
    w.reading = true;
    w.descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                            [self = self(), w = w.shared_from_this()](const asio::error_code& ec) {
                              w->reading = false;
                              if (ec || !w->context || !w->want_read) return;
                              redisAsyncHandleRead(w->context);
                            });
  }

  void wait_writable(Watcher& w) {
    w.writing = true;
    w.descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                            [self = self(), w = w.shared_from_this()](const asio::error_code& ec) {
                              w->writing = false;
                              if (ec || !w->context || !w->want_write) return;
                              SigpipeGuard guard;
                              redisAsyncHandleWrite(w->context);
                            });
  }

  void on_context_gone(Watcher& w) {
    w.context = nullptr;
    w.want_read = w.want_write = false;
    w.descriptor.release();  // hiredis closes the fd right after this hook
    Link& link = w.link;
    if (link.context == nullptr || link.watcher.get() != &w) return;
    link.context = nullptr;
    asio::post(strand_, [self = self(), &link, w = w.shared_from_this()] { self->on_link_closed(link, w); });
  }

  static void on_connected(const redisAsyncContext* ac, int status) {
    auto* w = static_cast<Watcher*>(ac->data);
    if (w && status != REDIS_OK && ac->errstr) w->error = ac->errstr;
  }

  static void on_disconnected(const redisAsyncContext* ac, int status) {
    auto* w = static_cast<Watcher*>(ac->data);
    if (w && status != REDIS_OK && ac->errstr && w->error.empty()) w->error = ac->errstr;
  }

  // ---- commands -------------------------------------------------------------

  static bool send(redisAsyncContext* ac, const std::vector<std::string>& args, redisCallbackFn* fn,
                   void* privdata) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const auto& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    return redisAsyncCommandArgv(ac, fn, privdata, static_cast<int>(args.size()), argv.data(),
                                 lengths.data()) == REDIS_OK;
  }

  template <typename Map>
  static std::vector<std::string> keys_of(const Map& map) {
    std::vector<std::string> keys;
    keys.reserve(map.size());
    for (const auto& entry : map) keys.push_back(entry.first);
    return keys;
  }

  // SUBSCRIBE / PSUBSCRIBE / (P)UNSUBSCRIBE a batch of names, in chunks so
  // no single command grows without bound.
  static bool send_names(redisAsyncContext* ac, const char* verb, const std::vector<std::string>& names) {
    constexpr std::size_t chunk = 512;
    for (std::size_t begin = 0; begin < names.size(); begin += chunk) {
      std::vector<std::string> args{verb};
      const std::size_t end = std::min(names.size(), begin + chunk);
      args.insert(args.end(), names.begin() + static_cast<std::ptrdiff_t>(begin),
                  names.begin() + static_cast<std::ptrdiff_t>(end));
      if (!send(ac, args, &RedisClientImpl::on_subscriber_reply, nullptr)) return false;
    }
    return true;
  }

  void do_command(std::vector<std::string> args, ReplyHandler handler) {
    if (stopped_) {
      respond(handler, make_error_code(errc::server_closed));
      return;
    }
    if (args.empty() || is_mode_command(args.front())) {
      // hiredis asserts on an empty command.
      respond(handler, std::make_error_code(std::errc::invalid_argument));
      return;
    }
    Link& link = command_link_;
    if (link.state != LinkState::ready || !link.context) {
      respond(handler, make_error_code(errc::not_connected));
      return;
    }
    if (pending_.size() >= options_.max_pending_commands) {
      respond(handler, make_error_code(errc::overloaded));
      return;
    }
    const std::uintptr_t id = next_command_++;
    if (!send(link.context, args, &RedisClientImpl::on_command_reply, reinterpret_cast<void*>(id))) {
      respond(handler, make_error_code(errc::not_connected));
      return;
    }
    pending_.emplace(id, Pending{std::move(handler), Clock::now() + options_.command_timeout});
    arm_command_timer();
  }

  void do_publish(const std::string& channel, const std::string& payload) {
    Link& link = command_link_;
    // Redis that stalls (or a burst faster than the network) shows up as
    // output hiredis could not send yet; beyond a bound, drop rather than
    // grow without limit. Sent-but-unanswered PUBLISHes cost next to nothing.
    if (stopped_ || link.state != LinkState::ready || !link.context ||
        sdslen(link.context->c.obuf) > max_unsent_bytes) {
      ++dropped_;
      return;
    }
    const char* argv[] = {"PUBLISH", channel.data(), payload.data()};
    const std::size_t lengths[] = {7, channel.size(), payload.size()};
    if (redisAsyncCommandArgv(link.context, &RedisClientImpl::on_publish_reply, nullptr, 3, argv, lengths) !=
        REDIS_OK) {
      ++dropped_;
    }
  }

  // Replies arrive in order and every command has the same timeout, so the
  // oldest pending command always has the earliest deadline: one timer does.
  void arm_command_timer() {
    if (timer_armed_ || pending_.empty()) return;
    timer_armed_ = true;
    command_timer_.expires_at(pending_.begin()->second.deadline);
    command_timer_.async_wait([self = self()](const asio::error_code& ec) {
      self->timer_armed_ = false;
      if (ec || self->stopped_) return;
      self->expire_commands();
    });
  }

  void expire_commands() {
    const auto now = Clock::now();
    while (!pending_.empty() && pending_.begin()->second.deadline <= now) {
      // A late reply finds no entry and is dropped.
      auto handler = std::move(pending_.begin()->second.handler);
      pending_.erase(pending_.begin());
      respond(handler, make_error_code(errc::timeout));
    }
    arm_command_timer();
  }

  // Inside hiredis: convert and post. privdata is the command id, 0 for the
  // handshake PING. A null reply means the context is being freed.
  static void on_command_reply(redisAsyncContext* ac, void* r, void* privdata) {
    auto* w = static_cast<Watcher*>(ac->data);
    if (!w || w->owner.stopped_) return;
    const auto id = reinterpret_cast<std::uintptr_t>(privdata);
    std::optional<RedisReply> converted;
    if (r) converted = convert(static_cast<redisReply*>(r));
    RedisClientImpl& owner = w->owner;
    asio::post(owner.strand_, [self = owner.self(), w = w->shared_from_this(), id,
                               converted = std::move(converted)]() mutable {
      self->on_command_result(*w, id, std::move(converted));
    });
  }

  void on_command_result(Watcher& w, std::uintptr_t id, std::optional<RedisReply> result) {
    if (stopped_) return;
    if (id == 0) {
      Link& link = w.link;
      if (!result || w.generation != link.generation || link.state != LinkState::connecting) return;
      if (result->type == RedisReply::Type::error) {
        handshake_failed(link, w, result->string);
        return;
      }
      link.pong = true;
      maybe_ready(link);
      return;
    }
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // timed out already
    auto handler = std::move(it->second.handler);
    pending_.erase(it);
    if (!result) {
      respond(handler, make_error_code(errc::not_connected));
    } else if (result->type == RedisReply::Type::error) {
      respond(handler, make_error_code(errc::redis_error), std::move(*result));
    } else {
      respond(handler, {}, std::move(*result));
    }
  }

  void handshake_failed(Link& link, Watcher& w, const std::string& why) {
    w.error = why;
    if (link.context && link.watcher.get() == &w) redisAsyncFree(link.context);  // -> on_link_closed
  }

  static void on_publish_reply(redisAsyncContext* ac, void* r, void*) {
    auto* w = static_cast<Watcher*>(ac->data);
    if (!w) return;
    RedisClientImpl& owner = w->owner;
    auto* reply = static_cast<redisReply*>(r);
    if (reply && reply->type == REDIS_REPLY_ERROR && !owner.stopped_) {
      asio::post(owner.strand_, [self = owner.self(), text = std::string(text_of(reply))] {
        self->log(LogLevel::warning, "PUBLISH failed: " + text);
      });
    }
  }

  // ---- subscriptions --------------------------------------------------------

  void do_subscribe(SubscriptionId id, bool pattern, std::vector<std::string> names, MessageHandler handler) {
    if (stopped_) return;
    // The same name twice in one call would deliver each message twice.
    std::vector<std::string> unique;
    for (auto& name : names) {
      if (std::find(unique.begin(), unique.end(), name) == unique.end()) unique.push_back(std::move(name));
    }
    auto& index = pattern ? patterns_ : channels_;
    std::vector<std::string> fresh;
    for (const auto& name : unique) {
      auto& ids = index[name];
      if (ids.empty()) fresh.push_back(name);
      ids.push_back(id);
    }
    subscriptions_[id] =
        Subscription{pattern, std::move(unique), std::make_shared<MessageHandler>(std::move(handler))};
    // Without a context, the next connection's handshake subscribes.
    if (!fresh.empty() && subscriber_link_.context) {
      send_names(subscriber_link_.context, pattern ? "PSUBSCRIBE" : "SUBSCRIBE", fresh);
    }
  }

  void do_unsubscribe(SubscriptionId id) {
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end()) return;
    const Subscription subscription = std::move(it->second);
    subscriptions_.erase(it);
    auto& index = subscription.pattern ? patterns_ : channels_;
    std::vector<std::string> gone;
    for (const auto& name : subscription.names) {
      auto entry = index.find(name);
      if (entry == index.end()) continue;
      auto& ids = entry->second;
      ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
      if (ids.empty()) {
        index.erase(entry);
        gone.push_back(name);
      }
    }
    if (!gone.empty() && subscriber_link_.context) {
      send_names(subscriber_link_.context, subscription.pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", gone);
    }
  }

  // Inside hiredis. Every reply of the subscriber connection comes here:
  // hiredis 0.14 routes a pub/sub reply by looking its channel up and, when
  // that fails, reuses the previous callback, so one callback for all
  // keeps that harmless; what a reply is, we tell from its content.
  static void on_subscriber_reply(redisAsyncContext* ac, void* r, void*) {
    auto* w = static_cast<Watcher*>(ac->data);
    auto* reply = static_cast<redisReply*>(r);
    if (!w || !reply || w->owner.stopped_) return;
    SubscriberEvent event{SubscriberEvent::Kind::pong, {}, {}, {}};
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 3) {
      redisReply** e = reply->element;
      if (!is_string(e[0]) || !is_string(e[1])) return;
      const std::string_view kind = text_of(e[0]);
      if (kind == "message" && is_string(e[2])) {
        event.kind = SubscriberEvent::Kind::message;
        event.channel = text_of(e[1]);
        event.payload = text_of(e[2]);
      } else if (kind == "pmessage" && reply->elements >= 4 && is_string(e[2]) && is_string(e[3])) {
        event.kind = SubscriberEvent::Kind::pmessage;
        event.pattern = text_of(e[1]);
        event.channel = text_of(e[2]);
        event.payload = text_of(e[3]);
      } else if (kind == "subscribe") {
        event.kind = SubscriberEvent::Kind::subscribed;
        event.channel = text_of(e[1]);
      } else if (kind == "psubscribe") {
        event.kind = SubscriberEvent::Kind::psubscribed;
        event.channel = text_of(e[1]);
      } else {
        return;  // (p)unsubscribe confirmations
      }
    } else if (reply->type == REDIS_REPLY_STATUS) {
      event.kind = SubscriberEvent::Kind::pong;
    } else if (reply->type == REDIS_REPLY_ERROR) {
      event.kind = SubscriberEvent::Kind::error;
      event.payload = text_of(reply);
    } else {
      return;
    }
    RedisClientImpl& owner = w->owner;
    asio::post(owner.strand_, [self = owner.self(), w = w->shared_from_this(), event = std::move(event)] {
      self->on_subscriber_event(*w, event);
    });
  }

  void on_subscriber_event(Watcher& w, const SubscriberEvent& event) {
    if (stopped_) return;
    Link& link = w.link;
    const bool handshaking = w.generation == link.generation && link.state == LinkState::connecting;
    switch (event.kind) {
      case SubscriberEvent::Kind::message: deliver(channels_, event.channel, event.channel, event.payload); break;
      case SubscriberEvent::Kind::pmessage: deliver(patterns_, event.pattern, event.channel, event.payload); break;
      case SubscriberEvent::Kind::subscribed:
      case SubscriberEvent::Kind::psubscribed:
        if (handshaking) {
          const char prefix = event.kind == SubscriberEvent::Kind::subscribed ? 'c' : 'p';
          auto it = link.awaiting.find(prefix + event.channel);
          if (it != link.awaiting.end()) link.awaiting.erase(it);
          maybe_ready(link);
        }
        break;
      case SubscriberEvent::Kind::pong:
        if (handshaking) {
          link.pong = true;
          maybe_ready(link);
        }
        break;
      case SubscriberEvent::Kind::error:
        if (handshaking) {
          handshake_failed(link, w, event.payload);
        } else {
          log(LogLevel::warning, "subscriber connection: " + event.payload);
        }
        break;
    }
  }

  void deliver(const std::map<std::string, std::vector<SubscriptionId>>& index, const std::string& key,
               const std::string& channel, const std::string& payload) {
    auto it = index.find(key);
    if (it == index.end()) return;
    // Copies: a handler may subscribe or unsubscribe.
    const std::vector<SubscriptionId> ids = it->second;
    for (SubscriptionId id : ids) {
      auto sub = subscriptions_.find(id);
      if (sub == subscriptions_.end()) continue;
      const std::shared_ptr<MessageHandler> handler = sub->second.handler;
      if (*handler) guarded("message handler", [&] { (*handler)(channel, payload); });
      if (stopped_) return;
    }
  }

  // ---- state ------------------------------------------------------------------

  const RedisClientOptions options_;
  Strand strand_;
  Link command_link_;
  Link subscriber_link_;
  asio::steady_timer command_timer_;
  bool timer_armed_ = false;

  bool started_ = false;
  bool stopped_ = false;
  bool reported_ = false;  // the last state given to state_handler_
  StateHandler state_handler_;

  std::map<std::uintptr_t, Pending> pending_;  // by id, so also by deadline
  std::uintptr_t next_command_ = 1;            // 0 is the handshake PING

  std::unordered_map<SubscriptionId, Subscription> subscriptions_;
  std::map<std::string, std::vector<SubscriptionId>> channels_;  // Redis channel -> subscribers
  std::map<std::string, std::vector<SubscriptionId>> patterns_;

  std::atomic<SubscriptionId> next_subscription_{1};
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace

std::shared_ptr<RedisClient> RedisClient::make(asio::io_context& io, RedisClientOptions options) {
  if (options.reconnect_min.count() <= 0) options.reconnect_min = std::chrono::milliseconds(1);
  if (options.reconnect_max < options.reconnect_min) options.reconnect_max = options.reconnect_min;
  return std::make_shared<RedisClientImpl>(io, std::move(options));
}

}  // namespace socketio::detail

// chat: a multi-room chat server (the Socket.IO tutorial chat, done with care).
//
//   chat [--host 127.0.0.1] [--port 3000] [--public DIR] [--vendor DIR] [--threads N]
//
// Serves the page in --public at "/" and the socket.io-client browser bundle
// (--vendor, default examples/chat/node_modules/socket.io-client/dist) at
// "/vendor/", and the chat itself over Socket.IO on the same port. The event
// protocol is documented in README.md beside this file.
//
// Every piece of shared state (rooms, their history and members, the names in
// use) lives in one ChatState guarded by one mutex: socket handlers run on
// per-connection strands, and the io_context runs on --threads threads, so
// two handlers of different clients may run at the same time. Nothing is
// emitted while that mutex is held; each operation takes a snapshot under the
// lock and sends it afterwards. Snapshots that can race each other on the
// wire (presence, the room list) carry a version so clients keep the newest.

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "socketio/socketio.hpp"

#ifndef CHAT_PUBLIC_DIR
#define CHAT_PUBLIC_DIR "public"
#endif
#ifndef CHAT_VENDOR_DIR
#define CHAT_VENDOR_DIR "node_modules/socket.io-client/dist"
#endif

namespace {

using socketio::Ack;
using socketio::Json;
using socketio::SocketId;
using socketio::SocketPtr;

// ---- limits (README.md documents each) --------------------------------------

constexpr std::size_t kMaxNameLength = 32;        // code points, after trimming
constexpr std::size_t kMaxRoomNameLength = 32;    // characters after the '#'
constexpr std::size_t kMaxMessageLength = 2000;   // code points
constexpr std::size_t kMaxSessionLength = 128;    // bytes of the reconnection token
constexpr std::size_t kHistorySize = 50;          // messages kept per room
constexpr std::size_t kMaxRooms = 100;            // rooms on the server
constexpr std::size_t kRateLimit = 10;            // messages per window and socket
constexpr auto kRateWindow = std::chrono::seconds(1);
const std::vector<std::string> kPermanentRooms = {"#general", "#random"};

// ---- text helpers -----------------------------------------------------------
// Strings that come out of socketio::Json are valid UTF-8 (the parser
// guarantees it), so these decoders need no error handling beyond staying in
// bounds.

/// Decodes the code point starting at `i` and advances `i` past it.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char lead = byte(i);
  std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : 4;
  if (i + length > s.size()) length = s.size() - i;
  char32_t cp = length == 1 ? lead : length == 2 ? (lead & 0x1F) : length == 3 ? (lead & 0x0F) : (lead & 0x07);
  for (std::size_t k = 1; k < length; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
  i += length;
  return cp;
}

std::size_t count_code_points(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size();) {
    next_code_point(s, i);
    ++count;
  }
  return count;
}

/// White space as JavaScript's String.prototype.trim() sees it.
bool is_space(char32_t cp) {
  return cp == 0x09 || cp == 0x0A || cp == 0x0B || cp == 0x0C || cp == 0x0D || cp == 0x20 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

/// C0 and C1 control characters (and DEL).
bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

/// `s` without leading and trailing white space.
std::string trim(std::string_view s) {
  std::size_t begin = s.size();
  std::size_t end = 0;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t start = i;
    if (!is_space(next_code_point(s, i))) {
      if (begin == s.size()) begin = start;
      end = i;
    }
  }
  return begin < end ? std::string(s.substr(begin, end - begin)) : std::string();
}

/// The name as compared for uniqueness: ASCII letters folded to lower case.
/// (Full Unicode case folding would need ICU; non-ASCII names compare
/// exactly.)
std::string name_key(std::string_view name) {
  std::string key(name);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

/// "#" followed by 1 to 32 of [a-z0-9-].
bool valid_room_name(std::string_view room) {
  if (room.size() < 2 || room.size() > 1 + kMaxRoomNameLength || room[0] != '#') return false;
  return std::all_of(room.begin() + 1, room.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

/// A message's text as stored: carriage returns and other control
/// characters are removed, except newline and tab.
std::string clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t start = i;
    char32_t cp = next_code_point(text, i);
    if (is_control(cp) && cp != '\n' && cp != '\t') continue;
    out.append(text.substr(start, i - start));
  }
  return out;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Json error_reply(const std::string& error) { return Json::object({{"ok", false}, {"error", error}}); }

// ---- shared state -------------------------------------------------------------

/// What everyone in a room is told about who is in it.
struct Presence {
  std::string room;
  Json payload;  // {room, users, version}
};

class ChatState {
 public:
  ChatState() {
    for (const auto& name : kPermanentRooms) rooms_[name];
  }

  struct Admission {
    std::optional<socketio::ConnectError> error;
    std::string name;     // the trimmed name, when admitted
    SocketPtr displaced;  // an older connection of the same client, to close
  };

  /// Namespace middleware: validates the handshake's auth and reserves the
  /// name for `socket` (released on disconnect, or when the socket never
  /// makes it through the handshake).
  Admission admit(const SocketPtr& socket) {
    Admission result;
    const Json& auth = socket->handshake().auth;
    const Json& raw_name = auth["name"];
    if (!raw_name.is_string()) return refuse("name required", "name_required");
    std::string name = trim(raw_name.as_string());
    if (name.empty()) return refuse("name required", "name_required");
    if (count_code_points(name) > kMaxNameLength) return refuse("name too long", "name_too_long");
    for (std::size_t i = 0; i < name.size();) {
      if (is_control(next_code_point(name, i))) return refuse("invalid name", "invalid_name");
    }
    std::string session;
    if (const auto* s = auth["session"].if_string(); s && s->size() <= kMaxSessionLength) session = *s;

    std::string key = name_key(name);
    std::lock_guard<std::mutex> lock(mutex_);
    sweep_abandoned();
    auto owner = names_.find(key);
    if (owner != names_.end()) {
      auto holder = users_.find(owner->second);
      SocketPtr live = holder == users_.end() ? nullptr : holder->second.socket.lock();
      if (live && live->connected()) {
        // The same page coming back (its old connection has not timed out
        // yet): the new connection takes the name over.
        if (session.empty() || session != holder->second.session) return refuse("name taken", "name_taken");
        result.displaced = live;
      }
    }
    names_[key] = socket->id();
    users_[socket->id()] = User{name, key, session, socket, {}, false};
    result.name = name;
    return result;
  }

  /// The socket finished its handshake.
  void connected(const SocketPtr& socket) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = users_.find(socket->id());
    if (it != users_.end()) it->second.admitted = true;
  }

  Json rooms_payload() {
    std::lock_guard<std::mutex> lock(mutex_);
    return rooms_payload_locked();
  }

  struct JoinResult {
    Json reply;                        // the acknowledgement
    std::optional<Presence> presence;  // for everyone in the room
    std::optional<Json> rooms;         // the new room list, when the room is new
  };

  JoinResult join(const SocketPtr& socket, const std::string& room) {
    JoinResult result;
    if (!valid_room_name(room)) {
      result.reply = error_reply("invalid room name");
      return result;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto user = users_.find(socket->id());
    if (user == users_.end()) {
      result.reply = error_reply("not connected");
      return result;
    }
    auto it = rooms_.find(room);
    if (it == rooms_.end()) {
      if (rooms_.size() >= kMaxRooms) {
        result.reply = error_reply("too many rooms");
        return result;
      }
      it = rooms_.emplace(room, Room{}).first;
      ++rooms_version_;
      result.rooms = rooms_payload_locked();
    }
    Room& r = it->second;
    // Joined under the lock, before the history is copied: a message stored
    // after the copy is then certain to be broadcast to this socket too (a
    // message in both reaches the client twice; it drops repeated ids).
    socket->join(room);
    if (r.members.insert(socket->id()).second) {
      user->second.rooms.insert(room);
      ++r.version;
      result.presence = Presence{room, presence_locked(room, r)};
    }
    Json history = Json::array();
    for (const auto& message : r.history) history.push_back(message);
    Json presence = presence_locked(room, r);
    result.reply = Json::object({{"ok", true},
                                 {"room", room},
                                 {"history", std::move(history)},
                                 {"users", presence["users"]},
                                 {"version", presence["version"]}});
    return result;
  }

  struct LeaveResult {
    Json reply;
    std::optional<Presence> presence;
  };

  LeaveResult leave(const SocketPtr& socket, const std::string& room) {
    LeaveResult result;
    std::lock_guard<std::mutex> lock(mutex_);
    auto user = users_.find(socket->id());
    auto it = rooms_.find(room);
    if (user == users_.end() || it == rooms_.end() || it->second.members.erase(socket->id()) == 0) {
      result.reply = error_reply("not in room");
      return result;
    }
    socket->leave(room);
    user->second.rooms.erase(room);
    ++it->second.version;
    result.presence = Presence{room, presence_locked(room, it->second)};
    result.reply = Json::object({{"ok", true}, {"room", room}});
    return result;
  }

  /// Stores a message; returns it, or an error for the acknowledgement.
  std::variant<Json, std::string> post(const SocketPtr& socket, const std::string& room, std::string text) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto user = users_.find(socket->id());
    auto it = rooms_.find(room);
    if (user == users_.end() || it == rooms_.end() || it->second.members.count(socket->id()) == 0) {
      return std::string("not in room");
    }
    Json message = Json::object({{"id", next_message_id_++},
                                 {"room", room},
                                 {"from", user->second.name},
                                 {"text", std::move(text)},
                                 {"ts", now_ms()}});
    auto& history = it->second.history;
    history.push_back(message);
    while (history.size() > kHistorySize) history.pop_front();
    return message;
  }

  /// The sender's name if it is in `room`.
  std::optional<std::string> member_name(const SocketPtr& socket, const std::string& room) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto user = users_.find(socket->id());
    if (user == users_.end() || user->second.rooms.count(room) == 0) return std::nullopt;
    return user->second.name;
  }

  /// The socket disconnected: it leaves every room and its name is free.
  std::vector<Presence> remove(const SocketId& id) {
    std::vector<Presence> updates;
    std::lock_guard<std::mutex> lock(mutex_);
    auto user = users_.find(id);
    if (user == users_.end()) return updates;
    for (const auto& room : user->second.rooms) {
      auto it = rooms_.find(room);
      if (it == rooms_.end() || it->second.members.erase(id) == 0) continue;
      ++it->second.version;
      updates.push_back(Presence{room, presence_locked(room, it->second)});
    }
    auto owner = names_.find(user->second.key);
    if (owner != names_.end() && owner->second == id) names_.erase(owner);
    users_.erase(user);
    return updates;
  }

 private:
  struct User {
    std::string name;
    std::string key;
    std::string session;
    std::weak_ptr<socketio::Socket> socket;
    std::set<std::string> rooms;
    bool admitted = false;
  };
  struct Room {
    std::deque<Json> history;
    std::set<SocketId> members;
    std::uint64_t version = 0;
  };

  static Admission refuse(const std::string& message, const std::string& code) {
    Admission result;
    result.error = socketio::ConnectError{message, Json::object({{"code", code}})};
    return result;
  }

  /// Drops reservations of sockets that were refused or dropped after the
  /// middleware let them through (they never connected, so they will never
  /// disconnect either).
  void sweep_abandoned() {
    for (auto it = users_.begin(); it != users_.end();) {
      if (!it->second.admitted && it->second.socket.expired()) {
        auto owner = names_.find(it->second.key);
        if (owner != names_.end() && owner->second == it->first) names_.erase(owner);
        it = users_.erase(it);
      } else {
        ++it;
      }
    }
  }

  Json rooms_payload_locked() const {
    std::vector<std::string> names;
    for (const auto& [name, room] : rooms_) names.push_back(name);
    return Json::object({{"rooms", Json(names)}, {"version", rooms_version_}});
  }

  Json presence_locked(const std::string& name, const Room& room) const {
    std::vector<std::string> users;
    for (const auto& id : room.members) {
      auto user = users_.find(id);
      if (user != users_.end()) users.push_back(user->second.name);
    }
    // Case-insensitive order; a name twice (a page that reconnected before
    // its old connection left) is listed once.
    std::sort(users.begin(), users.end(), [](const std::string& a, const std::string& b) {
      auto ka = name_key(a), kb = name_key(b);
      return ka != kb ? ka < kb : a < b;
    });
    users.erase(std::unique(users.begin(), users.end()), users.end());
    return Json::object({{"room", name}, {"users", Json(users)}, {"version", room.version}});
  }

  std::mutex mutex_;
  std::map<std::string, Room> rooms_;
  std::map<std::string, SocketId> names_;  // name_key -> the socket holding the name
  std::map<SocketId, User> users_;          // every socket holding a name
  std::uint64_t next_message_id_ = 1;
  std::uint64_t rooms_version_ = 1;
};

// ---- the chat on a Socket.IO server ---------------------------------------------

/// Per-socket message rate limiter; used on the socket's strand only.
class RateLimiter {
 public:
  bool allow() {
    auto now = std::chrono::steady_clock::now();
    while (!recent_.empty() && now - recent_.front() >= kRateWindow) recent_.pop_front();
    if (recent_.size() >= kRateLimit) return false;
    recent_.push_back(now);
    return true;
  }

 private:
  std::deque<std::chrono::steady_clock::time_point> recent_;
};

void send_presence(socketio::Server& server, const Presence& presence) {
  server.to(presence.room).emit("presence", presence.payload);
}

void serve_chat(socketio::Server& server, const std::shared_ptr<ChatState>& state) {
  server.use([state](const SocketPtr& socket, socketio::Namespace::Next next) {
    auto admission = state->admit(socket);
    if (admission.error) {
      next(std::move(admission.error));
      return;
    }
    socket->data()["name"] = admission.name;
    if (admission.displaced) {
      if (std::getenv("CHAT_DEBUG")) {
        std::cerr << "chat: " << admission.name << " reconnected; closing its old connection\n";
      }
      admission.displaced->disconnect(true);
    }
    next(std::nullopt);
  });

  server.on_connection([&server, state](const SocketPtr& socket) {
    state->connected(socket);
    const std::string name = socket->data()["name"].as_string();
    Json welcome = state->rooms_payload();
    welcome["name"] = name;
    socket->emit("welcome", std::move(welcome));

    // Each handler gets its socket as a parameter: capturing it would tie
    // the socket's lifetime to its own handler table.
    socket->on("join", [&server, state](const SocketPtr& self, const Json& room, Ack ack) {
      if (!room.is_string()) {
        ack(error_reply("invalid room name"));
        return;
      }
      auto result = state->join(self, room.as_string());
      ack(std::move(result.reply));
      if (result.rooms) server.emit("rooms", std::move(*result.rooms));
      if (result.presence) send_presence(server, *result.presence);
    });

    socket->on("leave", [&server, state](const SocketPtr& self, const Json& room, Ack ack) {
      if (!room.is_string()) {
        ack(error_reply("not in room"));
        return;
      }
      auto result = state->leave(self, room.as_string());
      ack(std::move(result.reply));
      if (result.presence) send_presence(server, *result.presence);
    });

    auto limiter = std::make_shared<RateLimiter>();
    socket->on("message", [state, limiter](const SocketPtr& self, const Json& payload, Ack ack) {
      if (!limiter->allow()) {
        self->emit("error", Json::object({{"message", "rate limited"}}));
        ack(error_reply("rate limited"));
        return;
      }
      const std::string* room = payload["room"].if_string();
      const std::string* raw = payload["text"].if_string();
      if (!room || !raw) {
        ack(error_reply("invalid message"));
        return;
      }
      std::string text = clean_text(*raw);
      if (count_code_points(text) > kMaxMessageLength) {
        ack(error_reply("too long"));
        return;
      }
      if (trim(text).empty()) {
        ack(error_reply("empty message"));
        return;
      }
      auto stored = state->post(self, *room, std::move(text));
      if (auto* error = std::get_if<std::string>(&stored)) {
        ack(error_reply(*error));
        return;
      }
      const Json& message = std::get<Json>(stored);
      self->to(*room).emit("message", message);
      ack(Json::object({{"ok", true}, {"id", message["id"]}, {"ts", message["ts"]}}));
    });

    socket->on("typing", [state](const SocketPtr& self, const Json& payload) {
      const std::string* room = payload["room"].if_string();
      if (!room) return;
      auto name = state->member_name(self, *room);
      if (!name) return;
      bool typing = payload["typing"].is_bool() ? payload["typing"].as_bool() : true;
      self->to(*room).as_volatile().emit("typing",
                                         Json::object({{"room", *room}, {"name", *name}, {"typing", typing}}));
    });

    socket->on_disconnect([&server, state, id = socket->id()](socketio::DisconnectReason) {
      for (const auto& presence : state->remove(id)) send_presence(server, presence);
    });
  });
}

// ---- command line -----------------------------------------------------------------

struct Config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 3000;
  std::filesystem::path public_dir = CHAT_PUBLIC_DIR;
  std::filesystem::path vendor_dir = CHAT_VENDOR_DIR;
  unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
};

[[noreturn]] void usage(const std::string& error) {
  std::cerr << "chat: " << error << "\n"
            << "usage: chat [--host 127.0.0.1] [--port 3000] [--public DIR] [--vendor DIR] [--threads N]\n"
               "  --public   the page (default " CHAT_PUBLIC_DIR ")\n"
               "  --vendor   the socket.io-client dist folder, served at /vendor/\n"
               "             (default " CHAT_VENDOR_DIR ")\n"
               "  --threads  threads running the io_context (default: cores, at most 4)\n";
  std::exit(2);
}

Config parse_args(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") usage("help");
    if (i + 1 >= argc) usage("missing value for " + arg);
    std::string value = argv[++i];
    try {
      if (arg == "--host") {
        config.host = value;
      } else if (arg == "--port") {
        unsigned long port = std::stoul(value);
        if (port > 65535) usage("bad value for --port");
        config.port = static_cast<std::uint16_t>(port);
      } else if (arg == "--public") {
        config.public_dir = value;
      } else if (arg == "--vendor") {
        config.vendor_dir = value;
      } else if (arg == "--threads") {
        config.threads = static_cast<unsigned>(std::stoul(value));
        if (config.threads == 0 || config.threads > 64) usage("--threads must be 1 to 64");
      } else {
        usage("unknown option " + arg);
      }
    } catch (const std::logic_error&) {
      usage("bad value for " + arg);
    }
  }
  return config;
}

/// Adds headers every page response gets: the page runs no script and loads
/// nothing that is not its own.
socketio::HttpResponder with_page_headers(socketio::HttpResponder respond) {
  return [respond = std::move(respond)](socketio::HttpResponse response) {
    response.headers.emplace_back("Content-Security-Policy",
                                  "default-src 'self'; img-src 'self' data:; connect-src 'self'; "
                                  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
    respond(std::move(response));
  };
}

}  // namespace

int main(int argc, char** argv) {
  Config config = parse_args(argc, argv);

  std::error_code fs_error;
  if (!std::filesystem::is_regular_file(config.public_dir / "index.html", fs_error)) {
    std::cerr << "chat: no index.html in " << config.public_dir.string() << " (see --public)\n";
    return 1;
  }
  if (!std::filesystem::is_regular_file(config.vendor_dir / "socket.io.min.js", fs_error)) {
    std::cerr << "chat: warning: no socket.io.min.js in " << config.vendor_dir.string()
              << ": run `npm ci` in examples/chat (or pass --vendor); the page cannot connect without it\n";
  }

  asio::io_context io;
  socketio::ServerOptions options;  // same-origin page: CORS stays off
  socketio::Server server(io, options);
  server.on_error([](const std::string& where, const std::string& what) {
    std::cerr << "chat: " << where << ": " << what << "\n";
  });

  if (std::getenv("CHAT_DEBUG")) {
    server.set_log_hook([](socketio::LogLevel, std::string_view message) { std::cerr << message << "\n"; });
  }

  server.on_http_request([page = socketio::StaticFiles(config.public_dir, "/"),
                          vendor = socketio::StaticFiles(config.vendor_dir, "/vendor/")](
                             const socketio::HttpRequest& request, socketio::HttpResponder respond) {
    auto responder = with_page_headers(std::move(respond));
    if (vendor.serve(request, responder) || page.serve(request, responder)) return;
    responder({404, {{"Content-Type", "text/plain; charset=utf-8"}}, "Not Found\n"});
  });

  auto state = std::make_shared<ChatState>();
  serve_chat(server, state);

  std::error_code ec;
  server.listen(config.host, config.port, ec);
  if (ec) {
    std::cerr << "chat: cannot listen on " << config.host << ":" << config.port << ": " << ec.message() << "\n";
    return 1;
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code& error, int) {
    if (!error) server.close();
  });

  std::cout << "listening on http://" << config.host << ":" << server.port() << std::endl;

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < config.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& thread : threads) thread.join();
  return 0;
}

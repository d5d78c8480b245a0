// notifications: per-user push notifications over Socket.IO, fed by an HTTP API.
//
//   notifications [--host 127.0.0.1] [--port 3000] [--secret KEY] [--api-key KEY]
//                 [--public DIR] [--vendor DIR] [--threads N] [--no-dev-tokens]
//
// A browser signs in with a JWT (HS256, handshake auth {token}); its socket
// joins the room "user:<sub>", so every tab of one user receives that user's
// notifications. Back ends push with `POST /api/notify` and
// `POST /api/broadcast` (header x-api-key). The server keeps each user's
// unread notifications; clients acknowledge them with the `mark-read` event.
// README.md beside this file documents the HTTP API and the event protocol.
//
// Threads: the io_context runs on --threads threads. Socket handlers of
// different clients and HTTP requests may run at the same time; the only
// shared state, the Inbox, has its own mutex, and the configuration is
// read-only once the server listens.

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "inbox.hpp"
#include "jwt.hpp"
#include "socketio/socketio.hpp"

#ifndef NOTIFY_PUBLIC_DIR
#define NOTIFY_PUBLIC_DIR "public"
#endif
#ifndef NOTIFY_VENDOR_DIR
#define NOTIFY_VENDOR_DIR "node_modules/socket.io-client/dist"
#endif

namespace {

using notifications::Inbox;
using notifications::Notification;
using notifications::UnreadState;
using socketio::RemoteSocket;
using socketio::Ack;
using socketio::HttpRequest;
using socketio::HttpResponder;
using socketio::HttpResponse;
using socketio::Json;
using socketio::SocketPtr;

constexpr std::size_t kMaxApiBody = 16 * 1024;      // bytes of a POST /api/* body
constexpr std::size_t kMaxUserId = 256;             // bytes, as jwt::verify allows for "sub"
constexpr std::size_t kMaxDevUserId = 64;           // characters of a dev-token user name
constexpr std::int64_t kDevTokenLifetime = 3600;    // seconds
const char* const kDefaultSecret = "dev-secret";
const char* const kDefaultApiKey = "dev-api-key";

struct Config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 3000;
  std::string secret;
  std::string api_key;
  std::filesystem::path public_dir = NOTIFY_PUBLIC_DIR;
  std::filesystem::path vendor_dir = NOTIFY_VENDOR_DIR;
  bool dev_tokens = true;
  unsigned threads = 1;
};

[[noreturn]] void usage(const std::string& error) {
  std::cerr << "notifications: " << error << "\n"
            << "usage: notifications [--host 127.0.0.1] [--port 3000] [--secret KEY] [--api-key KEY]\n"
               "                     [--public DIR] [--vendor DIR] [--threads N] [--no-dev-tokens]\n"
               "  --secret   HS256 key for client tokens (default: $NOTIFY_JWT_SECRET, else \""
            << kDefaultSecret
            << "\")\n"
               "  --api-key  key for POST /api/* (default: $NOTIFY_API_KEY, else \""
            << kDefaultApiKey << "\")\n";
  std::exit(2);
}

std::string from_env(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

Config parse_args(int argc, char** argv) {
  Config config;
  config.secret = from_env("NOTIFY_JWT_SECRET", kDefaultSecret);
  config.api_key = from_env("NOTIFY_API_KEY", kDefaultApiKey);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + arg);
      return argv[++i];
    };
    try {
      if (arg == "--host") {
        config.host = value();
      } else if (arg == "--port") {
        unsigned long port = std::stoul(value());
        if (port > 65535) usage("bad value for --port");
        config.port = static_cast<std::uint16_t>(port);
      } else if (arg == "--secret") {
        config.secret = value();
      } else if (arg == "--api-key") {
        config.api_key = value();
      } else if (arg == "--public") {
        config.public_dir = value();
      } else if (arg == "--vendor") {
        config.vendor_dir = value();
      } else if (arg == "--threads") {
        config.threads = static_cast<unsigned>(std::stoul(value()));
      } else if (arg == "--no-dev-tokens") {
        config.dev_tokens = false;
      } else if (arg == "--help" || arg == "-h") {
        usage("help");
      } else {
        usage("unknown option " + arg);
      }
    } catch (const std::logic_error&) {
      usage("bad value for " + arg);
    }
  }
  if (config.threads == 0 || config.threads > 256) usage("--threads must be between 1 and 256");
  if (config.secret.empty()) usage("the --secret must not be empty");
  if (config.api_key.empty()) usage("the --api-key must not be empty");
  return config;
}

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string user_room(const std::string& user) { return "user:" + user; }

// ---- HTTP helpers -------------------------------------------------------------

HttpResponse json_response(int status, const Json& body) {
  return HttpResponse{status,
                      {{"Content-Type", "application/json"},
                       {"Cache-Control", "no-store"},
                       {"X-Content-Type-Options", "nosniff"}},
                      body.dump()};
}

HttpResponse json_error(int status, const std::string& message) {
  return json_response(status, Json::object({{"error", message}}));
}

/// A user id from a request: a non-empty string of at most kMaxUserId bytes.
const std::string* user_id(const Json& value) {
  const std::string* user = value.if_string();
  return user && !user->empty() && user->size() <= kMaxUserId ? user : nullptr;
}

/// Dev-token names: letters, digits and . _ @ -, so the demo cannot mint odd subjects.
bool valid_dev_user(const std::string& user) {
  if (user.empty() || user.size() > kMaxDevUserId) return false;
  for (unsigned char c : user) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// ---- the application ----------------------------------------------------------

class App {
 public:
  App(socketio::Server& io, const Config& config)
      : io_(io),
        config_(config),
        pages_(config.public_dir, "/"),
        vendor_(config.vendor_dir, "/vendor/") {}

  void install() {
    io_.use([this](const SocketPtr& socket, socketio::Namespace::Next next) { authenticate(socket, next); });
    io_.on_connection([this](const SocketPtr& socket) { on_connection(socket); });
    io_.on_http_request([this](const HttpRequest& request, HttpResponder respond) {
      try {
        on_http(request, respond);
      } catch (const std::exception& e) {
        std::cerr << "notifications: " << request.method << " " << request.path << ": " << e.what() << "\n";
        respond(json_error(500, "internal error"));
      }
    });
  }

 private:
  // ---- Socket.IO ----

  /// Namespace middleware: admits a socket whose handshake auth is {token}
  /// with a valid HS256 token, and remembers the user in socket->data().
  void authenticate(const SocketPtr& socket, const socketio::Namespace::Next& next) {
    const Json& auth = socket->handshake().auth;
    const std::string* token = auth["token"].if_string();
    if (!token) {
      next(socketio::ConnectError{"invalid token", Json::object({{"reason", "no token"}})});
      return;
    }
    notifications::jwt::Verified verified;
    try {
      verified = notifications::jwt::verify(*token, config_.secret, unix_seconds());
    } catch (const std::exception& e) {
      std::cerr << "notifications: token verification failed: " << e.what() << "\n";
      next(socketio::ConnectError{"server error", Json()});
      return;
    }
    if (!verified) {
      bool expired = verified.error == notifications::jwt::Error::expired;
      next(socketio::ConnectError{expired ? "token expired" : "invalid token",
                                  Json::object({{"reason", notifications::jwt::describe(verified.error)}})});
      return;
    }
    socket->data()["user"] = verified.subject;
    next(std::nullopt);
  }

  void on_connection(const SocketPtr& socket) {
    const std::string* who = std::as_const(socket->data())["user"].if_string();
    if (!who) {  // cannot happen: authenticate() admits no socket without a user
      socket->disconnect();
      return;
    }
    const std::string user = *who;
    const std::string room = user_room(user);
    socket->join(room);
    socket->emit("unread", inbox_.state(user).to_json());

    // mark-read {id} | {all: true}  ->  ack {ok: true, unread, version}
    socket->on("mark-read", [this, user, room](const Json& request, Ack ack) {
      std::optional<UnreadState> state;
      const Json& all = request["all"];
      const std::string* id = request["id"].if_string();
      if (all.is_bool() && all.as_bool()) {
        state = inbox_.mark_all_read(user);
      } else if (id && !id->empty()) {
        state = inbox_.mark_read(user, *id);
      }
      if (!state) {
        ack(Json::object({{"ok", false}, {"error", "expected {id} or {all: true}"}}));
        return;
      }
      ack(Json::object({{"ok", true}, {"unread", state->count}, {"version", state->version}}));
      io_.to(room).emit("unread", state->to_json());
    });

    // list-unread  ->  ack {items: [notification...], count, version}
    socket->on("list-unread", [this, user](Ack ack) {
      Inbox::Snapshot snapshot = inbox_.snapshot(user);
      Json items = Json::array();
      for (const auto& n : snapshot.items) items.push_back(n.to_json());
      ack(Json::object(
          {{"items", std::move(items)}, {"count", snapshot.state.count}, {"version", snapshot.state.version}}));
    });
  }

  // ---- HTTP ----

  void on_http(const HttpRequest& request, const HttpResponder& respond) {
    const std::string& path = request.path;
    if (path == "/api" || path.rfind("/api/", 0) == 0) {
      on_api(request, respond);
      return;
    }
    // Pages and the client bundle, with a strict policy: nothing but this origin.
    HttpResponder hardened = [respond](HttpResponse response) {
      response.headers.emplace_back("X-Content-Type-Options", "nosniff");
      response.headers.emplace_back("Referrer-Policy", "no-referrer");
      response.headers.emplace_back(
          "Content-Security-Policy",
          "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; "
          "base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
      respond(std::move(response));
    };
    if (vendor_.serve(request, hardened) || pages_.serve(request, hardened)) return;
    respond(json_error(404, "not found"));
  }

  void on_api(const HttpRequest& request, const HttpResponder& respond) {
    const std::string& path = request.path;
    if (path == "/api/notify" || path == "/api/broadcast") {
      if (request.method != "POST") {
        HttpResponse response = json_error(405, "method not allowed (use POST)");
        response.headers.emplace_back("Allow", "POST");
        respond(std::move(response));
        return;
      }
      const std::string* key = request.header("x-api-key");
      if (!key || !notifications::jwt::equal_secrets(*key, config_.api_key)) {
        respond(json_error(401, "missing or wrong x-api-key"));
        return;
      }
      if (request.body.size() > kMaxApiBody) {
        respond(json_error(413, "body too large (limit " + std::to_string(kMaxApiBody) + " bytes)"));
        return;
      }
      std::error_code ec;
      Json body = Json::parse(request.body, ec);
      if (ec || !body.is_object()) {
        respond(json_error(400, "the body must be a JSON object"));
        return;
      }
      if (path == "/api/notify") {
        notify(body, respond);
      } else {
        broadcast(body, respond);
      }
      return;
    }
    if (path == "/api/dev-token") {
      if (!config_.dev_tokens) {
        respond(json_error(404, "not found (dev tokens are disabled)"));
        return;
      }
      if (request.method != "GET") {
        HttpResponse response = json_error(405, "method not allowed (use GET)");
        response.headers.emplace_back("Allow", "GET");
        respond(std::move(response));
        return;
      }
      dev_token(request, respond);
      return;
    }
    respond(json_error(404, "not found"));
  }

  /// title (a non-empty string) and body (a string, may be missing) of an API
  /// request, or nullopt after answering 400.
  std::optional<Notification> read_notification(const Json& body, const HttpResponder& respond) {
    const std::string* title = body["title"].if_string();
    const Json& text = body["body"];
    if (!title || title->empty()) {
      respond(json_error(400, "\"title\" must be a non-empty string"));
      return std::nullopt;
    }
    if (!text.is_null() && !text.is_string()) {
      respond(json_error(400, "\"body\" must be a string"));
      return std::nullopt;
    }
    return inbox_.create(*title, text.is_string() ? text.as_string() : std::string());
  }

  /// POST /api/notify {user, title, body}: to every socket of that user.
  void notify(const Json& body, const HttpResponder& respond) {
    const std::string* user = user_id(body["user"]);
    if (!user) {
      respond(json_error(400, "\"user\" must be a non-empty string of at most " + std::to_string(kMaxUserId) +
                                  " bytes"));
      return;
    }
    auto notification = read_notification(body, respond);
    if (!notification) return;
    std::string room = user_room(*user);
    // Count the sockets first (the answer says how many were reached), then send.
    io_.in(room).fetch_sockets([this, user = *user, room, n = *notification, respond](std::error_code, std::vector<RemoteSocket> sockets) {
      UnreadState state = inbox_.add({user}, n).front();
      io_.to(room).emit("notification", n.to_json());
      io_.to(room).emit("unread", state.to_json());
      respond(json_response(200, Json::object({{"delivered", sockets.size()}, {"id", n.id}})));
    });
  }

  /// POST /api/broadcast {title, body}: to every connected socket; it counts
  /// as unread for every user connected now.
  void broadcast(const Json& body, const HttpResponder& respond) {
    auto notification = read_notification(body, respond);
    if (!notification) return;
    io_.fetch_sockets([this, n = *notification, respond](std::error_code, std::vector<RemoteSocket> sockets) {
      std::set<std::string> users;
      for (const auto& socket : sockets) {
        for (const auto& room : socket.rooms()) {
          if (room.rfind("user:", 0) == 0) users.insert(room.substr(5));
        }
      }
      std::vector<std::string> user_list(users.begin(), users.end());
      auto states = inbox_.add(user_list, n);
      io_.emit("notification", n.to_json());
      for (std::size_t i = 0; i < user_list.size(); ++i) {
        io_.to(user_room(user_list[i])).emit("unread", states[i].to_json());
      }
      respond(json_response(200, Json::object({{"delivered", sockets.size()}, {"id", n.id}})));
    });
  }

  /// GET /api/dev-token?user=ID: a token for anyone who asks. For the demo
  /// page only; --no-dev-tokens turns it off.
  void dev_token(const HttpRequest& request, const HttpResponder& respond) {
    auto it = request.query.find("user");
    if (it == request.query.end() || !valid_dev_user(it->second)) {
      respond(json_error(400, "?user= must be 1-" + std::to_string(kMaxDevUserId) +
                                  " letters, digits or . _ @ -"));
      return;
    }
    std::int64_t now = unix_seconds();
    std::int64_t expires = now + kDevTokenLifetime;
    std::string token = notifications::jwt::sign(it->second, config_.secret, now, expires);
    respond(json_response(200, Json::object({{"token", token}, {"user", it->second}, {"exp", expires}})));
  }

  socketio::Server& io_;
  const Config& config_;
  socketio::StaticFiles pages_;
  socketio::StaticFiles vendor_;
  Inbox inbox_;
};

}  // namespace

int main(int argc, char** argv) {
  Config config = parse_args(argc, argv);
  if (config.secret == kDefaultSecret || config.api_key == kDefaultApiKey) {
    std::cerr << "notifications: warning: using the built-in development "
              << (config.secret == kDefaultSecret ? "secret" : "API key")
              << (config.secret == kDefaultSecret && config.api_key == kDefaultApiKey ? " and API key" : "")
              << "; set --secret/--api-key (or NOTIFY_JWT_SECRET/NOTIFY_API_KEY) outside a demo\n";
  }
  if (config.dev_tokens) {
    std::cerr << "notifications: GET /api/dev-token is on (anyone can sign in as anyone; --no-dev-tokens turns it off)\n";
  }
  std::error_code exists_ec;
  if (!std::filesystem::exists(config.vendor_dir / "socket.io.min.js", exists_ec)) {
    std::cerr << "notifications: warning: no socket.io.min.js in " << config.vendor_dir
              << " (run npm ci in examples/notifications); the page will not work\n";
  }

  asio::io_context io;
  socketio::Server server(io);
  server.on_error([](const std::string& where, const std::string& what) {
    std::cerr << "notifications: error in " << where << ": " << what << "\n";
  });
  App app(server, config);
  app.install();

  std::error_code ec;
  server.listen(config.host, config.port, ec);
  if (ec) {
    std::cerr << "notifications: cannot listen on " << config.host << ":" << config.port << ": " << ec.message()
              << "\n";
    return 1;
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&server](const std::error_code& error, int) {
    if (!error) server.close();
  });

  std::cout << "listening on http://" << config.host << ":" << server.port() << std::endl;

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < config.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  return 0;
}

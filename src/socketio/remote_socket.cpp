#include "socketio/remote_socket.hpp"

#include "socketio/namespace.hpp"
#include "socketio/socket.hpp"

namespace socketio {

// A socket on this server is acted on directly, so the effect is immediate;
// one elsewhere is reached as io.in(id) reaches it (Node does the same for
// every RemoteSocket).

void RemoteSocket::emit_args(std::string event, Args args) const {
  if (local_) {
    local_->emit_args(std::move(event), std::move(args));
  } else {
    nsp_->to(id_).emit_args(std::move(event), std::move(args));
  }
}

void RemoteSocket::join(const std::vector<Room>& rooms) const {
  if (local_) {
    local_->join(rooms);
  } else {
    nsp_->in(id_).sockets_join(rooms);
  }
}

void RemoteSocket::leave(const std::vector<Room>& rooms) const {
  if (local_) {
    for (const auto& room : rooms) local_->leave(room);
  } else {
    nsp_->in(id_).sockets_leave(rooms);
  }
}

void RemoteSocket::disconnect(bool close) const {
  if (local_) {
    local_->disconnect(close);
  } else {
    nsp_->in(id_).disconnect_sockets(close);
  }
}

namespace {

Json string_map(const StringMap& map) {
  Json::Object object;
  object.reserve(map.size());
  for (const auto& [key, value] : map) object.emplace_back(key, Json(value));
  return Json(std::move(object));
}

std::map<std::string, std::string> string_map(const Json& json) {
  std::map<std::string, std::string> map;
  if (const auto* object = json.if_object()) {
    for (const auto& [key, value] : *object) {
      if (const auto* text = value.if_string()) {
        map[key] = *text;
      } else if (!value.is_null()) {
        map[key] = value.dump();  // Node headers may be arrays (set-cookie)
      }
    }
  }
  return map;
}

}  // namespace

Json handshake_to_json(const Handshake& handshake) {
  return Json::object({{"headers", string_map(handshake.headers)},
                       {"time", handshake.time},
                       {"address", handshake.address},
                       {"xdomain", handshake.xdomain},
                       {"secure", handshake.secure},
                       {"issued", handshake.issued},
                       {"url", handshake.url},
                       {"query", string_map(handshake.query)},
                       {"auth", handshake.auth.is_null() ? Json::object({}) : handshake.auth}});
}

Handshake handshake_from_json(const Json& json) {
  Handshake handshake;
  if (!json.is_object()) return handshake;
  handshake.headers = string_map(json["headers"]);
  if (const auto* time = json["time"].if_string()) handshake.time = *time;
  if (const auto* address = json["address"].if_string()) handshake.address = *address;
  if (const auto* xdomain = json["xdomain"].if_bool()) handshake.xdomain = *xdomain;
  if (const auto* secure = json["secure"].if_bool()) handshake.secure = *secure;
  if (const auto* issued = json["issued"].if_int()) {
    handshake.issued = *issued;
  } else if (const auto* issued_double = json["issued"].if_double()) {
    handshake.issued = static_cast<std::int64_t>(*issued_double);
  }
  if (const auto* url = json["url"].if_string()) handshake.url = *url;
  handshake.query = string_map(json["query"]);
  handshake.auth = json["auth"];
  return handshake;
}

}  // namespace socketio

#pragma once
// Forward declarations of the public types.

#include <memory>
#include <string>

namespace socketio {

class Json;
class Args;
class Ack;
class Socket;
class Namespace;
class Server;
class BroadcastOperator;
class Adapter;

using SocketPtr = std::shared_ptr<Socket>;
/// A socket's id (20 URL-safe characters, distinct from the engine sid).
using SocketId = std::string;
/// A room name. Every socket is in the room named after its own id.
using Room = std::string;

}  // namespace socketio

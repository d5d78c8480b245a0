#pragma once
// Everything a Socket.IO server needs: #include <socketio/socketio.hpp>

#include "socketio/ack.hpp"
#include "socketio/adapter.hpp"
#include "socketio/args.hpp"
#include "socketio/broadcast_operator.hpp"
#include "socketio/disconnect_reason.hpp"
#include "socketio/error.hpp"
#include "socketio/handshake.hpp"
#include "socketio/http.hpp"
#include "socketio/json.hpp"
#include "socketio/log.hpp"
#include "socketio/namespace.hpp"
#include "socketio/options.hpp"
#include "socketio/server.hpp"
#include "socketio/socket.hpp"

#pragma once
// The library prints nothing by itself. A host that wants diagnostics sets a
// LogHook on the server; it may be called from any thread that runs the
// io_context, so it must be thread-safe.

#include <functional>
#include <string_view>

namespace socketio {

enum class LogLevel { debug, info, warning, error };

using LogHook = std::function<void(LogLevel, std::string_view message)>;

}  // namespace socketio

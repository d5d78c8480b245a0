#include "socketio/error.hpp"

namespace socketio {

namespace {

class ErrorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "socketio"; }

  std::string message(int value) const override {
    // No default label: -Wswitch then flags any errc added without a message.
    switch (static_cast<errc>(value)) {
      case errc::empty_packet:
        return "empty Engine.IO packet";
      case errc::unknown_packet_type:
        return "unknown Engine.IO packet type";
      case errc::invalid_base64:
        return "invalid base64 in binary Engine.IO packet";
      case errc::invalid_utf8:
        return "invalid UTF-8 text";
      case errc::payload_too_large:
        return "payload too large";
      case errc::invalid_packet:
        return "malformed Socket.IO packet";
      case errc::invalid_json:
        return "invalid JSON in Socket.IO packet";
      case errc::too_many_attachments:
        return "too many binary attachments in Socket.IO packet";
      case errc::unexpected_attachment:
        return "unexpected binary attachment";
      case errc::timeout:
        return "operation timed out";
      case errc::not_connected:
        return "not connected";
      case errc::server_closed:
        return "server closed";
      case errc::overloaded:
        return "too many requests waiting for replies";
      case errc::redis_error:
        return "Redis returned an error";
      case errc::invalid_message:
        return "malformed cluster message";
    }
    return "unknown socketio error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  // A function-local static is constructed thread-safely on first use and
  // gives every translation unit the same category object, which is what
  // std::error_code comparisons rely on.
  static const ErrorCategory category;
  return category;
}

}  // namespace socketio

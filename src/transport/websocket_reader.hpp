#pragma once
// Turns the bytes a WebSocket client sends into messages and control
// events, enforcing RFC 6455 for a server without extensions: masked
// frames, no RSV bits, known opcodes, continuation rules, small unfragmented
// control frames, UTF-8 text, and a message size limit.
//
// Memory: between messages the reader owns no heap memory. Bytes are parsed
// where they lie (the caller's read buffer); only an incomplete frame's
// bytes and a fragmented message's payload so far are kept, and both are
// released once complete.
//
// Thread-safety: none; one reader belongs to one connection.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace socketio::transport::ws {

class ReaderSink {
 public:
  virtual ~ReaderSink() = default;
  virtual void on_message(std::string payload, bool binary) = 0;
  virtual void on_ping(std::string_view payload) = 0;
  /// The peer's close frame (code 0: none given). The reader stops.
  virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
  /// The peer broke the protocol; fail the connection with `code`
  /// (1002, 1007 or 1009). The reader stops.
  virtual void on_protocol_error(std::uint16_t code, std::string_view reason) = 0;
};

class Reader {
 public:
  explicit Reader(std::size_t max_message_size) : max_message_size_(max_message_size) {}

  /// Processes `data` (modified in place: payloads are unmasked where they
  /// lie). Returns false once the reader has stopped (close or error); it
  /// then ignores anything further.
  bool feed(char* data, std::size_t size, ReaderSink& sink);

  bool stopped() const noexcept { return stopped_; }
  /// Heap bytes held (for tests): partial frame plus partial message,
  /// not counting what std::string keeps inline.
  std::size_t buffered() const noexcept { return heap(partial_) + heap(message_); }

 private:
  /// Handles the complete frames at the start of [data, data+size); returns
  /// the bytes used (the rest is an incomplete frame).
  std::size_t consume(char* data, std::size_t size, ReaderSink& sink);
  void fail(ReaderSink& sink, std::uint16_t code, std::string_view reason);

  static std::size_t heap(const std::string& s) noexcept {
    return s.capacity() > std::string().capacity() ? s.capacity() : 0;
  }

  std::size_t max_message_size_;
  std::string partial_;  ///< bytes of a frame not yet complete
  std::string message_;  ///< a fragmented message's payload so far
  std::uint8_t message_opcode_ = 0;  ///< 0: no fragmented message in progress
  bool stopped_ = false;
};

}  // namespace socketio::transport::ws

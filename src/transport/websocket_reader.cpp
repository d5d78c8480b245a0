#include "transport/websocket_reader.hpp"

#include <algorithm>

#include "engineio/packet.hpp"
#include "transport/websocket_frame.hpp"

namespace socketio::transport::ws {

void Reader::fail(ReaderSink& sink, std::uint16_t code, std::string_view reason) {
  stopped_ = true;
  std::string().swap(partial_);
  std::string().swap(message_);
  sink.on_protocol_error(code, reason);
}

bool Reader::feed(char* data, std::size_t size, ReaderSink& sink) {
  if (stopped_) return false;
  if (partial_.empty()) {
    const std::size_t used = consume(data, size, sink);
    if (!stopped_ && used < size) partial_.assign(data + used, size - used);
    return !stopped_;
  }
  // The common case above parses in place; here an earlier piece left an
  // incomplete frame, which this piece continues.
  partial_.append(data, size);
  const std::size_t used = consume(partial_.data(), partial_.size(), sink);
  if (stopped_) {
    std::string().swap(partial_);  // whatever follows a close is ignored
    return false;
  }
  if (used == partial_.size()) {
    std::string().swap(partial_);  // drained: hold nothing while idle
  } else if (used > 0) {
    partial_.erase(0, used);
  }
  return true;
}

std::size_t Reader::consume(char* data, std::size_t size, ReaderSink& sink) {
  std::size_t pos = 0;
  while (!stopped_ && pos < size) {
    FrameHeader h;
    const auto status = decode_frame_header(std::string_view(data + pos, size - pos), h);
    if (status == DecodeStatus::need_more) break;
    if (status == DecodeStatus::invalid) {
      fail(sink, close_protocol_error, "invalid frame length");
      break;
    }
    if (h.rsv != 0) {
      fail(sink, close_protocol_error, "reserved bits set");
      break;
    }
    if (!h.masked) {
      fail(sink, close_protocol_error, "unmasked client frame");
      break;
    }
    const bool control = (h.opcode & 0x8) != 0;
    if (control) {
      if (h.opcode != close && h.opcode != ping && h.opcode != pong) {
        fail(sink, close_protocol_error, "unknown opcode");
        break;
      }
      if (!h.fin || h.length > 125) {
        fail(sink, close_protocol_error, "invalid control frame");
        break;
      }
    } else if (h.opcode == continuation) {
      if (message_opcode_ == 0) {
        fail(sink, close_protocol_error, "continuation without a message");
        break;
      }
    } else if (h.opcode == text || h.opcode == binary) {
      if (message_opcode_ != 0) {
        fail(sink, close_protocol_error, "new message inside a fragmented one");
        break;
      }
    } else {
      fail(sink, close_protocol_error, "unknown opcode");
      break;
    }
    // Refuse an oversize message as soon as its header says so, before its
    // payload has arrived.
    if (!control && h.length > max_message_size_ - std::min(max_message_size_, message_.size())) {
      fail(sink, close_message_too_big, "message too big");
      break;
    }
    if (size - pos - h.header_size < h.length) break;  // payload incomplete
    char* payload = data + pos + h.header_size;
    const auto n = static_cast<std::size_t>(h.length);
    unmask(payload, n, h.mask);
    pos += h.header_size + n;

    if (control) {
      if (h.opcode == ping) {
        sink.on_ping(std::string_view(payload, n));
      } else if (h.opcode == close) {
        std::uint16_t code = 0;
        const std::uint16_t bad = parse_close_payload(std::string_view(payload, n), code);
        if (bad != 0) {
          fail(sink, bad, "invalid close frame");
          break;
        }
        stopped_ = true;
        std::string().swap(message_);
        sink.on_close(code, n > 2 ? std::string_view(payload + 2, n - 2) : std::string_view());
        break;
      }
      continue;  // pong: nothing to do
    }
    const std::uint8_t opcode = h.opcode == continuation ? message_opcode_ : h.opcode;
    if (h.fin && message_opcode_ == 0) {
      // A whole message in one frame: its payload is the one allocation.
      std::string message(payload, n);
      if (opcode == text && !engine::is_valid_utf8(message)) {
        fail(sink, close_invalid_payload, "invalid UTF-8");
        break;
      }
      sink.on_message(std::move(message), opcode == binary);
      continue;
    }
    message_opcode_ = opcode;
    message_.append(payload, n);
    if (h.fin) {
      std::string message = std::move(message_);
      message_ = std::string();
      message_opcode_ = 0;
      if (opcode == text && !engine::is_valid_utf8(message)) {
        fail(sink, close_invalid_payload, "invalid UTF-8");
        break;
      }
      sink.on_message(std::move(message), opcode == binary);
    }
  }
  return pos;
}

}  // namespace socketio::transport::ws

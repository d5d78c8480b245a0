#pragma once
// Socket.IO v5 packet codec, namespace socketio::sio. Pure functions and a
// small reassembly state machine; no I/O.
//
// Wire form of one packet (each is one Engine.IO MESSAGE, so the engine layer
// prefixes the text with "4"):
//
//     <type>[<attachments>-][<nsp>,][<ack id>][<JSON payload>]
//
// followed, for BINARY_EVENT / BINARY_ACK, by <attachments> binary frames.
// Binary values in the payload are replaced by {"_placeholder":true,"num":i}.
// Encoding matches socket.io-parser byte for byte; decoding accepts and
// rejects what socket.io-parser 4.2.7 does (the version the Node client of the
// interop tests ships), with the exceptions listed at Decoder.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "socketio/json.hpp"

namespace socketio::sio {

enum class PacketType : std::uint8_t {
  connect = 0,
  disconnect = 1,
  event = 2,
  ack = 3,
  connect_error = 4,
  binary_event = 5,
  binary_ack = 6,
};

struct Packet {
  PacketType type = PacketType::event;
  /// Always starts with '/' when decoded. "" and "/" both mean the main
  /// namespace when encoding.
  std::string nsp = "/";
  std::optional<std::uint64_t> id;
  /// nullopt: no payload on the wire ("40", "1/admin,"), which is not the
  /// same as a JSON null payload. Encoding writes neither nullopt nor null
  /// (as socket.io-parser skips `data == null`).
  std::optional<Json> data;
};

/// Appends the text form of `packet` to `out` (the caller may have put the
/// Engine.IO "4" there already) and its binary attachments, in placeholder
/// order, to `attachments`; each becomes one binary Engine.IO message.
///
/// EVENT and ACK whose data holds a binary value anywhere are written as
/// BINARY_EVENT / BINARY_ACK with placeholders; binary_event / binary_ack
/// given here are treated as event / ack, so the type on the wire always
/// agrees with the attachments. Other packet types print binary values as
/// Node's JSON.stringify prints a Buffer.
void encode(const Packet& packet, std::string& out, std::vector<std::string>& attachments);

/// encode() of an EVENT (ack = false) or ACK (ack = true) whose data is the
/// array `args`, without building a Packet and a Json around them.
void encode_array(bool ack, std::string_view nsp, std::optional<std::uint64_t> id, const Json::Array& args,
                  std::string& out, std::vector<std::string>& attachments);

/// True for the event names socket.io-parser refuses in an EVENT:
/// connect, connect_error, disconnect, disconnecting, newListener,
/// removeListener.
bool is_reserved_event(std::string_view name) noexcept;

struct DecoderLimits {
  /// Attachments one packet may announce (socket.io-parser's maxAttachments).
  std::size_t max_attachments = 10;
  /// Bytes one binary packet may hold while it is being reassembled: its
  /// text plus every attachment received so far. The default equals the
  /// Engine.IO default maxPayload (each frame is already bounded by it);
  /// raise it to accept packets whose attachments add up to more.
  std::size_t max_pending_bytes = 1'000'000;
};

/// Turns the Engine.IO messages of one connection back into packets.
///
/// Text messages without attachments yield their packet at once; a
/// BINARY_EVENT / BINARY_ACK yields once its last attachment arrived, as an
/// EVENT / ACK whose placeholders have been replaced by Binary values
/// (decoded packets never carry the binary_* types).
///
/// Every error is returned as an std::error_code; the caller closes the
/// connection. After an error the decoder is empty again (as after reset()).
///   invalid_packet        bad type, attachment count, ack id, payload shape,
///                         reserved event name, bad placeholder, or a text
///                         message while attachments are awaited
///   invalid_json          the payload is not JSON
///   too_many_attachments  more than DecoderLimits::max_attachments announced
///   unexpected_attachment a binary message while none is awaited
///   payload_too_large     over DecoderLimits::max_pending_bytes
///
/// Where this differs from socket.io-parser 4.2.7 (all inputs no client
/// produces): an ack id that JavaScript reads as NaN ("21 2[...]") or that
/// does not fit std::uint64_t is an error instead of a NaN or rounded id; a
/// placeholder whose num is not an integer is an error instead of becoming
/// undefined; a bad placeholder is reported when the text arrives rather
/// than after the last attachment; numbers beyond the double range in the
/// payload are rejected (RapidJSON) where JavaScript reads Infinity.
///
/// Thread-safety: none; one decoder belongs to one connection's strand.
/// Lifetime: copying is disabled (the pending packet is referenced
/// internally); moving is fine.
class Decoder {
 public:
  Decoder() = default;
  explicit Decoder(DecoderLimits limits) : limits_(limits) {}
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
  Decoder(Decoder&&) = default;
  Decoder& operator=(Decoder&&) = default;
  ~Decoder() = default;

  /// Feeds the data of one text Engine.IO message. On success `packet` holds
  /// the decoded packet, or nullopt if it awaits attachments.
  std::error_code add_text(std::string_view text, std::optional<Packet>& packet);
  /// Feeds the data of one binary Engine.IO message. On success `packet`
  /// holds the completed packet, or nullopt if more attachments are awaited.
  std::error_code add_binary(std::string_view bytes, std::optional<Packet>& packet);

  /// True between a binary packet's text and its last attachment.
  bool awaiting_attachments() const noexcept { return pending_ != nullptr; }
  /// Drops any partly received packet.
  void reset() noexcept;

 private:
  struct Placeholder {
    Json* slot;        // inside pending_->data; its heap storage does not move
    std::size_t num;
  };

  std::error_code fail(std::error_code ec) noexcept;

  DecoderLimits limits_;
  /// The binary packet awaiting attachments; on the heap, as most
  /// connections never have one and a Packet is large.
  std::unique_ptr<Packet> pending_;
  std::size_t expected_attachments_ = 0;
  std::size_t pending_bytes_ = 0;
  std::vector<Placeholder> placeholders_;
  std::vector<Binary> attachments_;
};

/// Decodes one text packet as socket.io-parser's decodeString does, without
/// reassembly: binary types are kept as such and `attachments` receives the
/// announced count (0 for other types); placeholders are left in the data.
/// Exposed for tests and tools; Decoder is what connections use.
std::error_code decode_text(std::string_view text, Packet& packet, std::size_t& attachments,
                            std::size_t max_attachments = DecoderLimits{}.max_attachments);

}  // namespace socketio::sio

// Micro-benchmarks of the Socket.IO packet codec (src/socketio/packet.hpp) and
// of socketio::Json, on the packets a chat-like application sends most:
//
//   42["chat",{"user":"a","text":"hello world"}]                  text event
//   421["chat",{"user":"a","text":"hello world"}]                 event with ack id
//   451-["chat",{"user":"a","file":{"_placeholder":true,"num":0}}] + 1 KiB attachment
//
// Encode benchmarks build nothing per iteration but the output (the Packet is
// prepared once, as a broadcast encodes one packet for every recipient);
// "BuildAndEncode" also builds the Json arguments, as an emit() call does.
// Decode benchmarks feed a fresh Decoder-independent text each iteration
// (the Decoder is reused, as one connection's decoder is).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "socketio/json.hpp"
#include "socketio/packet.hpp"

namespace {

using socketio::Binary;
using socketio::Json;
using socketio::sio::Decoder;
using socketio::sio::Packet;
using socketio::sio::PacketType;

Json chat_args() {
  return Json::array({"chat", Json::object({{"user", "a"}, {"text", "hello world"}})});
}

Json chat_args_with_binary(std::size_t size) {
  Binary bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(i * 31);
  return Json::array({"chat", Json::object({{"user", "a"}, {"file", Json::binary(std::move(bytes))}})});
}

Packet event(Json data, std::optional<std::uint64_t> id = std::nullopt) {
  Packet p;
  p.type = PacketType::event;
  p.nsp = "/";
  p.id = id;
  p.data = std::move(data);
  return p;
}

// ---------------------------------------------------------------- encode

void BM_Encode_Event(benchmark::State& state) {
  const Packet packet = event(chat_args());
  std::string out;
  std::vector<std::string> attachments;
  for (auto _ : state) {
    out.assign("4");  // the Engine.IO MESSAGE type, as the server writes it
    attachments.clear();
    socketio::sio::encode(packet, out, attachments);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(out);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Encode_Event);

void BM_Encode_EventWithAck(benchmark::State& state) {
  const Packet packet = event(chat_args(), 1);
  std::string out;
  std::vector<std::string> attachments;
  for (auto _ : state) {
    out.assign("4");
    attachments.clear();
    socketio::sio::encode(packet, out, attachments);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(out);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Encode_EventWithAck);

void BM_Encode_EventFreshBuffers(benchmark::State& state) {
  // New output strings every time, as when each packet is queued separately.
  const Packet packet = event(chat_args());
  for (auto _ : state) {
    std::string out("4");
    std::vector<std::string> attachments;
    socketio::sio::encode(packet, out, attachments);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Encode_EventFreshBuffers);

void BM_BuildAndEncode_Event(benchmark::State& state) {
  for (auto _ : state) {
    const Packet packet = event(chat_args());
    std::string out("4");
    std::vector<std::string> attachments;
    socketio::sio::encode(packet, out, attachments);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildAndEncode_Event);

void BM_Encode_BinaryEvent(benchmark::State& state) {
  const Packet packet = event(chat_args_with_binary(static_cast<std::size_t>(state.range(0))));
  std::string out;
  std::vector<std::string> attachments;
  for (auto _ : state) {
    out.assign("4");
    attachments.clear();
    socketio::sio::encode(packet, out, attachments);
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(attachments.data());
  }
  state.SetLabel(out);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Encode_BinaryEvent)->Arg(16)->Arg(1024)->Arg(64 * 1024);

// ---------------------------------------------------------------- decode

std::string encoded_text(const Packet& packet, std::vector<std::string>* attachments = nullptr) {
  std::string out;
  std::vector<std::string> atts;
  socketio::sio::encode(packet, out, atts);
  if (attachments) *attachments = std::move(atts);
  return out;
}

void BM_Decode_Event(benchmark::State& state) {
  const std::string text = encoded_text(event(chat_args()));
  Decoder decoder;
  std::optional<Packet> packet;
  for (auto _ : state) {
    const auto ec = decoder.add_text(text, packet);
    if (ec || !packet) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(packet->data->is_array());
  }
  state.SetLabel(text);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Decode_Event);

void BM_Decode_EventWithAck(benchmark::State& state) {
  const std::string text = encoded_text(event(chat_args(), 1));
  Decoder decoder;
  std::optional<Packet> packet;
  for (auto _ : state) {
    const auto ec = decoder.add_text(text, packet);
    if (ec || !packet) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(packet->id);
  }
  state.SetLabel(text);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Decode_EventWithAck);

void BM_Decode_BinaryEvent(benchmark::State& state) {
  std::vector<std::string> attachments;
  const std::string text =
      encoded_text(event(chat_args_with_binary(static_cast<std::size_t>(state.range(0)))), &attachments);
  Decoder decoder;
  std::optional<Packet> packet;
  for (auto _ : state) {
    auto ec = decoder.add_text(text, packet);
    if (ec || packet) state.SkipWithError("text part failed");
    for (const auto& a : attachments) ec = decoder.add_binary(a, packet);
    if (ec || !packet) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(packet->data->is_array());
  }
  state.SetLabel(text);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Decode_BinaryEvent)->Arg(16)->Arg(1024)->Arg(64 * 1024);

// ---------------------------------------------------------------- Json alone

void BM_Json_Parse(benchmark::State& state) {
  const std::string text = R"(["chat",{"user":"a","text":"hello world"}])";
  for (auto _ : state) {
    std::error_code ec;
    Json j = Json::parse(text, ec);
    benchmark::DoNotOptimize(j.is_array());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Json_Parse);

void BM_Json_Dump(benchmark::State& state) {
  const Json j = chat_args();
  std::string out;
  for (auto _ : state) {
    out.clear();
    j.dump(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Json_Dump);

void BM_Json_Build(benchmark::State& state) {
  for (auto _ : state) {
    Json j = chat_args();
    benchmark::DoNotOptimize(j.is_array());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Json_Build);

void BM_Json_Copy(benchmark::State& state) {
  // What a broadcast costs when it copies the arguments per recipient.
  const Json j = chat_args();
  for (auto _ : state) {
    Json copy = j;
    benchmark::DoNotOptimize(copy.is_array());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Json_Copy);

}  // namespace

BENCHMARK_MAIN();

#pragma once
// Finishes complete frames (length prefix + Message) in a FlatBufferBuilder, for both sides of
// the channel. The builder's buffer is then written as it is: no copy, no separate prefix.

#include <cstdint>
#include <string_view>

#include "switchyard/fbs/message_generated.h"

namespace switchyard::control {

namespace fbs = switchyard::fbs;

inline flatbuffers::Offset<flatbuffers::String> optionalString(flatbuffers::FlatBufferBuilder& b,
                                                               std::string_view s) {
  return s.empty() ? 0 : b.CreateString(s.data(), s.size());
}

inline void finishMessage(flatbuffers::FlatBufferBuilder& b, fbs::message::Body type,
                          flatbuffers::Offset<void> body) {
  b.FinishSizePrefixed(fbs::message::CreateMessage(b, type, body));
}

inline void finishRequest(flatbuffers::FlatBufferBuilder& b, uint32_t id,
                          fbs::request::Method method, std::string_view handlerId,
                          fbs::request::Body bodyType, flatbuffers::Offset<void> body) {
  auto handler = optionalString(b, handlerId);
  auto request = fbs::request::CreateRequest(b, id, method, handler, bodyType, body);
  finishMessage(b, fbs::message::Body::Request, request.Union());
}

inline void finishResponse(flatbuffers::FlatBufferBuilder& b, uint32_t id,
                           fbs::response::Body bodyType, flatbuffers::Offset<void> body) {
  auto response = fbs::response::CreateResponse(b, id, 0, bodyType, body);
  finishMessage(b, fbs::message::Body::Response, response.Union());
}

inline void finishErrorResponse(flatbuffers::FlatBufferBuilder& b, uint32_t id,
                                fbs::response::ErrorType type, std::string_view reason) {
  auto error = fbs::response::CreateError(b, type, b.CreateString(reason.data(), reason.size()));
  auto response = fbs::response::CreateResponse(b, id, error);
  finishMessage(b, fbs::message::Body::Response, response.Union());
}

inline void finishNotification(flatbuffers::FlatBufferBuilder& b, std::string_view handlerId,
                               fbs::notification::Event event, fbs::notification::Body bodyType,
                               flatbuffers::Offset<void> body) {
  auto handler = optionalString(b, handlerId);
  auto n = fbs::notification::CreateNotification(b, handler, event, bodyType, body);
  finishMessage(b, fbs::message::Body::Notification, n.Union());
}

inline void finishLog(flatbuffers::FlatBufferBuilder& b, fbs::log::LogLevel level,
                      uint32_t workerId, std::string_view tag, std::string_view text,
                      uint64_t timestampUs) {
  auto tagOffset = optionalString(b, tag);
  auto textOffset = b.CreateString(text.data(), text.size());
  auto log = fbs::log::CreateLog(b, level, workerId, tagOffset, textOffset, timestampUs);
  finishMessage(b, fbs::message::Body::Log, log.Union());
}

}  // namespace switchyard::control

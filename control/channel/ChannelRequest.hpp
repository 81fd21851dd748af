#pragma once
// A request as a worker-side handler sees it: typed access to its body, and exactly one reply.

#include <cstdint>
#include <string_view>

#include "control/channel/MessageBuilder.hpp"

namespace switchyard::control {

// Where replies go: the worker's channel endpoint implements it.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // A builder to fill; cleared by the sink before it is handed out.
  virtual flatbuffers::FlatBufferBuilder& builder() = 0;
  // Sends the finished builder as one frame.
  virtual void send(flatbuffers::FlatBufferBuilder& finished) = 0;
};

class ChannelRequest {
 public:
  ChannelRequest(const fbs::request::Request& request, MessageSink& sink)
      : request_(request), sink_(sink) {}
  ChannelRequest(const ChannelRequest&) = delete;
  ChannelRequest& operator=(const ChannelRequest&) = delete;

  uint32_t id() const { return request_.id(); }
  fbs::request::Method method() const { return request_.method(); }
  std::string_view methodName() const { return fbs::request::EnumNameMethod(method()); }
  std::string_view handlerId() const {
    auto* s = request_.handler_id();
    return s ? std::string_view(s->c_str(), s->size()) : std::string_view();
  }
  // The body when it has type T, else nullptr: a wrong body type is never read as T.
  template <typename T>
  const T* body() const {
    return request_.body_as<T>();
  }

  void accept() { acceptRaw(fbs::response::Body::NONE, 0); }
  // build(FlatBufferBuilder&) returns the Offset of a table of the type `bodyType` names.
  template <typename Build>
  void accept(fbs::response::Body bodyType, Build&& build) {
    auto& b = sink_.builder();
    auto body = build(b);
    finishResponse(b, id(), bodyType, body.Union());
    send(b);
  }
  void error(fbs::response::ErrorType type, std::string_view reason) {
    auto& b = sink_.builder();
    finishErrorResponse(b, id(), type, reason);
    failed_ = true;
    send(b);
  }
  bool replied() const { return replied_; }
  bool failed() const { return failed_; }

 private:
  void acceptRaw(fbs::response::Body bodyType, flatbuffers::Offset<void> body) {
    auto& b = sink_.builder();
    finishResponse(b, id(), bodyType, body);
    send(b);
  }
  void send(flatbuffers::FlatBufferBuilder& b) {
    replied_ = true;
    sink_.send(b);
  }

  const fbs::request::Request& request_;
  MessageSink& sink_;
  bool replied_ = false;
  bool failed_ = false;
};

}  // namespace switchyard::control

// libFuzzer target: a frame as the worker or orchestrator receives it. Whatever the Verifier
// accepts must be safe to read in full, the way handlers read it.

#include <cstring>
#include <vector>

#include "control/channel/MessageVerifier.hpp"

namespace {

using namespace switchyard;

template <typename T>
void touch(const T* v) {
  volatile auto sink = v;
  (void)sink;
}

void readRequest(const fbs::request::Request& r) {
  (void)fbs::request::EnumNameMethod(r.method());
  if (r.handler_id()) touch(r.handler_id()->c_str());
  if (auto* b = r.body_as_Worker_CreateRouterRequest()) {
    touch(b->router_id()->c_str());
    if (b->media_codecs()) {
      for (const auto* c : *b->media_codecs()) {
        touch(c->mime_type()->c_str());
        if (c->parameters()) {
          for (const auto* p : *c->parameters())
            touch(p->key()->c_str());
        }
      }
    }
  }
  if (auto* b = r.body_as_Worker_UpdateSettingsRequest()) {
    if (b->log_level()) touch(b->log_level()->c_str());
    if (b->log_tags()) {
      for (const auto* t : *b->log_tags())
        touch(t->c_str());
    }
  }
  if (auto* b = r.body_as_Worker_CloseRouterRequest()) touch(b->router_id()->c_str());
  if (auto* b = r.body_as_Transport_ProduceRequest()) {
    for (const auto* c : *b->rtp_parameters()->codecs())
      touch(c->mime_type()->c_str());
  }
}

void readResponse(const fbs::response::Response& r) {
  if (r.error()) touch(r.error()->reason()->c_str());
  if (auto* d = r.body_as_Worker_DumpResponse()) {
    for (const auto* id : *d->router_ids())
      touch(id->c_str());
    touch(d->channel());
  }
  if (auto* d = r.body_as_Router_DumpResponse()) {
    touch(d->id()->c_str());
    for (const auto* id : *d->transport_ids())
      touch(id->c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The decoder hands out 8-byte aligned frames; do the same here.
  std::vector<uint64_t> aligned((size + 7) / 8);
  std::memcpy(aligned.data(), data, size);
  const auto* message =
      control::verifyMessage({reinterpret_cast<const uint8_t*>(aligned.data()), size});
  if (!message) return 0;
  if (auto* r = message->body_as_Request()) readRequest(*r);
  if (auto* r = message->body_as_Response()) readResponse(*r);
  if (auto* n = message->body_as_Notification()) {
    if (n->handler_id()) touch(n->handler_id()->c_str());
  }
  if (auto* l = message->body_as_Log()) touch(l->text()->c_str());
  return 0;
}

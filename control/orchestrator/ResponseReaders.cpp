#include "control/orchestrator/ResponseReaders.hpp"

#include <random>

namespace switchyard::control {

namespace {

std::vector<std::string> readStrings(
    const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) {
  std::vector<std::string> out;
  if (v) {
    for (const auto* s : *v)
      out.push_back(s->str());
  }
  return out;
}

}  // namespace

WorkerDump readWorkerDump(const fbs::worker::DumpResponse& body) {
  WorkerDump d;
  d.workerId = body.worker_id();
  d.pid = body.pid();
  d.routerIds = readStrings(body.router_ids());
  const auto* c = body.channel();
  d.channel = {c->messages_in(),     c->messages_out(),    c->bytes_in(),
               c->bytes_out(),       c->dropped_invalid(), c->dropped_oversize(),
               c->error_responses(), c->logs_dropped(),    c->write_queue_bytes()};
  d.logLevel = body.log_level() ? body.log_level()->str() : "";
  d.logTags = readStrings(body.log_tags());
  if (const auto* ports = body.shared_ports()) {
    for (const auto* p : *ports) {
      d.sharedPorts.push_back({p->ip()->str(), p->port(), p->tuples(), p->ice_ufrags(),
                               p->datagrams_received(), p->bytes_received(), p->datagrams_sent(),
                               p->bytes_sent(), p->routed_by_tuple(), p->routed_by_ufrag(),
                               p->dropped_unknown_tuple(), p->dropped_unknown_ufrag(),
                               p->dropped_malformed_stun(), p->send_failures()});
    }
  }
  return d;
}

ResourceUsage readResourceUsage(const fbs::worker::ResourceUsageResponse& b) {
  return {b.ru_utime_us(), b.ru_stime_us(), b.ru_maxrss_kb(), b.ru_minflt(), b.ru_majflt(),
          b.ru_nvcsw(),    b.ru_nivcsw(),   b.rss_bytes(),    b.uptime_ms()};
}

RouterDump readRouterDump(const fbs::router::DumpResponse& body) {
  RouterDump d;
  d.id = body.id()->str();
  if (const auto* codecs = body.media_codecs()) {
    for (const auto* c : *codecs) {
      CodecCapability cap;
      cap.kind = c->kind() == fbs::common::MediaKind::VIDEO ? MediaKind::kVideo : MediaKind::kAudio;
      cap.mimeType = c->mime_type()->str();
      cap.preferredPayloadType = c->preferred_payload_type();
      cap.clockRate = c->clock_rate();
      cap.channels = c->channels();
      if (const auto* params = c->parameters()) {
        for (const auto* p : *params) {
          cap.parameters.emplace_back(p->key()->str(), p->value() ? p->value()->str() : "");
        }
      }
      d.mediaCodecs.push_back(std::move(cap));
    }
  }
  d.transportIds = readStrings(body.transport_ids());
  d.producerIds = readStrings(body.producer_ids());
  d.consumerIds = readStrings(body.consumer_ids());
  return d;
}

std::vector<flatbuffers::Offset<fbs::common::RtpCodecCapability>> writeCodecCapabilities(
    flatbuffers::FlatBufferBuilder& b, const std::vector<CodecCapability>& codecs) {
  std::vector<flatbuffers::Offset<fbs::common::RtpCodecCapability>> out;
  for (const auto& c : codecs) {
    std::vector<flatbuffers::Offset<fbs::common::StringString>> params;
    for (const auto& [k, v] : c.parameters) {
      params.push_back(fbs::common::CreateStringStringDirect(b, k.c_str(), v.c_str()));
    }
    out.push_back(fbs::common::CreateRtpCodecCapabilityDirect(
        b,
        c.kind == MediaKind::kVideo ? fbs::common::MediaKind::VIDEO : fbs::common::MediaKind::AUDIO,
        c.mimeType.c_str(), c.preferredPayloadType, c.clockRate, c.channels, &params));
  }
  return out;
}

std::string newObjectId(std::mt19937_64& rng) {
  // Not a security boundary: ids only need to be unique, and 128 random bits are.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t v = rng();
    for (int i = 0; i < 16; ++i)
      id[half * 16 + i] = kHex[(v >> (i * 4)) & 0xF];
  }
  return id;
}

}  // namespace switchyard::control

#include "control/channel/RtpParameters.hpp"

#include <strings.h>

#include <algorithm>
#include <charconv>
#include <set>

namespace switchyard::control {

namespace {

// RFC 3551 section 6: 96-127 are dynamic; lower values are static assignments we accept too.
constexpr uint8_t kMaxPayloadType = 127;
constexpr std::string_view kRtxSubtype = "/rtx";

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  // An empty view may hold a null pointer, which strncasecmp must not get even for length 0.
  if (a.size() != b.size()) return false;
  return a.empty() || strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string str(const flatbuffers::String* s) {
  return s ? s->str() : std::string();
}

}  // namespace

bool RtpCodec::isRtx() const {
  return mimeType.size() > kRtxSubtype.size() &&
         equalsIgnoreCase(std::string_view(mimeType).substr(mimeType.size() - kRtxSubtype.size()),
                          kRtxSubtype);
}

std::optional<std::string> RtpCodec::parameter(std::string_view key) const {
  for (const auto& [k, v] : parameters) {
    if (equalsIgnoreCase(k, key)) return v;
  }
  return std::nullopt;
}

std::optional<uint8_t> RtpCodec::associatedPayloadType() const {
  if (!isRtx()) return std::nullopt;
  auto apt = parameter("apt");
  if (!apt) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(apt->data(), apt->data() + apt->size(), value);
  if (ec != std::errc() || end != apt->data() + apt->size() || value > kMaxPayloadType) {
    return std::nullopt;
  }
  return static_cast<uint8_t>(value);
}

bool RtpCodec::hasFeedback(std::string_view type, std::string_view param) const {
  return std::any_of(rtcpFeedback.begin(), rtcpFeedback.end(), [&](const auto& fb) {
    return equalsIgnoreCase(fb.first, type) && equalsIgnoreCase(fb.second, param);
  });
}

const RtpCodec* RtpParameters::codecByPayloadType(uint8_t payloadType) const {
  for (const auto& c : codecs) {
    if (c.payloadType == payloadType) return &c;
  }
  return nullptr;
}

const RtpCodec* RtpParameters::firstMediaCodec() const {
  for (const auto& c : codecs) {
    if (!c.isRtx()) return &c;
  }
  return nullptr;
}

const RtpCodec* RtpParameters::rtxFor(uint8_t payloadType) const {
  for (const auto& c : codecs) {
    if (c.associatedPayloadType() == payloadType) return &c;
  }
  return nullptr;
}

uint8_t RtpParameters::extensionId(std::string_view uri) const {
  for (const auto& e : headerExtensions) {
    if (e.uri == uri) return e.id;
  }
  return 0;
}

RtpParametersResult parseRtpParameters(const fbs::common::RtpParameters* in) {
  RtpParametersResult result;
  auto fail = [&](std::string reason) {
    result.error = std::move(reason);
    return result;
  };
  if (in == nullptr) return fail("rtp_parameters missing");
  RtpParameters& out = result.parameters;
  out.mid = str(in->mid());
  std::set<uint8_t> payloadTypes;
  for (const auto* c : *in->codecs()) {
    RtpCodec codec;
    codec.mimeType = c->mime_type()->str();
    if (codec.mimeType.find('/') == std::string::npos) {
      return fail("codec mime type '" + codec.mimeType + "' is not type/subtype");
    }
    codec.payloadType = c->payload_type();
    if (codec.payloadType > kMaxPayloadType) {
      return fail("payload type " + std::to_string(codec.payloadType) + " is above 127");
    }
    if (!payloadTypes.insert(codec.payloadType).second) {
      return fail("payload type " + std::to_string(codec.payloadType) + " is used twice");
    }
    codec.clockRate = c->clock_rate();
    if (codec.clockRate == 0) return fail("codec '" + codec.mimeType + "' has no clock rate");
    codec.channels = c->channels();
    if (const auto* params = c->parameters()) {
      for (const auto* p : *params)
        codec.parameters.emplace_back(p->key()->str(), str(p->value()));
    }
    if (const auto* fbs = c->rtcp_feedback()) {
      for (const auto* f : *fbs)
        codec.rtcpFeedback.emplace_back(f->type()->str(), str(f->parameter()));
    }
    out.codecs.push_back(std::move(codec));
  }
  if (out.firstMediaCodec() == nullptr) return fail("no media codec");
  for (const auto& c : out.codecs) {
    if (!c.isRtx()) continue;
    auto apt = c.associatedPayloadType();
    const auto* target = apt ? out.codecByPayloadType(*apt) : nullptr;
    if (target == nullptr || target->isRtx()) {
      return fail("RTX payload type " + std::to_string(c.payloadType) + " has no valid apt codec");
    }
  }
  if (const auto* exts = in->header_extensions()) {
    std::set<uint8_t> ids;
    for (const auto* e : *exts) {
      if (e->id() == 0) return fail("header extension '" + e->uri()->str() + "' has id 0");
      if (!ids.insert(e->id()).second) {
        return fail("header extension id " + std::to_string(e->id()) + " is used twice");
      }
      out.headerExtensions.push_back({e->uri()->str(), e->id()});
    }
  }
  std::set<uint32_t> ssrcs;
  if (const auto* encs = in->encodings()) {
    for (const auto* e : *encs) {
      RtpEncoding enc;
      enc.ssrc = e->ssrc();
      enc.rid = str(e->rid());
      enc.rtxSsrc = e->rtx_ssrc();
      for (auto s : {enc.ssrc, enc.rtxSsrc}) {
        if (s && !ssrcs.insert(*s).second)
          return fail("ssrc " + std::to_string(*s) + " is used twice");
      }
      out.encodings.push_back(std::move(enc));
    }
  }
  if (const auto* rtcp = in->rtcp()) out.cname = str(rtcp->cname());
  return result;
}

// Strings go through CreateString(std::string): the *Direct helpers take C strings and would
// cut a value at an embedded NUL, so what the worker reads would differ from what was meant.
flatbuffers::Offset<fbs::common::RtpParameters> buildRtpParameters(
    flatbuffers::FlatBufferBuilder& b, const RtpParameters& p) {
  std::vector<flatbuffers::Offset<fbs::common::RtpCodecParameters>> codecs;
  for (const auto& c : p.codecs) {
    std::vector<flatbuffers::Offset<fbs::common::StringString>> params;
    for (const auto& [k, v] : c.parameters) {
      params.push_back(fbs::common::CreateStringString(b, b.CreateString(k), b.CreateString(v)));
    }
    std::vector<flatbuffers::Offset<fbs::common::RtcpFeedback>> fb;
    for (const auto& [type, param] : c.rtcpFeedback) {
      fb.push_back(
          fbs::common::CreateRtcpFeedback(b, b.CreateString(type), b.CreateString(param)));
    }
    auto mime = b.CreateString(c.mimeType);
    auto paramsVector = b.CreateVector(params);
    auto fbVector = b.CreateVector(fb);
    codecs.push_back(fbs::common::CreateRtpCodecParameters(b, mime, c.payloadType, c.clockRate,
                                                           c.channels, paramsVector, fbVector));
  }
  std::vector<flatbuffers::Offset<fbs::common::RtpHeaderExtensionParameters>> exts;
  for (const auto& e : p.headerExtensions) {
    exts.push_back(
        fbs::common::CreateRtpHeaderExtensionParameters(b, b.CreateString(e.uri), e.id));
  }
  std::vector<flatbuffers::Offset<fbs::common::RtpEncodingParameters>> encs;
  for (const auto& e : p.encodings) {
    auto rid = e.rid.empty() ? 0 : b.CreateString(e.rid);
    fbs::common::RtpEncodingParametersBuilder eb(b);
    if (e.ssrc) eb.add_ssrc(*e.ssrc);
    if (!e.rid.empty()) eb.add_rid(rid);
    if (e.rtxSsrc) eb.add_rtx_ssrc(*e.rtxSsrc);
    encs.push_back(eb.Finish());
  }
  auto rtcp = fbs::common::CreateRtcpParameters(b, b.CreateString(p.cname));
  auto mid = b.CreateString(p.mid);
  auto codecVector = b.CreateVector(codecs);
  auto extVector = b.CreateVector(exts);
  auto encVector = b.CreateVector(encs);
  return fbs::common::CreateRtpParameters(b, mid, codecVector, extVector, encVector, rtcp);
}

}  // namespace switchyard::control

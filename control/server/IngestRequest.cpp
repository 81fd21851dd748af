#include "control/server/IngestRequest.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "control/server/MediaPolicy.hpp"

namespace switchyard::control {

namespace {

// RFC 5761 section 4: payload types 64-95 would collide with RTCP packet types when RTP and
// RTCP share a port; the dynamic range (RFC 3551 section 3) is what tools send anyway.
constexpr int kMinPayloadType = 96;
constexpr int kMaxPayloadType = 127;
constexpr size_t kMaxFmtpLength = 256;
constexpr size_t kMaxIpLength = 64;

constexpr std::string_view kAesCmName = "AES_CM_128_HMAC_SHA1_80";
constexpr std::string_view kAesGcmName = "AEAD_AES_128_GCM";
constexpr size_t kAesCmMasterLength = 30;   // 16-byte key + 14-byte salt
constexpr size_t kAesGcmMasterLength = 28;  // 16-byte key + 12-byte salt

using Json = nlohmann::json;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string kindName(MediaKind kind) {
  return kind == MediaKind::kVideo ? "video" : "audio";
}

// RFC 4648 section 4 text of exactly `bytes` bytes, padding included.
bool looksLikeBase64Of(const std::string& s, size_t bytes) {
  if (s.size() != (bytes + 2) / 3 * 4) return false;
  const size_t padding = bytes % 3 == 0 ? 0 : 3 - bytes % 3;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool pad = i >= s.size() - padding;
    if (pad ? c != '=' : !(std::isalnum(c) || c == '+' || c == '/')) return false;
  }
  return true;
}

bool validFmtp(const std::string& s) {
  return s.size() <= kMaxFmtpLength && std::all_of(s.begin(), s.end(), [](char c) {
           const auto u = static_cast<unsigned char>(c);
           return u > 0x20 && u < 0x7f;
         });
}

std::optional<std::string> readUint(const Json& object, const char* key, uint64_t max,
                                    uint64_t& out) {
  const auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if (!it->is_number_unsigned() || it->get<uint64_t>() > max) {
    return std::string("'") + key + "' must be an integer from 0 to " + std::to_string(max);
  }
  out = it->get<uint64_t>();
  return std::nullopt;
}

std::optional<std::string> readRemote(const Json& j, IngestRemote& remote) {
  if (!j.is_object()) return "'remote' must be an object with 'ip' and 'port'";
  const auto ip = j.find("ip");
  if (ip == j.end() || !ip->is_string() || ip->get<std::string>().empty() ||
      ip->get<std::string>().size() > kMaxIpLength) {
    return "'remote' needs an 'ip' string";
  }
  remote.ip = ip->get<std::string>();
  uint64_t port = 0, rtcpPort = 0;
  if (auto e = readUint(j, "port", UINT16_MAX, port)) return "remote: " + *e;
  if (auto e = readUint(j, "rtcpPort", UINT16_MAX, rtcpPort)) return "remote: " + *e;
  if (port == 0) return "'remote' needs a 'port' from 1 to 65535";
  remote.port = static_cast<uint16_t>(port);
  remote.rtcpPort = static_cast<uint16_t>(rtcpPort);
  return std::nullopt;
}

std::optional<std::string> readTrack(const Json& j, MediaKind kind, IngestTrack& track) {
  const std::string name = kindName(kind);
  if (!j.is_object()) return "'" + name + "' must be an object";
  for (const auto& [key, value] : j.items()) {
    static constexpr std::string_view kKnown[] = {"codec", "payloadType", "ssrc",
                                                  "fmtp",  "srtpKey",     "remote"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return name + ": unknown field '" + key.substr(0, 32) + "'";
    }
  }
  track.kind = kind;
  // The router's codec of that kind and name; the first of the kind by default.
  std::string wanted;
  if (const auto c = j.find("codec"); c != j.end()) {
    if (!c->is_string()) return name + ": 'codec' must be a string";
    wanted = c->get<std::string>();
  }
  const auto codecs = routerMediaCodecs();
  const CodecCapability* codec = nullptr;
  std::string offered;
  for (const auto& candidate : codecs) {
    if (candidate.kind != kind) continue;
    const std::string shortName = candidate.mimeType.substr(candidate.mimeType.find('/') + 1);
    offered += (offered.empty() ? "" : ", ") + shortName;
    if (!codec && (wanted.empty() || equalsIgnoreCase(shortName, wanted))) codec = &candidate;
  }
  if (!codec) {
    return name + ": codec '" + wanted.substr(0, 32) + "' is not routed; one of " + offered;
  }
  track.codec = codec->mimeType.substr(codec->mimeType.find('/') + 1);
  track.clockRate = codec->clockRate;
  track.channels = codec->channels;
  for (const auto& [key, value] : codec->parameters) {
    track.fmtp += (track.fmtp.empty() ? "" : ";") + key + "=" + value;
  }

  uint64_t pt = codec->preferredPayloadType;
  if (auto e = readUint(j, "payloadType", kMaxPayloadType, pt)) return name + ": " + *e;
  if (pt < kMinPayloadType) {
    return name + ": 'payloadType' must be dynamic, " + std::to_string(kMinPayloadType) + "-" +
           std::to_string(kMaxPayloadType);
  }
  track.payloadType = static_cast<uint8_t>(pt);
  uint64_t ssrc = 0;
  if (auto e = readUint(j, "ssrc", UINT32_MAX, ssrc)) return name + ": " + *e;
  if (j.contains("ssrc")) {
    if (ssrc == 0) return name + ": 'ssrc' must not be 0";
    track.ssrc = static_cast<uint32_t>(ssrc);
  }
  if (const auto f = j.find("fmtp"); f != j.end()) {
    if (!f->is_string() || !validFmtp(f->get<std::string>())) {
      return name + ": 'fmtp' must be up to " + std::to_string(kMaxFmtpLength) +
             " printable characters without spaces";
    }
    track.fmtp = f->get<std::string>();
  }
  if (const auto k = j.find("srtpKey"); k != j.end()) {
    if (!k->is_string()) return name + ": 'srtpKey' must be a base64 string";
    track.srtpKey = k->get<std::string>();
  }
  if (const auto r = j.find("remote"); r != j.end()) {
    IngestRemote remote;
    if (auto e = readRemote(*r, remote)) return name + ": " + *e;
    track.remote = std::move(remote);
  }
  return std::nullopt;
}

}  // namespace

std::string_view srtpSuiteName(SrtpCryptoSuite suite) {
  return suite == SrtpCryptoSuite::kAeadAes128Gcm ? kAesGcmName : kAesCmName;
}

size_t srtpMasterLength(SrtpCryptoSuite suite) {
  return suite == SrtpCryptoSuite::kAeadAes128Gcm ? kAesGcmMasterLength : kAesCmMasterLength;
}

std::variant<IngestRequest, std::string> parseIngestRequest(std::string_view body) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::string("the body must be a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "video" && key != "audio" && key != "srtp" && key != "rtcpMux" &&
        key != "idleTimeout") {
      return "unknown field '" + key.substr(0, 32) + "'";
    }
  }
  IngestRequest request;
  for (const MediaKind kind : {MediaKind::kVideo, MediaKind::kAudio}) {
    const auto it = j.find(kindName(kind));
    if (it == j.end() || it->is_null()) continue;
    IngestTrack track;
    if (auto e = readTrack(*it, kind, track)) return *e;
    request.tracks.push_back(std::move(track));
  }
  if (request.tracks.empty()) return std::string("name a 'video' or an 'audio' stream, or both");
  if (const auto s = j.find("srtp"); s != j.end() && !s->is_null()) {
    const std::string suite = s->is_string() ? s->get<std::string>() : "";
    if (suite == kAesCmName) {
      request.srtp = SrtpCryptoSuite::kAesCm128HmacSha1_80;
    } else if (suite == kAesGcmName) {
      request.srtp = SrtpCryptoSuite::kAeadAes128Gcm;
    } else {
      return "'srtp' must be \"" + std::string(kAesCmName) + "\" or \"" + std::string(kAesGcmName) +
             "\"";
    }
  }
  if (const auto m = j.find("rtcpMux"); m != j.end()) {
    if (!m->is_boolean()) return std::string("'rtcpMux' must be true or false");
    request.rtcpMux = m->get<bool>();
  }
  if (const auto t = j.find("idleTimeout"); t != j.end() && !t->is_null()) {
    if (!t->is_number_unsigned() || t->get<uint64_t>() > kMaxIngestIdleTimeoutS) {
      return "'idleTimeout' must be whole seconds from 0 to " +
             std::to_string(kMaxIngestIdleTimeoutS) + " (0: never)";
    }
    request.idleTimeoutS = t->get<uint32_t>();
  }
  for (const auto& track : request.tracks) {
    if (!track.srtpKey) continue;
    if (!request.srtp) return kindName(track.kind) + ": 'srtpKey' needs 'srtp'";
    if (!looksLikeBase64Of(*track.srtpKey, srtpMasterLength(*request.srtp))) {
      return kindName(track.kind) + ": 'srtpKey' must be base64 of " +
             std::to_string(srtpMasterLength(*request.srtp)) + " bytes (master key and salt)";
    }
  }
  return request;
}

}  // namespace switchyard::control

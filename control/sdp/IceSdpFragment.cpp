#include "control/sdp/IceSdpFragment.hpp"

#include "control/sdp/SdpLineReader.hpp"

namespace switchyard::control::sdp {

namespace {

constexpr SdpLineLimits kLimits{kMaxSdpFragmentBytes, kMaxSdpFragmentLines, kMaxSdpLineLength};
constexpr size_t kMaxIceOptions = 16;
constexpr size_t kMinMediaLineFields = 4;  // <media> <port> <proto> <fmt>
constexpr std::string_view kCrlf = "\r\n";

void writeAttribute(std::string& out, std::string_view name, const std::optional<std::string>& v) {
  out += "a=";
  out += name;
  if (v) {
    out += ':';
    out += *v;
  }
  out += kCrlf;
}

}  // namespace

bool IceSdpFragmentMedia::operator==(const IceSdpFragmentMedia& o) const {
  return mediaLine == o.mediaLine && mid == o.mid && ufrag == o.ufrag && pwd == o.pwd &&
         candidates == o.candidates && endOfCandidates == o.endOfCandidates &&
         otherAttributes == o.otherAttributes;
}

bool IceSdpFragment::operator==(const IceSdpFragment& o) const {
  return ufrag == o.ufrag && pwd == o.pwd && iceOptions == o.iceOptions &&
         otherAttributes == o.otherAttributes && media == o.media;
}

SdpResult<IceSdpFragment> IceSdpFragment::parse(std::string_view text) {
  auto lines = readSdpLines(text, kLimits);
  if (!lines) return lines.error();
  if (lines->empty()) return sdpError(0, "empty trickle-ICE fragment");
  IceSdpFragment f;
  IceSdpFragmentMedia* media = nullptr;
  size_t candidates = 0;
  std::vector<bool> haveMid;
  for (const SdpLine& l : *lines) {
    if (l.type == 'm') {
      const auto fields = sdp_text::splitSpaces(l.value);
      if (fields.size() < kMinMediaLineFields) return sdpError(l.number, "bad m= line");
      if (f.media.size() >= kMaxSdpFragmentMedia) return sdpError(l.number, "too many m= lines");
      f.media.push_back(IceSdpFragmentMedia{});
      media = &f.media.back();
      media->mediaLine = std::string(l.value);
      haveMid.push_back(false);
      continue;
    }
    // RFC 8840 section 9: a fragment holds m= and a= lines only.
    if (l.type != 'a') {
      return sdpError(l.number, std::string(1, l.type) + "= line in a trickle-ICE fragment");
    }
    SdpAttribute a;
    if (!parseSdpAttribute(l.value, l.number, a)) return sdpError(l.number, "bad attribute name");
    const std::string v = a.value.value_or("");
    if (a.name == "ice-ufrag" || a.name == "ice-pwd") {
      const bool isUfrag = a.name == "ice-ufrag";
      if (isUfrag ? !isValidIceUfrag(v) : !isValidIcePwd(v)) {
        return sdpError(l.number, "bad a=" + a.name + " (RFC 8839 section 5.4)");
      }
      auto& slot =
          media != nullptr ? (isUfrag ? media->ufrag : media->pwd) : (isUfrag ? f.ufrag : f.pwd);
      if (slot) return sdpError(l.number, "second a=" + a.name);
      slot = v;
    } else if (a.name == "ice-options" && media == nullptr) {
      // RFC 8839 section 5.6: one or more ice-option-tags.
      const auto tags = sdp_text::splitSpaces(v);
      if (tags.empty() || !f.iceOptions.empty()) return sdpError(l.number, "bad a=ice-options");
      for (auto o : tags) {
        if (!sdp_text::isToken(o) || f.iceOptions.size() >= kMaxIceOptions) {
          return sdpError(l.number, "bad a=ice-options");
        }
        f.iceOptions.emplace_back(o);
      }
    } else if (a.name == "candidate") {
      if (media == nullptr) return sdpError(l.number, "a=candidate before any m= line");
      auto c = IceCandidate::parse(v);
      if (!c) return sdpError(l.number, c.error().message);
      if (++candidates > kMaxSdpFragmentCandidates) {
        return sdpError(l.number, "too many candidates");
      }
      media->candidates.push_back(std::move(*c));
    } else if (a.name == "end-of-candidates") {
      // RFC 8840 allows it at session level too (for all m-sections); kept there as "other".
      if (media != nullptr) {
        media->endOfCandidates = true;
      } else {
        f.otherAttributes.push_back(std::move(a));
      }
    } else if (a.name == "mid" && media != nullptr) {
      if (haveMid.back()) return sdpError(l.number, "second a=mid in one media section");
      if (v.empty() || v.size() > kMaxMidLength || !sdp_text::isToken(v)) {
        return sdpError(l.number, "bad a=mid");
      }
      if (f.findByMid(v) != nullptr) return sdpError(l.number, "duplicate mid '" + v + "'");
      media->mid = v;
      haveMid.back() = true;
    } else {
      auto& others = media != nullptr ? media->otherAttributes : f.otherAttributes;
      if (others.size() >= kMaxAttributesPerLevel) return sdpError(l.number, "too many attributes");
      others.push_back(std::move(a));
    }
  }
  // RFC 8840 section 9: each m= line of a fragment identifies its section with a=mid.
  for (size_t i = 0; i < f.media.size(); ++i) {
    if (!haveMid[i]) return sdpError(0, "m= line " + f.media[i].mediaLine + " without a=mid");
  }
  return f;
}

std::string IceSdpFragment::serialize() const {
  std::string out;
  if (!iceOptions.empty()) {
    std::string v;
    for (const auto& o : iceOptions)
      v += (v.empty() ? "" : " ") + o;
    writeAttribute(out, "ice-options", v);
  }
  if (ufrag) writeAttribute(out, "ice-ufrag", ufrag);
  if (pwd) writeAttribute(out, "ice-pwd", pwd);
  for (const auto& a : otherAttributes)
    writeAttribute(out, a.name, a.value);
  for (const auto& m : media) {
    out += "m=" + m.mediaLine;
    out += kCrlf;
    writeAttribute(out, "mid", m.mid);
    if (m.ufrag) writeAttribute(out, "ice-ufrag", m.ufrag);
    if (m.pwd) writeAttribute(out, "ice-pwd", m.pwd);
    for (const auto& c : m.candidates)
      writeAttribute(out, "candidate", c.toString());
    if (m.endOfCandidates) writeAttribute(out, "end-of-candidates", std::nullopt);
    for (const auto& a : m.otherAttributes)
      writeAttribute(out, a.name, a.value);
  }
  return out;
}

std::optional<std::string_view> IceSdpFragment::ufragFor(const IceSdpFragmentMedia& m) const {
  if (m.ufrag) return std::string_view(*m.ufrag);
  if (ufrag) return std::string_view(*ufrag);
  return std::nullopt;
}

std::optional<std::string_view> IceSdpFragment::pwdFor(const IceSdpFragmentMedia& m) const {
  if (m.pwd) return std::string_view(*m.pwd);
  if (pwd) return std::string_view(*pwd);
  return std::nullopt;
}

const IceSdpFragmentMedia* IceSdpFragment::findByMid(std::string_view mid) const {
  for (const auto& m : media) {
    if (m.mid == mid) return &m;
  }
  return nullptr;
}

}  // namespace switchyard::control::sdp

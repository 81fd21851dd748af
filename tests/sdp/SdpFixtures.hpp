#pragma once
// Reads the SDP fixtures under tests/fixtures/sdp/ (see its README.md for how each was made).

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchyard::test {

inline std::string readSdpFixture(const std::string& name) {
  const std::string path = std::string(SWITCHYARD_FIXTURES_DIR) + "/sdp/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every captured session description, offers and the one answer.
inline const std::vector<std::string>& allSdpFixtures() {
  static const std::vector<std::string> kNames{
      "chromium-whip-offer.sdp",        "chromium-simulcast-offer.sdp", "chromium-whep-offer.sdp",
      "chromium-datachannel-offer.sdp", "chromium-answer.sdp",          "aiortc-publish-offer.sdp",
      "aiortc-recvonly-offer.sdp",      "gst-vp8-opus-offer.sdp",       "gst-h264-opus-offer.sdp"};
  return kNames;
}

}  // namespace switchyard::test

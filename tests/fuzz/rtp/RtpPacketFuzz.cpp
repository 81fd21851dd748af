// libFuzzer target: arbitrary bytes as one RTP packet. Beyond parsing, every extension value
// goes through the typed parsers, and the packet is edited (extension set, removal of all,
// header rewrites) with the layout checked against a fresh parse after each step. parseInto
// into a reused packet must agree with parse.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "rtp/RtpHeaderExtensions.hpp"
#include "rtp/RtpPacket.hpp"
#include "tests/fuzz/FuzzCheck.hpp"

namespace {

using namespace switchyard::rtp;

constexpr size_t kSpareCapacity = 64;

using switchyard::fuzz::check;

// Everything a parse says about the packet, reread from a fresh parse of its bytes.
void checkConsistent(const RtpPacket& p) {
  auto again = RtpPacket::parse(p.bytes(), p.capacity());
  check(again.ok());
  check(again->headerSize() == p.headerSize());
  check(again->paddingSize() == p.paddingSize());
  check(again->extensionCount() == p.extensionCount());
  check(p.headerSize() + p.payload().size() + p.paddingSize() == p.size());
  for (size_t i = 0; i < p.extensionCount(); ++i) {
    const auto e = p.extensionAt(i);
    auto found = again->extension(e.id);
    check(found.has_value() && found->size() == e.value.size());
    check(e.value.empty() || std::memcmp(found->data(), e.value.data(), e.value.size()) == 0);
  }
}

void parseTyped(std::span<const uint8_t> v) {
  (void)AbsSendTime::parse(v);
  (void)TransportSequenceNumber::parse(v);
  (void)AudioLevel::parse(v);
  (void)VideoOrientation::parse(v);
  (void)PlayoutDelay::parse(v);
  (void)AbsCaptureTime::parse(v);
  (void)Mid::parse(v);
  (void)RtpStreamId::parse(v);
  FrameDependencyStructure structure;
  (void)DependencyDescriptor::parse(v, &structure);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> buffer(data, data + size);
  buffer.resize(size + kSpareCapacity);
  auto parsed = RtpPacket::parse(std::span(buffer).first(size), buffer.size());
  // parseInto into a packet holding an earlier packet's index must reach the same verdict
  // and the same view.
  static RtpPacket reused;
  auto error = RtpPacket::parseInto(std::span(buffer).first(size), buffer.size(), reused);
  check(parsed.ok() == !error.has_value());
  if (!parsed) {
    check(*error == parsed.error() && reused.size() == 0);
    return 0;
  }
  check(reused.headerSize() == parsed->headerSize() &&
        reused.extensionCount() == parsed->extensionCount());
  for (int id = 0; id < 256; ++id) {
    auto a = parsed->extension(static_cast<uint8_t>(id));
    auto b = reused.extension(static_cast<uint8_t>(id));
    check(a.has_value() == b.has_value() &&
          (!a || (a->data() == b->data() && a->size() == b->size())));
  }
  RtpPacket& p = *parsed;
  checkConsistent(p);
  for (size_t i = 0; i < p.extensionCount(); ++i)
    parseTyped(p.extensionAt(i).value);

  const std::vector<uint8_t> payload(p.payload().begin(), p.payload().end());
  const size_t padding = p.paddingSize();

  // Set one element, its id and length taken from the input, its value from the payload.
  const uint8_t id = size > 0 ? data[size - 1] : 1;
  const size_t length = size > 1 ? data[size - 2] % 24 : 0;
  std::vector<uint8_t> value(length);
  for (size_t i = 0; i < length; ++i)
    value[i] = static_cast<uint8_t>(i * 37 + id);
  const std::vector<uint8_t> before(buffer.begin(), buffer.end());
  if (p.setExtension(id, value)) {
    auto now = p.extension(id);
    check(now.has_value() && now->size() == length);
    check(length == 0 || std::memcmp(now->data(), value.data(), length) == 0);
  } else {
    check(std::memcmp(before.data(), buffer.data(), buffer.size()) == 0);
  }
  checkConsistent(p);
  check(p.payload().size() == payload.size());
  check(payload.empty() || std::memcmp(p.payload().data(), payload.data(), payload.size()) == 0);
  check(p.paddingSize() == padding);

  // Remove every element, first to last: the last removal drops the block. (A block that
  // came empty, or of a foreign profile, has nothing to remove and stays.)
  const bool hadElements = p.extensionCount() > 0;
  while (p.extensionCount() > 0) {
    check(p.removeExtension(p.extensionAt(0).id));
    checkConsistent(p);
  }
  if (hadElements) check(p.extensionForm() == RtpPacket::ExtensionForm::kNone);
  check(p.payload().size() == payload.size());
  check(payload.empty() || std::memcmp(p.payload().data(), payload.data(), payload.size()) == 0);

  p.setSequenceNumber(static_cast<uint16_t>(p.sequenceNumber() + 1));
  p.setTimestamp(p.timestamp() + 3000);
  p.setSsrc(~p.ssrc());
  p.setPayloadType(p.payloadType());
  checkConsistent(p);
  return 0;
}

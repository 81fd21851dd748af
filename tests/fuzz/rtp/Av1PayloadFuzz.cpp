// libFuzzer target: arbitrary bytes as an AV1 RTP payload. An accepted payload's elements must
// tile it exactly in order, and the sequence header flag must agree with the OBU headers.

#include <cstdlib>

#include "rtp/codecs/Av1Payload.hpp"
#include "rtp/codecs/Leb128.hpp"

using switchyard::rtp::Av1Payload;
using switchyard::rtp::Leb128;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  // The LEB128 reader alone: never reads past its input, sizes within bounds.
  if (auto v = Leb128::read(in)) {
    if (v->size == 0 || v->size > size || v->size > switchyard::rtp::kLeb128MaxBytes) std::abort();
  }

  auto a = Av1Payload::parse(in);
  if (!a) return 0;
  if (a->startsCodedVideoSequence() && a->startsWithContinuation()) std::abort();
  const uint8_t w = a->declaredElementCount();
  if (a->elementCount() == 0 || (w != 0 && a->elementCount() != w)) std::abort();
  size_t count = 0;
  const uint8_t* cursor = data + Av1Payload::kAggregationHeaderSize;
  bool sequenceHeader = false;
  for (const auto& e : a->elements()) {
    // Elements come in order, each after its size field (if any), inside the payload.
    if (e.bytes.data() < cursor || e.bytes.data() + e.bytes.size() > data + size) std::abort();
    cursor = e.bytes.data() + e.bytes.size();
    if (e.continuation != (count == 0 && a->startsWithContinuation())) std::abort();
    if (e.continued != (count + 1 == a->elementCount() && a->endsWithFragment())) std::abort();
    if (e.hasHeader != (!e.continuation && !e.bytes.empty())) std::abort();
    if (e.bytes.empty() && !e.continuation && !e.continued) std::abort();
    if (e.hasHeader) {
      if (e.header.type > 15 || (e.bytes[0] & 0x80)) std::abort();
      sequenceHeader |= e.header.type == Av1Payload::kObuSequenceHeader;
    }
    ++count;
  }
  if (count != a->elementCount() || cursor != data + size) std::abort();
  if (sequenceHeader != a->hasSequenceHeader()) std::abort();
  if (a->isKeyframe() != (a->startsCodedVideoSequence() && sequenceHeader)) std::abort();
  return 0;
}

#pragma once
// The AV1 RTP payload (AV1 RTP specification, aomediacodec.github.io/av1-rtp-spec, sections
// 4.4 and 4.5): an aggregation header, then OBU elements, each an OBU or a fragment of one.
// A view over the payload: parse() walks every element size (LEB128) and every OBU header it
// can see, and notes whether a sequence header OBU is present.
//
// Aggregation header (section 4.4):
//   0 1 2 3 4 5 6 7
//  +-+-+-+-+-+-+-+-+
//  |Z|Y| W |N|-|-|-|
//  +-+-+-+-+-+-+-+-+
// Z: the first element continues an OBU from the previous packet (it has no OBU header).
// Y: the last element is continued in the next packet.
// W: 0 = every element has a LEB128 size; 1-3 = that many elements, all but the last sized.
// N: first packet of a coded video sequence.
//
// OBU header (AV1 bitstream spec 5.3.2, 5.3.3):
//  |0| type  |X|S|-|   X: extension byte | TID |SID|-|-|-| follows; S: obu_size follows
//
// Keyframe detection through the dependency descriptor lives in rtp/DependencyDescriptor;
// here a packet counts as a keyframe start when N = 1 and it carries a sequence header OBU
// (a coded video sequence begins with one, AV1 spec 7.5). libwebrtc looks at N alone.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

class Av1Payload {
 public:
  static constexpr size_t kAggregationHeaderSize = 1;
  // AV1 spec 6.2.2 obu_type values.
  static constexpr uint8_t kObuSequenceHeader = 1;
  static constexpr uint8_t kObuTemporalDelimiter = 2;
  static constexpr uint8_t kObuFrameHeader = 3;
  static constexpr uint8_t kObuTileGroup = 4;
  static constexpr uint8_t kObuMetadata = 5;
  static constexpr uint8_t kObuFrame = 6;
  static constexpr uint8_t kObuRedundantFrameHeader = 7;
  static constexpr uint8_t kObuTileList = 8;
  static constexpr uint8_t kObuPadding = 15;

  struct ObuHeader {
    uint8_t type;
    bool hasExtension;  // X
    bool hasSize;       // S (the RTP spec asks senders to clear it)
    // From the extension byte; 0 without one, or when a fragment ends before it.
    uint8_t temporalId;
    uint8_t spatialId;
  };

  struct Element {
    std::span<const uint8_t> bytes;  // after the element's size field
    bool continuation;               // first element with Z = 1: no OBU header inside
    bool continued;                  // last element with Y = 1: the OBU goes on next packet
    bool hasHeader;                  // starts an OBU and has at least its first byte
    ObuHeader header;                // valid when hasHeader
  };

  // Iterates over the payload bytes alone (not the Av1Payload), so it stays valid as long as
  // the payload does.
  class ElementIterator {
   public:
    Element operator*() const;
    ElementIterator& operator++();
    bool operator==(const ElementIterator& o) const { return index_ == o.index_; }

   private:
    friend class Av1Payload;
    ElementIterator(std::span<const uint8_t> payload, size_t count, size_t pos, size_t index)
        : payload_(payload), count_(count), pos_(pos), index_(index) {}
    std::span<const uint8_t> payload_;
    size_t count_;  // elements in the payload
    size_t pos_;    // offset of the element (its size field, if any) in the payload
    size_t index_;  // element number
  };
  struct Elements {
    ElementIterator b, e;
    ElementIterator begin() const { return b; }
    ElementIterator end() const { return e; }
  };

  // Parses payload. kTooShort when it ends inside the aggregation header, an element size or
  // the declared elements, or holds no element; kBadLength when an element size runs past the
  // payload or an OBU's obu_size disagrees with its element; kMalformed for N = 1 with Z = 1
  // (section 4.4), an empty element that must hold an OBU header, a set forbidden bit, an OBU
  // header cut off inside a complete element, or an invalid LEB128 (see Leb128.hpp).
  static Parsed<Av1Payload> parse(std::span<const uint8_t> payload);

  bool startsWithContinuation() const { return (bytes_[0] & 0x80) != 0; }    // Z
  bool endsWithFragment() const { return (bytes_[0] & 0x40) != 0; }          // Y
  uint8_t declaredElementCount() const { return (bytes_[0] >> 4) & 0x03; }   // W
  bool startsCodedVideoSequence() const { return (bytes_[0] & 0x08) != 0; }  // N

  size_t elementCount() const { return elementCount_; }
  Elements elements() const {
    return {ElementIterator(bytes_, elementCount_, kAggregationHeaderSize, 0),
            ElementIterator(bytes_, elementCount_, bytes_.size(), elementCount_)};
  }
  // A sequence header OBU (type 1) starts in this packet.
  bool hasSequenceHeader() const { return hasSequenceHeader_; }
  // See the rule at the top of this file.
  bool isKeyframe() const { return startsCodedVideoSequence() && hasSequenceHeader_; }

 private:
  Av1Payload() = default;

  std::span<const uint8_t> bytes_;
  size_t elementCount_ = 0;
  bool hasSequenceHeader_ = false;
};

}  // namespace switchyard::rtp

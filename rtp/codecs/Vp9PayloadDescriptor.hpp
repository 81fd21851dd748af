#pragma once
// The VP9 payload descriptor (RFC 9628 section 4.2, formerly draft-ietf-payload-vp9) at the
// start of a VP9 RTP payload, including the scalability structure (SS, section 4.2.1). A view
// over the payload: parse() validates every field and count against the bytes present, records
// where PictureID and TL0PICIDX sit for in-place rewrites, and leaves the SS to be walked
// through ss() on demand (senders send it with keyframes).
//
//       0 1 2 3 4 5 6 7
//      +-+-+-+-+-+-+-+-+
//      |I|P|L|F|B|E|V|Z| (REQUIRED)
//      +-+-+-+-+-+-+-+-+
// I:   |M| PICTURE ID  | (RECOMMENDED)
//      +-+-+-+-+-+-+-+-+
// M:   | EXTENDED PID  | (RECOMMENDED)
//      +-+-+-+-+-+-+-+-+
// L:   | TID |U| SID |D| (CONDITIONALLY RECOMMENDED)
//      +-+-+-+-+-+-+-+-+
//      |   TL0PICIDX   | (non-flexible mode only, F = 0)
//      +-+-+-+-+-+-+-+-+
// P,F: | P_DIFF      |N| (flexible mode, P = 1; up to 3 times)
//      +-+-+-+-+-+-+-+-+
// V:   | SS            |
//      | ..            |
//      +-+-+-+-+-+-+-+-+

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/ByteIo.hpp"
#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

class Vp9PayloadDescriptor {
 public:
  // RFC 9628 4.2: at most 3 P_DIFFs follow in flexible mode (the N bit of the third must be 0).
  static constexpr size_t kMaxPDiffs = 3;
  // RFC 7741/9628 PictureID widths; rewrites wrap at these.
  static constexpr uint16_t kPictureId7Modulus = 128;
  static constexpr uint16_t kPictureId15Modulus = 32768;
  // SS: N_S is 3 bits (up to 8 spatial layers), R is 2 bits (up to 3 P_DIFFs per picture).
  static constexpr size_t kMaxSpatialLayers = 8;
  static constexpr size_t kMaxGroupPDiffs = 3;

  // One picture of the SS picture group (the "N_G" entries).
  struct GroupPicture {
    uint8_t temporalId;                           // TID
    bool switchingUp;                             // U
    uint8_t pDiffCount;                           // R
    std::array<uint8_t, kMaxGroupPDiffs> pDiffs;  // first pDiffCount are valid
  };

  // The scalability structure (RFC 9628 4.2.1), a view over bytes parse() validated.
  //      +-+-+-+-+-+-+-+-+
  // V:   | N_S |Y|G|-|-|-|
  //      +-+-+-+-+-+-+-+-+    Y: WIDTH, HEIGHT (16 bits each) N_S + 1 times
  //                           G: N_G, then N_G times | TID |U| R |-|-| and R P_DIFF bytes
  class ScalabilityStructure {
   public:
    class PictureIterator {
     public:
      GroupPicture operator*() const;
      PictureIterator& operator++();
      bool operator==(const PictureIterator& o) const { return p_ == o.p_; }

     private:
      friend class ScalabilityStructure;
      explicit PictureIterator(const uint8_t* p) : p_(p) {}
      const uint8_t* p_;
    };
    struct Pictures {
      PictureIterator b, e;
      PictureIterator begin() const { return b; }
      PictureIterator end() const { return e; }
    };

    ScalabilityStructure() = default;
    // N_S + 1 (0 for a default-constructed, empty view).
    uint8_t spatialLayerCount() const {
      return bytes_.empty() ? 0 : static_cast<uint8_t>((bytes_[0] >> 5) + 1);
    }
    bool hasResolutions() const { return !bytes_.empty() && (bytes_[0] & 0x10) != 0; }   // Y
    bool hasPictureGroup() const { return !bytes_.empty() && (bytes_[0] & 0x08) != 0; }  // G
    // Valid when hasResolutions() and i < spatialLayerCount().
    uint16_t width(size_t i) const { return readU16(bytes_.data() + 1 + 4 * i); }
    uint16_t height(size_t i) const { return readU16(bytes_.data() + 3 + 4 * i); }
    // N_G (0 without G).
    uint8_t pictureCount() const { return hasPictureGroup() ? bytes_[groupOffset()] : 0; }
    // The N_G pictures in order.
    Pictures pictures() const;
    // Bytes of the SS.
    size_t size() const { return bytes_.size(); }

   private:
    friend class Vp9PayloadDescriptor;
    explicit ScalabilityStructure(std::span<const uint8_t> bytes) : bytes_(bytes) {}
    size_t groupOffset() const { return 1 + (hasResolutions() ? 4 * spatialLayerCount() : 0); }
    std::span<const uint8_t> bytes_;
  };

  // Parses the descriptor at the start of payload. kTooShort when the bytes end inside it or
  // nothing follows it; kMalformed for a 4th P_DIFF, and for P_DIFFs without a PictureID
  // (F = 1, P = 1, I = 0: the references are relative to the PictureID, as libwebrtc also
  // rejects).
  static Parsed<Vp9PayloadDescriptor> parse(std::span<const uint8_t> payload);

  bool hasPictureId() const { return (b0_ & 0x80) != 0; }             // I
  bool interPicturePredicted() const { return (b0_ & 0x40) != 0; }    // P
  bool hasLayerIndices() const { return (b0_ & 0x20) != 0; }          // L
  bool flexibleMode() const { return (b0_ & 0x10) != 0; }             // F
  bool startOfFrame() const { return (b0_ & 0x08) != 0; }             // B
  bool endOfFrame() const { return (b0_ & 0x04) != 0; }               // E
  bool hasScalabilityStructure() const { return (b0_ & 0x02) != 0; }  // V
  bool notUpperLayerReference() const { return (b0_ & 0x01) != 0; }   // Z

  // Valid when hasPictureId(); pictureIdIs15Bit() is the M bit.
  uint16_t pictureId() const { return pictureId_; }
  bool pictureIdIs15Bit() const { return longPictureId_; }
  // Layer indices; all 0 when !hasLayerIndices() (a stream without them has one layer).
  uint8_t temporalId() const { return static_cast<uint8_t>(layer_ >> 5); }          // TID
  bool switchingUp() const { return (layer_ & 0x10) != 0; }                         // U
  uint8_t spatialId() const { return static_cast<uint8_t>((layer_ >> 1) & 0x07); }  // SID
  bool interLayerDependency() const { return (layer_ & 0x01) != 0; }                // D
  // TL0PICIDX: present with layer indices in non-flexible mode.
  bool hasTl0PicIdx() const { return tl0PicIdxOffset_ != 0; }
  uint8_t tl0PicIdx() const { return tl0PicIdx_; }
  // Flexible mode reference P_DIFFs (7 bits each); 0 when none.
  size_t pDiffCount() const { return pDiffCount_; }
  uint8_t pDiff(size_t i) const { return pDiffs_[i]; }
  // Valid when hasScalabilityStructure().
  ScalabilityStructure ss() const { return ss_; }

  // Bytes of descriptor; the VP9 payload starts here.
  size_t size() const { return size_; }
  // The first packet of a picture decodable without earlier pictures: P = 0 (no
  // inter-picture prediction), B = 1 (start of the frame), SID = 0 (the base spatial layer; SID
  // is 0 when L = 0) and D = 0. RFC 9628 4.2 requires D = 0 at SID 0 anyway, so this is
  // mediasoup's rule (!P && B && SID == 0) made safe against a nonconforming D; libwebrtc
  // tags every packet with P = 0 and D = 0 as key, whatever its B and SID.
  bool isKeyframe() const {
    return !interPicturePredicted() && startOfFrame() && spatialId() == 0 &&
           !interLayerDependency();
  }

  // In-place rewrites over the same bytes parse() accepted; see Vp8PayloadDescriptor.
  bool rewritePictureId(std::span<uint8_t> payload, uint16_t pictureId);
  bool rewriteTl0PicIdx(std::span<uint8_t> payload, uint8_t tl0PicIdx);

 private:
  Vp9PayloadDescriptor() = default;

  ScalabilityStructure ss_;
  uint16_t pictureId_ = 0;
  uint16_t size_ = 0;
  std::array<uint8_t, kMaxPDiffs> pDiffs_{};
  uint8_t pDiffCount_ = 0;
  uint8_t b0_ = 0;
  uint8_t layer_ = 0;
  uint8_t tl0PicIdx_ = 0;
  uint8_t pictureIdOffset_ = 0;  // 0 = absent
  uint8_t tl0PicIdxOffset_ = 0;
  bool longPictureId_ = false;
};

}  // namespace switchyard::rtp

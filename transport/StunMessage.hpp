#pragma once
// STUN messages (RFC 5389, with the RFC 8489 clarifications), the subset ICE connectivity checks
// use: a validated view over one datagram, and a writer that builds messages into a caller's
// buffer. Parsing indexes the attributes once; accessors then read from the caller's bytes.
// Nothing here allocates per message; a StunKey holds the HMAC state for one password, set up
// once, so that MESSAGE-INTEGRITY costs no allocation either.

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "rtp/Parsed.hpp"
#include "transport/SocketAddress.hpp"

namespace switchyard::transport {

using StunTransactionId = std::array<uint8_t, 12>;

// RFC 5389 section 6: the two class bits of the message type.
enum class StunClass : uint8_t { kRequest = 0, kIndication = 1, kSuccess = 2, kError = 3 };

// Which ICE role attribute a binding request carries (RFC 8445 section 7.1.3).
enum class IceRole : uint8_t { kControlling, kControlled };

// A short-term credential key (RFC 5389 section 15.4: key = the password; ICE passwords are
// ice-chars, which SASLprep / OpaqueString leave unchanged) with its HMAC-SHA1 state prepared
// once. Computing with it reuses that state: it is not safe to share between threads.
class StunKey {
 public:
  static constexpr size_t kHmacSize = 20;
  // nullopt when OpenSSL cannot set up HMAC-SHA1.
  static std::optional<StunKey> fromPassword(std::string_view password);

  // HMAC-SHA1 over the concatenation of `parts`.
  bool hmac(std::span<const std::span<const uint8_t>> parts,
            std::array<uint8_t, kHmacSize>& out) const;

 private:
  struct ContextDeleter {
    void operator()(EVP_MAC_CTX* ctx) const;
  };
  explicit StunKey(EVP_MAC_CTX* ctx) : ctx_(ctx) {}
  std::unique_ptr<EVP_MAC_CTX, ContextDeleter> ctx_;
};

// One attribute as it is on the wire (value without padding).
struct StunAttribute {
  uint16_t type = 0;
  std::span<const uint8_t> value;
};

// ERROR-CODE (RFC 5389 section 15.6): code = class * 100 + number.
struct StunErrorCode {
  uint16_t code = 0;
  std::string_view reason;
};

class StunMessage {
 public:
  static constexpr size_t kHeaderSize = 20;
  static constexpr uint32_t kMagicCookie = 0x2112A442;
  static constexpr size_t kAttributeHeaderSize = 4;
  static constexpr uint16_t kMethodBinding = 0x001;

  // Attribute types (RFC 5389 section 18.2, RFC 8445 section 16.1).
  static constexpr uint16_t kAttrMappedAddress = 0x0001;
  static constexpr uint16_t kAttrUsername = 0x0006;
  static constexpr uint16_t kAttrMessageIntegrity = 0x0008;
  static constexpr uint16_t kAttrErrorCode = 0x0009;
  static constexpr uint16_t kAttrUnknownAttributes = 0x000A;
  static constexpr uint16_t kAttrXorMappedAddress = 0x0020;
  static constexpr uint16_t kAttrPriority = 0x0024;
  static constexpr uint16_t kAttrUseCandidate = 0x0025;
  static constexpr uint16_t kAttrSoftware = 0x8022;
  static constexpr uint16_t kAttrFingerprint = 0x8028;
  static constexpr uint16_t kAttrIceControlled = 0x8029;
  static constexpr uint16_t kAttrIceControlling = 0x802A;
  // RFC 5389 section 15: types below this must be understood or the request is refused (420).
  static constexpr uint16_t kComprehensionOptionalFirst = 0x8000;
  // Distinct unknown comprehension-required types remembered for UNKNOWN-ATTRIBUTES.
  static constexpr size_t kMaxUnknownAttributes = 8;

  // All attributes in wire order, including any that follow MESSAGE-INTEGRITY (which the
  // accessors ignore, RFC 5389 section 15.4).
  class AttributeIterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = StunAttribute;
    using difference_type = std::ptrdiff_t;
    AttributeIterator() = default;
    AttributeIterator(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}
    StunAttribute operator*() const;
    AttributeIterator& operator++();
    bool operator==(const AttributeIterator& o) const { return p_ == o.p_; }

   private:
    const uint8_t* p_ = nullptr;
    const uint8_t* end_ = nullptr;
  };
  struct AttributeRange {
    AttributeIterator first, last;
    AttributeIterator begin() const { return first; }
    AttributeIterator end() const { return last; }
  };

  // A list of 16-bit values (UNKNOWN-ATTRIBUTES), read in network order on access.
  class Uint16List {
   public:
    explicit Uint16List(std::span<const uint8_t> bytes) : bytes_(bytes) {}
    size_t size() const { return bytes_.size() / 2; }
    uint16_t operator[](size_t i) const;

   private:
    std::span<const uint8_t> bytes_;
  };

  // Validates `bytes` as exactly one STUN message (RFC 5389 section 6): leading zero bits, magic
  // cookie, length a multiple of 4 and equal to the bytes after the header, every attribute
  // inside the message, FINGERPRINT (if any) last, and the attributes this class reads of the
  // length their definition fixes. The view refers into `bytes`.
  static rtp::Parsed<StunMessage> parse(std::span<const uint8_t> bytes);

  uint16_t messageType() const;
  StunClass messageClass() const;
  uint16_t method() const;
  StunTransactionId transactionId() const;
  std::span<const uint8_t> bytes() const { return bytes_; }
  AttributeRange attributes() const;

  // Known attributes: the first occurrence before MESSAGE-INTEGRITY (RFC 5389 section 15:
  // later duplicates need not be processed).
  std::optional<std::string_view> username() const;
  std::optional<std::string_view> software() const;
  std::optional<uint32_t> priority() const;
  bool useCandidate() const { return useCandidate_ != 0; }
  std::optional<uint64_t> iceControlling() const;
  std::optional<uint64_t> iceControlled() const;
  // XOR-MAPPED-ADDRESS decoded (RFC 5389 section 15.2), IPv4 or IPv6.
  std::optional<SocketAddress> xorMappedAddress() const;
  std::optional<StunErrorCode> errorCode() const;
  std::optional<Uint16List> unknownAttributes() const;

  // Comprehension-required types (below 0x8000) this class does not understand, in wire order,
  // without repeats, at most kMaxUnknownAttributes: what a 420 response lists.
  std::span<const uint16_t> unknownComprehensionRequired() const {
    return {unknown_.data(), unknownCount_};
  }

  bool hasMessageIntegrity() const { return integrity_ != 0; }
  // RFC 5389 section 15.4: HMAC-SHA1 over the message up to the attribute, with the header's
  // length counting up to and including MESSAGE-INTEGRITY. False when absent.
  bool verifyMessageIntegrity(const StunKey& key) const;
  bool hasFingerprint() const { return fingerprint_ != 0; }
  // RFC 5389 section 15.5: CRC-32 of the message up to the attribute, XOR 0x5354554e.
  bool verifyFingerprint() const;

 private:
  StunMessage() = default;
  std::span<const uint8_t> valueAt(uint32_t offset) const;

  std::span<const uint8_t> bytes_;
  // Offsets of attribute headers from the message start; 0 = absent (the header is there).
  uint32_t username_ = 0;
  uint32_t software_ = 0;
  uint32_t priority_ = 0;
  uint32_t useCandidate_ = 0;
  uint32_t iceControlling_ = 0;
  uint32_t iceControlled_ = 0;
  uint32_t xorMappedAddress_ = 0;
  uint32_t errorCode_ = 0;
  uint32_t unknownAttributes_ = 0;
  uint32_t integrity_ = 0;
  uint32_t fingerprint_ = 0;
  std::array<uint16_t, kMaxUnknownAttributes> unknown_{};
  uint8_t unknownCount_ = 0;
};

// Writes one STUN message into a caller buffer, attribute by attribute, keeping the header's
// length current. Padding bytes take `paddingByte` (RFC 5389 section 15: any value; RFC 5769's
// vectors use 0x20). Any write that does not fit, or that would break the attribute order
// (nothing after FINGERPRINT, only FINGERPRINT after MESSAGE-INTEGRITY), fails and leaves the
// writer failed: size() is then 0.
class StunMessageWriter {
 public:
  StunMessageWriter(std::span<uint8_t> buffer, StunClass messageClass, uint16_t method,
                    const StunTransactionId& transactionId, uint8_t paddingByte = 0);

  bool addAttribute(uint16_t type, std::span<const uint8_t> value);
  bool addString(uint16_t type, std::string_view value);
  bool addUint32(uint16_t type, uint32_t value);
  bool addUint64(uint16_t type, uint64_t value);
  bool addFlag(uint16_t type) { return addAttribute(type, {}); }
  // RFC 5389 section 15.2. Fails for an empty address.
  bool addXorMappedAddress(const SocketAddress& address);
  // RFC 5389 section 15.6: code 300..699.
  bool addErrorCode(uint16_t code, std::string_view reason);
  bool addUnknownAttributes(std::span<const uint16_t> types);
  bool addMessageIntegrity(const StunKey& key);
  bool addFingerprint();

  bool ok() const { return ok_; }
  // Bytes written so far (the whole message), or 0 after a failure.
  size_t size() const { return ok_ ? size_ : 0; }

 private:
  uint8_t* reserve(uint16_t type, size_t length);  // writes the attribute header and padding
  void setLength(size_t bodyLength);

  std::span<uint8_t> buffer_;
  size_t size_ = 0;
  uint8_t paddingByte_;
  bool ok_ = true;
  bool hasIntegrity_ = false;
  bool hasFingerprint_ = false;
};

// Reason phrases of RFC 5389 section 15.6 / RFC 8445 section 16.2 for the codes used here.
const char* stunReasonPhrase(uint16_t code);

// A connectivity check as an ICE agent sends it (RFC 8445 section 7.1.3): attributes in the
// order SOFTWARE (if set), PRIORITY, ICE-CONTROLLING or ICE-CONTROLLED, USE-CANDIDATE (if set),
// USERNAME, MESSAGE-INTEGRITY, FINGERPRINT.
struct StunBindingRequestParams {
  StunTransactionId transactionId{};
  std::string_view username;  // "<receiver's ufrag>:<sender's ufrag>" (RFC 8445 section 7.2.2)
  uint32_t priority = 0;
  IceRole role = IceRole::kControlling;
  uint64_t tieBreaker = 0;
  bool useCandidate = false;
  std::string_view software;
  uint8_t paddingByte = 0;
};
// `key` is the receiver's password. Returns the bytes written, 0 when it does not fit.
size_t buildStunBindingRequest(std::span<uint8_t> out, const StunBindingRequestParams& params,
                               const StunKey& key);

// A Binding success response: SOFTWARE (if set), XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY with
// `key`, FINGERPRINT. Returns the bytes written, 0 when it does not fit.
size_t buildStunBindingSuccess(std::span<uint8_t> out, const StunTransactionId& transactionId,
                               const SocketAddress& mapped, const StunKey& key,
                               std::string_view software = {}, uint8_t paddingByte = 0);

// A Binding error response: ERROR-CODE with the reason phrase, UNKNOWN-ATTRIBUTES for 420
// (required non-empty then), MESSAGE-INTEGRITY when `key` is set, FINGERPRINT. RFC 5389 section
// 10.1.2: a response to a request that failed authentication carries no MESSAGE-INTEGRITY, so
// `key` must be null for 401 (returns 0 otherwise) and for a 400 about missing credentials.
// Returns the bytes written, 0 when it does not fit or is not allowed.
size_t buildStunBindingError(std::span<uint8_t> out, const StunTransactionId& transactionId,
                             uint16_t code, const StunKey* key,
                             std::span<const uint16_t> unknownAttributes = {});

}  // namespace switchyard::transport

#include "transport/StunMessage.hpp"

#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <zlib.h>

#include <cstring>

#include "rtp/ByteIo.hpp"

namespace switchyard::transport {

namespace {

using rtp::ParseError;
using rtp::readU16;
using rtp::readU32;
using rtp::readU64;
using rtp::writeU16;
using rtp::writeU32;
using rtp::writeU64;

constexpr size_t kWordSize = 4;
constexpr uint8_t kLeadingBitsMask = 0xC0;  // RFC 5389 section 6: the top two bits are zero
constexpr size_t kMaxMessageBodyLength = 0xFFFF;
constexpr size_t kIntegrityAttributeSize = StunMessage::kAttributeHeaderSize + StunKey::kHmacSize;
constexpr size_t kFingerprintValueSize = 4;
constexpr size_t kFingerprintAttributeSize =
    StunMessage::kAttributeHeaderSize + kFingerprintValueSize;
constexpr uint32_t kFingerprintXor = 0x5354554E;  // RFC 5389 section 15.5
constexpr size_t kTieBreakerSize = 8;             // RFC 8445 section 16.1
constexpr size_t kPrioritySize = 4;
// RFC 5389 section 15.3: USERNAME is fewer than 513 bytes.
constexpr size_t kMaxUsernameLength = 512;
// RFC 5389 section 15.2: reserved byte, family, port, then 4 or 16 address bytes.
constexpr uint8_t kFamilyIpv4 = 0x01;
constexpr uint8_t kFamilyIpv6 = 0x02;
constexpr size_t kAddressPrefixSize = 4;
constexpr size_t kIpv4Size = 4;
constexpr size_t kIpv6Size = 16;
// RFC 5389 section 15.6: reserved 21 bits, class (3..6) in 3 bits, number (0..99) in 8 bits.
constexpr size_t kErrorCodePrefixSize = 4;
constexpr uint8_t kErrorClassMask = 0x07;
constexpr uint16_t kErrorCodeMin = 300;
constexpr uint16_t kErrorCodeMax = 699;
constexpr uint16_t kErrorNumberLimit = 100;
constexpr uint16_t kCodeUnauthorized = 401;
constexpr uint16_t kCodeUnknownAttribute = 420;

size_t roundUpToWord(size_t n) {
  return (n + kWordSize - 1) / kWordSize * kWordSize;
}

// RFC 5389 section 6: M11..M0 and C1 C0 interleaved as M11-M7 C1 M6-M4 C0 M3-M0.
uint16_t encodeMessageType(StunClass messageClass, uint16_t method) {
  const auto c = static_cast<uint16_t>(messageClass);
  return static_cast<uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                               ((method & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7));
}

// The 16 bytes an address is XORed with: the magic cookie, then the transaction id.
std::array<uint8_t, kIpv6Size> xorPad(std::span<const uint8_t> header) {
  std::array<uint8_t, kIpv6Size> pad{};
  std::memcpy(pad.data(), header.data() + 4, kIpv6Size);
  return pad;
}

EVP_MAC* hmacAlgorithm() {
  // Fetched once per process and never freed: a once-only library init.
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

}  // namespace

// --- StunKey ---------------------------------------------------------------------------------

void StunKey::ContextDeleter::operator()(EVP_MAC_CTX* ctx) const {
  EVP_MAC_CTX_free(ctx);
}

std::optional<StunKey> StunKey::fromPassword(std::string_view password) {
  EVP_MAC* mac = hmacAlgorithm();
  if (mac == nullptr) return std::nullopt;
  StunKey key(EVP_MAC_CTX_new(mac));
  if (!key.ctx_) return std::nullopt;
  char digest[] = "SHA1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  // A null key pointer would mean "no key": an empty password still needs a real pointer.
  static constexpr unsigned char kEmpty = 0;
  const auto* bytes =
      password.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(password.data());
  if (EVP_MAC_init(key.ctx_.get(), bytes, password.size(), params) != 1) return std::nullopt;
  return key;
}

bool StunKey::hmac(std::span<const std::span<const uint8_t>> parts,
                   std::array<uint8_t, kHmacSize>& out) const {
  EVP_MAC_CTX* ctx = ctx_.get();
  // A null key restarts HMAC with the key set up in fromPassword(), without reallocating.
  if (ctx == nullptr || EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1) return false;
  for (const auto& part : parts) {
    if (!part.empty() && EVP_MAC_update(ctx, part.data(), part.size()) != 1) return false;
  }
  size_t written = 0;
  return EVP_MAC_final(ctx, out.data(), &written, out.size()) == 1 && written == kHmacSize;
}

// --- StunMessage -----------------------------------------------------------------------------

StunAttribute StunMessage::AttributeIterator::operator*() const {
  return {readU16(p_), {p_ + kAttributeHeaderSize, readU16(p_ + 2)}};
}

StunMessage::AttributeIterator& StunMessage::AttributeIterator::operator++() {
  const size_t step = kAttributeHeaderSize + roundUpToWord(readU16(p_ + 2));
  p_ = static_cast<size_t>(end_ - p_) > step ? p_ + step : end_;
  return *this;
}

uint16_t StunMessage::Uint16List::operator[](size_t i) const {
  return readU16(bytes_.data() + 2 * i);
}

rtp::Parsed<StunMessage> StunMessage::parse(std::span<const uint8_t> bytes) {
  const size_t size = bytes.size();
  if (size < kHeaderSize) return ParseError::kTooShort;
  const uint8_t* p = bytes.data();
  if ((p[0] & kLeadingBitsMask) != 0) return ParseError::kMalformed;
  // Without the cookie it is RFC 3489 STUN (or not STUN at all): not handled here.
  if (readU32(p + 4) != kMagicCookie) return ParseError::kUnsupported;
  const size_t length = readU16(p + 2);
  if (length % kWordSize != 0 || kHeaderSize + length != size) return ParseError::kBadLength;

  StunMessage m;
  m.bytes_ = bytes;
  bool afterIntegrity = false;
  size_t offset = kHeaderSize;
  while (offset < size) {
    if (size - offset < kAttributeHeaderSize) return ParseError::kBadLength;
    const uint16_t type = readU16(p + offset);
    const size_t valueLength = readU16(p + offset + 2);
    if (roundUpToWord(valueLength) > size - offset - kAttributeHeaderSize) {
      return ParseError::kBadLength;
    }
    // RFC 5389 section 15.5: FINGERPRINT is the last attribute.
    if (m.fingerprint_ != 0) return ParseError::kMalformed;
    const auto at = static_cast<uint32_t>(offset);
    const uint8_t* value = p + offset + kAttributeHeaderSize;
    if (type == kAttrFingerprint) {
      if (valueLength != kFingerprintValueSize) return ParseError::kMalformed;
      m.fingerprint_ = at;
    } else if (!afterIntegrity) {
      // RFC 5389 section 15.4: everything after MESSAGE-INTEGRITY but FINGERPRINT is ignored.
      // Known attributes keep their first occurrence (section 15) and must have their length.
      switch (type) {
        case kAttrUsername:
          if (valueLength > kMaxUsernameLength) return ParseError::kMalformed;
          if (m.username_ == 0) m.username_ = at;
          break;
        case kAttrSoftware:
          if (m.software_ == 0) m.software_ = at;
          break;
        case kAttrMessageIntegrity:
          if (valueLength != StunKey::kHmacSize) return ParseError::kMalformed;
          m.integrity_ = at;
          afterIntegrity = true;
          break;
        case kAttrErrorCode: {
          if (valueLength < kErrorCodePrefixSize) return ParseError::kMalformed;
          const int errorClass = value[2] & kErrorClassMask;
          if (errorClass < kErrorCodeMin / 100 || errorClass > kErrorCodeMax / 100 ||
              value[3] >= kErrorNumberLimit) {
            return ParseError::kMalformed;
          }
          if (m.errorCode_ == 0) m.errorCode_ = at;
          break;
        }
        case kAttrUnknownAttributes:
          if (valueLength % 2 != 0) return ParseError::kMalformed;
          if (m.unknownAttributes_ == 0) m.unknownAttributes_ = at;
          break;
        case kAttrXorMappedAddress: {
          const bool v4 = valueLength == kAddressPrefixSize + kIpv4Size && value[1] == kFamilyIpv4;
          const bool v6 = valueLength == kAddressPrefixSize + kIpv6Size && value[1] == kFamilyIpv6;
          if (!v4 && !v6) return ParseError::kMalformed;
          if (m.xorMappedAddress_ == 0) m.xorMappedAddress_ = at;
          break;
        }
        case kAttrPriority:
          if (valueLength != kPrioritySize) return ParseError::kMalformed;
          if (m.priority_ == 0) m.priority_ = at;
          break;
        case kAttrUseCandidate:
          if (valueLength != 0) return ParseError::kMalformed;
          if (m.useCandidate_ == 0) m.useCandidate_ = at;
          break;
        case kAttrIceControlled:
          if (valueLength != kTieBreakerSize) return ParseError::kMalformed;
          if (m.iceControlled_ == 0) m.iceControlled_ = at;
          break;
        case kAttrIceControlling:
          if (valueLength != kTieBreakerSize) return ParseError::kMalformed;
          if (m.iceControlling_ == 0) m.iceControlling_ = at;
          break;
        case kAttrMappedAddress:
          break;  // understood (RFC 3489 compatibility), not read
        default:
          if (type < kComprehensionOptionalFirst) {
            bool seen = false;
            for (size_t i = 0; i < m.unknownCount_; ++i)
              seen |= m.unknown_[i] == type;
            if (!seen && m.unknownCount_ < kMaxUnknownAttributes) {
              m.unknown_[m.unknownCount_++] = type;
            }
          }
          break;
      }
    }
    offset += kAttributeHeaderSize + roundUpToWord(valueLength);
  }
  return m;
}

uint16_t StunMessage::messageType() const {
  return readU16(bytes_.data());
}

StunClass StunMessage::messageClass() const {
  const uint16_t t = messageType();
  return static_cast<StunClass>(((t >> 4) & 1) | ((t >> 7) & 2));
}

uint16_t StunMessage::method() const {
  const uint16_t t = messageType();
  return static_cast<uint16_t>((t & 0x000F) | ((t >> 1) & 0x0070) | ((t >> 2) & 0x0F80));
}

StunTransactionId StunMessage::transactionId() const {
  StunTransactionId id;
  std::memcpy(id.data(), bytes_.data() + 8, id.size());
  return id;
}

StunMessage::AttributeRange StunMessage::attributes() const {
  const uint8_t* end = bytes_.data() + bytes_.size();
  return {AttributeIterator(bytes_.data() + kHeaderSize, end), AttributeIterator(end, end)};
}

std::span<const uint8_t> StunMessage::valueAt(uint32_t offset) const {
  return bytes_.subspan(offset + kAttributeHeaderSize, readU16(bytes_.data() + offset + 2));
}

std::optional<std::string_view> StunMessage::username() const {
  if (username_ == 0) return std::nullopt;
  const auto v = valueAt(username_);
  return std::string_view(reinterpret_cast<const char*>(v.data()), v.size());
}

std::optional<std::string_view> StunMessage::software() const {
  if (software_ == 0) return std::nullopt;
  const auto v = valueAt(software_);
  return std::string_view(reinterpret_cast<const char*>(v.data()), v.size());
}

std::optional<uint32_t> StunMessage::priority() const {
  if (priority_ == 0) return std::nullopt;
  return readU32(valueAt(priority_).data());
}

std::optional<uint64_t> StunMessage::iceControlling() const {
  if (iceControlling_ == 0) return std::nullopt;
  return readU64(valueAt(iceControlling_).data());
}

std::optional<uint64_t> StunMessage::iceControlled() const {
  if (iceControlled_ == 0) return std::nullopt;
  return readU64(valueAt(iceControlled_).data());
}

std::optional<SocketAddress> StunMessage::xorMappedAddress() const {
  if (xorMappedAddress_ == 0) return std::nullopt;
  const auto v = valueAt(xorMappedAddress_);
  const auto pad = xorPad(bytes_);
  const auto port = static_cast<uint16_t>(readU16(v.data() + 2) ^ (kMagicCookie >> 16));
  const uint8_t* address = v.data() + kAddressPrefixSize;
  if (v[1] == kFamilyIpv4) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    auto* out = reinterpret_cast<uint8_t*>(&sa.sin_addr);
    for (size_t i = 0; i < kIpv4Size; ++i)
      out[i] = address[i] ^ pad[i];
    return SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  }
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  auto* out = reinterpret_cast<uint8_t*>(&sa.sin6_addr);
  for (size_t i = 0; i < kIpv6Size; ++i)
    out[i] = address[i] ^ pad[i];
  return SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
}

std::optional<StunErrorCode> StunMessage::errorCode() const {
  if (errorCode_ == 0) return std::nullopt;
  const auto v = valueAt(errorCode_);
  const auto code = static_cast<uint16_t>((v[2] & kErrorClassMask) * 100 + v[3]);
  const auto reason = v.subspan(kErrorCodePrefixSize);
  return StunErrorCode{code, {reinterpret_cast<const char*>(reason.data()), reason.size()}};
}

std::optional<StunMessage::Uint16List> StunMessage::unknownAttributes() const {
  if (unknownAttributes_ == 0) return std::nullopt;
  return Uint16List(valueAt(unknownAttributes_));
}

bool StunMessage::verifyMessageIntegrity(const StunKey& key) const {
  if (integrity_ == 0) return false;
  // The length as if MESSAGE-INTEGRITY ended the message.
  uint8_t length[2];
  writeU16(length, static_cast<uint16_t>(integrity_ + kIntegrityAttributeSize - kHeaderSize));
  const std::span<const uint8_t> parts[] = {bytes_.first(2), length,
                                            bytes_.subspan(4, integrity_ - 4)};
  std::array<uint8_t, StunKey::kHmacSize> mac;
  if (!key.hmac(parts, mac)) return false;
  return CRYPTO_memcmp(mac.data(), valueAt(integrity_).data(), mac.size()) == 0;
}

bool StunMessage::verifyFingerprint() const {
  if (fingerprint_ == 0) return false;
  uint8_t length[2];
  writeU16(length, static_cast<uint16_t>(fingerprint_ + kFingerprintAttributeSize - kHeaderSize));
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, bytes_.data(), 2);
  crc = crc32(crc, length, 2);
  crc = crc32(crc, bytes_.data() + 4, static_cast<uInt>(fingerprint_ - 4));
  return (static_cast<uint32_t>(crc) ^ kFingerprintXor) == readU32(valueAt(fingerprint_).data());
}

// --- StunMessageWriter -----------------------------------------------------------------------

StunMessageWriter::StunMessageWriter(std::span<uint8_t> buffer, StunClass messageClass,
                                     uint16_t method, const StunTransactionId& transactionId,
                                     uint8_t paddingByte)
    : buffer_(buffer), paddingByte_(paddingByte) {
  if (buffer.size() < StunMessage::kHeaderSize) {
    ok_ = false;
    return;
  }
  uint8_t* p = buffer.data();
  writeU16(p, encodeMessageType(messageClass, method));
  writeU16(p + 2, 0);
  writeU32(p + 4, StunMessage::kMagicCookie);
  std::memcpy(p + 8, transactionId.data(), transactionId.size());
  size_ = StunMessage::kHeaderSize;
}

void StunMessageWriter::setLength(size_t bodyLength) {
  writeU16(buffer_.data() + 2, static_cast<uint16_t>(bodyLength));
}

uint8_t* StunMessageWriter::reserve(uint16_t type, size_t length) {
  if (!ok_) return nullptr;
  const size_t total = StunMessage::kAttributeHeaderSize + roundUpToWord(length);
  const bool orderOk =
      !hasFingerprint_ && (!hasIntegrity_ || type == StunMessage::kAttrFingerprint);
  if (!orderOk || length > kMaxMessageBodyLength || total > buffer_.size() - size_ ||
      size_ + total - StunMessage::kHeaderSize > kMaxMessageBodyLength) {
    ok_ = false;
    return nullptr;
  }
  uint8_t* p = buffer_.data() + size_;
  writeU16(p, type);
  writeU16(p + 2, static_cast<uint16_t>(length));
  std::memset(p + StunMessage::kAttributeHeaderSize + length, paddingByte_,
              total - StunMessage::kAttributeHeaderSize - length);
  size_ += total;
  setLength(size_ - StunMessage::kHeaderSize);
  return p + StunMessage::kAttributeHeaderSize;
}

bool StunMessageWriter::addAttribute(uint16_t type, std::span<const uint8_t> value) {
  uint8_t* v = reserve(type, value.size());
  if (v == nullptr) return false;
  if (!value.empty()) std::memcpy(v, value.data(), value.size());
  return true;
}

bool StunMessageWriter::addString(uint16_t type, std::string_view value) {
  return addAttribute(type, {reinterpret_cast<const uint8_t*>(value.data()), value.size()});
}

bool StunMessageWriter::addUint32(uint16_t type, uint32_t value) {
  uint8_t* v = reserve(type, 4);
  if (v == nullptr) return false;
  writeU32(v, value);
  return true;
}

bool StunMessageWriter::addUint64(uint16_t type, uint64_t value) {
  uint8_t* v = reserve(type, 8);
  if (v == nullptr) return false;
  writeU64(v, value);
  return true;
}

bool StunMessageWriter::addXorMappedAddress(const SocketAddress& address) {
  const std::string_view ip = address.ipBytes();
  if (ip.empty()) {
    ok_ = false;
    return false;
  }
  uint8_t* v = reserve(StunMessage::kAttrXorMappedAddress, kAddressPrefixSize + ip.size());
  if (v == nullptr) return false;
  const auto pad = xorPad(buffer_);
  v[0] = 0;
  v[1] = address.isV4() ? kFamilyIpv4 : kFamilyIpv6;
  writeU16(v + 2, static_cast<uint16_t>(address.port() ^ (StunMessage::kMagicCookie >> 16)));
  for (size_t i = 0; i < ip.size(); ++i)
    v[kAddressPrefixSize + i] = static_cast<uint8_t>(static_cast<uint8_t>(ip[i]) ^ pad[i]);
  return true;
}

bool StunMessageWriter::addErrorCode(uint16_t code, std::string_view reason) {
  if (code < kErrorCodeMin || code > kErrorCodeMax) {
    ok_ = false;
    return false;
  }
  uint8_t* v = reserve(StunMessage::kAttrErrorCode, kErrorCodePrefixSize + reason.size());
  if (v == nullptr) return false;
  v[0] = 0;
  v[1] = 0;
  v[2] = static_cast<uint8_t>(code / 100);
  v[3] = static_cast<uint8_t>(code % 100);
  if (!reason.empty()) std::memcpy(v + kErrorCodePrefixSize, reason.data(), reason.size());
  return true;
}

bool StunMessageWriter::addUnknownAttributes(std::span<const uint16_t> types) {
  uint8_t* v = reserve(StunMessage::kAttrUnknownAttributes, 2 * types.size());
  if (v == nullptr) return false;
  for (size_t i = 0; i < types.size(); ++i)
    writeU16(v + 2 * i, types[i]);
  return true;
}

bool StunMessageWriter::addMessageIntegrity(const StunKey& key) {
  const size_t at = size_;
  // reserve() has already set the header length to count this attribute, as section 15.4 wants.
  uint8_t* v = reserve(StunMessage::kAttrMessageIntegrity, StunKey::kHmacSize);
  if (v == nullptr) return false;
  const std::span<const uint8_t> parts[] = {buffer_.first(at)};
  std::array<uint8_t, StunKey::kHmacSize> mac;
  if (!key.hmac(parts, mac)) {
    ok_ = false;
    return false;
  }
  std::memcpy(v, mac.data(), mac.size());
  hasIntegrity_ = true;
  return true;
}

bool StunMessageWriter::addFingerprint() {
  const size_t at = size_;
  uint8_t* v = reserve(StunMessage::kAttrFingerprint, kFingerprintValueSize);
  if (v == nullptr) return false;
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, buffer_.data(), static_cast<uInt>(at));
  writeU32(v, static_cast<uint32_t>(crc) ^ kFingerprintXor);
  hasFingerprint_ = true;
  return true;
}

// --- Builders --------------------------------------------------------------------------------

const char* stunReasonPhrase(uint16_t code) {
  switch (code) {
    case 300:
      return "Try Alternate";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 420:
      return "Unknown Attribute";
    case 438:
      return "Stale Nonce";
    case 487:
      return "Role Conflict";
    case 500:
      return "Server Error";
    default:
      return "";
  }
}

size_t buildStunBindingRequest(std::span<uint8_t> out, const StunBindingRequestParams& params,
                               const StunKey& key) {
  StunMessageWriter w(out, StunClass::kRequest, StunMessage::kMethodBinding, params.transactionId,
                      params.paddingByte);
  if (!params.software.empty()) w.addString(StunMessage::kAttrSoftware, params.software);
  w.addUint32(StunMessage::kAttrPriority, params.priority);
  w.addUint64(params.role == IceRole::kControlling ? StunMessage::kAttrIceControlling
                                                   : StunMessage::kAttrIceControlled,
              params.tieBreaker);
  if (params.useCandidate) w.addFlag(StunMessage::kAttrUseCandidate);
  w.addString(StunMessage::kAttrUsername, params.username);
  w.addMessageIntegrity(key);
  w.addFingerprint();
  return w.size();
}

size_t buildStunBindingSuccess(std::span<uint8_t> out, const StunTransactionId& transactionId,
                               const SocketAddress& mapped, const StunKey& key,
                               std::string_view software, uint8_t paddingByte) {
  StunMessageWriter w(out, StunClass::kSuccess, StunMessage::kMethodBinding, transactionId,
                      paddingByte);
  if (!software.empty()) w.addString(StunMessage::kAttrSoftware, software);
  w.addXorMappedAddress(mapped);
  w.addMessageIntegrity(key);
  w.addFingerprint();
  return w.size();
}

size_t buildStunBindingError(std::span<uint8_t> out, const StunTransactionId& transactionId,
                             uint16_t code, const StunKey* key,
                             std::span<const uint16_t> unknownAttributes) {
  if (code == kCodeUnauthorized && key != nullptr) return 0;
  if ((code == kCodeUnknownAttribute) == unknownAttributes.empty()) return 0;
  StunMessageWriter w(out, StunClass::kError, StunMessage::kMethodBinding, transactionId);
  w.addErrorCode(code, stunReasonPhrase(code));
  if (!unknownAttributes.empty()) w.addUnknownAttributes(unknownAttributes);
  if (key != nullptr) w.addMessageIntegrity(*key);
  w.addFingerprint();
  return w.size();
}

}  // namespace switchyard::transport

#pragma once
// Verifies one frame as a control-channel Message before anything reads it.

#include <cstdint>
#include <span>

#include "control/channel/Framing.hpp"
#include "switchyard/fbs/message_generated.h"

namespace switchyard::control {

// Bounds for the flatbuffers Verifier: deep or huge object graphs are rejected as corrupt
// rather than walked. Real messages nest a handful of levels and hold a few thousand tables.
constexpr unsigned kVerifierMaxDepth = 32;
constexpr unsigned kVerifierMaxTables = 100000;

// Takes a whole frame, length prefix included (as FrameDecoder delivers it), and returns the
// message, or nullptr when the bytes are not a valid Message. The prefix must match the size.
inline const fbs::message::Message* verifyMessage(std::span<const uint8_t> frame) {
  if (frame.size() <= kLengthPrefixSize) return nullptr;
  if (readLengthPrefix(frame.data()) != frame.size() - kLengthPrefixSize) return nullptr;
  flatbuffers::Verifier verifier(frame.data(), frame.size(), kVerifierMaxDepth, kVerifierMaxTables);
  if (!fbs::message::VerifySizePrefixedMessageBuffer(verifier)) return nullptr;
  return fbs::message::GetSizePrefixedMessage(frame.data());
}

}  // namespace switchyard::control

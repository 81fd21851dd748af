#pragma once
// Conversions between the schema's tables and the orchestrator's plain values.

#include <random>
#include <string>
#include <vector>

#include "control/channel/MessageBuilder.hpp"
#include "control/orchestrator/Types.hpp"

namespace switchyard::control {

WorkerDump readWorkerDump(const fbs::worker::DumpResponse& body);
ResourceUsage readResourceUsage(const fbs::worker::ResourceUsageResponse& body);
RouterDump readRouterDump(const fbs::router::DumpResponse& body);

std::vector<flatbuffers::Offset<fbs::common::RtpCodecCapability>> writeCodecCapabilities(
    flatbuffers::FlatBufferBuilder& b, const std::vector<CodecCapability>& codecs);

// A random 128-bit id in hex, for routers and the objects later issues add.
std::string newObjectId(std::mt19937_64& rng);

}  // namespace switchyard::control

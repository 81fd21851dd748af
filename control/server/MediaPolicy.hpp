#pragma once
// What the server negotiates, in one place: the codecs a router carries, the capabilities a
// WHIP publisher is offered (what the worker can receive and give feedback on), and those a
// WHEP viewer is offered (exactly what the stream's publisher sends). Also the conversion from
// a negotiated SDP section to the worker's RTP parameters.

#include <string>
#include <vector>

#include "control/orchestrator/Types.hpp"
#include "control/sdp/MediaCapabilities.hpp"
#include "control/sdp/SdpNegotiation.hpp"
#include "control/server/IngestRequest.hpp"

namespace switchyard::control {

// The codecs of every router the server creates (router media codecs, in preference order).
std::vector<CodecCapability> routerMediaCodecs();

// For publishers: everything the worker routes, with the feedback it acts on (PLI, FIR).
sdp::EndpointCapabilities whipCapabilities();

// For viewers of a stream: the publisher's codec per kind, and the extensions a consumer
// writes (those it passes through or stamps).
sdp::EndpointCapabilities whepCapabilities(const std::vector<sdp::NegotiatedSection>& publisher);

// The producer's RTP parameters for an accepted section of a WHIP offer: the offer's payload
// types, extension ids and SSRCs (from a=ssrc / FID group), and its mid.
RtpParameters producerParameters(const sdp::NegotiatedSection& section);

// The consumer's RTP parameters for an accepted section of a WHEP offer, sending with ssrc.
RtpParameters consumerParameters(const sdp::NegotiatedSection& section, uint32_t ssrc,
                                 const std::string& cname);

// An ingested RTP stream as if a WHIP offer had described it: its producer's parameters come
// from producerParameters(), and WHEP viewers are offered its codec.
sdp::NegotiatedSection ingestSection(const IngestTrack& track);

MediaKind toMediaKind(sdp::MediaKind kind);

}  // namespace switchyard::control

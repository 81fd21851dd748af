#pragma once
// Everything about RTP header extensions in one include: the negotiated id map and the typed
// value helpers. Element access itself (by id) is on RtpPacket.

#include "rtp/DependencyDescriptor.hpp"
#include "rtp/extensions/AbsCaptureTime.hpp"
#include "rtp/extensions/AbsSendTime.hpp"
#include "rtp/extensions/AudioLevel.hpp"
#include "rtp/extensions/Mid.hpp"
#include "rtp/extensions/PlayoutDelay.hpp"
#include "rtp/extensions/RtpHeaderExtensionMap.hpp"
#include "rtp/extensions/RtpStreamId.hpp"
#include "rtp/extensions/TransportSequenceNumber.hpp"
#include "rtp/extensions/VideoOrientation.hpp"

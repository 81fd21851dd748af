#include "rtp/Parsed.hpp"

namespace switchyard::rtp {

const char* parseErrorName(ParseError e) {
  switch (e) {
    case ParseError::kTooShort:
      return "too short";
    case ParseError::kBadVersion:
      return "bad version";
    case ParseError::kBadLength:
      return "bad length";
    case ParseError::kBadPadding:
      return "bad padding";
    case ParseError::kBadExtension:
      return "bad header extension";
    case ParseError::kBadPayloadType:
      return "bad payload type";
    case ParseError::kUnsupported:
      return "unsupported";
    case ParseError::kMalformed:
      return "malformed";
  }
  return "malformed";
}

}  // namespace switchyard::rtp

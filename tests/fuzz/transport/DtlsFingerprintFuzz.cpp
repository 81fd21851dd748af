// libFuzzer target: arbitrary bytes as the value of an SDP a=fingerprint attribute
// (RFC 8122 section 5). A value that parses formats to the canonical form, which parses back
// to the same fingerprint; its digest has the algorithm's size.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tests/fuzz/FuzzCheck.hpp"
#include "transport/DtlsFingerprint.hpp"

namespace {

using switchyard::transport::DtlsFingerprint;

using switchyard::fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  const auto parsed = DtlsFingerprint::parse(value);
  if (!parsed) return 0;
  const DtlsFingerprint& fp = *parsed;
  check(fp.digest().size() == DtlsFingerprint::digestSize(fp.algorithm()));
  const std::string text = fp.format();
  const auto name = DtlsFingerprint::algorithmName(fp.algorithm());
  check(text.size() == name.size() + 1 + fp.digest().size() * 3 - 1);
  const auto again = DtlsFingerprint::parse(text);
  check(again.ok() && *again == fp && again->format() == text);
  const auto rebuilt = DtlsFingerprint::fromDigest(fp.algorithm(), fp.digest());
  check(rebuilt.has_value() && *rebuilt == fp);
  return 0;
}

#pragma once
// The format parameters of one payload type (a=fmtp:<pt> <params>, RFC 8866 section 6.15):
// "key=value;key=value" as most codecs write them (RFC 6184, RFC 7587, ...), keeping bare
// entries such as RED's "111/111" as keys without a value. Keys compare case-insensitively
// (media type parameter names are case-insensitive, RFC 6838 section 4.3).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::control::sdp {

struct FmtpParameter {
  std::string key;
  std::optional<std::string> value;

  bool operator==(const FmtpParameter&) const = default;
};

class FmtpParameters {
 public:
  FmtpParameters() = default;

  // Never fails: empty entries are skipped, whitespace around entries and around '=' dropped.
  static FmtpParameters parse(std::string_view text);

  std::optional<std::string_view> get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).has_value(); }
  // Replaces the first entry with this key, or appends.
  void set(std::string_view key, std::string_view value);
  void erase(std::string_view key);

  const std::vector<FmtpParameter>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  // "k=v;k2=v2" with no spaces.
  std::string toString() const;

  bool operator==(const FmtpParameters&) const = default;

 private:
  std::vector<FmtpParameter> entries_;
};

}  // namespace switchyard::control::sdp

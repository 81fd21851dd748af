#include "control/sdp/FmtpParameters.hpp"

#include <algorithm>

#include "control/sdp/SdpLineReader.hpp"

namespace switchyard::control::sdp {

using sdp_text::equalsIgnoreCase;
using sdp_text::trim;

FmtpParameters FmtpParameters::parse(std::string_view text) {
  FmtpParameters out;
  for (std::string_view entry : sdp_text::split(text, ';')) {
    entry = trim(entry);
    if (entry.empty()) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) {
      out.entries_.push_back(FmtpParameter{std::string(entry), std::nullopt});
    } else {
      out.entries_.push_back(FmtpParameter{std::string(trim(entry.substr(0, eq))),
                                           std::string(trim(entry.substr(eq + 1)))});
    }
  }
  return out;
}

std::optional<std::string_view> FmtpParameters::get(std::string_view key) const {
  for (const auto& e : entries_) {
    if (equalsIgnoreCase(e.key, key)) return e.value ? std::string_view(*e.value) : "";
  }
  return std::nullopt;
}

void FmtpParameters::set(std::string_view key, std::string_view value) {
  for (auto& e : entries_) {
    if (equalsIgnoreCase(e.key, key)) {
      e.value = std::string(value);
      return;
    }
  }
  entries_.push_back(FmtpParameter{std::string(key), std::string(value)});
}

void FmtpParameters::erase(std::string_view key) {
  entries_.erase(
      std::remove_if(entries_.begin(), entries_.end(),
                     [&](const FmtpParameter& e) { return equalsIgnoreCase(e.key, key); }),
      entries_.end());
}

std::string FmtpParameters::toString() const {
  std::string out;
  for (const auto& e : entries_) {
    if (!out.empty()) out += ';';
    out += e.key;
    if (e.value) {
      out += '=';
      out += *e.value;
    }
  }
  return out;
}

}  // namespace switchyard::control::sdp

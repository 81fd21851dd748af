// libFuzzer target: arbitrary text as the server's JSON config file.

#include <string>

#include "control/server/ServerConfig.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  switchyard::control::ServerConfig config;
  auto error = switchyard::control::applyConfigJson(
      config, std::string(reinterpret_cast<const char*>(data), size));
  (void)error;
  return 0;
}

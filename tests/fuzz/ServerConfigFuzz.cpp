// libFuzzer target: arbitrary text as the server's JSON config file, and as a --worker-cpus
// list.

#include <string>

#include "control/server/ServerConfig.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  switchyard::control::ServerConfig config;
  auto error = switchyard::control::applyConfigJson(
      config, std::string(reinterpret_cast<const char*>(data), size));
  (void)error;
  // The same bytes as the --worker-cpus value, the one flag with a grammar of its own.
  std::string value(reinterpret_cast<const char*>(data), size);
  const char* argv[] = {"switchyard", "--worker-cpus", value.c_str()};
  auto parsed = switchyard::control::parseServerCommandLine(3, const_cast<char**>(argv));
  (void)parsed;
  return 0;
}

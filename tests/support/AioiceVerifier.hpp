#pragma once
// Runs tests/fixtures/stun/verify_with_aioice.py (an independent STUN implementation, Debian's
// python3-aioice) on hex lines the test wrote, and returns its exit status and output.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace switchyard::test {

inline std::pair<int, std::string> runAioiceVerifier(const std::vector<std::string>& lines) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("stun-aioice-" + std::to_string(getpid()) + "-" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".txt");
  {
    std::ofstream out(path);
    for (const auto& l : lines)
      out << l << "\n";
  }
  const std::string command = std::string("/usr/bin/python3 ") + SWITCHYARD_FIXTURES_DIR +
                              "/stun/verify_with_aioice.py " + path.string() + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  if (pipe != nullptr) {
    char buffer[512];
    while (fgets(buffer, sizeof buffer, pipe) != nullptr)
      output += buffer;
  }
  const int status = pipe != nullptr ? pclose(pipe) : -1;
  std::filesystem::remove(path);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace switchyard::test

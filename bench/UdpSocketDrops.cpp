#include "bench/UdpSocketDrops.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

namespace switchyard::bench {

namespace {

// Columns of a /proc/net/udp line (net/ipv4/udp.c udp4_format_sock): sl, local_address,
// rem_address, st, tx_queue:rx_queue, tr:tm->when, retrnsmt, uid, timeout, inode, ref, pointer,
// drops.
constexpr int kInodeColumn = 9;
constexpr int kDropsColumn = 12;

void readTable(const char* path, std::unordered_map<uint64_t, uint64_t>& out) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string field;
    uint64_t inode = 0;
    for (int column = 0; fields >> field; ++column) {
      if (column == kInodeColumn) inode = std::stoull(field);
      if (column == kDropsColumn) {
        out[inode] = std::stoull(field);
        break;
      }
    }
  }
}

}  // namespace

UdpSocketDrops UdpSocketDrops::read() {
  UdpSocketDrops d;
  readTable("/proc/net/udp", d.dropsByInode_);
  readTable("/proc/net/udp6", d.dropsByInode_);
  return d;
}

int64_t UdpSocketDrops::dropsOf(int fd) const {
  struct stat st {};
  if (fstat(fd, &st) != 0) return -1;
  auto it = dropsByInode_.find(static_cast<uint64_t>(st.st_ino));
  return it == dropsByInode_.end() ? -1 : static_cast<int64_t>(it->second);
}

}  // namespace switchyard::bench

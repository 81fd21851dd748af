#pragma once
// Datagrams the kernel dropped at a UDP socket because its receive buffer was full: the "drops"
// column of /proc/net/udp and /proc/net/udp6, matched to our sockets by inode. Read once after a
// run, it tells whether a loss happened in the load tool's own sockets (the tool was too slow to
// read) rather than before them.

#include <cstdint>
#include <unordered_map>

namespace switchyard::bench {

class UdpSocketDrops {
 public:
  // Reads both tables now; a table that cannot be read adds nothing.
  static UdpSocketDrops read();
  // Drops of the socket behind fd, or -1 when it is not in the tables.
  int64_t dropsOf(int fd) const;

 private:
  std::unordered_map<uint64_t, uint64_t> dropsByInode_;
};

}  // namespace switchyard::bench

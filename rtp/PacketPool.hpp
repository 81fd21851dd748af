#pragma once
// Fixed-size packet buffers handed out as move-only RAII handles from preallocated slabs. A
// released buffer goes back to a free list; the pool grows by a whole slab only when the free
// list is empty (counted), so a warmed-up pool allocates nothing per packet. Single-threaded:
// one pool per worker loop. The pool must outlive every handle it gave out.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace switchyard::rtp {

// Largest packet a buffer is meant to carry (Ethernet MTU).
inline constexpr size_t kMaxPooledPacketSize = 1500;
// Free bytes in front of the packet, to prepend without moving it (e.g. a TURN ChannelData
// header, or room to shift the RTP header when inserting the RTX OSN).
inline constexpr size_t kPacketHeadroom = 64;
// Free bytes after a full-size packet, to append in place (SRTP/SRTCP auth tag, MKI, index).
inline constexpr size_t kPacketTailroom = 64;
inline constexpr size_t kPacketBufferSize =
    kPacketHeadroom + kMaxPooledPacketSize + kPacketTailroom;
// Buffers per slab: one slab is ~100 KiB, so growth is coarse but not wasteful.
inline constexpr size_t kDefaultSlotsPerSlab = 64;
// maxSlabs value meaning "grow without bound".
inline constexpr size_t kUnlimitedSlabs = 0;
// Slab-table entries reserved up front so that ordinary growth does not reallocate the table.
inline constexpr size_t kReservedSlabEntries = 64;

namespace detail {
struct PacketSlot {
  alignas(16) uint8_t bytes[kPacketBufferSize];
  PacketSlot* nextFree = nullptr;
  uint16_t offset = kPacketHeadroom;
  uint16_t size = 0;
};
}  // namespace detail

class PacketPool;

// Owns one pool buffer until destroyed, moved from, or release()d. Accessors other than size()
// and operator bool need a non-empty handle. The packet occupies
// [data(), data() + size()); headroom() bytes before it and tailroom() after it are free.
class PooledPacket {
 public:
  PooledPacket() = default;
  PooledPacket(PooledPacket&& other) noexcept : pool_(other.pool_), slot_(other.slot_) {
    other.pool_ = nullptr;
    other.slot_ = nullptr;
  }
  PooledPacket& operator=(PooledPacket&& other) noexcept;
  PooledPacket(const PooledPacket&) = delete;
  PooledPacket& operator=(const PooledPacket&) = delete;
  ~PooledPacket() { release(); }

  explicit operator bool() const { return slot_ != nullptr; }

  uint8_t* data() { return slot_->bytes + slot_->offset; }
  const uint8_t* data() const { return slot_->bytes + slot_->offset; }
  size_t size() const { return slot_ ? slot_->size : 0; }
  std::span<uint8_t> bytes() { return {data(), slot_->size}; }
  std::span<const uint8_t> bytes() const { return {data(), slot_->size}; }
  // Everything from data() to the end of the buffer: where a receive may write.
  std::span<uint8_t> writable() { return {data(), kPacketBufferSize - slot_->offset}; }

  size_t headroom() const { return slot_->offset; }
  size_t tailroom() const { return kPacketBufferSize - slot_->offset - slot_->size; }

  // Sets the packet length (bytes already written through writable()); false if it does not fit.
  bool resize(size_t size);
  // Copies src in at the default headroom; false (and unchanged) if larger than
  // kMaxPooledPacketSize.
  bool assign(std::span<const uint8_t> src);
  // Grows the packet by n bytes at the front; false if the headroom is smaller.
  bool prepend(size_t n);
  // Drops n bytes from the front (n <= size()).
  void trimFront(size_t n);

  // Returns the buffer to its pool now; the handle becomes empty.
  void release();

 private:
  friend class PacketPool;
  PooledPacket(PacketPool* pool, detail::PacketSlot* slot) : pool_(pool), slot_(slot) {}

  PacketPool* pool_ = nullptr;
  detail::PacketSlot* slot_ = nullptr;
};

class PacketPool {
 public:
  // Preallocates initialSlabs slabs of slotsPerSlab buffers; maxSlabs caps growth
  // (kUnlimitedSlabs: no cap), after which acquire() returns an empty handle.
  explicit PacketPool(size_t initialSlabs = 1, size_t slotsPerSlab = kDefaultSlotsPerSlab,
                      size_t maxSlabs = kUnlimitedSlabs);
  ~PacketPool();
  PacketPool(const PacketPool&) = delete;
  PacketPool& operator=(const PacketPool&) = delete;

  // An empty packet (size 0, default headroom), or an empty handle when the pool is at its cap.
  PooledPacket acquire();
  // A copy of bytes; an empty handle if bytes exceed kMaxPooledPacketSize or the pool is at its
  // cap.
  PooledPacket acquire(std::span<const uint8_t> bytes);

  size_t capacity() const { return slabs_.size() * slotsPerSlab_; }
  size_t inUse() const { return inUse_; }
  size_t available() const { return capacity() - inUse_; }
  size_t slabCount() const { return slabs_.size(); }
  // Slabs added after construction because the free list ran dry.
  uint64_t growCount() const { return growCount_; }
  // acquire() calls refused because the cap was reached.
  uint64_t exhaustedCount() const { return exhaustedCount_; }
  // acquire(bytes) calls refused because the packet was too large.
  uint64_t oversizeCount() const { return oversizeCount_; }

 private:
  friend class PooledPacket;
  void release(detail::PacketSlot* slot);
  bool addSlab();

  size_t slotsPerSlab_;
  size_t maxSlabs_;
  std::vector<std::unique_ptr<detail::PacketSlot[]>> slabs_;
  detail::PacketSlot* freeHead_ = nullptr;
  size_t inUse_ = 0;
  uint64_t growCount_ = 0;
  uint64_t exhaustedCount_ = 0;
  uint64_t oversizeCount_ = 0;
};

}  // namespace switchyard::rtp

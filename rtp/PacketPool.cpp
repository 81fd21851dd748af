#include "rtp/PacketPool.hpp"

#include <cassert>
#include <cstring>

namespace switchyard::rtp {

PooledPacket& PooledPacket::operator=(PooledPacket&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = other.pool_;
    slot_ = other.slot_;
    other.pool_ = nullptr;
    other.slot_ = nullptr;
  }
  return *this;
}

bool PooledPacket::resize(size_t size) {
  if (size > kPacketBufferSize - slot_->offset) return false;
  slot_->size = static_cast<uint16_t>(size);
  return true;
}

bool PooledPacket::assign(std::span<const uint8_t> src) {
  if (src.size() > kMaxPooledPacketSize) return false;
  slot_->offset = kPacketHeadroom;
  slot_->size = static_cast<uint16_t>(src.size());
  if (!src.empty()) std::memcpy(slot_->bytes + kPacketHeadroom, src.data(), src.size());
  return true;
}

bool PooledPacket::prepend(size_t n) {
  if (n > slot_->offset) return false;
  slot_->offset = static_cast<uint16_t>(slot_->offset - n);
  slot_->size = static_cast<uint16_t>(slot_->size + n);
  return true;
}

void PooledPacket::trimFront(size_t n) {
  assert(n <= slot_->size);
  slot_->offset = static_cast<uint16_t>(slot_->offset + n);
  slot_->size = static_cast<uint16_t>(slot_->size - n);
}

void PooledPacket::release() {
  if (slot_ != nullptr) {
    pool_->release(slot_);
    pool_ = nullptr;
    slot_ = nullptr;
  }
}

PacketPool::PacketPool(size_t initialSlabs, size_t slotsPerSlab, size_t maxSlabs)
    : slotsPerSlab_(slotsPerSlab == 0 ? 1 : slotsPerSlab), maxSlabs_(maxSlabs) {
  if (maxSlabs_ != kUnlimitedSlabs && initialSlabs > maxSlabs_) initialSlabs = maxSlabs_;
  slabs_.reserve(maxSlabs_ != kUnlimitedSlabs ? maxSlabs_ : kReservedSlabEntries);
  for (size_t i = 0; i < initialSlabs; ++i)
    addSlab();
}

PacketPool::~PacketPool() {
  // A live handle would point into freed memory: the owner must release them first.
  assert(inUse_ == 0);
}

bool PacketPool::addSlab() {
  if (maxSlabs_ != kUnlimitedSlabs && slabs_.size() >= maxSlabs_) return false;
  // Default-initialized: the byte arrays are not zeroed, only the slot headers are set.
  std::unique_ptr<detail::PacketSlot[]> slab(new detail::PacketSlot[slotsPerSlab_]);
  // Thread the new slots onto the free list in address order.
  for (size_t i = slotsPerSlab_; i-- > 0;) {
    slab[i].nextFree = freeHead_;
    freeHead_ = &slab[i];
  }
  slabs_.push_back(std::move(slab));
  return true;
}

PooledPacket PacketPool::acquire() {
  if (freeHead_ == nullptr) {
    if (!addSlab()) {
      ++exhaustedCount_;
      return {};
    }
    ++growCount_;
  }
  detail::PacketSlot* slot = freeHead_;
  freeHead_ = slot->nextFree;
  slot->nextFree = nullptr;
  slot->offset = kPacketHeadroom;
  slot->size = 0;
  ++inUse_;
  return PooledPacket(this, slot);
}

PooledPacket PacketPool::acquire(std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxPooledPacketSize) {
    ++oversizeCount_;
    return {};
  }
  PooledPacket packet = acquire();
  if (packet) packet.assign(bytes);
  return packet;
}

void PacketPool::release(detail::PacketSlot* slot) {
  assert(inUse_ > 0);
  slot->nextFree = freeHead_;
  freeHead_ = slot;
  --inUse_;
}

}  // namespace switchyard::rtp

#include "transport/UdpMux.hpp"

#include "transport/PacketKind.hpp"
#include "transport/StunMessage.hpp"

namespace switchyard::transport {

namespace {

// RFC 8445 section 7.2.2: a check's USERNAME is the receiver's ufrag, a colon, the sender's.
constexpr char kUsernameSeparator = ':';

}  // namespace

std::unique_ptr<UdpMux> UdpMux::bind(uv_loop_t* loop, const std::string& ip, uint16_t port,
                                     uint16_t minPort, uint16_t maxPort, UdpSendBatcher* batcher,
                                     UdpReceiveArena* arena, std::string* error) {
  std::unique_ptr<UdpMux> mux(new UdpMux);
  // Datagrams only arrive from the loop, once bind() has returned.
  mux->socket_ = UdpSocket::bind(
      loop, ip, port != 0 ? port : minPort, port != 0 ? port : maxPort,
      [m = mux.get()](std::span<uint8_t> d, const SocketAddress& from) { m->onDatagram(d, from); },
      error);
  if (!mux->socket_) return nullptr;
  mux->socket_->setSendBatcher(batcher);
  mux->socket_->setReceiveArena(arena);
  return mux;
}

UdpMux::~UdpMux() = default;

bool UdpMux::addUsernameFragment(std::string_view ufrag, Endpoint& endpoint) {
  auto [it, inserted] = ufrags_.try_emplace(std::string(ufrag), &endpoint);
  if (inserted) registrations_[&endpoint].ufrags.emplace_back(ufrag);
  return inserted || it->second == &endpoint;
}

void UdpMux::addTuple(const SocketAddress& remote, Endpoint& endpoint) {
  auto [it, inserted] = tuples_.try_emplace(remote, &endpoint);
  if (!inserted && it->second == &endpoint) return;  // a consent check: nothing changes
  it->second = &endpoint;
  registrations_[&endpoint].tuples.push_back(remote);
}

const UdpMux::Endpoint* UdpMux::tupleOwner(const SocketAddress& remote) const {
  const auto it = tuples_.find(remote);
  return it == tuples_.end() ? nullptr : it->second;
}

void UdpMux::remove(Endpoint& endpoint) {
  const auto it = registrations_.find(&endpoint);
  if (it == registrations_.end()) return;
  for (const auto& tuple : it->second.tuples) {
    const auto t = tuples_.find(tuple);
    if (t != tuples_.end() && t->second == &endpoint) tuples_.erase(t);
  }
  for (const auto& ufrag : it->second.ufrags) {
    const auto u = ufrags_.find(ufrag);
    if (u != ufrags_.end() && u->second == &endpoint) ufrags_.erase(u);
  }
  registrations_.erase(it);
}

UdpMux::Endpoint* UdpMux::endpointForStun(std::span<const uint8_t> datagram,
                                          uint64_t*& dropCounter) {
  const auto message = StunMessage::parse(datagram);
  const auto username = message ? message->username() : std::nullopt;
  if (!username) {
    dropCounter = &counters_.droppedMalformedStun;
    return nullptr;
  }
  const auto local = username->substr(0, username->find(kUsernameSeparator));
  const auto it = ufrags_.find(local);
  if (it == ufrags_.end()) {
    dropCounter = &counters_.droppedUnknownUfrag;
    return nullptr;
  }
  return it->second;
}

void UdpMux::onDatagram(std::span<uint8_t> datagram, const SocketAddress& from) {
  // STUN is routed by its credentials, so that an ICE restart or a second transport of the same
  // peer address reaches the right transport; everything else by tuple.
  if (classifyPacket(datagram) == PacketKind::kStun) {
    const auto known = tuples_.find(from);
    uint64_t* dropCounter = nullptr;
    Endpoint* endpoint = endpointForStun(datagram, dropCounter);
    // Without a USERNAME we know (a binding response, an indication), the tuple's owner takes
    // it and judges it.
    if (endpoint == nullptr && known != tuples_.end()) endpoint = known->second;
    if (endpoint == nullptr) {
      ++*dropCounter;
      return;
    }
    ++(known == tuples_.end() ? counters_.routedByUfrag : counters_.routedByTuple);
    return endpoint->onMuxDatagram(*socket_, datagram, from);
  }
  const auto it = tuples_.find(from);
  if (it == tuples_.end()) {
    ++counters_.droppedUnknownTuple;
    return;
  }
  ++counters_.routedByTuple;
  it->second->onMuxDatagram(*socket_, datagram, from);
}

}  // namespace switchyard::transport

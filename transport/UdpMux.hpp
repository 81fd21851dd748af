#pragma once
// One UDP socket that many transports of a worker share: one port per worker and listen IP
// instead of one per transport (as mediasoup's WebRtcServer and LiveKit's UDP mux do). Fewer
// ports to open in a firewall, and the send batcher gives all the copies a fan-out writes in a
// round one sendmmsg, where a socket per viewer costs a syscall and a socket's locking each.
//
// Demultiplexing: a datagram goes to the transport that registered its remote tuple. A STUN
// message goes to the transport whose ICE ufrag opens its USERNAME ("LFRAG:RFRAG", RFC 8445
// section 7.2.2), whatever tuple it came from: that is how a WebRTC transport meets a new peer
// address; the transport registers the tuple once ICE validated it. Anything else is dropped
// and counted. A plain transport registers the remote address it was given (a shared port
// cannot learn one: comedia could not tell senders apart).

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "transport/SocketAddress.hpp"
#include "transport/UdpReceiveArena.hpp"
#include "transport/UdpSendBatcher.hpp"
#include "transport/UdpSocket.hpp"

namespace switchyard::transport {

class UdpMux {
 public:
  // What a transport implements to receive from the shared socket; it replies on `socket`.
  class Endpoint {
   public:
    virtual void onMuxDatagram(UdpSocket& socket, std::span<uint8_t> datagram,
                               const SocketAddress& from) = 0;

   protected:
    ~Endpoint() = default;
  };

  struct Counters {
    uint64_t routedByTuple = 0;
    uint64_t routedByUfrag = 0;         // STUN from a tuple no transport had yet
    uint64_t droppedUnknownTuple = 0;   // not STUN, and no transport has the tuple
    uint64_t droppedUnknownUfrag = 0;   // STUN whose USERNAME names no transport here
    uint64_t droppedMalformedStun = 0;  // STUN that does not parse, or has no USERNAME
  };

  // Binds ip on port, or with port 0 on a free port of [minPort, maxPort]. null with a reason.
  static std::unique_ptr<UdpMux> bind(uv_loop_t* loop, const std::string& ip, uint16_t port,
                                      uint16_t minPort, uint16_t maxPort, UdpSendBatcher* batcher,
                                      UdpReceiveArena* arena, std::string* error);
  ~UdpMux();
  UdpMux(const UdpMux&) = delete;
  UdpMux& operator=(const UdpMux&) = delete;

  // A local ICE ufrag to route STUN by. False when another endpoint has it.
  bool addUsernameFragment(std::string_view ufrag, Endpoint& endpoint);
  // The remote tuple's datagrams go to endpoint from now on (taken from any previous owner: the
  // latest valid ICE check wins, as a peer that moved is the same peer).
  void addTuple(const SocketAddress& remote, Endpoint& endpoint);
  // Who has the tuple now (null: no one).
  const Endpoint* tupleOwner(const SocketAddress& remote) const;
  // Forgets every ufrag and tuple of endpoint (before it goes away): in the number of its own
  // registrations, not the port's, so that thousands of viewers leaving stay cheap.
  void remove(Endpoint& endpoint);

  UdpSocket& socket() { return *socket_; }
  const SocketAddress& localAddress() const { return socket_->localAddress(); }
  const Counters& counters() const { return counters_; }
  size_t tupleCount() const { return tuples_.size(); }
  size_t usernameFragmentCount() const { return ufrags_.size(); }

 private:
  UdpMux() = default;
  void onDatagram(std::span<uint8_t> datagram, const SocketAddress& from);
  // The endpoint named by a STUN message's USERNAME; null with the counter its drop goes to.
  Endpoint* endpointForStun(std::span<const uint8_t> datagram, uint64_t*& dropCounter);

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::unique_ptr<UdpSocket> socket_;
  std::unordered_map<SocketAddress, Endpoint*, SocketAddressHash> tuples_;
  std::unordered_map<std::string, Endpoint*, StringHash, std::equal_to<>> ufrags_;
  // What each endpoint registered, for remove(); a tuple since taken by another endpoint stays
  // listed here and is skipped then.
  struct Registrations {
    std::vector<SocketAddress> tuples;
    std::vector<std::string> ufrags;
  };
  std::unordered_map<const Endpoint*, Registrations> registrations_;
  Counters counters_;
};

}  // namespace switchyard::transport

// libFuzzer target: arbitrary datagrams into a DtlsTransport. The first byte picks the setup:
//   bit 0 clear: one transport, started as server (bit 1 clear) waiting for a ClientHello, or
//                as client (bit 1 set) waiting for the server's flight;
//   bit 0 set:   a server that has completed a real handshake with a second in-process
//                transport (wired synchronously, no timers), fed the datagrams afterwards.
// The rest is datagrams, each a 2-byte big-endian length then that many bytes (the last one
// takes what is left). Invariants: nothing crashes or leaks; a datagram that is not well formed
// is counted as dropped; an established association survives any input (none of it carries
// the keys) and still carries application data both ways; the OpenSSL error queue is empty.

#include <openssl/err.h>
#include <uv.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "tests/fuzz/FuzzCheck.hpp"
#include "transport/DtlsTransport.hpp"

namespace {

using namespace switchyard::transport;

constexpr uint8_t kConnectedMode = 0x01;
constexpr uint8_t kClientRole = 0x02;
constexpr size_t kMaxDatagrams = 64;

using switchyard::fuzz::check;

struct Sink : DtlsTransport::Listener {
  DtlsTransport* peer = nullptr;  // synchronous wiring when set
  size_t received = 0;
  void onDtlsSend(std::span<const uint8_t> datagram) override {
    if (peer != nullptr) peer->onPacket(datagram);
  }
  void onDtlsStateChange(DtlsTransport::State) override {}
  void onDtlsConnected(SrtpProfile, std::span<const uint8_t> local,
                       std::span<const uint8_t> remote) override {
    check(!local.empty() && local.size() == remote.size());
  }
  void onDtlsApplicationData(std::span<const uint8_t> data) override {
    check(!data.empty());
    ++received;
  }
  void onDtlsClosed() override {}
};

struct World {
  World() {
    uv_loop_init(&loop);
    server = DtlsCertificate::generate().certificate;
    client = DtlsCertificate::generate().certificate;
    check(server && client);
  }
  uv_loop_t loop{};
  std::shared_ptr<const DtlsCertificate> server;
  std::shared_ptr<const DtlsCertificate> client;
};

World& world() {
  static World w;  // certificates are made once: generating per input would dominate
  return w;
}

std::vector<std::span<const uint8_t>> splitDatagrams(std::span<const uint8_t> bytes) {
  std::vector<std::span<const uint8_t>> out;
  while (!bytes.empty() && out.size() < kMaxDatagrams) {
    if (bytes.size() < 2) {
      out.push_back(bytes);
      break;
    }
    const size_t length = size_t{bytes[0]} << 8 | bytes[1];
    bytes = bytes.subspan(2);
    const size_t take = length < bytes.size() ? length : bytes.size();
    out.push_back(bytes.first(take));
    bytes = bytes.subspan(take);
  }
  return out;
}

void feed(DtlsTransport& t, std::span<const uint8_t> datagram) {
  const bool active = t.state() == DtlsTransport::State::kConnecting ||
                      t.state() == DtlsTransport::State::kConnected;
  const uint64_t dropped = t.stats().datagramsDropped;
  t.onPacket(datagram);
  if (active &&
      !DtlsTransport::isWellFormedDatagram(datagram, t.minProtectedRecord(), t.recordVersion())) {
    check(t.stats().datagramsDropped == dropped + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  World& w = world();
  const uint8_t mode = data[0];
  const auto datagrams = splitDatagrams({data + 1, size - 1});
  {
    Sink serverSink, clientSink;
    DtlsTransport server(&w.loop, w.server, serverSink);
    if (mode & kConnectedMode) {
      DtlsTransport client(&w.loop, w.client, clientSink);
      serverSink.peer = &client;
      clientSink.peer = &server;
      check(server.start(DtlsTransport::Role::kServer, w.client->fingerprint()));
      check(client.start(DtlsTransport::Role::kClient, w.server->fingerprint()));
      check(server.state() == DtlsTransport::State::kConnected);
      check(client.state() == DtlsTransport::State::kConnected);
      for (auto d : datagrams)
        feed(server, d);
      check(server.state() == DtlsTransport::State::kConnected);
      static const uint8_t kPing[] = {'p', 'i', 'n', 'g'};
      check(client.sendApplicationData(kPing));
      check(server.sendApplicationData(kPing));
      check(serverSink.received >= 1 && clientSink.received >= 1);
      serverSink.peer = nullptr;
      clientSink.peer = nullptr;
    } else {
      const bool asClient = (mode & kClientRole) != 0;
      check(server.start(asClient ? DtlsTransport::Role::kClient : DtlsTransport::Role::kServer,
                         w.client->fingerprint()));
      for (auto d : datagrams)
        feed(server, d);
      server.close();
    }
  }
  // Let libuv finish closing the timers' handles.
  uv_run(&w.loop, UV_RUN_NOWAIT);
  check(ERR_peek_error() == 0);
  return 0;
}

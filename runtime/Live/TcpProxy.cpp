//===- TcpProxy.cpp - The NLB listener: TCP and UDP forwarding -----------===//
//
// TCP: per accepted connection the control plane picks a target from the
// flow's 5-tuple; the proxy connects, sends a PROXY protocol v2 header when
// the pick asks for it, and copies bytes both ways (half-closes passed on,
// an RST passed on as an RST). `resetTarget` resets both sides.
// UDP: one upstream socket per client flow (source address and port), picked
// once, expired after the idle timeout.
//
//===----------------------------------------------------------------------===//

#include "LiveInternal.h"

using namespace infrac::live;
using namespace infrac::live::detail;

namespace {

void resetSocket(TcpSocket &s) {
  error_code ec;
  if (!s.is_open())
    return;
  s.set_option(asio::socket_base::linger(true, 0), ec);
  s.close(ec);
}

struct TcpConn final : Watched {
  TcpConn(Worker &w, std::shared_ptr<ListenerState> l, TcpSocket client)
      : w(w), l(std::move(l)), client(std::move(client)), target(w.io), start(Clock::now()) {
    w.watch(this);
  }
  ~TcpConn() override {
    w.unwatch(this);
    error_code ec;
    client.close(ec);
    target.close(ec);
    Counters &c = l->counters[w.index];
    c.bytesIn.fetch_add(toTarget, std::memory_order_relaxed);
    c.bytesOut.fetch_add(toClient, std::memory_order_relaxed);
    l->active.fetch_sub(1, std::memory_order_relaxed);
    if (picked && w.plane.tcpControl) {
      TcpOutcome o;
      o.key = pick.key;
      o.bytesToTarget = toTarget;
      o.bytesToClient = toClient;
      o.duration = since(start, Clock::now());
      o.reset = wasReset;
      w.plane.tcpControl->closed(o);
    }
  }
  void expire() override {
    error_code ec;
    client.close(ec);
    target.close(ec);
  }
  void reset(TargetKey key) override {
    if (picked && pick.key == key) {
      wasReset = true;
      resetSocket(client);
      resetSocket(target);
    }
  }
  void after(Duration d) { deadline = w.now + toClock(d); }

  Worker &w;
  std::shared_ptr<ListenerState> l;
  TcpSocket client, target;
  Clock::time_point start;
  TcpPick pick;
  bool picked = false, wasReset = false;
  uint64_t toTarget = 0, toClient = 0;
};

Task pump(std::shared_ptr<TcpConn> c, TcpSocket &from, TcpSocket &to, uint64_t &count) {
  constexpr size_t Size = Worker::BufferSize;
  struct Lease {
    Worker &w;
    std::unique_ptr<char[]> b;
    ~Lease() { w.giveBuffer(std::move(b)); }
  } lease{c->w, c->w.takeBuffer()};
  char *buf = lease.b.get();
  error_code ec;
  Duration idle = c->l->tcp.idleTimeout;
  for (;;) {
    size_t n = co_await from.async_read_some(asio::buffer(buf, Size), ec_(ec));
    if (ec) {
      if (ec == asio::error::eof) {
        to.shutdown(asio::socket_base::shutdown_send, ec);
      } else if (!c->wasReset && !c->expired) {
        // An RST (or any error) on one side: an RST on the other.
        if (ec == asio::error::connection_reset)
          c->wasReset = true;
        resetSocket(to);
        resetSocket(from);
      }
      co_return;
    }
    c->after(idle);
    co_await asio::async_write(to, asio::buffer(buf, n), ec_(ec));
    if (ec) {
      resetSocket(from);
      resetSocket(to);
      co_return;
    }
    count += n;
  }
}

Task serveTcp(Worker &w, std::shared_ptr<ListenerState> l, TcpSocket socket, tcp::endpoint peer) {
  auto c = std::make_shared<TcpConn>(w, l, std::move(socket));
  error_code ec;
  // The listener is bound to 127.0.0.1:port: no getsockname(2) needed.
  Flow flow;
  flow.protocol = 6;
  flow.srcIp = peer.address().to_v4().to_uint();
  flow.srcPort = peer.port();
  flow.dstIp = 0x7f000001;
  flow.dstPort = l->port;
  std::optional<TcpPick> pick = w.plane.tcpControl->pickTarget(l->id, flow);
  if (!pick) {
    resetSocket(c->client);
    co_return;
  }
  c->pick = *pick;
  c->picked = true;
  c->after(l->tcp.connectTimeout);
  co_await c->target.async_connect(
      tcp::endpoint(asio::ip::address_v4(pick->target.ip), pick->target.port), ec_(ec));
  if (ec) {
    c->wasReset = true;
    resetSocket(c->client);
    co_return;
  }
  c->target.set_option(tcp::no_delay(true), ec);
  if (pick->proxyProtocolV2) {
    auto header = proxyV2Header(flow);
    co_await asio::async_write(c->target, asio::buffer(header), ec_(ec));
    if (ec) {
      resetSocket(c->client);
      co_return;
    }
  }
  c->after(l->tcp.idleTimeout);
  spawn(w.io, pump(c, c->client, c->target, c->toTarget));
  spawn(w.io, pump(c, c->target, c->client, c->toClient));
}

//===----------------------------------------------------------------------===//
// UDP
//===----------------------------------------------------------------------===//

struct UdpFlow;
using FlowTable = std::map<std::pair<uint32_t, uint16_t>, std::shared_ptr<UdpFlow>>;

struct UdpFlow final : Watched {
  UdpFlow(Worker &w, std::shared_ptr<ListenerState> l)
      : w(w), l(std::move(l)), up(w.io), start(Clock::now()) {
    w.watch(this);
  }
  ~UdpFlow() override { w.unwatch(this); }
  void expire() override {
    error_code ec;
    up.close(ec);
  }
  void reset(TargetKey key) override {
    if (pick.key == key) {
      wasReset = true;
      expire();
    }
  }
  void after(Duration d) { deadline = w.now + toClock(d); }

  Worker &w;
  std::shared_ptr<ListenerState> l;
  UdpSocket up;
  udp::endpoint client;
  TcpPick pick;
  Clock::time_point start;
  uint64_t toTarget = 0, toClient = 0;
  bool wasReset = false;
};

Task udpReturn(std::shared_ptr<UdpFlow> f, std::shared_ptr<UdpSocket> listen,
               std::shared_ptr<FlowTable> table) {
  constexpr size_t Size = 64 * 1024;
  std::unique_ptr<char[]> buf(new char[Size]);
  error_code ec;
  for (;;) {
    size_t n = co_await f->up.async_receive(asio::buffer(buf.get(), Size), ec_(ec));
    if (ec) {
      if (ec == asio::error::connection_refused && f->up.is_open())
        continue; // an ICMP port unreachable from the target: keep the flow
      break;
    }
    f->after(f->l->tcp.idleTimeout);
    listen->send_to(asio::buffer(buf.get(), n), f->client, 0, ec);
    f->toClient += n;
  }
  table->erase({f->client.address().to_v4().to_uint(), f->client.port()});
  Counters &c = f->l->counters[f->w.index];
  c.bytesIn.fetch_add(f->toTarget, std::memory_order_relaxed);
  c.bytesOut.fetch_add(f->toClient, std::memory_order_relaxed);
  f->l->active.fetch_sub(1, std::memory_order_relaxed);
  if (f->w.plane.tcpControl) {
    TcpOutcome o;
    o.key = f->pick.key;
    o.bytesToTarget = f->toTarget;
    o.bytesToClient = f->toClient;
    o.duration = since(f->start, Clock::now());
    o.reset = f->wasReset;
    f->w.plane.tcpControl->closed(o);
  }
}

} // namespace

Task infrac::live::detail::acceptTcp(Worker &w, std::shared_ptr<ListenerState> l,
                                     std::shared_ptr<TcpAcceptor> a) {
  for (;;) {
    error_code ec;
    tcp::endpoint peer;
    TcpSocket socket = co_await a->async_accept(peer, ec_(ec));
    if (ec == asio::error::operation_aborted || !a->is_open() || w.closing)
      co_return;
    if (ec) {
      Timer t(w.io, std::chrono::milliseconds(10));
      co_await t.async_wait(ec_(ec));
      continue;
    }
    if (l->active.load(std::memory_order_relaxed) >= l->tcp.maxConnections) {
      l->counters[w.index].rejected.fetch_add(1, std::memory_order_relaxed);
      resetSocket(socket);
      continue;
    }
    l->active.fetch_add(1, std::memory_order_relaxed);
    l->counters[w.index].requests.fetch_add(1, std::memory_order_relaxed);
    socket.set_option(tcp::no_delay(true), ec);
    spawn(w.io, serveTcp(w, l, std::move(socket), peer));
  }
}

Task infrac::live::detail::serveUdp(Worker &w, std::shared_ptr<ListenerState> l,
                                    std::shared_ptr<UdpSocket> s) {
  auto table = std::make_shared<FlowTable>();
  constexpr size_t Size = 64 * 1024;
  std::unique_ptr<char[]> buf(new char[Size]);
  uint16_t localPort = l->port;
  error_code ec;
  for (;;) {
    udp::endpoint sender;
    size_t n = co_await s->async_receive_from(asio::buffer(buf.get(), Size), sender, ec_(ec));
    if (ec == asio::error::operation_aborted || !s->is_open() || w.closing)
      break;
    if (ec)
      continue;
    auto key = std::make_pair(sender.address().to_v4().to_uint(), sender.port());
    auto it = table->find(key);
    std::shared_ptr<UdpFlow> f;
    if (it != table->end()) {
      f = it->second;
    } else {
      if (l->active.load(std::memory_order_relaxed) >= l->tcp.maxConnections)
        continue;
      Flow flow;
      flow.protocol = 17;
      flow.srcIp = key.first;
      flow.srcPort = key.second;
      flow.dstIp = 0x7f000001;
      flow.dstPort = localPort;
      std::optional<TcpPick> pick = w.plane.tcpControl->pickTarget(l->id, flow);
      if (!pick)
        continue;
      f = std::make_shared<UdpFlow>(w, l);
      f->pick = *pick;
      f->client = sender;
      f->up.open(udp::v4(), ec);
      if (!ec)
        f->up.bind(udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0), ec);
      if (!ec)
        f->up.connect(udp::endpoint(asio::ip::address_v4(pick->target.ip), pick->target.port), ec);
      if (!ec)
        f->up.non_blocking(true, ec);
      if (ec) {
        // Reported as a flow that ended at once.
        f->up.close(ec);
      }
      l->active.fetch_add(1, std::memory_order_relaxed);
      l->counters[w.index].requests.fetch_add(1, std::memory_order_relaxed);
      (*table)[key] = f;
      spawn(w.io, udpReturn(f, s, table));
    }
    f->after(l->tcp.idleTimeout);
    f->up.send(asio::buffer(buf.get(), n), 0, ec);
    if (!ec)
      f->toTarget += n;
  }
  // The listener closed: its flows end.
  for (auto &[k, f] : *table)
    f->expire();
}

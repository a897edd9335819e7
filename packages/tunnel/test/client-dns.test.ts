import { describe, expect, test } from "bun:test";
import {
  ASSIGNED_IPS_RESEND_MS,
  FORWARD_TIMEOUT_MS,
  isPatternError,
  type NamePattern,
  PENDING_BUFFER_PACKETS,
  parsePattern,
} from "@fz/dns-nat";
import {
  asTcp,
  asUdp,
  buildDomainStatus,
  buildGoodbye,
  buildTcpPacket,
  buildUdpPacket,
  formatIpAddress,
  Icmpv4Packet,
  type IpPacket,
  isWireError,
  parseIpAddress,
  parseIpPacket,
  TcpFlag,
} from "@fz/ip-packet";
import {
  ClientState,
  DNS_PROXY_V4_RANGE,
  DNS_PROXY_V6_RANGE,
  DNS_ROUTES,
  formatIpNetwork,
  networkContains,
} from "@fz/tunnel";
import { Device } from "@fz/wireguard";
import { APP_PORT, DnsWorld, SENTINEL_V4, UPSTREAM, udpFromApp, WIKI } from "./dns-world.ts";
import {
  CLIENT_ENDPOINT,
  CLIENT_V4,
  CLIENT_V6,
  GATEWAY_ENDPOINT,
  keyPair,
  network,
  seededRandom,
  v4,
  v6,
} from "./simulation.ts";

const SENTINEL_V6 = v6("fd00:2021:1111:8000:100:100:111:1");
const TYPE = { A: 1, AAAA: 28 } as const;

/** A DNS query with one question and RD set, written out by hand. */
function dnsQuery(id: number, name: string, type: number): Uint8Array {
  const labels = name
    .split(".")
    .flatMap((label) => [label.length, ...new TextEncoder().encode(label)]);
  return Uint8Array.from([
    id >> 8,
    id & 0xff,
    0x01,
    0x00,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    ...labels,
    0,
    type >> 8,
    type & 0xff,
    0,
    1,
  ]);
}

/** An upstream's answer to `query`: QR and RA set, one A record pointing at the question name. */
function upstreamAnswer(query: Uint8Array, address: number): Uint8Array {
  const answer = Uint8Array.from([
    0xc0,
    12,
    0,
    TYPE.A,
    0,
    1,
    0,
    0,
    0,
    60,
    0,
    4,
    address >>> 24,
    (address >>> 16) & 0xff,
    (address >>> 8) & 0xff,
    address & 0xff,
  ]);
  const response = Uint8Array.from([...query, ...answer]);
  response[2] = 0x81;
  response[3] = 0x80;
  response[7] = 1;
  return response;
}

interface DnsReply {
  readonly id: number;
  readonly rcode: number;
  readonly ttls: number[];
  readonly addresses: string[];
}

/** Reads id, rcode and the A / AAAA records of a DNS response. */
function readReply(message: Uint8Array): DnsReply {
  const u16 = (at: number) => ((message[at] ?? 0) << 8) | (message[at + 1] ?? 0);
  const skipName = (at: number): number => {
    for (let i = at; ; ) {
      const len = message[i] ?? 0;
      if (len === 0) return i + 1;
      if ((len & 0xc0) === 0xc0) return i + 2;
      i += len + 1;
    }
  };
  let at = 12;
  for (let q = 0; q < u16(4); q++) at = skipName(at) + 4;
  const ttls: number[] = [];
  const addresses: string[] = [];
  for (let a = 0; a < u16(6); a++) {
    at = skipName(at);
    const type = u16(at);
    ttls.push(u16(at + 4) * 65536 + u16(at + 6));
    const length = u16(at + 8);
    const rdata = message.slice(at + 10, at + 10 + length);
    if (type === TYPE.A) addresses.push([...rdata].join("."));
    if (type === TYPE.AAAA) addresses.push(formatIpAddress(rdata));
    at += 10 + length;
  }
  return { id: u16(0), rcode: (message[3] ?? 0) & 0xf, ttls, addresses };
}

function parse(packet: Uint8Array | undefined): IpPacket {
  const parsed = parseIpPacket(packet ?? new Uint8Array(0));
  if (isWireError(parsed)) throw new Error("not an IP packet");
  return parsed;
}

/** The DNS reply the client's TUN device got: checks its addresses and ports, returns the message. */
function takeDnsReply(world: DnsWorld, sentinel: number | Uint8Array, asker = APP_PORT): DnsReply {
  const packet = parse(world.clientTun.shift());
  const udp = asUdp(packet);
  if (isWireError(udp)) throw new Error("the reply is not UDP");
  expect(formatIpAddress(packet.src)).toBe(formatIpAddress(sentinel));
  expect(formatIpAddress(packet.dst)).toBe(
    formatIpAddress(typeof sentinel === "number" ? CLIENT_V4 : CLIENT_V6),
  );
  expect([udp.srcPort, udp.dstPort]).toEqual([53, asker]);
  return readReply(udp.payload());
}

/** Asks for the wiki's A records and returns the proxy IPs of the answer. */
function resolveWiki(world: DnsWorld, id = 0x1111): number[] {
  world.clientSends(udpFromApp(SENTINEL_V4, dnsQuery(id, WIKI.domain, TYPE.A), 53));
  return takeDnsReply(world, SENTINEL_V4).addresses.map((text) => v4(text));
}

function activeStatus(status: "Active" | "Inactive" = "Active"): Uint8Array {
  const packet = buildDomainStatus({ resource: WIKI.id, domain: WIKI.domain, status });
  if (isWireError(packet)) throw new Error("cannot build DomainStatus");
  return packet;
}

/** Resolves the wiki, sends one packet to it and has the gateway confirm the NAT. */
function confirmedWiki(world: DnsWorld): number {
  const [proxy] = resolveWiki(world);
  if (proxy === undefined) throw new Error("no proxy IP");
  world.clientSends(udpFromApp(proxy, Uint8Array.of(0)));
  world.gatewaySends(activeStatus());
  world.gatewayEvents.length = 0;
  world.gatewayTun.length = 0;
  return proxy;
}

describe("the client's stub resolver answers from the TUN device", () => {
  test("an A query to the sentinel gets 4 proxy IPs from 100.96.0.0/11 with a 1 s TTL", () => {
    const world = new DnsWorld();
    world.clientSends(udpFromApp(SENTINEL_V4, dnsQuery(0xbeef, "Wiki.Example.com", TYPE.A), 53));
    const reply = takeDnsReply(world, SENTINEL_V4);
    expect(reply.id).toBe(0xbeef);
    expect(reply.rcode).toBe(0);
    expect(reply.ttls).toEqual([1, 1, 1, 1]);
    expect(reply.addresses).toHaveLength(4);
    expect(new Set(reply.addresses).size).toBe(4);
    for (const text of reply.addresses)
      expect(networkContains(DNS_PROXY_V4_RANGE, v4(text))).toBe(true);
    // A query alone sets nothing up at the gateway.
    expect(world.gatewayEvents).toEqual([]);
    expect(world.gatewayTun).toEqual([]);
  });

  test("an AAAA query to the IPv6 sentinel gets 4 proxy IPs from fd00:2021:1111:8000::/107", () => {
    const world = new DnsWorld();
    world.clientSends(udpFromApp(SENTINEL_V6, dnsQuery(7, WIKI.domain, TYPE.AAAA), 53, 5353));
    const reply = takeDnsReply(world, SENTINEL_V6, 5353);
    expect(reply.addresses).toHaveLength(4);
    for (const text of reply.addresses) {
      expect(networkContains(DNS_PROXY_V6_RANGE, parseIpAddress(text) ?? 0)).toBe(true);
    }
  });

  test("the shell learns the routes and the sentinel of each upstream", () => {
    const world = new DnsWorld();
    expect(DNS_ROUTES.map(formatIpNetwork)).toEqual([
      "100.100.111.0/24",
      "fd00:2021:1111:8000:100:100:111:0/120",
      "100.96.0.0/11",
      "fd00:2021:1111:8000::/107",
    ]);
    const servers = world.client.dnsServers();
    expect(servers.ipv4.map(formatIpAddress)).toEqual(["100.100.111.1"]);
    expect(servers.ipv6.map(formatIpAddress)).toEqual(["fd00:2021:1111:8000:100:100:111:1"]);
  });

  test("TCP to a sentinel port other than 53 and queries to a sentinel without an upstream get ICMP unreachable", () => {
    const world = new DnsWorld();
    const tcp = buildTcpPacket(
      {
        src: CLIENT_V4,
        dst: SENTINEL_V4,
        srcPort: APP_PORT,
        dstPort: 80,
        seq: 1,
        ack: 0,
        flags: TcpFlag.Syn,
        window: 1024,
      },
      new Uint8Array(0),
    );
    if (isWireError(tcp)) throw new Error("cannot build TCP");
    world.clientSends(tcp);
    world.clientSends(udpFromApp(v4("100.100.111.2"), dnsQuery(1, WIKI.domain, TYPE.A), 53));
    expect(world.clientTun).toHaveLength(2);
    for (const packet of world.clientTun) {
      const icmp = Icmpv4Packet.checked(parse(packet).payload());
      if (isWireError(icmp)) throw new Error("not ICMP");
      expect([icmp.type, icmp.code]).toEqual([3, 0]);
    }
    expect(world.client.stats().drops["no-route"]).toBe(2);
    expect(world.client.stats().dns.answeredLocally).toBe(0);
  });
});

describe("non-resource names go to the upstream through the shell", () => {
  test("the query is forwarded and the upstream's answer reaches the asker under its own id", () => {
    const world = new DnsWorld();
    world.clientSends(udpFromApp(SENTINEL_V4, dnsQuery(0x4242, "example.org", TYPE.A), 53));
    expect(world.clientTun).toEqual([]);
    const forward = world.client.pollDnsQuery();
    if (forward === undefined) throw new Error("nothing was forwarded");
    expect(forward.upstream).toEqual(UPSTREAM);
    expect(forward.query.slice(2)).toEqual(dnsQuery(0x4242, "example.org", TYPE.A).slice(2));
    expect(world.client.pollDnsQuery()).toBeUndefined();

    world.client.handleDnsResponse(
      UPSTREAM,
      upstreamAnswer(forward.query, v4("93.184.215.14")),
      world.now,
    );
    world.settle();
    const reply = takeDnsReply(world, SENTINEL_V4);
    expect(reply).toEqual({ id: 0x4242, rcode: 0, ttls: [60], addresses: ["93.184.215.14"] });
    expect(world.client.pollTimeout()).toBeUndefined();
  });

  test("an answer from another server is not delivered", () => {
    const world = new DnsWorld();
    world.clientSends(udpFromApp(SENTINEL_V4, dnsQuery(9, "example.org", TYPE.A), 53));
    const forward = world.client.pollDnsQuery();
    if (forward === undefined) throw new Error("nothing was forwarded");
    const answer = upstreamAnswer(forward.query, v4("203.0.113.9"));
    world.client.handleDnsResponse({ address: "198.19.0.66", port: 53 }, answer, world.now);
    world.settle();
    expect(world.clientTun).toEqual([]);
    expect(world.client.stats().dns.mismatchedResponses).toBe(1);
  });

  test("5 s of upstream silence gives the asker SERVFAIL", () => {
    const world = new DnsWorld();
    world.clientSends(udpFromApp(SENTINEL_V4, dnsQuery(0x0707, "example.org", TYPE.A), 53));
    expect(world.client.pollDnsQuery()).toBeDefined();
    expect(world.client.pollTimeout()).toBeLessThanOrEqual(world.now + FORWARD_TIMEOUT_MS);
    world.advance(FORWARD_TIMEOUT_MS - 1);
    expect(world.clientTun).toEqual([]);
    world.advance(1);
    const reply = takeDnsReply(world, SENTINEL_V4);
    expect([reply.id, reply.rcode, reply.addresses]).toEqual([0x0707, 2, []]);
  });
});

describe("packets to a proxy IP go through the gateway's DNS-resource NAT", () => {
  test("the first packet sends AssignedIps with the name's 8 proxy IPs and waits", () => {
    const world = new DnsWorld();
    const proxies = resolveWiki(world);
    world.clientSends(udpFromApp(SENTINEL_V6, dnsQuery(2, WIKI.domain, TYPE.AAAA), 53));
    const proxies6 = takeDnsReply(world, SENTINEL_V6).addresses;

    const result = world.clientSends(udpFromApp(proxies[1] ?? 0, Uint8Array.of(1, 2, 3)));
    expect(result.kind).toBe("none");
    expect(world.gatewayEvents).toEqual([
      {
        type: "AssignedIps",
        resource: WIKI.id,
        domain: WIKI.domain,
        proxyIps: [...proxies.map(formatIpAddress), ...proxies6],
      },
    ]);
    expect(world.gatewayTun).toEqual([]);
    expect(world.clientTun).toEqual([]);
  });

  test("DomainStatus Active releases the waiting packets to the gateway in order", () => {
    const world = new DnsWorld();
    const [proxy = 0] = resolveWiki(world);
    const packets = [1, 2, 3].map((n) => udpFromApp(proxy, Uint8Array.of(n)));
    for (const packet of packets) world.clientSends(packet);
    expect(world.gatewayEvents).toHaveLength(1);
    expect(world.gatewayTun).toEqual([]);

    world.gatewaySends(activeStatus());
    expect(world.gatewayTun).toEqual(packets);
    const next = udpFromApp(proxy, Uint8Array.of(4));
    expect(world.clientSends(next).kind).toBe("transmit");
    expect(world.gatewayTun.at(-1)).toEqual(next);
  });

  test("a full set-up buffer drops what does not fit", () => {
    const world = new DnsWorld();
    const [proxy = 0] = resolveWiki(world);
    for (let n = 0; n < PENDING_BUFFER_PACKETS + 3; n++) {
      world.clientSends(udpFromApp(proxy, Uint8Array.of(n)));
    }
    expect(world.client.stats().dnsNatDropped).toBe(3);
    world.gatewaySends(activeStatus());
    expect(world.gatewayTun).toHaveLength(PENDING_BUFFER_PACKETS);
  });

  test("Firezone #8935: a re-query re-sends AssignedIps while a busy flow keeps going", () => {
    const world = new DnsWorld();
    const proxy = confirmedWiki(world);
    const sent: Uint8Array[] = [];
    const assignedIps = () => world.gatewayEvents.filter((e) => e.type === "AssignedIps").length;
    for (let n = 0; n < 40; n++) {
      if (n === 10) {
        resolveWiki(world, n);
        expect(assignedIps()).toBe(1);
      }
      // Still unanswered after the resend interval: the next packet sends AssignedIps again.
      if (n === 20) world.now += ASSIGNED_IPS_RESEND_MS;
      const packet = udpFromApp(proxy, Uint8Array.of(n));
      sent.push(packet);
      expect(world.clientSends(packet).kind).toBe("transmit");
      expect(assignedIps()).toBe(n < 10 ? 0 : n < 20 ? 1 : 2);
    }
    expect(world.gatewayTun).toEqual(sent);
    expect(world.client.stats().dnsNatDropped).toBe(0);
    world.gatewaySends(activeStatus());
    expect(world.clientSends(udpFromApp(proxy, Uint8Array.of(99))).kind).toBe("transmit");
  });

  test("DomainStatus Inactive answers the waiting packets and later ones with ICMP unreachable", () => {
    const world = new DnsWorld();
    const [proxy = 0] = resolveWiki(world);
    const waiting = udpFromApp(proxy, Uint8Array.of(1));
    world.clientSends(waiting);
    world.gatewaySends(activeStatus("Inactive"));
    world.clientSends(udpFromApp(proxy, Uint8Array.of(2)));
    expect(world.gatewayTun).toEqual([]);
    expect(world.clientTun).toHaveLength(2);
    for (const packet of world.clientTun) {
      const parsed = parse(packet);
      const icmp = Icmpv4Packet.checked(parsed.payload());
      if (isWireError(icmp)) throw new Error("not ICMP");
      expect([icmp.type, icmp.code]).toEqual([3, 0]);
      expect(formatIpAddress(parsed.dst)).toBe(formatIpAddress(CLIENT_V4));
    }
    expect(parse(world.clientTun[0]).payload().subarray(8, 28)).toEqual(waiting.subarray(0, 20));
  });

  test("Goodbye forgets the gateway's NATs: the next packet sets one up again", () => {
    const world = new DnsWorld();
    const proxy = confirmedWiki(world);
    const goodbye = buildGoodbye();
    if (isWireError(goodbye)) throw new Error("cannot build Goodbye");
    world.gatewaySends(goodbye);
    world.clientSends(udpFromApp(proxy, Uint8Array.of(5)));
    expect(world.gatewayEvents.map((event) => event.type)).toEqual(["AssignedIps"]);
    expect(world.gatewayTun).toEqual([]);
  });

  test("a proxy IP no query handed out is unreachable", () => {
    const world = new DnsWorld();
    world.clientSends(udpFromApp(v4("100.96.0.200"), Uint8Array.of(1)));
    expect(world.gatewayEvents).toEqual([]);
    expect(world.clientTun).toHaveLength(1);
    expect(world.client.stats().drops["no-route"]).toBe(1);
  });
});

describe("packets back from the gateway", () => {
  test("are accepted from a proxy IP of a name the gateway serves, refused from others", () => {
    const world = new DnsWorld();
    const proxy = confirmedWiki(world);
    // The gateway's NAT translated the resource's answer back to come from the proxy IP.
    const answer = swapped(udpFromApp(proxy, Uint8Array.of(7)));
    expect(world.gatewaySends(answer).kind).toBe("tun");
    expect(world.clientTun.at(-1)).toEqual(answer);

    expect(world.gatewaySends(swapped(udpFromApp(v4("100.96.0.200"), Uint8Array.of(8)))).kind).toBe(
      "none",
    );
    expect(world.client.stats().drops["wrong-source"]).toBe(1);
  });
});

/** The same UDP packet in the other direction (addresses and ports swapped). */
function swapped(packet: Uint8Array): Uint8Array {
  const parsed = parse(packet);
  const udp = asUdp(parsed);
  if (isWireError(udp)) throw new Error("not UDP");
  const reply = buildUdpPacket(
    { src: parsed.dst, dst: parsed.src, srcPort: udp.dstPort, dstPort: udp.srcPort },
    udp.payload(),
  );
  if (isWireError(reply)) throw new Error("cannot build the reply");
  return reply;
}

describe("without any upstream", () => {
  test("one sentinel still answers DNS resources; other names get SERVFAIL at once", () => {
    const keys = keyPair(seededRandom(3));
    const client = new ClientState(
      {
        privateKey: keys.privateKey,
        tunnelIpv4: CLIENT_V4,
        tunnelIpv6: CLIENT_V6,
        gateways: [],
        resources: [],
        dnsResources: [{ id: WIKI.id, pattern: wikiPattern(), gateway: "gw" }],
      },
      { timeOriginMs: 0, random: seededRandom(4) },
      0,
    );
    expect(client.dnsServers().ipv4.map(formatIpAddress)).toEqual(["100.100.111.1"]);
    const out = new Uint8Array(2048);
    client.handleTunPacket(udpFromApp(SENTINEL_V4, dnsQuery(1, WIKI.domain, TYPE.A), 53), out, 0);
    client.handleTunPacket(udpFromApp(SENTINEL_V4, dnsQuery(2, "example.org", TYPE.A), 53), out, 0);
    const replies = [client.pollPacket(), client.pollPacket()].map((packet) => {
      const udp = asUdp(parse(packet));
      if (isWireError(udp)) throw new Error("not UDP");
      return readReply(udp.payload());
    });
    expect(replies.map((reply) => [reply.id, reply.rcode, reply.addresses.length])).toEqual([
      [1, 0, 4],
      [2, 2, 0],
    ]);
    expect(client.pollDnsQuery()).toBeUndefined();
  });
});

describe("AssignedIps sealed while a new session flushes staged packets", () => {
  test("costs none of the packets staged for the handshake", () => {
    const random = seededRandom(5);
    const clientKeys = keyPair(random);
    const gatewayKeys = keyPair(random);
    const client = new ClientState(
      {
        privateKey: clientKeys.privateKey,
        tunnelIpv4: CLIENT_V4,
        tunnelIpv6: CLIENT_V6,
        gateways: [{ id: "gw", publicKey: gatewayKeys.publicKey, endpoint: GATEWAY_ENDPOINT }],
        resources: [{ id: "lan", network: network("198.19.0.0/24"), gateway: "gw" }],
        dnsResources: [{ id: WIKI.id, pattern: wikiPattern(), gateway: "gw" }],
        upstreamDns: [UPSTREAM],
      },
      { timeOriginMs: 1_700_000_000_000, random },
      0,
    );
    const gateway = new Device({ privateKey: gatewayKeys.privateKey, timeOriginMs: 0, random });
    gateway.addPeer({ publicKey: clientKeys.publicKey }, 0);
    const arrived: Uint8Array[] = [];
    const toGateway = (datagram: Uint8Array): Uint8Array | undefined => {
      const result = gateway.decapsulate(CLIENT_ENDPOINT, datagram, new Uint8Array(2048), 0);
      if (result.type === "write-to-tunnel-v4") arrived.push(result.packet.slice());
      return result.type === "write-to-network" ? result.packet.slice() : undefined;
    };

    const large = [1, 2, 3].map((n) => udpFromApp(v4("198.19.0.2"), new Uint8Array(1172).fill(n)));
    const sent = large.map((packet) => client.handleTunPacket(packet, new Uint8Array(2048), 0));
    const initiation = sent[0]?.kind === "transmit" ? sent[0].datagram.slice() : undefined;
    if (initiation === undefined) throw new Error("no handshake initiation");
    client.handleTunPacket(
      udpFromApp(SENTINEL_V4, dnsQuery(1, WIKI.domain, TYPE.A), 53),
      new Uint8Array(2048),
      0,
    );
    const answer = asUdp(parse(client.pollPacket()));
    if (isWireError(answer)) throw new Error("the DNS answer is not UDP");
    const proxy = v4(readReply(answer.payload()).addresses[0] ?? "");

    const response = toGateway(initiation);
    if (response === undefined) throw new Error("no handshake response");
    const first = client.handleDatagram(GATEWAY_ENDPOINT, response, new Uint8Array(2048), 0);
    if (first.kind === "transmit") toGateway(first.datagram.slice());
    // Like the shell's loop: a packet read from the TUN device before the transmits are drained.
    client.handleTunPacket(udpFromApp(proxy, Uint8Array.of(9)), new Uint8Array(2048), 0);
    const out = new Uint8Array(2048);
    for (let next = client.pollTransmit(out, 0); next; next = client.pollTransmit(out, 0))
      toGateway(next.datagram.slice());

    const staged = arrived.filter((packet) => packet.length === 1200);
    expect(staged.map((packet) => packet.at(-1))).toEqual([1, 2, 3]);
    expect(staged).toEqual(large);
    expect(client.stats().wireguardErrors).toEqual({});
    expect(client.stats().drops.wireguard).toBe(0);
  });
});

function wikiPattern(): NamePattern {
  const pattern = parsePattern(WIKI.domain);
  if (isPatternError(pattern)) throw new Error(pattern.reason);
  return pattern;
}

describe("DNS over TCP to the sentinel", () => {
  /** A TCP segment from the application to the sentinel's port 53. */
  function tcpFromApp(
    seq: number,
    ack: number,
    flags: number,
    payload: Uint8Array = new Uint8Array(0),
  ) {
    const packet = buildTcpPacket(
      {
        src: CLIENT_V4,
        dst: SENTINEL_V4,
        srcPort: APP_PORT,
        dstPort: 53,
        seq,
        ack,
        flags,
        window: 65535,
      },
      payload,
    );
    if (isWireError(packet)) throw new Error("cannot build TCP");
    return packet;
  }

  /** The TCP segments the client wrote to its TUN device since the last call. */
  function takeSegments(world: DnsWorld) {
    return world.clientTun.splice(0).map((bytes) => {
      const tcp = asTcp(parse(bytes));
      if (isWireError(tcp)) throw new Error("not TCP");
      return tcp;
    });
  }

  function framed(message: Uint8Array): Uint8Array {
    return Uint8Array.from([message.length >> 8, message.length & 0xff, ...message]);
  }

  test("a resource name is answered with proxy IPs, a forwarded one once the upstream answers", () => {
    const world = new DnsWorld();
    world.clientSends(tcpFromApp(100, 0, TcpFlag.Syn));
    const [synAck] = takeSegments(world);
    if (synAck === undefined) throw new Error("no SYN-ACK");
    expect(synAck.flags).toBe(TcpFlag.Syn | TcpFlag.Ack);
    const ours = (synAck.seq + 1) >>> 0;
    world.clientSends(tcpFromApp(101, ours, TcpFlag.Ack));

    const local = framed(dnsQuery(0x1111, WIKI.domain, TYPE.A));
    world.clientSends(tcpFromApp(101, ours, TcpFlag.Ack | TcpFlag.Psh, local));
    const [answer] = takeSegments(world);
    const reply = readReply(answer?.payload().subarray(2) ?? new Uint8Array(0));
    expect(reply.id).toBe(0x1111);
    expect(reply.addresses).toHaveLength(4);
    expect(world.client.stats().dns.answeredLocally).toBe(1);

    const sentSoFar = (ours + (answer?.payload().length ?? 0)) >>> 0;
    const remote = framed(dnsQuery(0x2222, "example.org", TYPE.A));
    const seq = 101 + local.length;
    world.clientSends(tcpFromApp(seq, sentSoFar, TcpFlag.Ack | TcpFlag.Psh, remote));
    expect(takeSegments(world).map((segment) => segment.flags)).toEqual([TcpFlag.Ack]);
    const forward = world.client.pollDnsQuery();
    if (forward === undefined) throw new Error("nothing was forwarded");
    world.client.handleDnsResponse(UPSTREAM, upstreamAnswer(forward.query, v4("93.184.215.14")), 0);
    world.settle();
    const [late] = takeSegments(world);
    expect(late?.seq).toBe(sentSoFar);
    expect(readReply(late?.payload().subarray(2) ?? new Uint8Array(0))).toEqual({
      id: 0x2222,
      rcode: 0,
      ttls: [60],
      addresses: ["93.184.215.14"],
    });
  });
});

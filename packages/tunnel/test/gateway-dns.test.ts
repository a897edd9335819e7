import { describe, expect, test } from "bun:test";
import { parsePattern, RESOLVE_TIMEOUT_MS, UDP_FLOW_IDLE_MS } from "@fz/dns-nat";
import {
  buildAssignedIps,
  buildGoodbye,
  buildUdpPacket,
  decodeP2pEvent,
  destinationPortOf,
  formatIpAddress,
  Icmpv4Packet,
  Icmpv6Packet,
  type IpAddress,
  type IpPacket,
  isP2pControl,
  isWireError,
  P2pControlPacket,
  type P2pEvent,
  parseIpPacket,
  sourcePortOf,
  transportChecksumValid,
} from "@fz/ip-packet";
import { type GatewayDnsResource, GatewayState, type ResolveRequest } from "@fz/tunnel";
import { Device, type Peer, type TunnResult } from "@fz/wireguard";
import {
  CLIENT_ENDPOINT,
  CLIENT_V4,
  CLIENT_V6,
  echoReplyTo,
  echoRequest,
  GATEWAY_ENDPOINT,
  keyPair,
  network,
  seededRandom,
  v4,
  v6,
} from "./simulation.ts";

const PROXY_V4 = ["100.96.0.1", "100.96.0.2", "100.96.0.3", "100.96.0.4"] as const;
const PROXY_V6 = [
  "fd00:2021:1111:8000::1",
  "fd00:2021:1111:8000::2",
  "fd00:2021:1111:8000::3",
  "fd00:2021:1111:8000::4",
] as const;
const REAL_V4 = v4("198.19.1.10");
const REAL_V6 = v6("fd00:198:19:1::10");
const CIDR_HOST = v4("198.19.0.2");

function pattern(text: string) {
  const parsed = parsePattern(text);
  if ("reason" in parsed) throw new Error(parsed.reason);
  return parsed;
}

function parse(packet: Uint8Array | undefined): IpPacket {
  const parsed = parseIpPacket(packet ?? new Uint8Array(0));
  if (isWireError(parsed)) throw new Error(`not a packet: ${parsed.kind}`);
  return parsed;
}

/** Whether every checksum of a packet (IPv4 header, transport) verifies. */
function checksumsValid(packet: IpPacket): boolean {
  const header = packet.version === 6 || packet.headerChecksumValid();
  return header && transportChecksumValid(packet) === true;
}

function udp(src: IpAddress, dst: IpAddress, srcPort: number, dstPort: number, text: string) {
  const packet = buildUdpPacket({ src, dst, srcPort, dstPort }, new TextEncoder().encode(text));
  if (isWireError(packet)) throw new Error(packet.kind);
  return packet;
}

/**
 * A gateway with DNS resources, and a client played by a raw WireGuard Device holding the
 * client's key; the test plays the client's applications, the resolver and the resource LAN.
 */
class DnsWorld {
  now = 0;
  readonly random = seededRandom(21);
  readonly clientKeys = keyPair(this.random);
  readonly gatewayKeys = keyPair(this.random);
  readonly gateway: GatewayState;
  readonly client: Device;
  readonly peer: Peer;
  /** Data packets the client received through the tunnel. */
  readonly clientTun: IpPacket[] = [];
  /** p2p control events the client received. */
  readonly clientEvents: P2pEvent[] = [];
  /** Packets the gateway wrote to its TUN device (towards the LAN). */
  readonly lanTun: Uint8Array[] = [];

  constructor(granted: readonly string[], dnsResources: readonly GatewayDnsResource[]) {
    this.gateway = new GatewayState(
      {
        privateKey: this.gatewayKeys.privateKey,
        resources: [{ id: "lan", network: network("198.19.0.0/24") }],
        dnsResources,
        clients: [
          {
            id: "alice",
            publicKey: this.clientKeys.publicKey,
            tunnelIpv4: CLIENT_V4,
            tunnelIpv6: CLIENT_V6,
            resources: granted,
          },
        ],
      },
      { timeOriginMs: 1_700_000_000_000, random: seededRandom(5) },
      this.now,
    );
    this.client = new Device({
      privateKey: this.clientKeys.privateKey,
      timeOriginMs: 1_700_000_000_000,
      random: seededRandom(9),
    });
    this.peer = this.client.addPeer({ publicKey: this.gatewayKeys.publicKey }, this.now);
  }

  /** A packet the client seals and sends to the gateway; everything that follows is delivered. */
  clientSends(packet: Uint8Array): void {
    this.#fromClient(this.peer.encapsulate(packet, new Uint8Array(packet.length + 200), this.now));
    this.settle();
  }

  assignIps(
    resource: string,
    domain: string,
    proxyIps: readonly string[] = [...PROXY_V4, ...PROXY_V6],
  ): void {
    const packet = buildAssignedIps({ resource, domain, proxyIps });
    if (isWireError(packet)) throw new Error(packet.kind);
    this.clientSends(packet);
  }

  /** A packet from the resource LAN arriving at the gateway's TUN device. */
  lanSends(packet: Uint8Array): void {
    const out = new Uint8Array(packet.length + 64);
    out.set(packet, 16);
    const result = this.gateway.handleTunPacket(
      out.subarray(16, 16 + packet.length),
      out,
      this.now,
    );
    if (result.kind === "transmit") this.#toClient(result.datagram.slice());
    this.settle();
  }

  /** The lookups the gateway asks its shell for. */
  lookups(): ResolveRequest[] {
    const requests: ResolveRequest[] = [];
    for (let r = this.gateway.pollResolve(); r !== undefined; r = this.gateway.pollResolve())
      requests.push(r);
    return requests;
  }

  /** Plays the resolver: every pending lookup answered from `records` (missing: no address). */
  resolve(records: { v4?: IpAddress[]; v6?: IpAddress[] } | "failed"): ResolveRequest[] {
    const requests = this.lookups();
    for (const request of requests) {
      const answer =
        records === "failed" ? "failed" : ((request.family === 4 ? records.v4 : records.v6) ?? []);
      this.gateway.handleResolved(request.id, answer, this.now);
    }
    this.settle();
    return requests;
  }

  advance(ms: number): void {
    const end = this.now + ms;
    // A timer that never moves past `now` would spin forever: fail instead.
    for (let rounds = 0; ; rounds++) {
      if (rounds > 100_000) throw new Error(`timers stuck at ${this.now}`);
      const next = Math.min(
        this.gateway.pollTimeout() ?? Number.POSITIVE_INFINITY,
        this.client.pollTimeout() ?? Number.POSITIVE_INFINITY,
      );
      if (next > end) break;
      this.now = Math.max(this.now, next);
      this.gateway.handleTimeout(this.now);
      this.client.handleTimeout(this.now);
      this.settle();
    }
    this.now = end;
  }

  settle(): void {
    for (let progress = true; progress; ) {
      progress = false;
      const fromGateway = this.gateway.pollTransmit(new Uint8Array(2048), this.now);
      if (fromGateway !== undefined) {
        progress = true;
        expect(fromGateway.to).toEqual(CLIENT_ENDPOINT);
        this.#toClient(fromGateway.datagram.slice());
      }
      const fromClient = this.client.pollTransmit(new Uint8Array(2048), this.now);
      if (fromClient !== undefined) {
        progress = true;
        this.#fromClient(fromClient);
      }
    }
  }

  #fromClient(result: TunnResult | undefined): void {
    if (result?.type !== "write-to-network") return;
    const datagram = result.packet.slice();
    const out = new Uint8Array(datagram.length + 64);
    const output = this.gateway.handleDatagram(CLIENT_ENDPOINT, datagram, out, this.now);
    if (output.kind === "transmit") this.#toClient(output.datagram.slice());
    if (output.kind === "tun") this.lanTun.push(output.packet.slice());
  }

  #toClient(datagram: Uint8Array): void {
    // Room for a staged packet that the handshake response releases, not just this datagram.
    const out = new Uint8Array(2048);
    const result = this.client.decapsulate(GATEWAY_ENDPOINT, datagram, out, this.now);
    if (result.type === "write-to-network") this.#fromClient(result);
    if (result.type === "write-to-tunnel-v4" || result.type === "write-to-tunnel-v6") {
      const packet = parse(result.packet.slice());
      if (!isP2pControl(packet)) {
        this.clientTun.push(packet);
        return;
      }
      const control = P2pControlPacket.checked(packet);
      if (isWireError(control)) throw new Error(control.kind);
      const event = decodeP2pEvent(control);
      if (isWireError(event)) throw new Error(event.kind);
      this.clientEvents.push(event);
    }
  }
}

const RESOURCES: GatewayDnsResource[] = [
  { id: "app", pattern: pattern("app.internal") },
  { id: "wiki", pattern: pattern("*.wiki.internal") },
  { id: "secret", pattern: pattern("secret.internal") },
];

/** A world whose client is granted "lan", "app" and "wiki" (not "secret"), already Active for app. */
function activeWorld(records: { v4?: IpAddress[]; v6?: IpAddress[] } = {}): DnsWorld {
  const world = new DnsWorld(["lan", "app", "wiki"], RESOURCES);
  world.assignIps("app", "app.internal");
  world.resolve({ v4: [REAL_V4], v6: [REAL_V6], ...records });
  expect(world.clientEvents.shift()).toEqual({
    type: "DomainStatus",
    resource: "app",
    domain: "app.internal",
    status: "Active",
  });
  return world;
}

describe("AssignedIps from a client", () => {
  test("a granted name is looked up (A and AAAA) and answered Active", () => {
    const world = new DnsWorld(["app", "wiki"], RESOURCES);
    world.assignIps("wiki", "Docs.Wiki.Internal.");
    const requests = world.lookups();
    expect(requests.map(({ name, family }) => ({ name, family }))).toEqual([
      { name: "docs.wiki.internal", family: 4 },
      { name: "docs.wiki.internal", family: 6 },
    ]);
    expect(world.clientEvents).toEqual([]);
    for (const request of requests)
      world.gateway.handleResolved(request.id, request.family === 4 ? [REAL_V4] : [], world.now);
    world.settle();
    expect(world.clientEvents).toEqual([
      {
        type: "DomainStatus",
        resource: "wiki",
        domain: "Docs.Wiki.Internal.",
        status: "Active",
      },
    ]);
    expect(world.gateway.stats().dnsNat.setupsActive).toBe(1);
  });

  test.each([
    ["a resource the client is not granted", "secret", "secret.internal"],
    ["a name outside the resource's pattern", "app", "other.internal"],
    ["a CIDR resource's id", "lan", "app.internal"],
    ["an unknown resource id", "nope", "app.internal"],
  ])("%s is answered Inactive at once, without a lookup", (_, resource, domain) => {
    const world = new DnsWorld(["lan", "app"], RESOURCES);
    world.assignIps(resource, domain);
    expect(world.clientEvents).toEqual([
      { type: "DomainStatus", resource, domain, status: "Inactive" },
    ]);
    expect(world.lookups()).toEqual([]);
    expect(world.gateway.stats().dnsNat.notAllowed).toBe(1);
  });

  test("a failed resolution is answered Inactive", () => {
    const world = new DnsWorld(["app"], RESOURCES);
    world.assignIps("app", "app.internal");
    expect(world.resolve("failed")).toHaveLength(2);
    expect(world.clientEvents).toEqual([
      { type: "DomainStatus", resource: "app", domain: "app.internal", status: "Inactive" },
    ]);
    expect(world.gateway.stats().dnsNat.lookupsFailed).toBe(2);
  });

  test("lookups the resolver never answers time out through the gateway's timer: Inactive", () => {
    const world = new DnsWorld(["app"], RESOURCES);
    world.assignIps("app", "app.internal");
    expect(world.lookups()).toHaveLength(2);
    expect(world.gateway.pollTimeout()).toBeLessThanOrEqual(world.now + RESOLVE_TIMEOUT_MS);
    world.advance(RESOLVE_TIMEOUT_MS - 1);
    expect(world.clientEvents).toEqual([]);
    world.advance(1);
    expect(world.clientEvents).toEqual([
      { type: "DomainStatus", resource: "app", domain: "app.internal", status: "Inactive" },
    ]);
    expect(world.gateway.stats().dnsNat.lookupsTimedOut).toBe(2);
  });
});

describe("packets to proxy IPs", () => {
  test("an ICMP echo reaches the real IPv4 address and the reply comes back from the proxy IP", () => {
    const world = activeWorld();
    const proxy = v4(PROXY_V4[1]);
    world.clientSends(echoRequest(CLIENT_V4, proxy, 7));
    const arrived = parse(world.lanTun.shift());
    expect(formatIpAddress(arrived.dst)).toBe(formatIpAddress(REAL_V4));
    expect(formatIpAddress(arrived.src)).toBe(formatIpAddress(CLIENT_V4));
    expect(checksumsValid(arrived)).toBe(true);

    world.lanSends(echoReplyTo(arrived.bytes));
    const reply = world.clientTun.shift();
    if (reply === undefined) throw new Error("no reply reached the client");
    expect(formatIpAddress(reply.src)).toBe(PROXY_V4[1]);
    expect(formatIpAddress(reply.dst)).toBe(formatIpAddress(CLIENT_V4));
    expect(checksumsValid(reply)).toBe(true);
    const icmp = Icmpv4Packet.checked(reply.payload());
    if (isWireError(icmp)) throw new Error(icmp.kind);
    expect([icmp.type, icmp.echoSeq]).toEqual([0, 7]);
    expect(world.gateway.stats().prohibited).toBe(0);
  });

  test("a UDP datagram to an IPv6 proxy IP reaches the real address; the answer returns", () => {
    const world = activeWorld();
    const proxy = v6(PROXY_V6[2]);
    world.clientSends(udp(CLIENT_V6, proxy, 50_000, 53, "question"));
    const arrived = parse(world.lanTun.shift());
    expect(formatIpAddress(arrived.dst)).toBe(formatIpAddress(REAL_V6));
    expect(formatIpAddress(arrived.src)).toBe(formatIpAddress(CLIENT_V6));
    expect(destinationPortOf(arrived)).toBe(53);
    expect(checksumsValid(arrived)).toBe(true);

    const natPort = sourcePortOf(arrived) ?? 0;
    world.lanSends(udp(REAL_V6, CLIENT_V6, 53, natPort, "answer"));
    const answer = world.clientTun.shift();
    if (answer === undefined) throw new Error("no answer reached the client");
    expect(formatIpAddress(answer.src)).toBe(PROXY_V6[2]);
    expect([sourcePortOf(answer), destinationPortOf(answer)]).toEqual([53, 50_000]);
    expect(checksumsValid(answer)).toBe(true);
    expect(new TextDecoder().decode(answer.payload().subarray(8))).toBe("answer");
    expect(world.gateway.stats().dnsNatFlows).toBe(1);
  });

  test("a family without an address is answered unreachable (v6 code 3) from the proxy IP", () => {
    const world = activeWorld({ v6: [] });
    const proxy = v6(PROXY_V6[0]);
    world.clientSends(udp(CLIENT_V6, proxy, 50_000, 443, "hello"));
    expect(world.lanTun).toEqual([]);
    const error = world.clientTun.shift();
    if (error === undefined) throw new Error("no ICMP error reached the client");
    expect(formatIpAddress(error.src)).toBe(PROXY_V6[0]);
    expect(formatIpAddress(error.dst)).toBe(formatIpAddress(CLIENT_V6));
    const icmp = Icmpv6Packet.checked(error.payload());
    if (isWireError(icmp)) throw new Error(icmp.kind);
    expect([icmp.type, icmp.code]).toEqual([1, 3]);
    expect(world.gateway.stats().dnsNat.noAddress).toBe(1);
    expect(world.gateway.stats().prohibited).toBe(0);
  });

  test("a proxy IP of a name the client was refused is answered unreachable (v4 code 0)", () => {
    const world = activeWorld();
    world.assignIps("secret", "secret.internal", [
      "100.96.0.9",
      "100.96.0.10",
      "100.96.0.11",
      "100.96.0.12",
    ]);
    expect(world.clientEvents.shift()?.type).toBe("DomainStatus");
    world.clientSends(echoRequest(CLIENT_V4, v4("100.96.0.9")));
    expect(world.lanTun).toEqual([]);
    const error = world.clientTun.shift();
    if (error === undefined) throw new Error("no ICMP error reached the client");
    expect(formatIpAddress(error.src)).toBe("100.96.0.9");
    const icmp = Icmpv4Packet.checked(error.payload());
    if (isWireError(icmp)) throw new Error(icmp.kind);
    expect([icmp.type, icmp.code]).toEqual([3, 0]);
    expect(world.gateway.stats().dnsNat.noMapping).toBe(1);
  });

  test("a spoofed source to a proxy IP is dropped before the NAT sees it", () => {
    const world = activeWorld();
    world.clientSends(echoRequest(v4("100.64.0.99"), v4(PROXY_V4[0])));
    expect(world.lanTun).toEqual([]);
    expect(world.gateway.stats().drops["wrong-source"]).toBe(1);
    expect(world.gateway.stats().dnsNat.flowsCreated).toBe(0);
  });

  test("Goodbye forgets the client's NAT state: its proxy IPs are unreachable after", () => {
    const world = activeWorld();
    world.clientSends(echoRequest(CLIENT_V4, v4(PROXY_V4[0])));
    expect(world.lanTun).toHaveLength(1);
    const goodbye = buildGoodbye();
    if (isWireError(goodbye)) throw new Error(goodbye.kind);
    world.clientSends(goodbye);
    expect(world.gateway.stats().dnsNatFlows).toBe(0);
    world.clientSends(echoRequest(CLIENT_V4, v4(PROXY_V4[0]), 2));
    expect(world.lanTun).toHaveLength(1);
    expect(world.gateway.stats().dnsNat.noMapping).toBe(1);
  });

  test("an idle flow expires at the gateway's timer; the LAN's late reply is not let through", () => {
    const world = activeWorld();
    world.clientSends(udp(CLIENT_V4, v4(PROXY_V4[0]), 40_000, 9, "ping"));
    const arrived = parse(world.lanTun.shift());
    world.lanSends(udp(REAL_V4, CLIENT_V4, 9, sourcePortOf(arrived) ?? 0, "pong"));
    expect(world.clientTun).toHaveLength(1);
    world.advance(UDP_FLOW_IDLE_MS + 1000);
    expect(world.gateway.stats().dnsNatFlows).toBe(0);
    expect(world.gateway.stats().dnsNat.flowsExpired).toBe(1);
    world.lanSends(udp(REAL_V4, CLIENT_V4, 9, sourcePortOf(arrived) ?? 0, "late"));
    expect(world.clientTun).toHaveLength(1);
    expect(world.gateway.stats().drops["not-allowed"]).toBe(1);
  });
});

describe("CIDR traffic alongside DNS resources", () => {
  test("a CIDR resource is reached untranslated and answers, with NAT flows open", () => {
    const world = activeWorld();
    world.clientSends(echoRequest(CLIENT_V4, v4(PROXY_V4[0])));
    world.lanTun.length = 0;
    const request = echoRequest(CLIENT_V4, CIDR_HOST, 3);
    world.clientSends(request);
    const arrived = world.lanTun.shift();
    expect(arrived).toEqual(request);
    world.lanSends(echoReplyTo(request));
    const reply = world.clientTun.shift();
    expect(reply === undefined ? undefined : formatIpAddress(reply.src)).toBe("198.19.0.2");
    expect(world.gateway.stats().dnsNat.translatedInbound).toBe(0);
  });

  test("a destination outside every granted CIDR is still prohibited (v4 code 13)", () => {
    const world = activeWorld();
    world.clientSends(echoRequest(CLIENT_V4, v4("198.20.0.7")));
    expect(world.lanTun).toEqual([]);
    const error = world.clientTun.shift();
    if (error === undefined) throw new Error("no ICMP error reached the client");
    const icmp = Icmpv4Packet.checked(error.payload());
    if (isWireError(icmp)) throw new Error(icmp.kind);
    expect([icmp.type, icmp.code]).toEqual([3, 13]);
    expect(world.gateway.stats().prohibited).toBe(1);
  });
});

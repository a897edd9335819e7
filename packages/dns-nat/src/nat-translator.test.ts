import { describe, expect, test } from "bun:test";
import { GatewayDnsNat, type InboundResult, type OutboundResult } from "@fz/dns-nat";
import {
  buildDestinationUnreachable,
  emitIpv4Header,
  emitIpv6Header,
  fillTransportChecksum,
  type IpAddress,
  TcpFlag,
} from "@fz/ip-packet";
import fc from "fast-check";
import {
  CLIENT,
  CLIENT_V4,
  CLIENT_V6,
  checksumsValid,
  DOMAIN,
  echo,
  fragments,
  hex,
  OTHER_CLIENT,
  OTHER_CLIENT_V4,
  ok,
  PROXY_V4,
  PROXY_V6,
  parse,
  RESOURCE,
  setUp,
  tcp,
  udp,
  v4,
  v6,
} from "./nat-test-packets.ts";

/** Property runs must not time out on a loaded 2-core machine. */
const PROPERTY_TIMEOUT_MS = 60_000;

const REAL_V4 = v4("10.0.0.1");
const REAL_V6 = v6("2001:db8::1");
const PAYLOAD = Uint8Array.from({ length: 40 }, (_, i) => i * 7);

interface Family {
  readonly name: string;
  readonly client: IpAddress;
  readonly proxies: readonly IpAddress[];
  readonly real: IpAddress;
  readonly otherReal: IpAddress;
  readonly router: IpAddress;
}

const FAMILIES: readonly Family[] = [
  {
    name: "IPv4",
    client: CLIENT_V4,
    proxies: PROXY_V4.map(v4),
    real: REAL_V4,
    otherReal: v4("10.0.0.2"),
    router: v4("10.0.9.1"),
  },
  {
    name: "IPv6",
    client: CLIENT_V6,
    proxies: PROXY_V6.map(v6),
    real: REAL_V6,
    otherReal: v6("2001:db8::2"),
    router: v6("2001:db8:9::1"),
  },
];

/** One kind of flow: how to build its client's packet and the resource's reply. */
interface Protocol {
  readonly name: string;
  readonly request: (
    src: IpAddress,
    dst: IpAddress,
    srcPort: number,
    dstPort: number,
  ) => Uint8Array;
  readonly reply: (src: IpAddress, dst: IpAddress, srcPort: number, dstPort: number) => Uint8Array;
  /** Whether the destination port is part of the flow (not for ICMP echo). */
  readonly hasDestinationPort: boolean;
}

const PROTOCOLS: readonly Protocol[] = [
  {
    name: "UDP",
    request: (src, dst, sp, dp) => udp(src, dst, sp, dp, PAYLOAD),
    reply: (src, dst, sp, dp) => udp(src, dst, sp, dp, PAYLOAD.subarray(3)),
    hasDestinationPort: true,
  },
  {
    name: "TCP",
    request: (src, dst, sp, dp) => tcp(src, dst, sp, dp, TcpFlag.Syn),
    reply: (src, dst, sp, dp) => tcp(src, dst, sp, dp, TcpFlag.Syn | TcpFlag.Ack),
    hasDestinationPort: true,
  },
  {
    name: "ICMP echo",
    request: (src, dst, id) => echo(src, dst, id, false),
    reply: (src, dst, _remote, id) => echo(src, dst, id, true),
    hasDestinationPort: false,
  },
];

function translated(result: OutboundResult | InboundResult): string | undefined {
  return result.kind === "translated" ? result.client : undefined;
}

/** An ICMP error about `offending` of any type, built from scratch (checksum filled). */
function icmpError(
  offending: Uint8Array,
  source: IpAddress,
  type: number,
  code: number,
): Uint8Array {
  const error = ok(buildDestinationUnreachable(parse(offending), "unreachable", { source }));
  const start = parse(error).headerLen;
  error[start] = type;
  error[start + 1] = code;
  if (type === 2 && typeof source !== "number") error.set([0, 0, 0x05, 0x00], start + 4);
  fillTransportChecksum(parse(error));
  return error;
}

/** A packet of a protocol without ports (47, GRE; over IPv6 50, ESP). */
function portless(src: IpAddress, dst: IpAddress): Uint8Array {
  const body = Uint8Array.of(0, 0, 0x08, 0, 1, 2, 3, 4);
  if (typeof src === "number" && typeof dst === "number") {
    const out = new Uint8Array(20 + body.length);
    emitIpv4Header(out, { src, dst, protocol: 47, payloadLen: body.length });
    out.set(body, 20);
    return out;
  }
  const out = new Uint8Array(40 + body.length);
  if (typeof src !== "number" && typeof dst !== "number") {
    emitIpv6Header(out, { src, dst, nextHeader: 50, payloadLen: body.length });
  }
  out.set(body, 40);
  return out;
}

for (const family of FAMILIES) {
  const [proxy = family.real, proxy2 = family.real, proxy3 = family.real] = family.proxies;

  describe(`${family.name}: round trips`, () => {
    for (const protocol of PROTOCOLS) {
      test(`${protocol.name}: out to the real IP and the reply back from the proxy IP, byte for byte`, () => {
        const nat = new GatewayDnsNat();
        expect(setUp(nat, [REAL_V4, REAL_V6])).toBe("Active");
        const packet = protocol.request(family.client, proxy, 40000, 443);
        const outbound = nat.translateOutbound(CLIENT, packet, 0);
        expect(outbound).toMatchObject({
          kind: "translated",
          client: CLIENT,
          resource: RESOURCE,
          domain: DOMAIN,
        });
        expect(hex(packet)).toBe(hex(protocol.request(family.client, family.real, 40000, 443)));
        expect(checksumsValid(packet)).toBe(true);

        const reply = protocol.reply(family.real, family.client, 443, 40000);
        expect(translated(nat.translateInbound(reply, 10))).toBe(CLIENT);
        expect(hex(reply)).toBe(hex(protocol.reply(proxy, family.client, 443, 40000)));
        expect(checksumsValid(reply)).toBe(true);
        expect(nat.counters()).toMatchObject({ translatedOutbound: 1, translatedInbound: 1 });
      });
    }
  });

  describe(`${family.name}: NAT ports keep flows apart`, () => {
    for (const protocol of PROTOCOLS) {
      test(`${protocol.name}: two proxy IPs on one real IP from the same client port`, () => {
        const nat = new GatewayDnsNat();
        setUp(nat, [REAL_V4, REAL_V6]);
        const first = protocol.request(family.client, proxy, 40000, 443);
        const second = protocol.request(family.client, proxy2, 40000, 443);
        const third = protocol.request(family.client, proxy, 40001, 443);
        for (const packet of [first, second, third]) {
          expect(translated(nat.translateOutbound(CLIENT, packet, 0))).toBe(CLIENT);
          expect(checksumsValid(packet)).toBe(true);
        }
        // The original port when free, else the next free one.
        expect(hex(first)).toBe(hex(protocol.request(family.client, family.real, 40000, 443)));
        expect(hex(second)).toBe(hex(protocol.request(family.client, family.real, 40001, 443)));
        expect(hex(third)).toBe(hex(protocol.request(family.client, family.real, 40002, 443)));

        const replies = [40002, 40000, 40001].map((port) =>
          protocol.reply(family.real, family.client, 443, port),
        );
        for (const reply of replies)
          expect(translated(nat.translateInbound(reply, 1))).toBe(CLIENT);
        expect(replies.map(hex)).toEqual(
          [
            protocol.reply(proxy, family.client, 443, 40001),
            protocol.reply(proxy, family.client, 443, 40000),
            protocol.reply(proxy2, family.client, 443, 40000),
          ].map(hex),
        );
        expect(nat.flowCount).toBe(3);
      });
    }

    test("the port wraps from 65535 to 1", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      const first = udp(family.client, proxy, 65535, 53);
      const second = udp(family.client, proxy2, 65535, 53);
      nat.translateOutbound(CLIENT, first, 0);
      nat.translateOutbound(CLIENT, second, 0);
      expect(hex(second)).toBe(hex(udp(family.client, family.real, 1, 53)));
    });

    test("flows to different destination ports, or from different clients, keep their port", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      setUp(nat, [REAL_V4, REAL_V6], { client: OTHER_CLIENT });
      const toHttps = tcp(family.client, proxy, 40000, 443, TcpFlag.Syn);
      const toHttp = tcp(family.client, proxy2, 40000, 80, TcpFlag.Syn);
      nat.translateOutbound(CLIENT, toHttps, 0);
      nat.translateOutbound(CLIENT, toHttp, 0);
      expect(hex(toHttp)).toBe(hex(tcp(family.client, family.real, 40000, 80, TcpFlag.Syn)));
      if (family.name === "IPv4") {
        const other = tcp(OTHER_CLIENT_V4, proxy, 40000, 443, TcpFlag.Syn);
        nat.translateOutbound(OTHER_CLIENT, other, 0);
        expect(hex(other)).toBe(hex(tcp(OTHER_CLIENT_V4, REAL_V4, 40000, 443, TcpFlag.Syn)));
        const reply = tcp(REAL_V4, OTHER_CLIENT_V4, 443, 40000, TcpFlag.Ack);
        expect(translated(nat.translateInbound(reply, 1))).toBe(OTHER_CLIENT);
      }
    });
  });

  describe(`${family.name}: ICMP errors`, () => {
    const unreachableType = family.name === "IPv4" ? 3 : 1;
    const portCode = family.name === "IPv4" ? 3 : 4;

    test("a port unreachable from the real IP reaches the client from the proxy IP, quoting the original", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      nat.translateOutbound(CLIENT, udp(family.client, proxy, 40000, 53), 0);
      const original = udp(family.client, proxy2, 40000, 53, PAYLOAD);
      const packet = original.slice();
      nat.translateOutbound(CLIENT, packet, 0); // NAT port 40001
      const error = icmpError(packet, family.real, unreachableType, portCode);
      expect(translated(nat.translateInbound(error, 1))).toBe(CLIENT);
      expect(hex(error)).toBe(hex(icmpError(original, proxy2, unreachableType, portCode)));
      expect(checksumsValid(error)).toBe(true);
      expect(nat.counters().icmpErrorsTranslated).toBe(1);
    });

    test("an error from a router on the way keeps its source; the quote is translated", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      const original = tcp(family.client, proxy, 40000, 443, TcpFlag.Syn);
      const packet = original.slice();
      nat.translateOutbound(CLIENT, packet, 0);
      const timeExceeded = family.name === "IPv4" ? 11 : 3;
      const error = icmpError(packet, family.router, timeExceeded, 0);
      expect(translated(nat.translateInbound(error, 1))).toBe(CLIENT);
      expect(hex(error)).toBe(hex(icmpError(original, family.router, timeExceeded, 0)));
      expect(checksumsValid(error)).toBe(true);
    });

    test("a packet-too-big / fragmentation-needed about an echo flow with a changed id", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      nat.translateOutbound(CLIENT, echo(family.client, proxy, 9), 0);
      const original = echo(family.client, proxy3, 9);
      const packet = original.slice();
      nat.translateOutbound(CLIENT, packet, 0);
      const [type, code] = family.name === "IPv4" ? [3, 4] : [2, 0];
      const error = icmpError(packet, family.real, type, code);
      expect(translated(nat.translateInbound(error, 1))).toBe(CLIENT);
      expect(hex(error)).toBe(hex(icmpError(original, proxy3, type, code)));
    });

    test("the client's own error about a reply goes to the real IP, quoting what the resource sent", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      nat.translateOutbound(CLIENT, udp(family.client, proxy, 5000, 53), 0);
      nat.translateOutbound(CLIENT, udp(family.client, proxy2, 5000, 53), 0); // NAT port 5001
      const sent = udp(family.real, family.client, 53, 5001, PAYLOAD);
      const received = sent.slice();
      nat.translateInbound(received, 1);
      const error = icmpError(received, family.client, unreachableType, portCode);
      expect(translated(nat.translateOutbound(CLIENT, error, 2))).toBe(CLIENT);
      expect(hex(error)).toBe(hex(icmpError(sent, family.client, unreachableType, portCode)));
      expect(checksumsValid(error)).toBe(true);
    });

    test("errors about unknown flows are left alone inbound and dropped outbound", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      const inbound = icmpError(
        udp(family.client, family.real, 1, 2),
        family.real,
        unreachableType,
        0,
      );
      const before = hex(inbound);
      expect(nat.translateInbound(inbound, 0)).toEqual({ kind: "no-flow" });
      expect(hex(inbound)).toBe(before);
      const outbound = icmpError(
        udp(proxy, family.client, 1, 2),
        family.client,
        unreachableType,
        0,
      );
      expect(nat.translateOutbound(CLIENT, outbound, 0)).toEqual({
        kind: "dropped",
        reason: "icmp-error-without-flow",
      });
    });
  });

  describe(`${family.name}: unreachable`, () => {
    const [type, code] = family.name === "IPv4" ? [3, 0] : [1, 3];

    test("a proxy IP never set up is answered ICMP unreachable from the proxy IP", () => {
      const nat = new GatewayDnsNat();
      const packet = udp(family.client, proxy, 40000, 53);
      const before = hex(packet);
      const result = nat.translateOutbound(CLIENT, packet, 0);
      expect(result.kind === "unreachable" && result.reason).toBe("no-mapping");
      expect(hex(packet)).toBe(before);
      const reply = result.kind === "unreachable" ? result.reply : undefined;
      expect(hex(reply ?? new Uint8Array())).toBe(hex(icmpError(packet, proxy, type, code)));
      expect(nat.counters()).toMatchObject({ noMapping: 1, unreachableReplies: 1 });
    });

    test("a family the name has no address of is answered the same way", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [family.name === "IPv4" ? REAL_V6 : REAL_V4]);
      const packet = tcp(family.client, proxy2, 40000, 443, TcpFlag.Syn);
      const slot = new Uint8Array(1500);
      const result = nat.translateOutbound(CLIENT, packet, 0, slot);
      expect(result.kind === "unreachable" && result.reason).toBe("no-address");
      const reply = result.kind === "unreachable" ? result.reply : undefined;
      expect(reply?.buffer).toBe(slot.buffer);
      expect(hex(reply ?? new Uint8Array())).toBe(hex(icmpError(packet, proxy2, type, code)));
      expect(nat.flowCount).toBe(0);
    });

    test("no reply about a packet RFC 1122 / 4443 forbid errors for (an ICMP error)", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      const error = icmpError(udp(proxy, family.client, 1, 2), family.client, type, 0);
      nat.forgetClient(CLIENT);
      expect(nat.translateOutbound(CLIENT, error, 0)).toEqual({
        kind: "dropped",
        reason: "icmp-error-without-flow",
      });
      const later = fragments(udp(family.client, proxy, 1, 2, PAYLOAD), 16, 77)[1];
      expect(nat.translateOutbound(CLIENT, later, 0)).toEqual({
        kind: "unreachable",
        reason: "no-mapping",
        reply: undefined,
      });
    });
  });

  describe(`${family.name}: records that change between resolutions`, () => {
    test("a running flow keeps its real IP; a new flow takes the new one; replies find both", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      const running = tcp(family.client, proxy, 1000, 80, TcpFlag.Syn);
      nat.translateOutbound(CLIENT, running, 0);
      expect(setUp(nat, [v4("10.0.0.2"), v6("2001:db8::2")], { now: 1000 })).toBe("Active");
      const again = tcp(family.client, proxy, 1000, 80, TcpFlag.Ack);
      nat.translateOutbound(CLIENT, again, 2000);
      expect(hex(again)).toBe(hex(tcp(family.client, family.real, 1000, 80, TcpFlag.Ack)));
      const fresh = tcp(family.client, proxy, 1001, 80, TcpFlag.Syn);
      nat.translateOutbound(CLIENT, fresh, 2000);
      expect(hex(fresh)).toBe(hex(tcp(family.client, family.otherReal, 1001, 80, TcpFlag.Syn)));

      const oldReply = tcp(family.real, family.client, 80, 1000, TcpFlag.Ack);
      const newReply = tcp(family.otherReal, family.client, 80, 1001, TcpFlag.Ack);
      expect(translated(nat.translateInbound(oldReply, 2001))).toBe(CLIENT);
      expect(translated(nat.translateInbound(newReply, 2001))).toBe(CLIENT);
      expect(hex(oldReply)).toBe(hex(tcp(proxy, family.client, 80, 1000, TcpFlag.Ack)));
      expect(hex(newReply)).toBe(hex(tcp(proxy, family.client, 80, 1001, TcpFlag.Ack)));
    });
  });

  describe(`${family.name}: fragments`, () => {
    test("later fragments follow the flow of their first fragment, both ways", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      nat.translateOutbound(CLIENT, udp(family.client, proxy, 40000, 53), 0);
      const [first, later] = fragments(udp(family.client, proxy2, 40000, 53, PAYLOAD), 16, 0x1234);
      expect(translated(nat.translateOutbound(CLIENT, first, 1))).toBe(CLIENT);
      // The name moves meanwhile: the datagram must not be split between two addresses.
      setUp(nat, [v4("10.0.0.2"), v6("2001:db8::2")], { now: 2 });
      expect(translated(nat.translateOutbound(CLIENT, later, 3))).toBe(CLIENT);
      const expected = fragments(udp(family.client, family.real, 40001, 53, PAYLOAD), 16, 0x1234);
      expect([hex(first), hex(later)]).toEqual(expected.map(hex));

      const [replyFirst, replyLater] = fragments(
        udp(family.real, family.client, 53, 40001, PAYLOAD),
        24,
        0xbeef,
      );
      expect(translated(nat.translateInbound(replyFirst, 4))).toBe(CLIENT);
      expect(translated(nat.translateInbound(replyLater, 4))).toBe(CLIENT);
      const restored = fragments(udp(proxy2, family.client, 53, 40000, PAYLOAD), 24, 0xbeef);
      expect([hex(replyFirst), hex(replyLater)]).toEqual(restored.map(hex));
    });

    test("a later fragment seen first goes to the current address; inbound it is left alone", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      const [, later] = fragments(udp(family.client, proxy, 40000, 53, PAYLOAD), 16, 9);
      expect(translated(nat.translateOutbound(CLIENT, later, 0))).toBe(CLIENT);
      expect(parse(later).dst).toEqual(family.real);
      const [, inbound] = fragments(udp(family.real, family.client, 53, 40000, PAYLOAD), 16, 9);
      const before = hex(inbound);
      expect(nat.translateInbound(inbound, 0)).toEqual({ kind: "no-flow" });
      expect(hex(inbound)).toBe(before);
    });
  });

  describe(`${family.name}: other packets`, () => {
    test("a protocol without ports has its address translated; one proxy IP per real IP", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      const packet = portless(family.client, proxy);
      expect(translated(nat.translateOutbound(CLIENT, packet, 0))).toBe(CLIENT);
      expect(hex(packet)).toBe(hex(portless(family.client, family.real)));
      const reply = portless(family.real, family.client);
      expect(translated(nat.translateInbound(reply, 1))).toBe(CLIENT);
      expect(hex(reply)).toBe(hex(portless(proxy, family.client)));
      expect(checksumsValid(reply)).toBe(true);
      const clash = nat.translateOutbound(CLIENT, portless(family.client, proxy2), 2);
      expect(clash.kind === "unreachable" && clash.reason).toBe("ports-exhausted");
      expect(clash.kind === "unreachable" && clash.reply !== undefined).toBe(true);
    });

    test("not a proxy IP: passed through untouched; an inbound packet of no flow: left alone", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      const cidr = udp(family.client, family.router, 1, 2);
      const before = hex(cidr);
      expect(nat.translateOutbound(CLIENT, cidr, 0)).toEqual({ kind: "passthrough" });
      expect(hex(cidr)).toBe(before);
      const stray = udp(family.real, family.client, 53, 40000);
      const strayBefore = hex(stray);
      expect(nat.translateInbound(stray, 0)).toEqual({ kind: "no-flow" });
      expect(hex(stray)).toBe(strayBefore);
      expect(nat.counters().noFlow).toBe(1);
    });

    test("an ICMP message that is neither echo nor error is dropped; so is a malformed packet", () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      const timestamp = echo(family.client, proxy, 1);
      timestamp[parse(timestamp).headerLen] = family.name === "IPv4" ? 13 : 135;
      expect(nat.translateOutbound(CLIENT, timestamp, 0)).toEqual({
        kind: "dropped",
        reason: "unsupported-icmp",
      });
      const cut = udp(family.client, proxy, 1, 2).subarray(0, 10);
      expect(nat.translateOutbound(CLIENT, cut, 0)).toEqual({
        kind: "dropped",
        reason: "malformed",
      });
      const shortTcp = tcp(family.client, proxy, 1, 2, TcpFlag.Syn);
      const start = parse(shortTcp).headerLen;
      const truncated = shortTcp.slice(0, start + 12);
      if (family.name === "IPv4") truncated.set([0, start + 12], 2);
      else truncated.set([0, 12], 4);
      if (family.name === "IPv4") {
        const view = parse(truncated);
        if (view.version === 4) view.fillHeaderChecksum();
      }
      expect(nat.translateOutbound(CLIENT, truncated, 0)).toEqual({
        kind: "dropped",
        reason: "malformed",
      });
      expect(nat.flowCount).toBe(0);
    });
  });
}

describe("properties", () => {
  const family = fc.constantFrom(...FAMILIES);
  const protocol = fc.constantFrom(...PROTOCOLS);
  const record4 = fc.integer({ min: 0x0a000001, max: 0x0a0000ff });
  const record6 = fc.integer({ min: 1, max: 0xffff }).map((n) => {
    const address = REAL_V6.slice();
    address[14] = n >>> 8;
    address[15] = n & 0xff;
    return address;
  });

  test(
    "for any flow, outbound then the reply inbound restores the exact original addressing",
    () => {
      fc.assert(
        fc.property(
          family,
          protocol,
          fc.integer({ min: 0, max: 0xffff }),
          fc.integer({ min: 0, max: 0xffff }),
          fc.integer({ min: 0, max: 3 }),
          fc.array(record4, { minLength: 1, maxLength: 3 }),
          fc.array(record6, { minLength: 1, maxLength: 3 }),
          (family, protocol, clientPort, remotePort, proxyIndex, records4, records6) => {
            const nat = new GatewayDnsNat();
            setUp(nat, [...records4, ...records6]);
            const proxy = family.proxies[proxyIndex] ?? family.real;
            const packet = protocol.request(family.client, proxy, clientPort, remotePort);
            expect(translated(nat.translateOutbound(CLIENT, packet, 0))).toBe(CLIENT);
            expect(checksumsValid(packet)).toBe(true);
            const real = nat.mappingOf(CLIENT, proxy)?.realIp ?? family.real;
            expect(hex(packet)).toBe(
              hex(protocol.request(family.client, real, clientPort, remotePort)),
            );
            const reply = protocol.reply(real, family.client, remotePort, clientPort);
            expect(translated(nat.translateInbound(reply, 1))).toBe(CLIENT);
            expect(checksumsValid(reply)).toBe(true);
            expect(hex(reply)).toBe(
              hex(protocol.reply(proxy, family.client, remotePort, clientPort)),
            );
          },
        ),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  test(
    "crowded flows on one real IP: every reply goes back to its own proxy IP and port",
    () => {
      const flow = fc.record({
        family,
        protocol,
        proxyIndex: fc.integer({ min: 0, max: 3 }),
        clientPort: fc.constantFrom(1, 2, 3, 65534, 65535),
        remotePort: fc.constantFrom(80, 443),
      });
      const unique = fc.uniqueArray(flow, {
        minLength: 1,
        maxLength: 40,
        selector: (f) =>
          `${f.family.name}/${f.protocol.name}/${f.proxyIndex}/${f.clientPort}/${
            f.protocol.hasDestinationPort ? f.remotePort : 0
          }`,
      });
      fc.assert(
        fc.property(unique, fc.array(fc.nat(), { minLength: 40, maxLength: 40 }), (flows, keys) => {
          const nat = new GatewayDnsNat();
          setUp(nat, [REAL_V4, REAL_V6]);
          const translatedFlows = flows.map((f, index) => {
            const proxy = f.family.proxies[f.proxyIndex] ?? f.family.real;
            const packet = f.protocol.request(f.family.client, proxy, f.clientPort, f.remotePort);
            expect(translated(nat.translateOutbound(CLIENT, packet, 0))).toBe(CLIENT);
            expect(checksumsValid(packet)).toBe(true);
            // The NAT port is the source port, or for an echo the identifier.
            const at = parse(packet).headerLen + (f.protocol.hasDestinationPort ? 0 : 4);
            const natPort = ((packet[at] ?? 0) << 8) | (packet[at + 1] ?? 0);
            return { ...f, proxy, natPort, sortKey: keys[index] ?? 0 };
          });
          expect(nat.flowCount).toBe(flows.length);
          const order = [...translatedFlows].sort((a, b) => a.sortKey - b.sortKey);
          for (const f of order) {
            const reply = f.protocol.reply(f.family.real, f.family.client, f.remotePort, f.natPort);
            expect(translated(nat.translateInbound(reply, 1))).toBe(CLIENT);
            expect(checksumsValid(reply)).toBe(true);
            expect(hex(reply)).toBe(
              hex(f.protocol.reply(f.proxy, f.family.client, f.remotePort, f.clientPort)),
            );
          }
        }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  test(
    "random and mutated bytes never throw, and what is not translated is not written",
    () => {
      const nat = new GatewayDnsNat();
      setUp(nat, [REAL_V4, REAL_V6]);
      const valid: Uint8Array[] = [];
      for (const f of FAMILIES) {
        for (const p of PROTOCOLS) {
          const [proxy = f.real] = f.proxies;
          const request = p.request(f.client, proxy, 7000, 443);
          valid.push(request.slice());
          nat.translateOutbound(CLIENT, request, 0);
          valid.push(request.slice(), p.reply(f.real, f.client, 443, 7000));
          valid.push(icmpError(request, f.real, f.name === "IPv4" ? 3 : 1, 0));
          valid.push(...fragments(udp(f.client, proxy, 7000, 53, PAYLOAD), 16, 5));
        }
      }
      const noise = fc.oneof(
        fc.uint8Array({ maxLength: 120 }),
        fc
          .tuple(fc.constantFrom(0x45, 0x60), fc.uint8Array({ maxLength: 120 }))
          .map(([first, rest]) => Uint8Array.of(first, ...rest)),
        fc
          .tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat())
          .map(([packet, at, value, cut]) => {
            const mutated = packet.slice(0, packet.length - (cut % 4 === 0 ? cut % 24 : 0));
            if (mutated.length > 0) mutated[at % mutated.length] = value;
            return mutated;
          }),
      );
      fc.assert(
        fc.property(noise, fc.boolean(), (bytes, outbound) => {
          const before = hex(bytes);
          const result = outbound
            ? nat.translateOutbound(CLIENT, bytes, 1)
            : nat.translateInbound(bytes, 1);
          expect(["translated", "unreachable", "passthrough", "dropped", "no-flow"]).toContain(
            result.kind,
          );
          if (result.kind === "passthrough" || result.kind === "no-flow") {
            expect(hex(bytes)).toBe(before);
          }
          if (result.kind === "unreachable" && result.reason === "no-mapping") {
            expect(hex(bytes)).toBe(before);
          }
        }),
        { numRuns: 3000 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

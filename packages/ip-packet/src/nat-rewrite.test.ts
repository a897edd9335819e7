import { describe, expect, test } from "bun:test";
import {
  buildIcmpEcho,
  fillChecksums,
  type IpAddress,
  type IpPacket,
  Ipv4Packet,
  parseIpPacket,
  parseIpv4,
  parseIpv6,
  rewriteDestination,
  rewriteDestinationAddress,
  rewriteDestinationPort,
  rewriteIcmpEchoId,
  rewriteSource,
  rewriteSourceAddress,
  rewriteSourcePort,
  transportChecksumValid,
  type WireError,
} from "@fz/ip-packet";
import fc from "fast-check";
import {
  arbitraryPacket,
  type Carried,
  fragment,
  type GeneratedPacket,
  ipv4Address,
  ipv6Address,
  port,
} from "../test/arbitraries.ts";
import {
  ICMP4_ECHO_REQUEST,
  ICMP4_ECHO_REQUEST_SNAT,
  ICMP4_PORT_UNREACHABLE,
  ICMP6_ECHO_REQUEST,
  ICMP6_ECHO_REQUEST_DNAT,
  TCP4_SYN,
  TCP6_PSH_ACK,
  TCP6_PSH_ACK_DNAT,
  UDP4_DNS_QUERY,
  UDP4_DNS_QUERY_DNAT,
  UDP4_LAST_FRAGMENT,
  UDP4_NO_CHECKSUM,
  UDP4_NO_CHECKSUM_DNAT,
  UDP6_DNS_QUERY,
  UDP6_EXTENSIONS_LAST_FRAGMENT,
} from "../test/known-packets.ts";
import { hex, kindOf, ok } from "../test/support.ts";

/** Property runs take about a second; a loaded 2-core machine must not time them out. */
const PROPERTY_TIMEOUT_MS = 60_000;

const v4 = (text: string): number => parseIpv4(text) ?? -1;
const v6 = (text: string): Uint8Array => parseIpv6(text) ?? new Uint8Array();
const parse = (bytes: Uint8Array): IpPacket => ok(parseIpPacket(bytes));
const EMPTY = new Uint8Array(0);

describe("NAT rewrites of known packets (expected bytes rebuilt and checked by tshark)", () => {
  test("UDP over IPv4: destination address and port", () => {
    const bytes = UDP4_DNS_QUERY.slice();
    expect(rewriteDestination(parse(bytes), v4("10.9.8.7"), 5353)).toBeUndefined();
    expect(hex(bytes)).toBe(hex(UDP4_DNS_QUERY_DNAT));
  });

  test("TCP over IPv6: destination address and port", () => {
    const bytes = TCP6_PSH_ACK.slice();
    expect(rewriteDestination(parse(bytes), v6("2001:db8::99"), 8443)).toBeUndefined();
    expect(hex(bytes)).toBe(hex(TCP6_PSH_ACK_DNAT));
  });

  test("ICMP echo: the identifier stands for the port", () => {
    const bytes = ICMP4_ECHO_REQUEST.slice();
    expect(rewriteSource(parse(bytes), v4("100.100.100.100"), 0x4321)).toBeUndefined();
    expect(hex(bytes)).toBe(hex(ICMP4_ECHO_REQUEST_SNAT));
    const bytes6 = ICMP6_ECHO_REQUEST.slice();
    expect(rewriteDestination(parse(bytes6), v6("fd00::1"), 7)).toBeUndefined();
    expect(hex(bytes6)).toBe(hex(ICMP6_ECHO_REQUEST_DNAT));
  });

  test("UDP over IPv4 without a checksum keeps none", () => {
    const bytes = UDP4_NO_CHECKSUM.slice();
    expect(rewriteDestination(parse(bytes), v4("192.0.2.200"), 6800)).toBeUndefined();
    expect(hex(bytes)).toBe(hex(UDP4_NO_CHECKSUM_DNAT));
  });

  test("an ICMP message that becomes all zeros gets checksum 0xFFFF, not 0", () => {
    // Echo reply, id 5, seq 0, no data: the only non-zero word is the id, so the checksum is ~5.
    const bytes = ok(
      buildIcmpEcho(
        { src: v4("10.0.0.1"), dst: v4("10.0.0.2"), reply: true, id: 5, seq: 0 },
        EMPTY,
      ),
    );
    expect([bytes[22], bytes[23]]).toEqual([0xff, 0xfa]);
    const packet = parse(bytes);
    expect(rewriteIcmpEchoId(packet, 0)).toBeUndefined();
    expect([bytes[22], bytes[23]]).toEqual([0xff, 0xff]);
    expect(transportChecksumValid(packet)).toBe(true);
  });

  test("rewriting back restores the original bytes", () => {
    const bytes = UDP4_DNS_QUERY_DNAT.slice();
    expect(rewriteDestination(parse(bytes), v4("198.51.100.53"), 53)).toBeUndefined();
    expect(hex(bytes)).toBe(hex(UDP4_DNS_QUERY));
  });
});

describe("NAT rewrites refuse without writing", () => {
  const refused = (bytes: Uint8Array, rewrite: (packet: IpPacket) => WireError | undefined) => {
    const copy = bytes.slice();
    const kind = kindOf(rewrite(parse(copy)));
    expect(hex(copy)).toBe(hex(bytes));
    return kind;
  };

  test("an address of the other family", () => {
    expect(refused(UDP4_DNS_QUERY, (p) => rewriteDestination(p, v6("::1"), 1))).toBe(
      "address-family",
    );
    expect(refused(UDP6_DNS_QUERY, (p) => rewriteSourceAddress(p, 1))).toBe("address-family");
    expect(refused(UDP6_DNS_QUERY, (p) => rewriteSourceAddress(p, new Uint8Array(4)))).toBe(
      "address-family",
    );
  });

  test("a port in a later fragment, which has none", () => {
    expect(refused(UDP4_LAST_FRAGMENT, (p) => rewriteDestinationPort(p, 1))).toBe(
      "not-first-fragment",
    );
    expect(refused(UDP6_EXTENSIONS_LAST_FRAGMENT, (p) => rewriteSource(p, v6("::2"), 1))).toBe(
      "not-first-fragment",
    );
  });

  test("a port or echo identifier where the protocol has none", () => {
    expect(refused(ICMP4_PORT_UNREACHABLE, (p) => rewriteSourcePort(p, 1))).toBe(
      "unsupported-protocol",
    );
    expect(refused(TCP4_SYN, (p) => rewriteIcmpEchoId(p, 1))).toBe("unsupported-protocol");
    const gre = TCP4_SYN.slice();
    gre[9] = 47;
    expect(refused(gre, (p) => rewriteDestination(p, 1, 1))).toBe("unsupported-protocol");
  });

  test("a transport header too short to hold the checksum", () => {
    const short = TCP4_SYN.slice(0, 36);
    short[3] = 36;
    const packet = ok(Ipv4Packet.checked(short));
    packet.fillHeaderChecksum();
    const before = short.slice();
    expect(kindOf(rewriteDestinationAddress(packet, 1))).toBe("truncated");
    expect(hex(short)).toBe(hex(before));
  });
});

describe("NAT rewrites of later fragments", () => {
  test("change the address and keep the IPv4 header checksum right", () => {
    const bytes = UDP4_LAST_FRAGMENT.slice();
    const packet = parse(bytes);
    expect(rewriteSourceAddress(packet, v4("10.0.0.1"))).toBeUndefined();
    expect(packet.version === 4 && packet.headerChecksumValid()).toBe(true);
    expect(hex(bytes.subarray(20))).toBe(hex(UDP4_LAST_FRAGMENT.subarray(20)));
  });
});

type Op =
  | { kind: "destination"; address: "v4" | "v6"; port: number }
  | { kind: "source"; address: "v4" | "v6"; port: number }
  | { kind: "destination-address" }
  | { kind: "source-address" }
  | { kind: "destination-port"; port: number }
  | { kind: "source-port"; port: number }
  | { kind: "echo-id"; port: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("destination" as const),
    address: fc.constant("v4" as const),
    port,
  }),
  fc.record({ kind: fc.constant("source" as const), address: fc.constant("v4" as const), port }),
  fc.record({ kind: fc.constant("destination-address" as const) }),
  fc.record({ kind: fc.constant("source-address" as const) }),
  fc.record({ kind: fc.constant("destination-port" as const), port }),
  fc.record({ kind: fc.constant("source-port" as const), port }),
  fc.record({ kind: fc.constant("echo-id" as const), port }),
);

interface Case {
  readonly packet: GeneratedPacket;
  readonly op: Op;
  readonly v4: number;
  readonly v6: Uint8Array;
}

const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  packet: arbitraryPacket,
  op: opArbitrary,
  v4: ipv4Address,
  v6: ipv6Address,
});

function apply(c: Case, packet: IpPacket): WireError | undefined {
  const address: IpAddress = packet.version === 4 ? c.v4 : c.v6;
  const op = c.op;
  switch (op.kind) {
    case "destination":
      return rewriteDestination(packet, address, op.port);
    case "source":
      return rewriteSource(packet, address, op.port);
    case "destination-address":
      return rewriteDestinationAddress(packet, address);
    case "source-address":
      return rewriteSourceAddress(packet, address);
    case "destination-port":
      return rewriteDestinationPort(packet, op.port);
    case "source-port":
      return rewriteSourcePort(packet, op.port);
    case "echo-id":
      return rewriteIcmpEchoId(packet, op.port);
  }
}

function touchesPort(op: Op): boolean {
  return op.kind !== "destination-address" && op.kind !== "source-address";
}

function applicable(op: Op, carried: Carried): boolean {
  if (!touchesPort(op)) return true;
  if (op.kind === "echo-id") return carried === "icmp-echo";
  return carried !== "other";
}

/** The same rewrite done by hand: plain field writes, then every checksum from scratch. */
function reference(c: Case, original: Uint8Array): Uint8Array {
  const bytes = original.slice();
  const packet = parse(bytes);
  const op = c.op;
  const setAddress = (source: boolean) => {
    if (packet.version === 4) {
      if (source) packet.src = c.v4;
      else packet.dst = c.v4;
    } else if (source) packet.src = c.v6;
    else packet.dst = c.v6;
  };
  const setPort = (source: boolean, value: number) => {
    const at = packet.headerLen + (c.packet.carried === "icmp-echo" ? 4 : source ? 0 : 2);
    bytes[at] = value >>> 8;
    bytes[at + 1] = value & 0xff;
  };
  if (op.kind === "destination" || op.kind === "destination-address") setAddress(false);
  if (op.kind === "source" || op.kind === "source-address") setAddress(true);
  if (op.kind === "destination" || op.kind === "destination-port") setPort(false, op.port);
  if (op.kind === "source" || op.kind === "source-port" || op.kind === "echo-id") {
    setPort(true, op.port);
  }
  fillChecksums(packet);
  if (c.packet.carried === "udp-no-checksum") {
    bytes[packet.headerLen + 6] = 0;
    bytes[packet.headerLen + 7] = 0;
  }
  return bytes;
}

describe("NAT rewrite properties", () => {
  test(
    "incremental checksums equal a full recompute, and verify",
    () => {
      fc.assert(
        fc.property(caseArbitrary, (c) => {
          const bytes = c.packet.bytes.slice();
          const packet = parse(bytes);
          const result = apply(c, packet);
          if (!applicable(c.op, c.packet.carried)) {
            expect(kindOf(result)).toBe("unsupported-protocol");
            expect(hex(bytes)).toBe(hex(c.packet.bytes));
            return;
          }
          expect(kindOf(result)).toBe("ok");
          expect(hex(bytes)).toBe(hex(reference(c, c.packet.bytes)));
          if (packet.version === 4) expect(packet.headerChecksumValid()).toBe(true);
          if (c.packet.carried !== "other") expect(transportChecksumValid(packet)).toBe(true);
        }),
        { numRuns: 3000 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  test(
    "a rewrite and its inverse restore the original bytes",
    () => {
      fc.assert(
        fc.property(caseArbitrary, (c) => {
          fc.pre(applicable(c.op, c.packet.carried));
          const bytes = c.packet.bytes.slice();
          const original = parse(c.packet.bytes);
          const packet = parse(bytes);
          expect(apply(c, packet)).toBeUndefined();
          const undo: Case = {
            ...c,
            v4:
              original.version === 4
                ? c.op.kind.startsWith("source")
                  ? original.src
                  : original.dst
                : 0,
            v6:
              original.version === 6
                ? (c.op.kind.startsWith("source") ? original.src : original.dst).slice()
                : new Uint8Array(16),
            op: inverse(c.op, c.packet.bytes, original),
          };
          expect(apply(undo, packet)).toBeUndefined();
          expect(hex(bytes)).toBe(hex(c.packet.bytes));
        }),
        { numRuns: 1000 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  test(
    "a first fragment rewrites like the whole packet; a later one takes the address only",
    () => {
      fc.assert(
        fc.property(caseArbitrary, fc.integer({ min: 1, max: 6 }), (c, units) => {
          fc.pre(applicable(c.op, c.packet.carried) && c.packet.carried !== "udp-no-checksum");
          const original = parse(c.packet.bytes);
          fc.pre(original.bytes.length - original.headerLen > 8);
          const whole = c.packet.bytes.slice();
          expect(apply(c, parse(whole))).toBeUndefined();
          const [first, later] = fragment(c.packet.bytes, units);
          const [expectedFirst, expectedLater] = fragment(whole, units);

          const firstCopy = first.slice();
          const firstResult = apply(c, parse(firstCopy));
          if (firstResult === undefined) {
            expect(hex(firstCopy)).toBe(hex(expectedFirst));
          } else {
            // The fragment ends before a field the rewrite must change or patch (a tiny first
            // fragment, RFC 1858): refused, and the later fragment holds that field's bytes.
            expect(firstResult.kind).toBe("truncated");
            expect(hex(firstCopy)).toBe(hex(first));
            return;
          }

          const laterCopy = later.slice();
          const laterResult = apply(c, parse(laterCopy));
          if (touchesPort(c.op)) {
            expect(kindOf(laterResult)).toBe("not-first-fragment");
            expect(hex(laterCopy)).toBe(hex(later));
          } else {
            expect(laterResult).toBeUndefined();
            expect(hex(laterCopy)).toBe(hex(expectedLater));
          }
        }),
        { numRuns: 2000 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

/** The op that undoes `op`, reading the original values from the packet before the rewrite. */
function inverse(op: Op, bytes: Uint8Array, original: IpPacket): Op {
  const word = (at: number) => ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
  const start = original.headerLen;
  const isEcho = original.protocol === 1 || original.protocol === 58;
  const srcPort = word(start + (isEcho ? 4 : 0));
  const dstPort = word(start + (isEcho ? 4 : 2));
  switch (op.kind) {
    case "destination":
      return { ...op, port: dstPort };
    case "source":
      return { ...op, port: srcPort };
    case "destination-port":
      return { ...op, port: dstPort };
    case "source-port":
    case "echo-id":
      return { ...op, port: srcPort };
    default:
      return op;
  }
}

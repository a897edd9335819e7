import { describe, expect, test } from "bun:test";
import {
  asTcp,
  checksumVerifies,
  fillChecksums,
  foldChecksum,
  type IpPacket,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  isWireError,
  parseIpPacket,
  TcpFlag,
  TcpSegmenter,
  transportChecksumValid,
  type WireError,
} from "@fz/ip-packet";
import fc from "fast-check";
import { port, withExtensionHeaders } from "../test/arbitraries.ts";
import {
  TCP4_SYN,
  UDP4_DNS_QUERY,
  UDP6_DNS_QUERY,
  UDP6_EXTENSIONS_FIRST_FRAGMENT,
} from "../test/known-packets.ts";
import {
  buildSuperPacket,
  noisePayload,
  type SuperPacketSpec,
  superPacketFields,
  tcpOffsetOf,
} from "../test/super-packets.ts";
import { fromHex, hex, kindOf, ok } from "../test/support.ts";

// A 10-byte payload "Firezone!!" split at gso_size 4, seq 0xfffffff8 (so the third segment
// wraps to 0), flags CWR|ACK|PSH|FIN, timestamps option, IPv4 id 0xfffe (so the third wraps to
// 0). The super-packet's TCP checksum field holds the pseudo-header sum, as the kernel leaves it.
// Built by an independent Python script; tshark 4.0.17 (text2pcap -l 101) reports every IP and
// TCP checksum of the segments good.
const TCP_HEADER = "9c4001bb"; // 40000 -> 443
const TCP_REST = "01020304"; // ack
const TS_OPTION = "0101080a00001234aabbccdd"; // NOP NOP timestamps
const IPV4 = "c0000201c6336407"; // 192.0.2.1 -> 198.51.100.7
const IPV6 = "20010db8000000000000000000000001" + "20010db8000000000000000000000002"; // ::1 -> ::2

const SUPER4 = fromHex(
  `4500003efffe400040064e7f${IPV4}` +
    `${TCP_HEADER}fffffff8${TCP_REST}809901f5ec6c0000${TS_OPTION}` +
    "466972657a6f6e652121",
);
const SEGMENTS4 = [
  `45000038fffe400040064e85${IPV4}${TCP_HEADER}fffffff8${TCP_REST}809001f5a3710000${TS_OPTION}46697265`,
  `45000038ffff400040064e84${IPV4}${TCP_HEADER}fffffffc${TCP_REST}801001f573e70000${TS_OPTION}7a6f6e65`,
  `450000360000400040064e86${IPV4}${TCP_HEADER}00000000${TCP_REST}801901f53b910000${TS_OPTION}2121`,
];
const SUPER6 = fromHex(
  `60012345002a0640${IPV6}` +
    `${TCP_HEADER}fffffff8${TCP_REST}809901f55ba50000${TS_OPTION}` +
    "466972657a6f6e652121",
);
const SEGMENTS6 = [
  `6001234500240640${IPV6}${TCP_HEADER}fffffff8${TCP_REST}809001f534390000${TS_OPTION}46697265`,
  `6001234500240640${IPV6}${TCP_HEADER}fffffffc${TCP_REST}801001f504af0000${TS_OPTION}7a6f6e65`,
  `6001234500220640${IPV6}${TCP_HEADER}00000000${TCP_REST}801901f5cc580000${TS_OPTION}2121`,
];

/** Every segment of what `begin` accepted, as hex. */
function segmentAll(
  segmenter: TcpSegmenter,
  superPacket: Uint8Array,
  gsoSize: number,
  transportOffset?: number,
): string[] {
  const count = ok(segmenter.begin(superPacket, gsoSize, transportOffset));
  const out = new Uint8Array(2048);
  return Array.from({ length: count }, (_, index) => {
    const length = segmenter.write(index, out);
    expect(length).toBeGreaterThan(0);
    return hex(out.subarray(0, length));
  });
}

describe("TcpSegmenter: known answers", () => {
  test("splits an IPv4 super-packet into the three segments tshark verified", () => {
    const before = SUPER4.slice();
    expect(segmentAll(new TcpSegmenter(), SUPER4, 4)).toEqual(SEGMENTS4);
    expect(SUPER4).toEqual(before);
  });

  test("splits an IPv6 super-packet into the three segments tshark verified", () => {
    expect(segmentAll(new TcpSegmenter(), SUPER6, 4)).toEqual(SEGMENTS6);
  });

  test("a payload that already fits makes one segment: the packet with its checksums filled", () => {
    const segmenter = new TcpSegmenter();
    for (const [superPacket, gsoSize] of [
      [SUPER4, 10],
      [SUPER6, 1460],
      [TCP4_SYN, 1], // no payload at all
    ] as const) {
      const expected = superPacket.slice();
      fillChecksums(ok(parseIpPacket(expected)));
      expect(segmentAll(segmenter, superPacket, gsoSize)).toEqual([hex(expected)]);
    }
  });
});

/** A segment (hex) with its IPv6 extension headers `[40, 40 + length)` taken out. */
function withoutExtensionHeaders(segmentHex: string, length: number): string {
  const bytes = fromHex(segmentHex);
  const out = new Uint8Array(bytes.length - length);
  out.set(bytes.subarray(0, 40));
  out.set(bytes.subarray(40 + length), 40);
  out[6] = 6;
  out[4] = (out.length - 40) >>> 8;
  out[5] = out.length - 40;
  return hex(out);
}

describe("TcpSegmenter: IPv6 extension headers, with the TCP header's offset", () => {
  // What the kernel sends for a socket with IPV6_DSTOPTS or IPV6_HOPOPTS: the same TCP bytes
  // behind the options (SUPER6's partial sum stands: same addresses, same TCP length).
  const chains: [string, [number, number][]][] = [
    ["Destination Options (8 bytes, PadN)", [[60, 0]]],
    ["Hop-by-Hop (16 bytes, PadN)", [[0, 1]]],
    [
      "Hop-by-Hop then Destination Options",
      [
        [0, 0],
        [60, 2],
      ],
    ],
  ];
  test.each(chains)("behind %s: each segment is SUPER6's, the headers copied", (_, chain) => {
    const superPacket = withExtensionHeaders(SUPER6, chain);
    const extLength = superPacket.length - SUPER6.length;
    const segments = segmentAll(new TcpSegmenter(), superPacket, 4, 40 + extLength);
    expect(segments.map((segment) => withoutExtensionHeaders(segment, extLength))).toEqual(
      SEGMENTS6,
    );
    for (const segment of segments) {
      const bytes = fromHex(segment);
      expect(bytes.subarray(0, 4)).toEqual(superPacket.subarray(0, 4));
      expect(bytes.subarray(6, 40 + extLength)).toEqual(superPacket.subarray(6, 40 + extLength));
      const packet = ok(parseIpPacket(bytes));
      expect(packet.headerLen).toBe(40 + extLength);
      expect(packet.bytes.length).toBe(bytes.length);
      expect(transportChecksumValid(packet)).toBe(true);
    }
    // Without the offset, as before: refused.
    expect(kindOf(new TcpSegmenter().begin(superPacket, 4))).toBe("unsupported-protocol");
  });

  test("the offset of a plain super-packet gives the same segments as none", () => {
    expect(segmentAll(new TcpSegmenter(), SUPER6, 4, 40)).toEqual(SEGMENTS6);
    expect(segmentAll(new TcpSegmenter(), SUPER4, 4, 20)).toEqual(SEGMENTS4);
  });

  test("behind a Routing header, each segment's pseudo-header is the kernel's partial sum's", () => {
    // The kernel sums the final destination, not the header's: that is what the field holds.
    const superPacket = withExtensionHeaders(SUPER6, [[43, 2]]);
    const tcpAt = 40 + 24;
    const source = fromHex(IPV6.slice(0, 32));
    const headerDestination = fromHex(IPV6.slice(32));
    const finalDestination = fromHex("20010db8000000000000000000000099");
    const tcpLength = superPacket.length - tcpAt;
    const partial = foldChecksum(ipv6PseudoHeaderSum(source, finalDestination, 6, tcpLength));
    superPacket[tcpAt + 16] = partial >>> 8;
    superPacket[tcpAt + 17] = partial;
    const segments = segmentAll(new TcpSegmenter(), superPacket, 4, tcpAt).map(fromHex);
    expect(segments).toHaveLength(3);
    for (const segment of segments) {
      const length = segment.length - tcpAt;
      const sum = (dst: Uint8Array) => ipv6PseudoHeaderSum(source, dst, 6, length);
      expect(checksumVerifies(segment, tcpAt, segment.length, sum(finalDestination))).toBe(true);
      expect(checksumVerifies(segment, tcpAt, segment.length, sum(headerDestination))).toBe(false);
    }
  });

  const edited = (bytes: Uint8Array, edit: (copy: Uint8Array) => void): Uint8Array => {
    const copy = bytes.slice();
    edit(copy);
    return copy;
  };
  const behindOptions = withExtensionHeaders(SUPER6, [[60, 0]]);
  const refusals: [string, Uint8Array, number, string][] = [
    ["an IPv4 offset past the IPv4 header", SUPER4, 24, "bad-header-len"],
    ["an IPv4 offset inside the IPv4 header", SUPER4, 16, "bad-header-len"],
    ["an IPv6 offset inside the IPv6 header", behindOptions, 32, "bad-header-len"],
    ["an offset past the headers when TCP follows IPv6", SUPER6, 48, "bad-header-len"],
    ["an offset of 40 when an extension header follows", behindOptions, 40, "bad-header-len"],
    ["an offset whose TCP header runs past the packet", behindOptions, 80, "truncated"],
    ["an offset past the packet", behindOptions, 4000, "truncated"],
    ["a fractional offset", behindOptions, 48.5, "bad-header-len"],
    ["an offset of NaN", behindOptions, Number.NaN, "bad-header-len"],
    ["a Fragment header", edited(behindOptions, (b) => (b[6] = 44)), 48, "unsupported-protocol"],
    ["an AH header", edited(behindOptions, (b) => (b[6] = 51)), 48, "unsupported-protocol"],
    ["UDP", UDP6_DNS_QUERY, 40, "wrong-protocol"],
  ];
  test.each(refusals)("refuses %s", (_, bytes, offset, kind) => {
    const segmenter = new TcpSegmenter();
    expect(kindOf(segmenter.begin(bytes, 4, offset))).toBe(kind);
    expect(segmenter.write(0, new Uint8Array(2048))).toBe(TcpSegmenter.NO_SUCH_SEGMENT);
  });
});

describe("TcpSegmenter: refusals", () => {
  /** A copy of `bytes` with `edit` applied. */
  const edited = (bytes: Uint8Array, edit: (copy: Uint8Array) => void): Uint8Array => {
    const copy = bytes.slice();
    edit(copy);
    return copy;
  };
  const cases: [string, Uint8Array, number, string][] = [
    ["no bytes", new Uint8Array(0), 4, "truncated"],
    ["an IPv4 header cut short", SUPER4.subarray(0, 19), 4, "truncated"],
    ["version 5", edited(SUPER4, (b) => (b[0] = 0x55)), 4, "bad-version"],
    ["IHL 4", edited(SUPER4, (b) => (b[0] = 0x44)), 4, "bad-header-len"],
    [
      "IPv4 options past the bytes",
      edited(SUPER4.subarray(0, 23), (b) => (b[0] = 0x46)),
      4,
      "truncated",
    ],
    ["a total length below the header", edited(SUPER4, (b) => (b[3] = 19)), 4, "bad-length"],
    ["a total length past the bytes", SUPER4.subarray(0, SUPER4.length - 1), 4, "truncated"],
    ["a TCP header cut short", edited(SUPER4, (b) => (b[3] = 39)), 4, "truncated"],
    ["TCP options past the packet", edited(SUPER4, (b) => (b[3] = 50)), 4, "truncated"],
    ["a TCP data offset of 4", edited(SUPER4, (b) => (b[32] = 0x40)), 4, "bad-header-len"],
    ["an IPv4 first fragment", edited(SUPER4, (b) => (b[6] = 0x20)), 4, "unsupported-protocol"],
    ["a later IPv4 fragment", edited(SUPER4, (b) => (b[7] = 0x01)), 4, "not-first-fragment"],
    ["IPv4 UDP", UDP4_DNS_QUERY, 4, "wrong-protocol"],
    ["IPv6 UDP", UDP6_DNS_QUERY, 4, "wrong-protocol"],
    ["an IPv6 header cut short", SUPER6.subarray(0, 39), 4, "truncated"],
    ["an IPv6 payload length past the bytes", SUPER6.subarray(0, 81), 4, "truncated"],
    ["a TCP header cut short in IPv6", edited(SUPER6, (b) => (b[5] = 19)), 4, "truncated"],
    [
      "IPv6 hop-by-hop options before TCP",
      withExtensionHeaders(SUPER6, [[0, 0]]),
      4,
      "unsupported-protocol",
    ],
    ["an IPv6 fragment", UDP6_EXTENSIONS_FIRST_FRAGMENT, 4, "unsupported-protocol"],
    ["gso_size 0", SUPER4, 0, "bad-length"],
    ["a negative gso_size", SUPER4, -4, "bad-length"],
    ["a fractional gso_size", SUPER4, 4.5, "bad-length"],
    ["gso_size NaN", SUPER6, Number.NaN, "bad-length"],
    ["gso_size past 16 bits", SUPER6, 0x10000, "bad-length"],
  ];

  test.each(cases)("%s", (_, bytes, gsoSize, kind) => {
    const segmenter = new TcpSegmenter();
    expect(segmenter.begin(SUPER4, 4)).toBe(3);
    expect(kindOf(segmenter.begin(bytes, gsoSize))).toBe(kind);
    // The refused packet leaves nothing to write, not even the previous super-packet's segments.
    expect(segmenter.write(0, new Uint8Array(2048))).toBe(TcpSegmenter.NO_SUCH_SEGMENT);
  });

  test("writes nothing into an out buffer one byte too small", () => {
    const segmenter = new TcpSegmenter();
    expect(segmenter.begin(SUPER6, 4)).toBe(3);
    const out = new Uint8Array(75).fill(0xaa);
    expect(segmenter.write(0, out)).toBe(TcpSegmenter.BUFFER_TOO_SMALL);
    expect(out.every((byte) => byte === 0xaa)).toBe(true);
    expect(segmenter.write(2, out.subarray(0, 74))).toBe(74); // the last segment is shorter
  });

  test("has no segment before the first index, past the last, or at a fraction", () => {
    const segmenter = new TcpSegmenter();
    const out = new Uint8Array(2048);
    expect(segmenter.write(0, out)).toBe(TcpSegmenter.NO_SUCH_SEGMENT); // nothing begun yet
    expect(segmenter.begin(SUPER4, 4)).toBe(3);
    for (const index of [-1, 3, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(segmenter.write(index, out)).toBe(TcpSegmenter.NO_SUCH_SEGMENT);
    }
  });
});

interface SegmentationSpec extends SuperPacketSpec {
  readonly payloadLen: number;
  /**
   * What the super-packet's TCP checksum field holds without `transportOffset`: anything, the
   * segmenter ignores it (with it, the kernel's partial sum).
   */
  readonly partialSum: number;
  /** Whether `begin` is given the TCP header's offset (csum_start). */
  readonly offsetGiven: boolean;
  /** IPv6 extension headers before TCP, with `offsetGiven` only: [type, 8-byte units - 1]. */
  readonly extensions: [number, number][];
  /** Where the super-packet and the segments start in their buffers: any alignment. */
  readonly inShift: number;
  readonly outShift: number;
  readonly gsoSize: number;
}

const segmentationSpec: fc.Arbitrary<SegmentationSpec> = fc.record({
  ...superPacketFields,
  payloadLen: fc.oneof(fc.integer({ min: 0, max: 65000 }), fc.integer({ min: 0, max: 3000 })),
  partialSum: port,
  offsetGiven: fc.boolean(),
  extensions: fc
    .tuple(fc.option(fc.nat(3)), fc.option(fc.nat(3)), fc.option(fc.nat(3)))
    .map(([hopByHop, routing, destination]) => {
      const chain: [number, number][] = [];
      if (hopByHop !== null) chain.push([0, hopByHop]);
      if (routing !== null) chain.push([43, routing]);
      if (destination !== null) chain.push([60, destination]);
      return chain;
    }),
  inShift: fc.integer({ min: 0, max: 11 }),
  outShift: fc.integer({ min: 0, max: 7 }),
  gsoSize: fc.oneof(fc.integer({ min: 1, max: 1460 }), fc.integer({ min: 1, max: 9 })),
});

/** The extension headers a spec's super-packet carries. */
const extensionsOf = (spec: SegmentationSpec): [number, number][] =>
  spec.offsetGiven ? spec.extensions : [];

/** The super-packet of a spec, placed at `inShift` in a larger buffer. */
function superPacketOf(spec: SegmentationSpec, payload: Uint8Array): Uint8Array {
  const bytes = buildSuperPacket(spec, payload, extensionsOf(spec));
  const tcpAt = tcpOffsetOf(spec, extensionsOf(spec));
  const tcpLength = bytes.length - tcpAt;
  const partialSum = !spec.offsetGiven
    ? spec.partialSum
    : foldChecksum(
        spec.version === 4
          ? ipv4PseudoHeaderSum(spec.v4[0], spec.v4[1], 6, tcpLength)
          : ipv6PseudoHeaderSum(spec.v6[0], spec.v6[1], 6, tcpLength),
      );
  bytes[tcpAt + 16] = partialSum >>> 8;
  bytes[tcpAt + 17] = partialSum;
  const backing = new Uint8Array(bytes.length + 16);
  backing.set(bytes, spec.inShift);
  return backing.subarray(spec.inShift, spec.inShift + bytes.length);
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/**
 * Segments a spec's super-packet and checks every segment against the spec, with this package's
 * own parsers and checksum verification. Returns the problems found (the first few).
 */
function segmentationProblems(segmenter: TcpSegmenter, spec: SegmentationSpec): string[] {
  const problems: string[] = [];
  const problem = (text: string) => problems.length < 5 && problems.push(text);
  const payload = noisePayload(spec.payloadSeed, spec.payloadLen);
  const superPacket = superPacketOf(spec, payload);
  const before = superPacket.slice();
  const gso = spec.gsoSize;
  const tcpAt = tcpOffsetOf(spec, extensionsOf(spec));
  const count = segmenter.begin(superPacket, gso, spec.offsetGiven ? tcpAt : undefined);
  const expectedCount = Math.max(1, Math.ceil(spec.payloadLen / gso));
  if (count !== expectedCount) return [`count ${kindOf(count)} ${count}, want ${expectedCount}`];

  const out = new Uint8Array(new ArrayBuffer(2048), spec.outShift, 2000);
  const joined = new Uint8Array(spec.payloadLen);
  const [srcPort, dstPort] = [spec.srcPort, spec.dstPort];
  for (let i = 0; i < count; i++) {
    const length = segmenter.write(i, out);
    const packet: IpPacket | WireError = parseIpPacket(out.subarray(0, Math.max(length, 0)));
    if (isWireError(packet)) {
      problem(`segment ${i}: length ${length}, ${packet.kind}`);
      continue;
    }
    const tcp = asTcp(packet);
    if (isWireError(tcp)) {
      problem(`segment ${i}: TCP ${tcp.kind}`);
      continue;
    }
    if (packet.bytes.length !== length) problem(`segment ${i}: IP length ${packet.totalLen}`);
    if (transportChecksumValid(packet) !== true) problem(`segment ${i}: TCP checksum`);
    if (packet.version === 4) {
      if (!packet.headerChecksumValid()) problem(`segment ${i}: IPv4 header checksum`);
      if (packet.ident !== ((spec.ident + i) & 0xffff)) problem(`segment ${i}: id ${packet.ident}`);
      if (packet.isFragment || packet.dontFragment !== spec.dontFragment) {
        problem(`segment ${i}: fragment bits`);
      }
      if (packet.src !== spec.v4[0] >>> 0 || packet.dst !== spec.v4[1] >>> 0) {
        problem(`segment ${i}: IPv4 addresses`);
      }
      if (packet.ttl !== spec.ttl || out[1] !== spec.tos) problem(`segment ${i}: TTL or TOS`);
      if (!sameBytes(packet.options(), spec.ipv4Options)) problem(`segment ${i}: IPv4 options`);
    } else {
      if (!sameBytes(packet.src, spec.v6[0]) || !sameBytes(packet.dst, spec.v6[1])) {
        problem(`segment ${i}: IPv6 addresses`);
      }
      if (packet.trafficClass !== spec.tos || packet.flowLabel !== spec.flowLabel) {
        problem(`segment ${i}: traffic class or flow label`);
      }
      if (packet.hopLimit !== spec.ttl) problem(`segment ${i}: hop limit`);
      if (!sameBytes(out.subarray(40, tcpAt), superPacket.subarray(40, tcpAt))) {
        problem(`segment ${i}: extension headers`);
      }
    }
    if (tcp.srcPort !== srcPort || tcp.dstPort !== dstPort) problem(`segment ${i}: ports`);
    if (tcp.seq !== (spec.seq + i * gso) >>> 0) problem(`segment ${i}: seq ${tcp.seq}`);
    if (tcp.ack !== spec.ack || tcp.window !== spec.window) problem(`segment ${i}: ack or window`);
    if (!sameBytes(tcp.options(), spec.tcpOptions)) problem(`segment ${i}: TCP options`);
    let flags = spec.flags;
    if (i !== 0) flags &= ~TcpFlag.Cwr;
    if (i !== count - 1) flags &= ~(TcpFlag.Fin | TcpFlag.Psh);
    if (tcp.flags !== flags) problem(`segment ${i}: flags ${tcp.flags.toString(16)}`);
    const data = tcp.payload();
    if (data.length > gso) problem(`segment ${i}: ${data.length} payload bytes`);
    if (i < count - 1 && data.length !== gso) problem(`segment ${i}: short, ${data.length} bytes`);
    if (i * gso + data.length <= joined.length) joined.set(data, i * gso);
    else problem(`segment ${i}: payload past the end`);
  }
  if (!sameBytes(joined, payload)) problem("the segments' payloads do not make the payload");
  if (!sameBytes(superPacket, before)) problem("the super-packet changed");
  return problems;
}

describe("TcpSegmenter: random super-packets", () => {
  test("every segment parses, verifies and follows the rules; the payloads join to the original", () => {
    // One segmenter for every run, as one reader keeps one: each begin replaces the last.
    const segmenter = new TcpSegmenter();
    fc.assert(
      fc.property(segmentationSpec, (spec) => {
        expect(segmentationProblems(segmenter, spec)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  test("whatever begin accepts of noise and mutated super-packets segments into valid packets", () => {
    const segmenter = new TcpSegmenter();
    const out = new Uint8Array(2048);
    const mutated = fc
      .tuple(
        fc.constantFrom(SUPER4, SUPER6),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
      )
      .map(([base, edits, cut]) => {
        const bytes = base.slice(0, base.length - (cut % 8));
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        return bytes;
      });
    const noise = fc
      .tuple(fc.constantFrom(0x45, 0x4f, 0x60), fc.uint8Array({ maxLength: 120 }))
      .map(([first, rest]) => Uint8Array.of(first, ...rest));
    const gsoSizes = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 12 }) },
      { weight: 1, arbitrary: fc.integer({ min: -2, max: 0 }) },
    );
    fc.assert(
      fc.property(fc.oneof(mutated, noise), gsoSizes, (bytes, gso) => {
        const count = segmenter.begin(bytes, gso);
        if (isWireError(count)) return;
        expect(count).toBeGreaterThanOrEqual(1);
        for (let i = 0; i < count; i++) {
          const length = segmenter.write(i, out);
          const packet = ok(parseIpPacket(out.subarray(0, length)));
          expect(packet.bytes.length).toBe(length);
          ok(asTcp(packet));
          expect(transportChecksumValid(packet)).toBe(true);
          if (packet.version === 4) expect(packet.headerChecksumValid()).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

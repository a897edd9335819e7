import { describe, expect, test } from "bun:test";
import {
  buildTcpPacket,
  buildUdpPacket,
  completePartialChecksum,
  fillChecksums,
  foldChecksum,
  GSO_TCPV4,
  GSO_TCPV6,
  Ipv4Packet,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  isWireError,
  parseIpPacket,
  TCP_COALESCER_MAX_RUNS,
  TcpCoalescer,
  TcpFlag,
  TcpSegmenter,
  transportChecksumValid,
  VNET_F_NEEDS_CSUM,
  VNET_HDR_BYTES,
  VnetHeader,
} from "@fz/ip-packet";
import fc from "fast-check";
import {
  arbitraryPacket,
  optionWords,
  withExtensionHeaders,
  withIpv4Options,
} from "../test/arbitraries.ts";
import { TCP4_SYN, TCP6_PSH_ACK, UDP4_DNS_QUERY, UDP6_DNS_QUERY } from "../test/known-packets.ts";
import {
  buildSuperPacket,
  noisePayload,
  type SuperPacketSpec,
  superPacketFields,
  tcpOffsetOf,
} from "../test/super-packets.ts";
import { fromHex, hex, ok } from "../test/support.ts";

const MERGE_BUFFER_BYTES = VNET_HDR_BYTES + 65535;

/**
 * One call of `emit`: a copy of the bytes it writes (the merge buffer is reused) and the view
 * it was given.
 */
interface Write {
  readonly bytes: Uint8Array;
  readonly view: Uint8Array;
  readonly merged: boolean;
}

/** Adds every packet, flushing whenever `add` refuses, and returns the writes in order. */
function coalesce(coalescer: TcpCoalescer, packets: readonly Uint8Array[]): Write[] {
  const writes: Write[] = [];
  const emit = (view: Uint8Array, merged: boolean, length: number) => {
    // A packet as itself is written whole; a merged write is a prefix of the merge buffer.
    if (!merged) expect(length).toBe(view.length);
    writes.push({ bytes: view.slice(0, length), view, merged });
  };
  for (const packet of packets) {
    if (!coalescer.add(packet)) {
      coalescer.flush(emit);
      expect(coalescer.add(packet)).toBe(true);
    }
  }
  coalescer.flush(emit);
  expect(coalescer.pending).toBe(0);
  return writes;
}

/**
 * What the kernel makes of a merged write: checks its virtio_net_hdr and headers, finishes its
 * partial checksum, and cuts it into segments at its gso_size, as hex.
 */
function resegment(write: Write, buffer: Uint8Array): string[] {
  const header = new VnetHeader();
  expect(header.read(write.bytes, 0)).toBe(true);
  const superPacket = write.bytes.slice(VNET_HDR_BYTES);
  expect(write.view).toBe(buffer);
  expect(superPacket.length).toBeLessThanOrEqual(65535);
  const packet = ok(parseIpPacket(superPacket));
  expect(packet.bytes.length).toBe(superPacket.length);
  const tcpLen = superPacket.length - packet.headerLen;
  expect(header.flags).toBe(VNET_F_NEEDS_CSUM);
  expect(header.gsoType).toBe(packet.version === 4 ? GSO_TCPV4 : GSO_TCPV6);
  expect(header.csumStart).toBe(packet.headerLen);
  expect(header.csumOffset).toBe(16);
  expect(header.hdrLen).toBe(
    packet.headerLen + ((superPacket[packet.headerLen + 12] ?? 0) >>> 4) * 4,
  );
  if (packet.version === 4) expect(packet.headerChecksumValid()).toBe(true);
  const pseudoSum =
    packet.version === 4
      ? ipv4PseudoHeaderSum(packet.src, packet.dst, 6, tcpLen)
      : ipv6PseudoHeaderSum(packet.src, packet.dst, 6, tcpLen);
  const field = header.csumStart + header.csumOffset;
  expect(((superPacket[field] ?? 0) << 8) | (superPacket[field + 1] ?? 0)).toBe(
    foldChecksum(pseudoSum),
  );
  const completed = superPacket.slice();
  expect(completePartialChecksum(completed, header.csumStart, header.csumOffset)).toBe(true);
  expect(transportChecksumValid(ok(parseIpPacket(completed)))).toBe(true);

  const segmenter = new TcpSegmenter();
  const count = ok(segmenter.begin(superPacket, header.gsoSize));
  expect(count).toBeGreaterThanOrEqual(2);
  const out = new Uint8Array(65535);
  return Array.from({ length: count }, (_, index) => {
    const length = segmenter.write(index, out);
    expect(length).toBeGreaterThan(0);
    return hex(out.subarray(0, length));
  });
}

/**
 * The writes as groups of input indices: [i] for input i written as itself (the very view
 * added), [i, j, ...] for a super-packet that segments back into exactly those inputs' bytes.
 */
function shapeOf(writes: Write[], inputs: readonly Uint8Array[], buffer: Uint8Array): number[][] {
  const inputHex = inputs.map(hex);
  return writes.map((write) => {
    if (!write.merged) {
      const index = inputs.indexOf(write.view);
      expect(index).toBeGreaterThanOrEqual(0);
      return [index];
    }
    return resegment(write, buffer).map((segment) => inputHex.indexOf(segment));
  });
}

const IPV4_SRC = 0xc0000201; // 192.0.2.1
const IPV4_DST = 0xc6336407; // 198.51.100.7
const IPV6_SRC = fromHex("20010db8000000000000000000000001");
const IPV6_DST = fromHex("20010db8000000000000000000000002");
const TIMESTAMPS = fromHex("0101080a00001234aabbccdd");

interface SegmentOptions {
  readonly version?: 4 | 6;
  readonly srcPort?: number;
  readonly seq?: number;
  readonly ack?: number;
  readonly window?: number;
  readonly options?: Uint8Array;
  readonly ident?: number;
  readonly dontFragment?: boolean;
}

/**
 * One flow's segments with these payload sizes, back to back in sequence space, as a sender
 * makes them: ACK on each, PSH on the last, IPv4 ids counting up, every checksum correct.
 */
function flowSegments(sizes: readonly number[], options: SegmentOptions = {}): Uint8Array[] {
  const version = options.version ?? 4;
  let seq = options.seq ?? 0xfffff000;
  return sizes.map((size, i) => {
    const payload = new Uint8Array(size).map((_, k) => (k * 7 + i * 13 + seq) & 0xff);
    const bytes = ok(
      buildTcpPacket(
        {
          src: version === 4 ? IPV4_SRC : IPV6_SRC,
          dst: version === 4 ? IPV4_DST : IPV6_DST,
          srcPort: options.srcPort ?? 40000,
          dstPort: 443,
          seq,
          ack: options.ack ?? 0x01020304,
          flags: TcpFlag.Ack | (i === sizes.length - 1 ? TcpFlag.Psh : 0),
          window: options.window ?? 501,
          options: options.options ?? TIMESTAMPS,
        },
        payload,
      ),
    );
    if (version === 4) {
      const ip = Ipv4Packet.unchecked(bytes);
      ip.ident = ((options.ident ?? 0x4321) + i) & 0xffff;
      ip.setFragment(options.dontFragment ?? true, false, 0);
      ip.fillHeaderChecksum();
    }
    seq = (seq + size) >>> 0;
    return bytes;
  });
}

/** Applies `edit` to a packet in place and fixes its checksums. */
function edit(packet: Uint8Array, change: (bytes: Uint8Array, tcpAt: number) => void): void {
  change(packet, (packet[0] ?? 0) >>> 4 === 4 ? 20 : 40);
  fillChecksums(ok(parseIpPacket(packet)));
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => from + i);

describe("TcpCoalescer: known answer", () => {
  // "Firezone!!" in segments of 4, 4 and 2 bytes, seq 0xfffffff8 (the third wraps to 0), IPv4
  // ids 0xfffe, 0xffff, 0 with DF, timestamps on, ACK, ACK, ACK|PSH.
  const IPV4 = "c0000201c6336407";
  const PORTS = "9c4001bb"; // 40000 -> 443
  const ACK = "01020304";
  const TS = "0101080a00001234aabbccdd";
  const inputs = [
    ["45000038fffe400040060000", "fffffff8", "8010", "46697265"],
    ["45000038ffff400040060000", "fffffffc", "8010", "7a6f6e65"],
    ["450000360000400040060000", "00000000", "8018", "2121"],
  ].map(([ip, seq, flags, data]) => {
    const bytes = fromHex(`${ip}${IPV4}${PORTS}${seq}${ACK}${flags}01f500000000${TS}${data}`);
    fillChecksums(ok(parseIpPacket(bytes)));
    return bytes;
  });

  test("three IPv4 segments become one super-packet with hand-checked headers", () => {
    const buffer = new Uint8Array(MERGE_BUFFER_BYTES);
    const coalescer = new TcpCoalescer(buffer);
    const writes = coalesce(coalescer, inputs);
    expect(writes.map((write) => write.merged)).toEqual([true]);
    // virtio_net_hdr, little-endian: NEEDS_CSUM, TCPV4, hdr_len 52, gso_size 4, csum_start 20,
    // csum_offset 16. IPv4: total length 62, the first id, header checksum 0x4e7f. TCP: the first
    // seq, PSH from the last, and 0xec6c, the pseudo-header sum (c000+0201+c633+6407+6+2a,
    // folded), in the checksum field. These header values match tcp-segmenter.test.ts's
    // tshark-checked SUPER4, which differs only in flags.
    expect(hex(writes[0]?.bytes ?? new Uint8Array())).toBe(
      "01013400040014001000" +
        `4500003efffe400040064e7f${IPV4}` +
        `9c4001bbfffffff801020304801801f5ec6c0000${TS}466972657a6f6e652121`,
    );
    expect([coalescer.packetsIn, coalescer.writesOut, coalescer.packetsMerged]).toEqual([3, 1, 3]);
    expect(shapeOf(writes, inputs, buffer)).toEqual([[0, 1, 2]]);
  });

  test("the same run over IPv6 carries gso_type TCPV6, csum_start 40 and the payload length", () => {
    const buffer = new Uint8Array(MERGE_BUFFER_BYTES);
    const segments = flowSegments([4, 4, 2], { version: 6, seq: 0xfffffff8 });
    const writes = coalesce(new TcpCoalescer(buffer), segments);
    const bytes = writes[0]?.bytes ?? new Uint8Array();
    expect(writes.length).toBe(1);
    expect(hex(bytes.subarray(0, VNET_HDR_BYTES))).toBe("01044800040028001000");
    expect(hex(bytes.subarray(VNET_HDR_BYTES + 4, VNET_HDR_BYTES + 6))).toBe("002a");
    expect(shapeOf(writes, segments, buffer)).toEqual([[0, 1, 2]]);
  });
});

describe("TcpCoalescer: what joins a run", () => {
  const buffer = new Uint8Array(MERGE_BUFFER_BYTES);
  const shape = (inputs: Uint8Array[], coalescer = new TcpCoalescer(buffer)) =>
    shapeOf(coalesce(coalescer, inputs), inputs, buffer);

  test("a run of one goes out as the very packet added", () => {
    const [only] = flowSegments([1000]);
    const writes = coalesce(new TcpCoalescer(buffer), only === undefined ? [] : [only]);
    expect(writes).toHaveLength(1);
    expect(writes[0]?.merged).toBe(false);
    expect(writes[0]?.view).toBe(only);
  });

  test.each([
    ["FIN", TcpFlag.Fin],
    ["SYN", TcpFlag.Syn],
    ["RST", TcpFlag.Rst],
    ["URG", TcpFlag.Urg],
    ["ECE", TcpFlag.Ece],
    ["CWR", TcpFlag.Cwr],
  ])("a %s segment goes out alone, after the run before it", (_, flag) => {
    const segments = flowSegments([100, 100, 100, 100, 100]);
    edit(segments[2] ?? new Uint8Array(), (bytes, tcp) => {
      bytes[tcp + 13] = (bytes[tcp + 13] ?? 0) | flag;
    });
    expect(shape(segments)).toEqual([[0, 1], [2], [3, 4]]);
  });

  test("segments without ACK, or with the AE bit, go out alone", () => {
    const segments = flowSegments([100, 100, 100, 100, 100, 100, 100]);
    edit(segments[1] ?? new Uint8Array(), (bytes, tcp) => {
      bytes[tcp + 13] = 0;
    });
    for (const segment of segments.slice(4, 6)) {
      edit(segment, (bytes, tcp) => {
        bytes[tcp + 12] = (bytes[tcp + 12] ?? 0) | 0x01;
      });
    }
    expect(shape(segments)).toEqual([[0], [1], [2, 3], [4], [5], [6]]);
  });

  test("PSH ends the run with the segment that carries it", () => {
    const first = flowSegments([100, 100, 100]);
    const second = flowSegments([100, 100], { seq: 0xfffff000 + 300, ident: 0x4324 });
    expect(shape([...first, ...second])).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
  });

  test("a shorter segment ends the run; a bigger one after it starts the next", () => {
    expect(shape(flowSegments([100, 100, 60, 100, 100, 40]))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(shape(flowSegments([60, 100, 100]))).toEqual([[0], [1, 2]]);
  });

  /** Flips a payload bit of a segment, leaving its checksums as they were: they no longer verify. */
  const corruptPayload = (segment: Uint8Array) => {
    const at = segment.length - 1;
    segment[at] = (segment[at] ?? 0) ^ 0x04;
  };
  test.each([
    ["IPv4", 0, 4, [[0], [1, 2, 3, 4]]],
    ["IPv4", 2, 4, [[0, 1], [2], [3, 4]]],
    ["IPv4", 4, 4, [[0, 1, 2, 3], [4]]],
    ["IPv6", 0, 6, [[0], [1, 2, 3, 4]]],
    ["IPv6", 2, 6, [[0, 1], [2], [3, 4]]],
    ["IPv6", 4, 6, [[0, 1, 2, 3], [4]]],
  ] as const)(
    "%s: a bad TCP checksum in segment %i of five keeps it out of runs, as it came",
    (_, bad, version, expected) => {
      const segments = flowSegments([100, 100, 100, 100, 100], { version });
      const corrupt = segments[bad] ?? new Uint8Array();
      corruptPayload(corrupt);
      const before = corrupt.slice();
      const writes = coalesce(new TcpCoalescer(buffer), segments);
      expect(shapeOf(writes, segments, buffer)).toEqual(expected.map((group) => [...group]));
      const alone = writes.find((write) => write.view === corrupt);
      expect(alone?.merged).toBe(false);
      expect(alone?.bytes).toEqual(before);
    },
  );

  test("a bad IPv4 header checksum keeps the segment out of runs, as it came", () => {
    const segments = flowSegments([100, 100, 100, 100, 100]);
    const corrupt = segments[2] ?? new Uint8Array();
    corrupt[10] = (corrupt[10] ?? 0) ^ 0x01;
    const before = corrupt.slice();
    const writes = coalesce(new TcpCoalescer(buffer), segments);
    expect(shapeOf(writes, segments, buffer)).toEqual([[0, 1], [2], [3, 4]]);
    expect(writes.find((write) => write.view === corrupt)?.bytes).toEqual(before);
  });

  test("a segment with no payload goes out alone", () => {
    expect(shape(flowSegments([100, 100, 0, 100, 100]))).toEqual([[0, 1], [2], [3, 4]]);
  });

  type Edit = (bytes: Uint8Array, tcp: number) => void;
  const v4Changes: [string, Edit][] = [
    ["a gap in sequence numbers", (b, tcp) => (b[tcp + 7] = (b[tcp + 7] ?? 0) + 1)],
    ["a different ack", (b, tcp) => (b[tcp + 11] = (b[tcp + 11] ?? 0) ^ 1)],
    ["a different window", (b, tcp) => (b[tcp + 15] = (b[tcp + 15] ?? 0) ^ 1)],
    ["a different option byte", (b, tcp) => (b[tcp + 31] = (b[tcp + 31] ?? 0) ^ 1)],
    ["a different urgent pointer", (b, tcp) => (b[tcp + 19] = 1)],
    ["a different TTL", (b) => (b[8] = 63)],
    ["a different TOS", (b) => (b[1] = 0x02)],
    ["DF cleared", (b) => (b[6] = 0)],
  ];
  test.each(v4Changes)("IPv4: %s starts a new run", (_, change) => {
    const segments = flowSegments([100, 100, 100, 100]);
    for (const segment of segments.slice(2)) edit(segment, change);
    expect(shape(segments)).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  const v6Changes: [string, Edit][] = [
    ["a different hop limit", (b) => (b[7] = 63)],
    ["a different traffic class", (b) => (b[1] = 0x10)],
    ["a different flow label", (b) => (b[3] = 1)],
    ["a gap in sequence numbers", (b, tcp) => (b[tcp + 7] = (b[tcp + 7] ?? 0) + 1)],
  ];
  test.each(v6Changes)("IPv6: %s starts a new run", (_, change) => {
    const segments = flowSegments([100, 100, 100, 100], { version: 6 });
    for (const segment of segments.slice(2)) edit(segment, change);
    expect(shape(segments)).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  test("without DF, only ids counting up join (with DF the id is ignored)", () => {
    const counting = flowSegments([100, 100, 100], { dontFragment: false });
    expect(shape(counting)).toEqual([[0, 1, 2]]);
    const repeated = flowSegments([100, 100, 100, 100], { dontFragment: false });
    for (const segment of repeated.slice(2)) edit(segment, (b) => (b[5] = (b[5] ?? 0) + 1));
    expect(shape(repeated)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    const fixed = flowSegments([100, 100, 100], { dontFragment: true });
    for (const segment of fixed) edit(segment, (b) => (b[4] = b[5] = 0));
    const writes = coalesce(new TcpCoalescer(buffer), fixed);
    expect(writes.map((write) => write.merged)).toEqual([true]);
  });

  test("IPv4 options and fragments keep a packet out of runs, each after its flow's run", () => {
    const segments = flowSegments([100, 100, 100, 100, 100, 100]);
    const withOptions = withIpv4Options(segments[2] ?? new Uint8Array(), Uint8Array.of(1, 1, 1, 0));
    fillChecksums(ok(parseIpPacket(withOptions)));
    const fragment = (segments[4] ?? new Uint8Array()).slice();
    edit(fragment, (b) => (b[6] = 0x20)); // MF
    const inputs = [segments[0], segments[1], withOptions, segments[3], fragment, segments[5]];
    const packets = inputs.map((p) => p ?? new Uint8Array());
    // The options packet closes its flow's run first; so does the fragment, whose ports cannot
    // be read but whose addresses are the run's (its seq is skipped, so the next cannot join).
    expect(shape(packets)).toEqual([[0, 1], [2], [3], [4], [5]]);
  });

  test("an IPv6 segment behind an extension header goes out after its flow's run", () => {
    const segments = flowSegments([100, 100, 100, 100], { version: 6 });
    const behindHopByHop = withExtensionHeaders(segments[1] ?? new Uint8Array(), [[0, 0]]);
    const inputs = [segments[0], behindHopByHop, segments[2], segments[3]].map(
      (p) => p ?? new Uint8Array(),
    );
    expect(shape(inputs)).toEqual([[0], [1], [2, 3]]);
  });

  /** A packet of the flow's addresses whose ports the coalescer cannot read, from a segment. */
  type Unreadable = (segment: Uint8Array) => Uint8Array;
  const changed =
    (change: (bytes: Uint8Array) => void): Unreadable =>
    (segment) => {
      const copy = segment.slice();
      edit(copy, change);
      return copy;
    };
  const unreadable: [string, 4 | 6, Unreadable][] = [
    ["an IPv4 first fragment", 4, changed((b) => (b[6] = 0x20))],
    ["a later IPv4 fragment", 4, changed((b) => b.set([0x00, 0x10], 6))],
    ["an IPv4 AH packet", 4, changed((b) => (b[9] = 51))],
    ["an IPv4 TCP packet cut inside its ports", 4, (segment) => segment.slice(0, 22)],
    ["an IPv6 packet behind Hop-by-Hop", 6, (segment) => withExtensionHeaders(segment, [[0, 0]])],
    ["an IPv6 packet behind Destination Options", 6, (s) => withExtensionHeaders(s, [[60, 0]])],
    ["an IPv6 packet behind a Routing header", 6, (s) => withExtensionHeaders(s, [[43, 0]])],
  ];
  test.each(unreadable)(
    "%s closes every run between its addresses first, no other",
    (_, v, make) => {
      const a = flowSegments([100, 100, 100], { version: v, srcPort: 1000 });
      const b = flowSegments([100, 100, 100], { version: v, srcPort: 2000 });
      // The same ports as a's, from another source address.
      const c = flowSegments([100, 100, 100], { version: v, srcPort: 1000 });
      for (const segment of c) edit(segment, (bytes) => (bytes[v === 4 ? 15 : 23] = 0x99));
      const odd = make(flowSegments([100], { version: v, srcPort: 3000 })[0] ?? new Uint8Array());
      const inputs = [a[0], b[0], c[0], odd, a[1], b[1], c[1], a[2], b[2], c[2]].map(
        (p) => p ?? new Uint8Array(),
      );
      expect(shape(inputs)).toEqual([[0], [1], [3], [4, 7], [5, 8], [2, 6, 9]]);
    },
  );

  test("a UDP packet between a run's addresses goes out where it stands", () => {
    for (const version of [4, 6] as const) {
      const a = flowSegments([100, 100, 100], { version });
      const udp = ok(
        buildUdpPacket(
          {
            src: version === 4 ? IPV4_SRC : IPV6_SRC,
            dst: version === 4 ? IPV4_DST : IPV6_DST,
            srcPort: 40000,
            dstPort: 443,
          },
          new Uint8Array(20),
        ),
      );
      const inputs = [a[0], udp, a[1], a[2]].map((p) => p ?? new Uint8Array());
      expect(shape(inputs)).toEqual([[1], [0, 2, 3]]);
    }
  });

  test("a super-packet never exceeds 65535 bytes: the segment that would is the next run's", () => {
    const none = new Uint8Array(0); // no TCP options: 40 + 5 x 13099 = 65535
    expect(shape(flowSegments([...Array(5).fill(13099), 1], { options: none }))).toEqual([
      range(0, 5),
      [5],
    ]);
    const v6 = flowSegments(Array(6).fill(13095), { options: none, version: 6 });
    expect(shape(v6)).toEqual([range(0, 5), [5]]);
    const writes = coalesce(
      new TcpCoalescer(buffer),
      flowSegments(Array(5).fill(13099), { options: none }),
    );
    expect(writes[0]?.bytes.length).toBe(VNET_HDR_BYTES + 65535);
    expect(hex(writes[0]?.bytes.subarray(12, 14) ?? new Uint8Array())).toBe("ffff");
    const many = flowSegments(Array(64).fill(1460));
    expect(shape(many, new TcpCoalescer(buffer, 64))).toEqual([range(0, 44), range(44, 64)]);
  });

  test("a shorter merge buffer caps the super-packets at what it holds", () => {
    const small = new Uint8Array(VNET_HDR_BYTES + 1000);
    const segments = flowSegments([300, 300, 300, 300, 300]);
    const writes = coalesce(new TcpCoalescer(small), segments);
    // 52 header bytes + 3 x 300 fit in 1000; a fourth would not.
    expect(shapeOf(writes, segments, small)).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
  });

  test("interleaved flows each make one super-packet; a UDP packet goes out where it stands", () => {
    const a = flowSegments([500, 500, 500, 200], { srcPort: 1000 });
    const b = flowSegments([500, 500, 500, 500], { srcPort: 2000, version: 6 });
    const inputs = [a[0], b[0], a[1], UDP4_DNS_QUERY, b[1], a[2], b[2], a[3], b[3]].map(
      (p) => p ?? new Uint8Array(),
    );
    expect(shape(inputs)).toEqual([[3], [0, 2, 5, 7], [1, 4, 6, 8]]);
  });

  test("runs still open at the end go out in the order they began", () => {
    const a = flowSegments([500, 500, 500], { srcPort: 1000 });
    const b = flowSegments([500, 500, 500], { srcPort: 2000 });
    const inputs = [b[0], a[0], b[1], a[1]].map((p) => p ?? new Uint8Array());
    expect(shape(inputs)).toEqual([
      [0, 2],
      [1, 3],
    ]);
  });

  test(`a flow past ${TCP_COALESCER_MAX_RUNS} open runs closes the one idle longest`, () => {
    const flows = range(0, TCP_COALESCER_MAX_RUNS + 1).map((i) =>
      flowSegments([100, 100, 100], { srcPort: 1000 + i }),
    );
    const at = (flow: number, segment: number) => flows[flow]?.[segment] ?? new Uint8Array();
    // Every flow's first segment, then flow 0's second: flow 1 is now the idlest.
    const inputs = [...range(0, TCP_COALESCER_MAX_RUNS).map((f) => at(f, 0)), at(0, 1)];
    const last = TCP_COALESCER_MAX_RUNS;
    inputs.push(at(last, 0), at(0, 2), at(last, 1));
    const shapes = shape(inputs);
    expect(shapes[0]).toEqual([1]); // flow 1's run, closed to make room
    expect(shapes).toContainEqual([0, 8, last + 2]);
    expect(shapes).toContainEqual([last + 1, last + 3]);
    expect(shapes).toHaveLength(TCP_COALESCER_MAX_RUNS + 1);
  });
});

describe("TcpCoalescer: batches", () => {
  test("add refuses past maxPackets until a flush, and counts what went through", () => {
    const coalescer = new TcpCoalescer(new Uint8Array(MERGE_BUFFER_BYTES), 3);
    const segments = flowSegments([100, 100, 100, 100]);
    for (const segment of segments.slice(0, 3)) expect(coalescer.add(segment)).toBe(true);
    expect(coalescer.add(segments[3] ?? new Uint8Array())).toBe(false);
    expect(coalescer.pending).toBe(3);
    const merged: boolean[] = [];
    coalescer.flush((_, isMerged) => merged.push(isMerged));
    expect(merged).toEqual([true]);
    expect(coalescer.add(segments[3] ?? new Uint8Array())).toBe(true);
    coalescer.flush((_, isMerged) => merged.push(isMerged));
    expect(merged).toEqual([true, false]);
    expect([coalescer.packetsIn, coalescer.writesOut, coalescer.packetsMerged]).toEqual([4, 2, 3]);
  });

  test("every merged write is the merge buffer itself with the length in use", () => {
    const buffer = new Uint8Array(MERGE_BUFFER_BYTES);
    const coalescer = new TcpCoalescer(buffer);
    for (const packet of [...flowSegments([100, 100]), ...flowSegments([300, 300, 300, 300])]) {
      coalescer.add(packet);
    }
    const calls: [Uint8Array, boolean, number][] = [];
    coalescer.flush((bytes, merged, length) => calls.push([bytes, merged, length]));
    // 52 header bytes + 2 x 100, then 52 + 4 x 300, each after the virtio_net_hdr.
    expect(calls).toEqual([
      [buffer, true, VNET_HDR_BYTES + 252],
      [buffer, true, VNET_HDR_BYTES + 1252],
    ]);
    expect(calls.every(([bytes]) => bytes === buffer)).toBe(true);
  });

  test("an empty flush emits nothing; add refuses during a flush", () => {
    const coalescer = new TcpCoalescer(new Uint8Array(MERGE_BUFFER_BYTES), 4);
    coalescer.flush(() => {
      throw new Error("nothing to emit");
    });
    coalescer.add(UDP4_DNS_QUERY);
    const added: boolean[] = [];
    coalescer.flush(() => added.push(coalescer.add(UDP6_DNS_QUERY)));
    expect(added).toEqual([false]);
    expect(coalescer.pending).toBe(0);
  });

  test("an emit that throws drops the rest of the batch and leaves the coalescer usable", () => {
    const buffer = new Uint8Array(MERGE_BUFFER_BYTES);
    const coalescer = new TcpCoalescer(buffer, 8);
    for (const packet of [UDP4_DNS_QUERY, ...flowSegments([100, 100])]) coalescer.add(packet);
    expect(() =>
      coalescer.flush(() => {
        throw new Error("write failed");
      }),
    ).toThrow("write failed");
    expect(coalescer.pending).toBe(0);
    const segments = flowSegments([100, 100, 100]);
    expect(shapeOf(coalesce(coalescer, segments), segments, buffer)).toEqual([[0, 1, 2]]);
  });

  test("maxPackets must be a positive integer", () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new TcpCoalescer(new Uint8Array(MERGE_BUFFER_BYTES), bad)).toThrow(RangeError);
    }
  });
});

interface FlowSpec extends SuperPacketSpec {
  readonly gsoSize: number;
  readonly segments: number;
  /** How full the last segment is, in 1/256ths of gsoSize (at least one byte). */
  readonly lastFill: number;
  readonly empty: boolean;
}

// Few addresses and ports, so flows often share all but one field of their 4-tuple.
const flowSpec = (eligible: boolean, maxSegments: number): fc.Arbitrary<FlowSpec> =>
  fc.record({
    ...superPacketFields,
    v4: fc.tuple(fc.constantFrom(IPV4_SRC, IPV4_DST), fc.constantFrom(IPV4_SRC, IPV4_DST)),
    v6: fc.tuple(fc.constantFrom(IPV6_SRC, IPV6_DST), fc.constantFrom(IPV6_SRC, IPV6_DST)),
    srcPort: fc.constantFrom(443, 40000),
    dstPort: fc.integer({ min: 1, max: 4 }),
    flags: eligible
      ? fc.constantFrom(TcpFlag.Ack, TcpFlag.Ack | TcpFlag.Psh)
      : fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(TcpFlag.Ack, TcpFlag.Ack | TcpFlag.Psh) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1ff }) },
        ),
    ipv4Options: eligible
      ? fc.constant(new Uint8Array(0))
      : fc.oneof({ weight: 4, arbitrary: fc.constant(new Uint8Array(0)) }, optionWords(3)),
    gsoSize: fc.oneof(
      fc.integer({ min: 1, max: 1460 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1000, max: 16000 }),
    ),
    segments: fc.integer({ min: 1, max: maxSegments }),
    lastFill: fc.integer({ min: 0, max: 255 }),
    empty: eligible
      ? fc.constant(false)
      : fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, fc.constant(true)),
  });

const keyOfSpec = (spec: FlowSpec): string =>
  `${spec.version} ${spec.version === 4 ? spec.v4.join() : spec.v6.map(hex).join()} ${spec.srcPort} ${spec.dstPort}`;

function payloadLenOf(spec: FlowSpec): number {
  if (spec.empty) return 0;
  const headers = tcpOffsetOf(spec) + 20 + spec.tcpOptions.length;
  const lastLen = 1 + Math.floor(((spec.gsoSize - 1) * spec.lastFill) / 255);
  return Math.min((spec.segments - 1) * spec.gsoSize + lastLen, 65535 - headers);
}

/** The flow's super-packet, as a sender's TSO would hand it to its NIC. */
const superPacketOf = (spec: FlowSpec): Uint8Array =>
  buildSuperPacket(spec, noisePayload(spec.payloadSeed, payloadLenOf(spec)));

/** The flow's segments as the wire carries them, each in a buffer of its own at any alignment. */
function segmentsOf(spec: FlowSpec, shift: number): Uint8Array[] {
  const segmenter = new TcpSegmenter();
  const count = ok(segmenter.begin(superPacketOf(spec), spec.gsoSize));
  return Array.from({ length: count }, (_, index) => {
    const slot = new Uint8Array(new ArrayBuffer(spec.gsoSize + 200), (index + shift) % 8);
    return slot.subarray(0, segmenter.write(index, slot));
  });
}

/**
 * A packet's flow as the coalescer sees it: TCP that is not a fragment and whose header follows
 * the IP header; everything else is "other", which must keep its order as a whole.
 */
function flowKeyOf(packet: Uint8Array): string {
  const version = (packet[0] ?? 0) >>> 4;
  if (version === 4 && packet[9] === 6 && ((packet[6] ?? 0) & 0x3f) === 0 && packet[7] === 0) {
    const tcp = ((packet[0] ?? 0) & 0x0f) * 4;
    return `4 ${hex(packet.subarray(12, 20))} ${hex(packet.subarray(tcp, tcp + 4))}`;
  }
  if (version === 6 && packet[6] === 6) {
    return `6 ${hex(packet.subarray(8, 40))} ${hex(packet.subarray(40, 44))}`;
  }
  return "other";
}

/** Merges lists into one, keeping each list's order; `choices` picks which list goes next. */
function interleave<T>(lists: T[][], choices: readonly number[]): T[] {
  const queues = lists.map((list) => [...list]).filter((list) => list.length > 0);
  const merged: T[] = [];
  for (let step = 0; queues.length > 0; step++) {
    const at = (choices[step % Math.max(choices.length, 1)] ?? 0) % queues.length;
    const queue = queues[at] ?? [];
    const next = queue.shift();
    if (next !== undefined) merged.push(next);
    if (queue.length === 0) queues.splice(at, 1);
  }
  return merged;
}

/** Groups packets (as hex) by flow, each group in order. */
function byFlow(packets: Iterable<[string, string]>): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const [key, bytes] of packets) {
    const group = groups.get(key) ?? [];
    group.push(bytes);
    groups.set(key, group);
  }
  return groups;
}

describe("TcpCoalescer: random flows", () => {
  test("what it writes segments back into each flow's segments, in order; the rest untouched", () => {
    const others = fc.array(
      fc.oneof(
        arbitraryPacket.map((generated) => generated.bytes),
        fc.constantFrom(UDP4_DNS_QUERY, UDP6_DNS_QUERY, TCP4_SYN, TCP6_PSH_ACK),
      ),
      { maxLength: 6 },
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(flowSpec(false, 16), { minLength: 1, maxLength: 10, selector: keyOfSpec }),
        others,
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 7 }),
        (specs, otherPackets, choices, maxPackets, shift) => {
          const flows = specs.map((spec) => segmentsOf(spec, shift));
          const inputs = interleave([...flows, otherPackets.map((p) => p.slice())], choices);
          const buffer = new Uint8Array(MERGE_BUFFER_BYTES);
          const coalescer = new TcpCoalescer(buffer, maxPackets);
          const writes = coalesce(coalescer, inputs);

          const unmergedSeen = new Set<Uint8Array>();
          const out: [string, string][] = [];
          let merged = 0;
          for (const write of writes) {
            if (write.merged) {
              const segments = resegment(write, buffer);
              merged += segments.length;
              for (const segment of segments) out.push([flowKeyOf(fromHex(segment)), segment]);
            } else {
              expect(inputs).toContain(write.view);
              expect(unmergedSeen.has(write.view)).toBe(false);
              unmergedSeen.add(write.view);
              out.push([flowKeyOf(write.view), hex(write.view)]);
            }
          }
          const expected = byFlow(inputs.map((p): [string, string] => [flowKeyOf(p), hex(p)]));
          expect(byFlow(out)).toEqual(expected);
          expect(coalescer.packetsIn).toBe(inputs.length);
          expect(coalescer.writesOut).toBe(writes.length);
          expect(coalescer.packetsMerged).toBe(merged);
          expect(unmergedSeen.size + merged).toBe(inputs.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("up to 8 interleaved mergeable flows (each under 64 KiB) make one write each", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(flowSpec(true, 8), {
          minLength: 1,
          maxLength: TCP_COALESCER_MAX_RUNS,
          selector: keyOfSpec,
        }),
        fc.array(fc.constantFrom(UDP4_DNS_QUERY, UDP6_DNS_QUERY), { maxLength: 4 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        (specs, otherPackets, choices) => {
          const flows = specs.map((spec) => segmentsOf(spec, 0));
          const inputs = interleave([...flows, otherPackets], choices);
          const coalescer = new TcpCoalescer(new Uint8Array(MERGE_BUFFER_BYTES), 128);
          const writes = coalesce(coalescer, inputs);
          expect(writes.length).toBe(specs.length + otherPackets.length);
          const mergedRuns = flows.filter((segments) => segments.length > 1).length;
          expect(writes.filter((write) => write.merged).length).toBe(mergedRuns);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("noise, truncated and mutated segments go out as they are, never thrown", () => {
    const base = flowSegments([40, 40, 40, 40, 40, 40, 40, 40]).concat(
      flowSegments([40, 40, 40, 40], { version: 6 }),
    );
    // Each segment as it is, or cut short and with a few bytes overwritten.
    const damage = fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      fc.tuple(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.nat({ max: 12 }),
      ),
    );
    const damaged = (segment: Uint8Array, change: [[number, number][], number] | undefined) => {
      const bytes = segment.slice(0, segment.length - (change?.[1] ?? 0));
      for (const [at, value] of change?.[0] ?? []) bytes[at % bytes.length] = value;
      return bytes;
    };
    const noise = fc.oneof(
      fc
        .tuple(fc.constantFrom(0x45, 0x46, 0x4f, 0x60, 0x00), fc.uint8Array({ maxLength: 80 }))
        .map(([first, rest]) => Uint8Array.of(first, ...rest)),
      fc.constant(new Uint8Array(0)),
    );
    // A mutated segment merges only if its checksums still verify, but ids under DF are not
    // compared: compare with the id and the IPv4 header checksum over it zeroed.
    const normal = (bytes: Uint8Array): string => {
      const copy = bytes.slice();
      if ((copy[0] ?? 0) >>> 4 === 4) {
        copy.fill(0, 4, 6);
        copy.fill(0, 10, 12);
      }
      return hex(copy);
    };
    /** Whether a packet parses and every checksum it has verifies. */
    const verifies = (bytes: Uint8Array): boolean => {
      const packet = parseIpPacket(bytes);
      if (isWireError(packet) || transportChecksumValid(packet) !== true) return false;
      return packet.version === 6 || packet.headerChecksumValid();
    };
    fc.assert(
      fc.property(
        fc.array(damage, { minLength: base.length, maxLength: base.length }),
        fc.array(noise, { maxLength: 20 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        (changes, noisePackets, choices) => {
          const segments = base.map((segment, i) => damaged(segment, changes[i]));
          const inputs = interleave<Uint8Array>([segments, noisePackets], choices);
          const buffer = new Uint8Array(MERGE_BUFFER_BYTES);
          const coalescer = new TcpCoalescer(buffer);
          const writes = coalesce(coalescer, inputs);
          const normalInputs = inputs.map(normal);
          const failing = inputs.filter((input) => !verifies(input));
          const unmerged = new Set<Uint8Array>();
          let accounted = 0;
          for (const write of writes) {
            if (!write.merged) {
              expect(inputs).toContain(write.view);
              unmerged.add(write.view);
              accounted++;
              continue;
            }
            for (const segment of resegment(write, buffer)) {
              expect(normalInputs).toContain(normal(fromHex(segment)));
              accounted++;
            }
          }
          expect(accounted).toBe(inputs.length);
          for (const input of failing) expect(unmerged.has(input)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

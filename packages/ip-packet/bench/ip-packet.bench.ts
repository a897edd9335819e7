import { formatTable, median, writeBenchResults } from "@fz/bench";
import {
  buildTcpPacket,
  fillChecksums,
  type IpAddress,
  type IpPacket,
  isWireError,
  parseIpPacket,
  parseIpv6,
  rewriteDestination,
  TcpCoalescer,
  TcpFlag,
  TcpSegmenter,
  transportChecksumValid,
  VNET_HDR_BYTES,
  type WireError,
} from "@fz/ip-packet";

/**
 * The DNS-resource NAT hot path on 1280-byte TCP packets: rewrite the destination address and
 * port with incremental checksums (RFC 1624), against the same rewrite followed by a full
 * recompute of every checksum, and the checked parse that precedes either. Also the TUN offload
 * path: one 64 KiB TCP super-packet split at gso_size 1240 into pool-like slots, timed per
 * segment (its `begin` amortised over the segments), and the way back: RUN_SEGMENTS such segments
 * of one flow coalesced into one super-packet for one TUN write, timed per segment (the flush and
 * its copy amortised over the run). Each figure is the median of REPEATS timed
 * runs of OPS operations, after WARMUP_OPS untimed ones.
 */
const OPS = Number(process.env.BENCH_OPS ?? 2_000_000);
const WARMUP_OPS = Number(process.env.BENCH_WARMUP_OPS ?? 500_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const PACKET_LEN = 1280;
/** gso_size: the IPv4 MSS at the tunnel's 1280-byte MTU (1280 - 20 - 20). */
const GSO_SIZE = 1240;
/** Segments of one flow a receive batch coalesces into one write: 44 x 1240 fill 54 KiB. */
const RUN_SEGMENTS = 44;
const TIMESTAMPS = Uint8Array.of(1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78);

interface Row {
  case: string;
  family: string;
  impl: string;
  ns_per_op: number;
  ops_per_s: number;
  [column: string]: string | number;
}

interface Family {
  readonly name: "ipv4" | "ipv6";
  readonly src: IpAddress;
  readonly dst: IpAddress;
  /** The two destinations the rewrite alternates between, so every operation changes bytes. */
  readonly targets: readonly [IpAddress, IpAddress];
}

const v6 = (text: string): Uint8Array => parseIpv6(text) ?? new Uint8Array(16);

const FAMILIES: readonly Family[] = [
  {
    name: "ipv4",
    src: 0x64400001,
    dst: 0x64600005,
    targets: [0xc6130005, 0x64600005],
  },
  {
    name: "ipv6",
    src: v6("fd00:2021:1111::1"),
    dst: v6("fd00:2021:1111:8000::5"),
    targets: [v6("fd00:198:19::5"), v6("fd00:2021:1111:8000::5")],
  },
];

/**
 * One flow's TCP packet (ACK|PSH) carrying `payloadLen` patterned bytes, built into `out`, every
 * checksum correct.
 */
function tcpPacketInto(
  out: Uint8Array,
  family: Family,
  payloadLen: number,
  options = new Uint8Array(0),
): Uint8Array | WireError {
  const payload = new Uint8Array(payloadLen);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 131 + 7) & 0xff;
  return buildTcpPacket(
    {
      src: family.src,
      dst: family.dst,
      srcPort: 40000,
      dstPort: 443,
      seq: 0x01020304,
      ack: 0x0a0b0c0d,
      flags: TcpFlag.Ack | TcpFlag.Psh,
      window: 501,
      options,
    },
    payload,
    out,
  );
}

/** A 1280-byte TCP segment in a slot-sized buffer, every checksum correct. */
function packetFor(family: Family): Uint8Array {
  const headers = family.name === "ipv4" ? 40 : 60;
  const slot = new Uint8Array(new SharedArrayBuffer(1408), 64, 1316);
  const built = tcpPacketInto(slot, family, PACKET_LEN - headers);
  if (isWireError(built) || built.length !== PACKET_LEN) throw new Error("could not build packet");
  return built;
}

/**
 * A 64 KiB TCP super-packet (65535 bytes of IP, timestamps on) where the data plane reads it:
 * after a 10-byte virtio_net_hdr.
 */
function superPacketFor(family: Family): Uint8Array {
  const headers = (family.name === "ipv4" ? 20 : 40) + 20 + TIMESTAMPS.length;
  const read = new Uint8Array(VNET_HDR_BYTES + 65535);
  const built = tcpPacketInto(read.subarray(VNET_HDR_BYTES), family, 65535 - headers, TIMESTAMPS);
  if (isWireError(built)) throw new Error(`could not build super-packet: ${built.kind}`);
  return built;
}

/**
 * The first RUN_SEGMENTS segments of the 64 KiB super-packet (ACK only: PSH is on its last),
 * each in a pool-like slot, as a receive batch opens them.
 */
function runSegmentsFor(family: Family): Uint8Array[] {
  const segmenter = new TcpSegmenter();
  const count = segmenter.begin(superPacketFor(family), GSO_SIZE);
  if (isWireError(count) || count < RUN_SEGMENTS) throw new Error("could not cut segments");
  return segmentSlots(RUN_SEGMENTS).map((slot, index) =>
    slot.subarray(0, segmenter.write(index, slot)),
  );
}

/** Slots as the buffer pool lays them out: 1316 bytes after 64 of headroom, one shared buffer. */
function segmentSlots(count: number): Uint8Array[] {
  const shared = new SharedArrayBuffer(count * 1408);
  return Array.from({ length: count }, (_, i) => new Uint8Array(shared, i * 1408 + 64, 1316));
}

function parsed(bytes: Uint8Array): IpPacket {
  const packet = parseIpPacket(bytes);
  if (isWireError(packet)) throw new Error(`bench packet refused: ${packet.kind}`);
  return packet;
}

/** Rewrites destination address and port by plain field writes, then recomputes every checksum. */
function rewriteByFullRecompute(packet: IpPacket, address: IpAddress, port: number): void {
  if (packet.version === 4 && typeof address === "number") packet.dst = address;
  else if (packet.version === 6 && typeof address !== "number") packet.dst = address;
  const at = packet.headerLen + 2;
  packet.bytes[at] = port >>> 8;
  packet.bytes[at + 1] = port & 0xff;
  fillChecksums(packet);
}

type Operation = (i: number) => void;

function operations(family: Family): Record<string, [string, Operation]> {
  const bytes = packetFor(family);
  const packet = parsed(bytes);
  const [a, b] = family.targets;
  let sink = 0;
  const superPacket = superPacketFor(family);
  const segmenter = new TcpSegmenter();
  const slots = segmentSlots(64);
  let segments = 0;
  let next = 0;
  const runSegments = runSegmentsFor(family);
  const coalescer = new TcpCoalescer(new Uint8Array(VNET_HDR_BYTES + 65535));
  let held = 0;
  const emit = (_bytes: Uint8Array, merged: boolean, length: number) => {
    if (!merged) throw new Error("the run did not merge");
    sink += length;
  };
  return {
    incremental: [
      "nat-rewrite",
      (i) => {
        const error = rewriteDestination(packet, (i & 1) === 0 ? a : b, (i & 1) === 0 ? 8443 : 443);
        if (error !== undefined) throw new Error(error.kind);
      },
    ],
    "full-recompute": [
      "nat-rewrite",
      (i) => rewriteByFullRecompute(packet, (i & 1) === 0 ? a : b, (i & 1) === 0 ? 8443 : 443),
    ],
    checked: [
      "checked-parse",
      () => {
        const view = parseIpPacket(bytes);
        if (!isWireError(view)) sink += view.headerLen;
        if (sink < 0) throw new Error("unreachable");
      },
    ],
    "checked+incremental": [
      "parse+nat-rewrite",
      (i) => {
        const view = parseIpPacket(bytes);
        if (isWireError(view)) throw new Error(view.kind);
        const error = rewriteDestination(view, (i & 1) === 0 ? a : b, (i & 1) === 0 ? 8443 : 443);
        if (error !== undefined) throw new Error(error.kind);
      },
    ],
    "64k-gso1240": [
      "tso-segment",
      (i) => {
        if (i === 0 || next === segments) {
          const count = segmenter.begin(superPacket, GSO_SIZE);
          if (isWireError(count)) throw new Error(count.kind);
          segments = count;
          next = 0;
        }
        const slot = slots[next++];
        if (slot === undefined || segmenter.write(next - 1, slot) <= 0) {
          throw new Error("segment refused");
        }
      },
    ],
    [`${RUN_SEGMENTS}x${GSO_SIZE}`]: [
      "tcp-coalesce",
      () => {
        const segment = runSegments[held++];
        if (segment === undefined || !coalescer.add(segment)) throw new Error("add refused");
        if (held === RUN_SEGMENTS) {
          coalescer.flush(emit);
          held = 0;
        }
      },
    ],
  };
}

function time(operation: Operation, ops: number): number {
  const began = Bun.nanoseconds();
  for (let i = 0; i < ops; i++) operation(i);
  return (Bun.nanoseconds() - began) / ops;
}

// Every operation warms up before any is timed, and runs are taken round-robin, so each one is
// timed in the same JIT state (the rewrite sees both families, as on a real tunnel).
const cases = FAMILIES.flatMap((family) =>
  Object.entries(operations(family)).map(([impl, [benchCase, operation]]) => ({
    family: family.name,
    impl,
    benchCase,
    operation,
    samples: [] as number[],
  })),
);
for (const entry of cases) time(entry.operation, WARMUP_OPS);
for (let repeat = 0; repeat < REPEATS; repeat++) {
  for (const entry of cases) entry.samples.push(time(entry.operation, OPS));
}
const rows: Row[] = cases.map((entry) => {
  const ns = median(entry.samples);
  return {
    case: entry.benchCase,
    family: entry.family,
    impl: entry.impl,
    ns_per_op: ns,
    ops_per_s: Math.round(1e9 / ns),
  };
});

// The rewritten packets must still be correct, or the figures mean nothing.
for (const family of FAMILIES) {
  const bytes = packetFor(family);
  const packet = parsed(bytes);
  for (let i = 0; i < 1001; i++) {
    rewriteDestination(packet, family.targets[i & 1] ?? family.dst, i);
  }
  const valid = transportChecksumValid(packet) === true;
  const headerValid = packet.version === 6 || packet.headerChecksumValid();
  if (!valid || !headerValid) throw new Error(`${family.name}: checksums broken after rewrites`);
}

// So must the segments of the super-packet.
for (const family of FAMILIES) {
  const segmenter = new TcpSegmenter();
  const count = segmenter.begin(superPacketFor(family), GSO_SIZE);
  if (isWireError(count) || count !== 53) throw new Error(`${family.name}: segment count ${count}`);
  for (const [index, slot] of segmentSlots(count).entries()) {
    const packet = parsed(slot.subarray(0, segmenter.write(index, slot)));
    const headerValid = packet.version === 6 || packet.headerChecksumValid();
    if (transportChecksumValid(packet) !== true || !headerValid) {
      throw new Error(`${family.name}: segment ${index} checksums broken`);
    }
  }
}

// And the coalesced run must segment back into the very segments it was made of.
for (const family of FAMILIES) {
  const segments = runSegmentsFor(family);
  const coalescer = new TcpCoalescer(new Uint8Array(VNET_HDR_BYTES + 65535));
  for (const segment of segments) coalescer.add(segment);
  const writes: Uint8Array[] = [];
  coalescer.flush((bytes, merged, length) => {
    if (merged) writes.push(bytes.slice(VNET_HDR_BYTES, length));
  });
  const segmenter = new TcpSegmenter();
  const again = writes.length === 1 ? segmenter.begin(writes[0] ?? new Uint8Array(), GSO_SIZE) : 0;
  const out = new Uint8Array(2048);
  const same = segments.every((segment, index) => {
    const length = segmenter.write(index, out);
    return Buffer.from(out.subarray(0, length)).equals(Buffer.from(segment));
  });
  if (again !== RUN_SEGMENTS || !same) throw new Error(`${family.name}: coalesced run broken`);
}

const nsOf = (family: string, impl: string): number =>
  rows.find((row) => row.family === family && row.impl === impl)?.ns_per_op ?? Number.NaN;
const ratios = FAMILIES.map(({ name }) => ({
  family: name,
  full_over_incremental: nsOf(name, "full-recompute") / nsOf(name, "incremental"),
}));

console.log(
  `ip-packet: ${PACKET_LEN}-byte TCP packets, ${OPS} ops per run, median of ${REPEATS} runs\n` +
    `tso-segment: one op is one ${GSO_SIZE}-byte segment of a 64 KiB super-packet\n` +
    `tcp-coalesce: one op is one ${GSO_SIZE}-byte segment of a ${RUN_SEGMENTS}-segment run\n`,
);
console.log(formatTable(rows, ["case", "family", "impl", "ns_per_op", "ops_per_s"]));
console.log("\nspeed-up of the incremental rewrite over a full recompute\n");
console.log(formatTable(ratios, ["family", "full_over_incremental"], 1));

const path = writeBenchResults("ip-packet", {
  packet_len: PACKET_LEN,
  ops_per_run: OPS,
  repeats: REPEATS,
  rows,
  ratios,
});
console.log(`\nwrote ${path}`);

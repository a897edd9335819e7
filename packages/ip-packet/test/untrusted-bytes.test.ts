import { describe, expect, test } from "bun:test";
import {
  asIcmpv4,
  asIcmpv6,
  asTcp,
  asUdp,
  buildDestinationUnreachable,
  computeTransportChecksum,
  decodeP2pEvent,
  destinationPortOf,
  type IpPacket,
  Ipv4Packet,
  Ipv6Packet,
  icmpEchoIdOf,
  icmpEchoSeqOf,
  icmpErrorAllowed,
  isWireError,
  P2pControlPacket,
  parseIpPacket,
  parseIpPacketPrefix,
  rewriteDestination,
  rewriteEmbeddedDestinationAddress,
  rewriteEmbeddedSourcePort,
  rewriteIcmpEchoId,
  rewriteSource,
  rewriteSourceAddress,
  sourcePortOf,
  TcpPacket,
  transportChecksumValid,
  UdpPacket,
  type WireError,
} from "@fz/ip-packet";
import fc from "fast-check";
import { arbitraryPacket, fragment } from "./arbitraries.ts";
import * as known from "./known-packets.ts";
import { guard, hex, within } from "./support.ts";

/** Property runs take about a second; a loaded 2-core machine must not time them out. */
const PROPERTY_TIMEOUT_MS = 60_000;

// Untrusted bytes: whatever arrives, checked parsing returns a view or an error value and never
// throws, and no accessor of a view it returns reads past that view's bytes. A guarded array
// throws on any out-of-bounds index, where a plain one would quietly give undefined.

type Mutation =
  | { kind: "flip"; at: number; value: number }
  | { kind: "truncate"; len: number }
  | { kind: "extend"; extra: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("flip" as const),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    }),
  },
  fc.record({ kind: fc.constant("truncate" as const), len: fc.nat() }),
  fc.record({ kind: fc.constant("extend" as const), extra: fc.uint8Array({ maxLength: 16 }) }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = bytes.slice();
  for (const m of mutations) {
    if (m.kind === "flip" && out.length > 0) out[m.at % out.length] = m.value;
    if (m.kind === "truncate") out = out.slice(0, m.len % (out.length + 1));
    if (m.kind === "extend") out = Uint8Array.of(...out, ...m.extra);
  }
  return out;
}

const knownPackets: Uint8Array[] = Object.values(known);

const untrusted: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 120 }),
  fc
    .tuple(fc.constantFrom(0x40, 0x45, 0x46, 0x4f, 0x60), fc.uint8Array({ maxLength: 120 }))
    .map(([first, rest]) => Uint8Array.of(first, ...rest)),
  fc
    .tuple(fc.constantFrom(...knownPackets), fc.array(mutation, { maxLength: 4 }))
    .map(([bytes, m]) => mutate(bytes, m)),
  fc
    .tuple(arbitraryPacket, fc.array(mutation, { maxLength: 4 }))
    .map(([p, m]) => mutate(p.bytes, m)),
  fc
    .tuple(
      arbitraryPacket,
      fc.integer({ min: 1, max: 4 }),
      fc.boolean(),
      fc.array(mutation, { maxLength: 2 }),
    )
    .filter(([p]) => p.bytes.length > 80)
    .map(([p, units, first, m]) => mutate(fragment(p.bytes, units)[first ? 0 : 1], m)),
);

/** Calls every getter and every argument-less method a view's class declares, checking results. */
function exercise(view: object, bytes: Uint8Array): void {
  const proto: object | null = Object.getPrototypeOf(view);
  if (proto === null) return;
  for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
    let value: unknown;
    if (descriptor.get !== undefined) value = descriptor.get.call(view);
    else if (
      typeof descriptor.value === "function" &&
      name !== "constructor" &&
      descriptor.value.length === 0
    ) {
      value = descriptor.value.call(view);
    } else continue;
    if (typeof value === "number") {
      expect(Number.isInteger(value) && value >= 0).toBe(true);
    } else if (value instanceof Uint8Array) {
      expect(within(value, bytes)).toBe(true);
    }
  }
}

/** The same bytes as a view's, behind a guard. */
const guarded = (bytes: Uint8Array): Uint8Array => guard(bytes.subarray(0));

function exerciseIp(packet: IpPacket, input: Uint8Array, depth: number): void {
  expect(within(packet.bytes, input)).toBe(true);
  const bytes = guarded(packet.bytes);
  const view: IpPacket =
    packet.version === 4 ? Ipv4Packet.unchecked(bytes) : Ipv6Packet.unchecked(bytes);
  exercise(view, bytes);
  exercise(packet, packet.bytes);
  expect(view.headerLen).toBe(packet.headerLen);
  expect(view.protocol).toBe(packet.protocol);
  expect(view.headerLen).toBeLessThanOrEqual(view.bytes.length);

  for (const read of [sourcePortOf, destinationPortOf, icmpEchoIdOf, icmpEchoSeqOf]) {
    const value = read(view);
    if (value !== undefined) expect(value >= 0 && value <= 0xffff).toBe(true);
  }
  computeTransportChecksum(view);
  transportChecksumValid(view);
  icmpErrorAllowed(view);
  buildDestinationUnreachable(view, "prohibited");

  const udp = asUdp(view);
  if (!isWireError(udp)) exercise(UdpPacket.unchecked(guarded(udp.bytes)), udp.bytes);
  const tcp = asTcp(view);
  if (!isWireError(tcp)) exercise(TcpPacket.unchecked(guarded(tcp.bytes)), tcp.bytes);
  const icmp = view.version === 4 ? asIcmpv4(view) : asIcmpv6(view);
  if (!isWireError(icmp)) {
    exercise(icmp, icmp.bytes);
    const inner = icmp.embedded();
    if (!isWireError(inner) && depth < 2) exerciseIp(inner, input, depth + 1);
  }
  const control = P2pControlPacket.checked(view);
  if (!isWireError(control)) {
    exercise(control, control.bytes);
    decodeP2pEvent(control);
  }
}

/** Runs a rewrite on a guarded copy: it must not throw, and a refusal must leave the bytes alone. */
function rewriteCopy(packet: IpPacket, rewrite: (packet: IpPacket) => WireError | undefined): void {
  const copy = packet.bytes.slice();
  const bytes = guard(copy);
  const view: IpPacket =
    packet.version === 4 ? Ipv4Packet.unchecked(bytes) : Ipv6Packet.unchecked(bytes);
  const result = rewrite(view);
  if (result !== undefined) expect(hex(copy)).toBe(hex(packet.bytes));
}

describe("checked parsing of untrusted bytes", () => {
  test(
    "never throws, and every accessor of a view stays inside its bytes",
    () => {
      fc.assert(
        fc.property(
          untrusted,
          fc.integer({ min: 0, max: 0xffffffff }),
          fc.uint8Array({ minLength: 16, maxLength: 16 }),
          fc.integer({ min: 0, max: 0xffff }),
          (input, a4, a6, port) => {
            for (const parse of [parseIpPacket, parseIpPacketPrefix]) {
              const packet = parse(guard(input));
              if (isWireError(packet)) continue;
              exerciseIp(packet, input, 0);
              const address = packet.version === 4 ? a4 : a6;
              rewriteCopy(packet, (p) => rewriteDestination(p, address, port));
              rewriteCopy(packet, (p) => rewriteSource(p, address, port));
              rewriteCopy(packet, (p) => rewriteSourceAddress(p, address));
              rewriteCopy(packet, (p) => rewriteIcmpEchoId(p, port));
              rewriteCopy(packet, (p) => rewriteEmbeddedDestinationAddress(p, address));
              rewriteCopy(packet, (p) => rewriteEmbeddedSourcePort(p, port));
            }
            for (const check of [UdpPacket.checked, UdpPacket.checkedPrefix, TcpPacket.checked]) {
              const view = check(guard(input));
              if (!isWireError(view)) exercise(view, view.bytes);
            }
          },
        ),
        { numRuns: 5000 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  test("sees through mutated known packets often enough to exercise the views", () => {
    // Guards the property above against an arbitrary that only ever produces errors.
    const parsed = fc.sample(untrusted, 2000).filter((bytes) => !isWireError(parseIpPacket(bytes)));
    expect(parsed.length).toBeGreaterThan(500);
  });
});

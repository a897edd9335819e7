import { describe, expect, test } from "bun:test";
import {
  completePartialChecksum,
  foldChecksum,
  GSO_ECN,
  GSO_TCPV4,
  GSO_TCPV6,
  ipv4PseudoHeaderSum,
  sumWords,
  VNET_F_NEEDS_CSUM,
  VNET_HDR_BYTES,
  VnetHeader,
} from "@fz/ip-packet";
import fc from "fast-check";
import { TCP4_SYN, UDP4_DNS_QUERY } from "../test/known-packets.ts";

describe("VnetHeader", () => {
  test("reads every field little-endian at an offset, and a second read replaces them all", () => {
    // biome-ignore format: one field per group
    const bytes = Uint8Array.of(
      0xee,
      0x01, // flags: NEEDS_CSUM
      0x81, // gso_type: TCPV4 | ECN
      0x42, 0x00, // hdr_len 66
      0xd8, 0x04, // gso_size 1240
      0x14, 0x00, // csum_start 20
      0x10, 0x00, // csum_offset 16
      0xee,
    );
    const header = new VnetHeader();
    expect(header.read(bytes, 1)).toBe(true);
    expect(header.flags & VNET_F_NEEDS_CSUM).toBe(VNET_F_NEEDS_CSUM);
    expect(header.gsoType).toBe(0x81);
    expect(header.gsoType & GSO_ECN).toBe(GSO_ECN);
    expect(header.gsoType & ~GSO_ECN).toBe(GSO_TCPV4);
    expect(header.hdrLen).toBe(66);
    expect(header.gsoSize).toBe(1240);
    expect(header.csumStart).toBe(20);
    expect(header.csumOffset).toBe(16);

    // biome-ignore format: one field per group
    const v6 = Uint8Array.of(0x01, 0x04, 0x4a, 0x00, 0x88, 0x13, 0x28, 0x00, 0x10, 0x00);
    expect(header.read(v6, 0)).toBe(true);
    expect(header.gsoType).toBe(GSO_TCPV6);
    expect([header.hdrLen, header.gsoSize, header.csumStart, header.csumOffset]).toEqual([
      74, 5000, 40, 16,
    ]);
  });

  test("refuses bytes that end before the header, leaving the fields as they were", () => {
    const header = new VnetHeader();
    const full = new Uint8Array(VNET_HDR_BYTES).fill(0x7f);
    for (const [bytes, at] of [
      [full.subarray(0, 9), 0],
      [full, 1],
      [full, -1],
      [full, Number.NaN],
      [new Uint8Array(0), 0],
    ] as const) {
      expect(header.read(bytes, at)).toBe(false);
    }
    expect([header.flags, header.gsoType, header.gsoSize, header.csumStart]).toEqual([0, 0, 0, 0]);
  });

  test("writes every field little-endian at an offset and nothing else; read gives them back", () => {
    const header = new VnetHeader();
    header.flags = VNET_F_NEEDS_CSUM;
    header.gsoType = GSO_TCPV6;
    header.hdrLen = 74;
    header.gsoSize = 5000;
    header.csumStart = 40;
    header.csumOffset = 16;
    const bytes = new Uint8Array(VNET_HDR_BYTES + 4).fill(0xee);
    expect(header.write(bytes, 2)).toBe(true);
    // biome-ignore format: one field per group
    expect([...bytes]).toEqual([
      0xee, 0xee,
      0x01, 0x04, 0x4a, 0x00, 0x88, 0x13, 0x28, 0x00, 0x10, 0x00,
      0xee, 0xee,
    ]);
    const again = new VnetHeader();
    expect(again.read(bytes, 2)).toBe(true);
    expect(again).toEqual(header);
  });

  test("writes nothing when the header does not fit", () => {
    const header = new VnetHeader();
    header.flags = VNET_F_NEEDS_CSUM;
    const bytes = new Uint8Array(12).fill(0xaa);
    for (const at of [3, -1, Number.NaN]) expect(header.write(bytes, at)).toBe(false);
    expect(bytes.every((byte) => byte === 0xaa)).toBe(true);
  });
});

/** A copy of a known packet with its transport checksum field set as the kernel leaves it. */
function withPartialSum(packet: Uint8Array, field: number, pseudoSum: number): Uint8Array {
  const copy = packet.slice();
  copy[field] = pseudoSum >>> 8;
  copy[field + 1] = pseudoSum & 0xff;
  return copy;
}

describe("completePartialChecksum", () => {
  test("finishes a TCP checksum the kernel left as the pseudo-header sum (known answer)", () => {
    // 10.0.0.2 -> 93.184.216.34, TCP, 40 bytes: 0a00 + 0002 + 5db8 + d822 + 0006 + 0028 = 400b.
    expect(foldChecksum(ipv4PseudoHeaderSum(0x0a000002, 0x5db8d822, 6, 40))).toBe(0x400b);
    const packet = withPartialSum(TCP4_SYN, 36, 0x400b);
    expect(completePartialChecksum(packet, 20, 16)).toBe(true);
    expect(packet).toEqual(TCP4_SYN); // checksum 0x6b31, as tshark verified
  });

  test("finishes a UDP checksum the same way (known answer)", () => {
    // 192.0.2.1 -> 198.51.100.53, UDP, 37 bytes: c000 + 0201 + c633 + 6435 + 0011 + 0025 = eca0.
    const packet = withPartialSum(UDP4_DNS_QUERY, 26, 0xeca0);
    expect(completePartialChecksum(packet, 20, 6)).toBe(true);
    expect(packet).toEqual(UDP4_DNS_QUERY); // checksum 0x625a
  });

  test("stores a checksum that computes to 0 as 0xFFFF, as Linux does", () => {
    const packet = Uint8Array.of(0x00, 0xff, 0xff);
    expect(completePartialChecksum(packet, 1, 0)).toBe(true);
    expect([...packet]).toEqual([0x00, 0xff, 0xff]);
    const zeroSum = Uint8Array.of(0x12, 0x34, 0xed, 0xcb, 0x00, 0x00);
    expect(completePartialChecksum(zeroSum, 0, 4)).toBe(true);
    expect([zeroSum[4], zeroSum[5]]).toEqual([0xff, 0xff]);
  });

  test("for any bytes, offsets and partial sum, the stored checksum verifies and nothing else changes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 600 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        (data, startSeed, offsetSeed, pseudoSum) => {
          const csumStart = startSeed % (data.length - 1);
          // The field is a 16-bit word of the summed range (TCP's 16, UDP's 6): an even offset.
          const csumOffset = (offsetSeed % Math.floor((data.length - csumStart) / 2)) * 2;
          const field = csumStart + csumOffset;
          const packet = withPartialSum(data, field, pseudoSum);
          expect(completePartialChecksum(packet, csumStart, csumOffset)).toBe(true);
          const checksum = ((packet[field] ?? 0) << 8) | (packet[field + 1] ?? 0);
          expect(checksum).not.toBe(0);
          // What a receiver checks: the range with the stored checksum, plus the pseudo-header.
          expect(foldChecksum(sumWords(packet, csumStart, packet.length, pseudoSum))).toBe(0xffff);
          const untouched = (bytes: Uint8Array) => [
            ...bytes.subarray(0, field),
            ...bytes.subarray(field + 2),
          ];
          expect(untouched(packet)).toEqual(untouched(data));
        },
      ),
      { numRuns: 500 },
    );
  });

  test("refuses offsets that put the field outside the packet, writing nothing", () => {
    const packet = TCP4_SYN.slice();
    for (const [start, offset] of [
      [20, 39], // field at 59: one byte short
      [60, 0],
      [-2, 4],
      [20, -2],
      [20.5, 15.5],
      [Number.NaN, 0],
    ] as const) {
      expect(completePartialChecksum(packet, start, offset)).toBe(false);
    }
    expect(packet).toEqual(TCP4_SYN);
  });
});

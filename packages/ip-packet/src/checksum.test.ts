import { describe, expect, test } from "bun:test";
import {
  checksumSkippingField,
  checksumVerifies,
  foldChecksum,
  internetChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  parseIpv6,
  sumWords,
} from "@fz/ip-packet";
import fc from "fast-check";
import { ICMP4_ECHO_REQUEST, TCP4_SYN, UDP4_WITH_OPTIONS } from "../test/known-packets.ts";
import { naiveChecksum } from "../test/support.ts";

describe("sumWords and foldChecksum", () => {
  test("match the RFC 1071 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2", () => {
    const bytes = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(foldChecksum(sumWords(bytes))).toBe(0xddf2);
    expect(internetChecksum(bytes)).toBe(~0xddf2 & 0xffff);
  });

  test("pad an odd last byte with a zero", () => {
    expect(foldChecksum(sumWords(Uint8Array.of(0xab)))).toBe(0xab00);
    expect(foldChecksum(sumWords(Uint8Array.of(0x12, 0x34, 0xab)))).toBe(0x1234 + 0xab00);
  });

  test("agree with the word-by-word sum for every length, offset and alignment", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 700 }),
        fc.nat({ max: 7 }),
        fc.nat({ max: 0xffffff }),
        (data, shift, initial) => {
          // Place the data at every alignment of the backing buffer to reach each fast path.
          const backing = new Uint8Array(data.length + 16);
          backing.set(data, shift);
          const bytes = backing.subarray(shift, shift + data.length);
          expect(~foldChecksum(sumWords(bytes, 0, bytes.length, initial)) & 0xffff).toBe(
            naiveChecksum(data, initial),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("sum a range inside the bytes", () => {
    const bytes = Uint8Array.of(0xff, 0x12, 0x34, 0x56, 0x78, 0xff);
    expect(foldChecksum(sumWords(bytes, 1, 5))).toBe(0x1234 + 0x5678);
  });

  test("fold large sums with end-around carries", () => {
    expect(foldChecksum(0x1_0000)).toBe(1);
    expect(foldChecksum(0xffff)).toBe(0xffff);
    expect(foldChecksum(0x1_fffe)).toBe(0xffff);
    expect(foldChecksum(0x3_fffd)).toBe(1);
    // 2^16 is 1 modulo 0xFFFF, so 2^40 = 2^(16 + 16 + 8) folds to 2^8.
    expect(foldChecksum(2 ** 40)).toBe(0x100);
    expect(foldChecksum(0xffffffff)).toBe(0xffff);
    expect(foldChecksum(2 ** 32)).toBe(1);
  });

  test("fold agrees with repeated end-around carries for any sum a packet can reach", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 50 }), (sum) => {
        let slow = sum;
        while (slow > 0xffff) slow = (slow % 0x10000) + Math.floor(slow / 0x10000);
        expect(foldChecksum(sum)).toBe(slow);
      }),
      { numRuns: 5000 },
    );
  });
});

describe("full checksums of known packets (verified by tshark)", () => {
  test("the IPv4 header checksum recomputes to the stored value and verifies", () => {
    for (const packet of [TCP4_SYN, ICMP4_ECHO_REQUEST, UDP4_WITH_OPTIONS]) {
      const headerLen = ((packet[0] ?? 0) & 0x0f) * 4;
      const stored = ((packet[10] ?? 0) << 8) | (packet[11] ?? 0);
      expect(checksumSkippingField(packet, 0, headerLen, 10)).toBe(stored);
      expect(checksumVerifies(packet, 0, headerLen)).toBe(true);
    }
  });

  test("a flipped bit fails verification", () => {
    const packet = TCP4_SYN.slice();
    packet[8] = (packet[8] ?? 0) ^ 0x01;
    expect(checksumVerifies(packet, 0, 20)).toBe(false);
  });

  test("the TCP checksum covers the IPv4 pseudo-header", () => {
    const src = 0x0a000002;
    const dst = 0x5db8d822;
    const tcp = TCP4_SYN.subarray(20);
    const pseudo = ipv4PseudoHeaderSum(src, dst, 6, tcp.length);
    expect(checksumSkippingField(tcp, 0, tcp.length, 16, pseudo)).toBe(0x6b31);
    expect(checksumVerifies(tcp, 0, tcp.length, pseudo)).toBe(true);
  });

  test("the ICMPv4 checksum covers no pseudo-header", () => {
    const icmp = ICMP4_ECHO_REQUEST.subarray(20);
    expect(checksumSkippingField(icmp, 0, icmp.length, 2)).toBe(0x8764);
  });

  test("the IPv6 pseudo-header sums addresses, length and next header", () => {
    const src = parseIpv6("2001:db8::1") ?? new Uint8Array(16);
    const dst = parseIpv6("2001:db8::2") ?? new Uint8Array(16);
    const expected = 0x2001 + 0x0db8 + 1 + 0x2001 + 0x0db8 + 2 + 6 + 37;
    expect(ipv6PseudoHeaderSum(src, dst, 6, 37)).toBe(expected);
    expect(ipv6PseudoHeaderSum(src, dst, 6, 0x1_0005)).toBe(expected - 37 + 1 + 5);
  });
});

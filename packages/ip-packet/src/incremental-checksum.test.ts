import { describe, expect, test } from "bun:test";
import {
  applyChecksumDelta,
  applyUdpChecksumDelta,
  bytesDelta,
  checksumSkippingField,
  u32Delta,
  updateChecksum16,
  updateChecksum32,
  wordDelta,
} from "@fz/ip-packet";
import fc from "fast-check";

/** A buffer whose first word is its checksum, and which contains at least one non-zero byte. */
const covered = fc
  .uint8Array({ minLength: 4, maxLength: 80 })
  .filter((bytes) => bytes.some((byte, i) => i > 1 && byte !== 0))
  .map((bytes) => {
    const out = bytes.length % 2 === 0 ? bytes : Uint8Array.of(...bytes, 0);
    const checksum = checksumSkippingField(out, 0, out.length, 0);
    out[0] = checksum >>> 8;
    out[1] = checksum & 0xff;
    return out;
  });

describe("RFC 1624 incremental update", () => {
  test("equals a full recompute after any 16-bit word changes", () => {
    fc.assert(
      fc.property(covered, fc.nat(), fc.integer({ min: 0, max: 0xffff }), (bytes, at, next) => {
        const word = 1 + (at % (bytes.length / 2 - 1));
        const old = ((bytes[word * 2] ?? 0) << 8) | (bytes[word * 2 + 1] ?? 0);
        const stored = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
        bytes[word * 2] = next >>> 8;
        bytes[word * 2 + 1] = next & 0xff;
        const full = checksumSkippingField(bytes, 0, bytes.length, 0);
        if (bytes.some((byte, i) => i > 1 && byte !== 0)) {
          expect(updateChecksum16(stored, old, next)).toBe(full);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test("equals a full recompute after a 32-bit value changes", () => {
    fc.assert(
      fc.property(covered, fc.integer({ min: 0, max: 0xffffffff }), (bytes, next) => {
        fc.pre(bytes.length >= 6);
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const old = view.getUint32(2);
        const stored = view.getUint16(0);
        view.setUint32(2, next);
        fc.pre(bytes.some((byte, i) => i > 1 && byte !== 0));
        expect(updateChecksum32(stored, old, next)).toBe(
          checksumSkippingField(bytes, 0, bytes.length, 0),
        );
      }),
      { numRuns: 3000 },
    );
  });

  test("deltas of several fields add up before one application", () => {
    fc.assert(
      fc.property(
        covered,
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (bytes, replacement) => {
          fc.pre(bytes.length >= 18);
          const stored = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
          const delta = bytesDelta(bytes, 2, replacement, 0, 16);
          bytes.set(replacement, 2);
          fc.pre(bytes.some((byte, i) => i > 1 && byte !== 0));
          expect(applyChecksumDelta(stored, delta)).toBe(
            checksumSkippingField(bytes, 0, bytes.length, 0),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("a 32-bit delta is the sum of its two 16-bit word deltas", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (old, next) => {
          expect(u32Delta(old, next)).toBe(
            wordDelta(old >>> 16, next >>> 16) + wordDelta(old & 0xffff, next & 0xffff),
          );
        },
      ),
    );
  });

  test("the RFC 1624 section 4 example: 0xDD2F with 0x5555 -> 0x3285 gives 0x0000", () => {
    // RFC 1624: HC 0xDD2F, m 0x5555, m' 0x3285 -> HC' 0x0000 (eqn. 3; eqn. 2 gave 0xFFFF).
    expect(updateChecksum16(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });
});

describe("UDP checksum rules", () => {
  test("zero means no checksum and stays zero", () => {
    expect(applyUdpChecksumDelta(0, wordDelta(53, 5353))).toBe(0);
  });

  test("an update that lands on zero is sent as 0xFFFF", () => {
    expect(applyChecksumDelta(0xdd2f, wordDelta(0x5555, 0x3285))).toBe(0);
    expect(applyUdpChecksumDelta(0xdd2f, wordDelta(0x5555, 0x3285))).toBe(0xffff);
  });
});

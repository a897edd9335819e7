import { describe, expect, test } from "bun:test";
import {
  CaptureContentError,
  concatBytes,
  reassembleTcpDirection,
  splitLengthPrefixed,
  TCP_FLAG_SYN,
  type TcpSegment,
} from "@fz/capture";

const ACK = 0x10;
const bytes = (...values: number[]) => Uint8Array.from(values);
const data = (seq: number, ...values: number[]): TcpSegment => ({
  seq,
  flags: ACK,
  payload: bytes(...values),
});
const syn = (seq: number): TcpSegment => ({ seq, flags: TCP_FLAG_SYN, payload: bytes() });

/** mulberry32: a small seeded generator, so the randomised test is reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("reassembleTcpDirection", () => {
  test("orders segments by sequence number counted from the SYN", () => {
    const stream = reassembleTcpDirection([
      syn(1000),
      data(1004, 4, 5),
      data(1001, 1, 2, 3),
      data(1006, 6),
    ]);
    expect([...stream]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test("drops retransmissions and keeps only the new tail of overlapping segments", () => {
    const stream = reassembleTcpDirection([
      syn(0),
      data(1, 1, 2, 3),
      data(1, 1, 2, 3),
      data(3, 3, 4, 5),
      data(2, 2),
    ]);
    expect([...stream]).toEqual([1, 2, 3, 4, 5]);
  });

  test("handles sequence numbers that wrap past 2^32", () => {
    const stream = reassembleTcpDirection([syn(0xfffffffd), data(0, 3, 4), data(0xfffffffe, 1, 2)]);
    expect([...stream]).toEqual([1, 2, 3, 4]);
  });

  test("starts from the lowest sequence number when the SYN was not captured", () => {
    expect([...reassembleTcpDirection([data(0x10, 3), data(0x0e, 1, 2)])]).toEqual([1, 2, 3]);
    expect([...reassembleTcpDirection([data(1, 3), data(0xffffffff, 1, 2)])]).toEqual([1, 2, 3]);
    expect(reassembleTcpDirection([])).toEqual(new Uint8Array(0));
  });

  test("throws when bytes are missing between segments", () => {
    expect(() => reassembleTcpDirection([syn(0), data(1, 1), data(3, 3)])).toThrow(
      CaptureContentError,
    );
    expect(() => reassembleTcpDirection([syn(0), data(1, 1), data(3, 3)])).toThrow("bytes 1 to 1");
  });

  test("rebuilds any stream cut into shuffled, duplicated segments, with or without its SYN (200 seeded cases)", () => {
    for (let seed = 1; seed <= 200; seed += 1) {
      const next = random(seed);
      const original = Uint8Array.from({ length: Math.floor(next() * 300) + 1 }, () =>
        Math.floor(next() * 256),
      );
      const isn = Math.floor(next() * 2 ** 32);
      const segments: TcpSegment[] = seed % 2 === 0 ? [syn(isn)] : [];
      for (let at = 0; at < original.length; ) {
        const size = Math.min(original.length - at, 1 + Math.floor(next() * 40));
        const segment = {
          seq: (isn + 1 + at) >>> 0,
          flags: ACK,
          payload: original.subarray(at, at + size),
        };
        segments.push(segment);
        if (next() < 0.2) segments.push(segment);
        at += size;
      }
      for (let i = segments.length - 1; i > 0; i -= 1) {
        const j = Math.floor(next() * (i + 1));
        [segments[i], segments[j]] = [segments[j] as TcpSegment, segments[i] as TcpSegment];
      }
      expect(reassembleTcpDirection(segments)).toEqual(original);
    }
  });
});

describe("splitLengthPrefixed", () => {
  test("splits a stream at its two-byte length prefixes", () => {
    const stream = bytes(0, 3, 0xa, 0xb, 0xc, 0, 0, 0, 1, 0xd);
    const messages = splitLengthPrefixed(stream);
    expect(messages.map((m) => [m.offset, [...m.message]])).toEqual([
      [2, [0xa, 0xb, 0xc]],
      [7, []],
      [9, [0xd]],
    ]);
    expect(concatBytes(messages.map((m) => m.message))).toEqual(bytes(0xa, 0xb, 0xc, 0xd));
    expect(splitLengthPrefixed(bytes())).toEqual([]);
  });

  test("reads a 16-bit big-endian length", () => {
    const long = new Uint8Array(2 + 0x0102).fill(7);
    long.set([0x01, 0x02]);
    expect(splitLengthPrefixed(long)[0]?.message.byteLength).toBe(0x0102);
  });

  test("throws when the stream ends inside a prefix or a message", () => {
    expect(() => splitLengthPrefixed(bytes(0, 1, 9, 0))).toThrow(
      "ends inside a length prefix at byte 3",
    );
    expect(() => splitLengthPrefixed(bytes(0, 4, 1, 2))).toThrow(
      "announces a 4-byte message at byte 0 but only 2 bytes follow",
    );
  });
});

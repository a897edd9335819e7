import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { defaultRandom, MAX_RANDOM_CHUNK_BYTES } from "./random.ts";

describe("defaultRandom", () => {
  const spy = spyOn(crypto, "getRandomValues");
  afterEach(() => spy.mockClear());

  test("fills a buffer larger than one getRandomValues call, in chunks of at most 65536 bytes", () => {
    const buffer = new Uint8Array(3 * MAX_RANDOM_CHUNK_BYTES + 100);
    defaultRandom(buffer);
    const lengths = spy.mock.calls.map(([array]) => (array as Uint8Array).byteLength);
    expect(lengths).toEqual([65536, 65536, 65536, 100]);
    // Every chunk was written: a 100-byte run of zeros from a CSPRNG does not happen.
    for (const start of [0, 65536, 131072, 196608]) {
      expect(buffer.subarray(start, start + 100).some((byte) => byte !== 0)).toBe(true);
    }
  });

  test("fills a key-sized buffer with one call", () => {
    const key = new Uint8Array(32);
    defaultRandom(key);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(key.some((byte) => byte !== 0)).toBe(true);
  });
});

import { describe, expect, test } from "bun:test";
import {
  MAX_UPSTREAMS,
  SENTINEL_V4_BASE,
  SENTINEL_V4_PREFIX,
  SENTINEL_V6_BASE,
  SENTINEL_V6_PREFIX,
  sentinelAddresses,
  sentinelIndexV4,
  sentinelIndexV6,
  TooManyUpstreamsError,
} from "@fz/dns-nat";
import fc from "fast-check";

const v4 = (text: string) =>
  text.split(".").reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
const v4Text = (address: number) =>
  [24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join(".");
const v6Text = (bytes: Uint8Array) =>
  Array.from({ length: 8 }, (_, i) =>
    (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16),
  ).join(":");

describe("sentinel ranges", () => {
  test("are Firezone's 100.100.111.0/24 and fd00:2021:1111:8000:100:100:111:0/120", () => {
    expect(`${v4Text(SENTINEL_V4_BASE)}/${SENTINEL_V4_PREFIX}`).toBe("100.100.111.0/24");
    expect(`${v6Text(SENTINEL_V6_BASE)}/${SENTINEL_V6_PREFIX}`).toBe(
      "fd00:2021:1111:8000:100:100:111:0/120",
    );
  });

  test("give upstream i the host number i + 1 in each family", () => {
    const { ipv4, ipv6 } = sentinelAddresses(3);
    expect(ipv4.map(v4Text)).toEqual(["100.100.111.1", "100.100.111.2", "100.100.111.3"]);
    expect(ipv6.map(v6Text)).toEqual([
      "fd00:2021:1111:8000:100:100:111:1",
      "fd00:2021:1111:8000:100:100:111:2",
      "fd00:2021:1111:8000:100:100:111:3",
    ]);
    expect(sentinelAddresses(0)).toEqual({ ipv4: [], ipv6: [] });
    expect(sentinelAddresses(MAX_UPSTREAMS).ipv4.at(-1)).toBe(v4("100.100.111.254"));
  });

  test("refuse more upstreams than addresses, or a count that is not a whole number", () => {
    for (const count of [MAX_UPSTREAMS + 1, -1, 1.5, Number.NaN]) {
      expect(() => sentinelAddresses(count)).toThrow(TooManyUpstreamsError);
    }
    const thrown = (() => {
      try {
        sentinelAddresses(300);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(TooManyUpstreamsError);
    expect((thrown as TooManyUpstreamsError)._tag).toBe("TooManyUpstreamsError");
    expect((thrown as TooManyUpstreamsError).count).toBe(300);
  });
});

describe("sentinelIndexV4", () => {
  test("maps each configured sentinel to its upstream index", () => {
    const { ipv4 } = sentinelAddresses(5);
    expect(ipv4.map((address) => sentinelIndexV4(address, 5))).toEqual([0, 1, 2, 3, 4]);
  });

  test("rejects the network address, sentinels beyond the count and neighbouring ranges", () => {
    for (const text of [
      "100.100.111.0",
      "100.100.111.6",
      "100.100.111.255",
      "100.100.110.1",
      "100.100.112.1",
      "100.96.0.1",
      "0.0.0.0",
      "255.255.255.255",
    ]) {
      expect(sentinelIndexV4(v4(text), 5)).toBeUndefined();
    }
    expect(sentinelIndexV4(v4("100.100.111.1"), 0)).toBeUndefined();
  });

  test("finds a sentinel exactly when the address is one of the first `count`", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: MAX_UPSTREAMS }),
        (address, count) => {
          const expected = sentinelAddresses(count).ipv4.indexOf(address);
          expect(sentinelIndexV4(address, count)).toBe(expected === -1 ? undefined : expected);
        },
      ),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_UPSTREAMS }), (count) => {
        const address = (SENTINEL_V4_BASE + count) >>> 0;
        expect(sentinelIndexV4(address, count)).toBe(count - 1);
      }),
    );
  });
});

describe("sentinelIndexV6", () => {
  test("maps each configured sentinel to its upstream index, also inside a larger buffer", () => {
    const { ipv6 } = sentinelAddresses(4);
    expect(ipv6.map((address) => sentinelIndexV6(address, 4))).toEqual([0, 1, 2, 3]);
    const packet = new Uint8Array(40);
    packet.set(ipv6[2] ?? new Uint8Array(16), 24); // an IPv6 header's destination
    expect(sentinelIndexV6(packet, 4, 24)).toBe(2);
    expect(sentinelIndexV6(packet, 4, 8)).toBeUndefined();
    expect(sentinelIndexV6(packet, 4, 25)).toBeUndefined();
    expect(sentinelIndexV6(packet, 4, -1)).toBeUndefined();
  });

  test("rejects any other address: one byte off, beyond the count, or the wrong length", () => {
    const sentinel = sentinelAddresses(4).ipv6[0] ?? new Uint8Array(16);
    for (let i = 0; i < 15; i++) {
      const changed = sentinel.slice();
      changed[i] = (changed[i] ?? 0) ^ 0x01;
      expect(sentinelIndexV6(changed, 4)).toBeUndefined();
    }
    const beyond = sentinel.slice();
    beyond[15] = 5;
    expect(sentinelIndexV6(beyond, 4)).toBeUndefined();
    expect(sentinelIndexV6(SENTINEL_V6_BASE, 4)).toBeUndefined();
    expect(sentinelIndexV6(sentinel.subarray(0, 15), 4)).toBeUndefined();
  });

  test("finds a sentinel exactly when the address is one of the first `count`", () => {
    const known = sentinelAddresses(MAX_UPSTREAMS).ipv6;
    const nearSentinel = fc
      .tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 255 }))
      .map(([index, value]) => {
        const address = SENTINEL_V6_BASE.slice();
        address[15] = 1;
        address[index] = value;
        return address;
      });
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), nearSentinel),
        fc.integer({ min: 0, max: MAX_UPSTREAMS }),
        (address, count) => {
          const expected = known
            .slice(0, count)
            .findIndex((sentinel) => sentinel.every((byte, i) => byte === address[i]));
          expect(sentinelIndexV6(address, count)).toBe(expected === -1 ? undefined : expected);
        },
      ),
    );
  });
});

import { describe, expect, test } from "bun:test";
import {
  decodeSocketAddress,
  encodeSocketAddress,
  formatIpv6,
  SOCKET_ADDRESS_BYTES,
  type SocketAddress,
  sameSocketAddress,
} from "@fz/tun";

const record = (...bytes: number[]) => {
  const out = new Uint8Array(SOCKET_ADDRESS_BYTES);
  out.set(bytes);
  return out;
};

describe("encodeSocketAddress", () => {
  test("lays an IPv4 peer out as the kernel's sockaddr_in", () => {
    expect(encodeSocketAddress({ family: 4, address: "198.18.0.1", port: 51820 })).toEqual(
      // AF_INET = 2 little-endian, port 51820 = 0xca6c big-endian, the address, zeros.
      record(2, 0, 0xca, 0x6c, 198, 18, 0, 1),
    );
  });

  test("lays an IPv6 peer out as the kernel's sockaddr_in6", () => {
    expect(encodeSocketAddress({ family: 6, address: "fd00:198:18::1", port: 443 })).toEqual(
      // AF_INET6 = 10, port 443 = 0x01bb, flow info 0, the address, scope id 0.
      record(
        10,
        0,
        0x01,
        0xbb,
        0,
        0,
        0,
        0,
        0xfd,
        0,
        0x01,
        0x98,
        0,
        0x18,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        1,
      ),
    );
  });

  test("writes in place from an offset and clears what was there", () => {
    const buffer = new Uint8Array(40).fill(0xee);
    encodeSocketAddress({ family: 4, address: "1.2.3.4", port: 1 }, buffer, 4);
    expect(buffer.subarray(0, 4)).toEqual(Uint8Array.of(0xee, 0xee, 0xee, 0xee));
    expect(buffer.subarray(4, 36)).toEqual(record(2, 0, 0, 1, 1, 2, 3, 4));
    expect(buffer.subarray(36)).toEqual(Uint8Array.of(0xee, 0xee, 0xee, 0xee));
  });

  test("refuses a bad port or an address of the other family", () => {
    for (const address of [
      { family: 4, address: "198.18.0.1", port: -1 },
      { family: 4, address: "198.18.0.1", port: 65536 },
      { family: 4, address: "198.18.0.1", port: 1.5 },
      { family: 4, address: "::1", port: 1 },
      { family: 6, address: "198.18.0.1", port: 1 },
      { family: 6, address: "fe80::1%eth0", port: 1 },
    ] as const) {
      expect(encodeSocketAddress(address)).toBeUndefined();
    }
  });
});

describe("decodeSocketAddress", () => {
  test("reads back what was encoded, for many addresses and ports", () => {
    for (let i = 0; i < 500; i++) {
      const v4: SocketAddress = {
        family: 4,
        address: `${(i * 7) & 255}.${(i * 13) & 255}.${i & 255}.${(i * 3) & 255}`,
        port: (i * 131) & 0xffff,
      };
      const bytes = new Uint8Array(16);
      for (let b = 0; b < 16; b++) bytes[b] = (i * (b + 1) * 37) & (b % 3 === 0 ? 0 : 255);
      const v6: SocketAddress = { family: 6, address: formatIpv6(bytes), port: (i * 257) & 0xffff };
      if (v6.address.startsWith("::ffff:")) continue;
      for (const address of [v4, v6]) {
        expect(decodeSocketAddress(encodeSocketAddress(address) ?? new Uint8Array(0))).toEqual(
          address,
        );
      }
    }
  });

  test("reads an IPv4-mapped IPv6 source (a dual-stack socket's form) as IPv4", () => {
    const mapped = record(
      10,
      0,
      0x30,
      0x39,
      0,
      0,
      0,
      0,
      ...new Array<number>(10).fill(0),
      0xff,
      0xff,
      198,
      18,
      0,
      7,
    );
    expect(decodeSocketAddress(mapped)).toEqual({ family: 4, address: "198.18.0.7", port: 12345 });
  });

  test("returns undefined for a record of no known family, or one too short", () => {
    expect(decodeSocketAddress(new Uint8Array(SOCKET_ADDRESS_BYTES))).toBeUndefined();
    expect(decodeSocketAddress(record(1, 0, 0, 80))).toBeUndefined();
    expect(decodeSocketAddress(record(2, 0, 0, 80), 1)).toBeUndefined();
  });
});

describe("sameSocketAddress", () => {
  const peer4 = encodeSocketAddress({ family: 4, address: "198.18.0.1", port: 51820 }) ?? record();
  const peer6 = encodeSocketAddress({ family: 6, address: "fd00::1", port: 51820 }) ?? record();

  test("compares family, port and address, not the padding the kernel leaves", () => {
    const withPadding = peer4.slice();
    withPadding.fill(0xaa, 16);
    expect(sameSocketAddress(peer4, 0, withPadding, 0)).toBe(true);
    const otherPort = peer4.slice();
    otherPort[3] = 0;
    expect(sameSocketAddress(peer4, 0, otherPort, 0)).toBe(false);
    const otherAddress = peer4.slice();
    otherAddress[7] = 2;
    expect(sameSocketAddress(peer4, 0, otherAddress, 0)).toBe(false);
    expect(sameSocketAddress(peer4, 0, peer6, 0)).toBe(false);
  });

  test("for IPv6 ignores the flow label but not the scope id", () => {
    const flow = peer6.slice();
    flow[5] = 0x12;
    expect(sameSocketAddress(peer6, 0, flow, 0)).toBe(true);
    const scoped = peer6.slice();
    scoped[24] = 3;
    expect(sameSocketAddress(peer6, 0, scoped, 0)).toBe(false);
    const otherAddress = peer6.slice();
    otherAddress[23] = 2;
    expect(sameSocketAddress(peer6, 0, otherAddress, 0)).toBe(false);
  });

  test("an empty record equals nothing", () => {
    expect(sameSocketAddress(record(), 0, record(), 0)).toBe(false);
  });
});

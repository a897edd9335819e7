import { describe, expect, test } from "bun:test";
import { isProxyIp, isProxyV4, isProxyV6, PROXY_V6_BASE, ProxyIpAllocator } from "@fz/dns-nat";
import fc from "fast-check";

const v4 = (text: string) =>
  text.split(".").reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
const v4Text = (address: number) =>
  [24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join(".");
const v6Text = (bytes: Uint8Array) =>
  Array.from({ length: 8 }, (_, i) =>
    (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16),
  ).join(":");

describe("ProxyIpAllocator", () => {
  test("gives the first name 4 + 4 consecutive addresses at the start of the ranges", () => {
    const allocator = new ProxyIpAllocator();
    const ips = allocator.assign("App.Internal.");
    expect(ips?.name).toBe("app.internal");
    expect(ips?.ipv4.map(v4Text)).toEqual(["100.96.0.1", "100.96.0.2", "100.96.0.3", "100.96.0.4"]);
    expect(ips?.ipv6.map(v6Text)).toEqual([
      "fd00:2021:1111:8000:0:0:0:1",
      "fd00:2021:1111:8000:0:0:0:2",
      "fd00:2021:1111:8000:0:0:0:3",
      "fd00:2021:1111:8000:0:0:0:4",
    ]);
  });

  test("keeps a name's addresses, whatever its case, and never gives them to another", () => {
    const allocator = new ProxyIpAllocator();
    const first = allocator.assign("a.internal");
    const second = allocator.assign("b.internal");
    expect(allocator.assign("A.INTERNAL")).toBe(first);
    expect(second?.ipv4[0]).toBe(v4("100.96.0.5"));
    expect(allocator.get("c.internal")).toBeUndefined();
    expect(allocator.size).toBe(2);
  });

  test("finds the name of any of its proxy addresses, and nothing for others", () => {
    const allocator = new ProxyIpAllocator();
    const names = Array.from({ length: 300 }, (_, i) => `host-${i}.internal`);
    for (const name of names) allocator.assign(name);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: names.length - 1 }),
        fc.integer({ min: 0, max: 3 }),
        (index, which) => {
          const ips = allocator.get(names[index] ?? "");
          expect(allocator.nameOfV4(ips?.ipv4[which] ?? 0)?.name).toBe(names[index]);
          expect(allocator.nameOfV6(ips?.ipv6[which] ?? new Uint8Array(16))?.name).toBe(
            names[index],
          );
        },
      ),
    );
    expect(allocator.nameOfV4(v4("100.96.0.0"))).toBeUndefined();
    expect(allocator.nameOfV4(v4("100.96.10.0"))).toBeUndefined();
    expect(allocator.nameOfV4(v4("100.64.0.1"))).toBeUndefined();
    expect(allocator.nameOfV6(new Uint8Array(16))).toBeUndefined();
  });

  test("range checks", () => {
    expect(isProxyV4(v4("100.96.0.0"))).toBe(true);
    expect(isProxyV4(v4("100.127.255.255"))).toBe(true);
    expect(isProxyV4(v4("100.128.0.0"))).toBe(false);
    expect(isProxyV4(v4("100.95.255.255"))).toBe(false);
    const top = Uint8Array.of(
      0xfd,
      0,
      0x20,
      0x21,
      0x11,
      0x11,
      0x80,
      0,
      0,
      0,
      0,
      0,
      0,
      0x1f,
      0xff,
      0xff,
    );
    expect(isProxyV6(top)).toBe(true);
    top[13] = 0x20;
    expect(isProxyV6(top)).toBe(false);
  });

  test("an IPv6 address is read at an offset, and only when all 16 bytes are there", () => {
    const header = new Uint8Array(40);
    header.set(PROXY_V6_BASE, 24);
    expect(isProxyV6(header, 24)).toBe(true);
    expect(isProxyV6(header, 8)).toBe(false);
    expect(isProxyV6(header, 25)).toBe(false);
    expect(isProxyV6(PROXY_V6_BASE.subarray(0, 15))).toBe(false);
  });

  test("isProxyIp takes either family", () => {
    expect(isProxyIp(v4("100.96.0.1"))).toBe(true);
    expect(isProxyIp(v4("100.64.0.1"))).toBe(false);
    expect(isProxyIp(PROXY_V6_BASE)).toBe(true);
    expect(isProxyIp(new Uint8Array(16))).toBe(false);
  });
});

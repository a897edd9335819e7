import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pointSystemResolverAt, readNameservers, resolvConfListing } from "@fz/client";
import { parseIpv4, parseIpv6 } from "@fz/ip-packet";

const dir = mkdtempSync(join(tmpdir(), "fz-resolv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const file = (text: string) => {
  const path = join(dir, `resolv-${files++}.conf`);
  writeFileSync(path, text);
  return path;
};

describe("readNameservers", () => {
  test("lists the nameservers in order, canonical, once each, skipping sentinels and scoped ones", () => {
    const path = file(
      [
        "# comment",
        "search corp.example",
        "nameserver 198.18.1.1",
        "nameserver   FD00:198:18:1:0:0:0:1  ",
        "nameserver 100.100.111.1",
        "nameserver fd00:2021:1111:8000:100:100:111:0",
        "nameserver fe80::1%eth0",
        "nameserver 198.18.1.1",
        "options ndots:2",
        "nameserver 9.9.9.9",
      ].join("\n"),
    );
    expect(readNameservers(path)).toEqual([
      { address: "198.18.1.1", port: 53 },
      { address: "fd00:198:18:1::1", port: 53 },
      { address: "9.9.9.9", port: 53 },
    ]);
  });

  test("a missing file has no nameservers", () => {
    expect(readNameservers(join(dir, "absent.conf"))).toEqual([]);
  });
});

describe("pointSystemResolverAt", () => {
  const sentinels = [
    parseIpv4("100.100.111.1") ?? 0,
    parseIpv6("fd00:2021:1111:8000:100:100:111:0") ?? 0,
  ];

  test("lists the sentinels, then restores the original byte for byte", () => {
    const original = "nameserver 198.18.1.1\n# no newline at the end, odd bytes: \u00e9\t";
    const path = file(original);
    const override = pointSystemResolverAt(path, sentinels);
    expect(readFileSync(path, "utf8")).toBe(
      resolvConfListing(["100.100.111.1", "fd00:2021:1111:8000:100:100:111:0"]),
    );
    expect(readNameservers(path)).toEqual([]);
    override.restore();
    expect(readFileSync(path, "utf8")).toBe(original);
    writeFileSync(path, "changed by someone else\n");
    override.restore();
    expect(readFileSync(path, "utf8")).toBe("changed by someone else\n");
  });

  test("a file that did not exist is removed again", () => {
    const path = join(dir, "created.conf");
    const override = pointSystemResolverAt(path, sentinels);
    expect(existsSync(path)).toBe(true);
    override.restore();
    expect(existsSync(path)).toBe(false);
  });
});

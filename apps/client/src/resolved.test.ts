import { afterAll, expect, test } from "bun:test";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseIpv4, parseIpv6 } from "@fz/ip-packet";
import { pointResolvedAt, resolvedUpstreamsFile, usesResolved } from "./resolved.ts";

const dir = mkdtempSync(join(tmpdir(), "fz-resolved-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in resolvectl that records its arguments, one call per line. */
function fakeResolvectl(exitCode = 0): { path: string; calls: () => string[] } {
  const log = join(dir, `calls-${Math.random()}.log`);
  const path = join(dir, `resolvectl-${Math.random()}`);
  writeFileSync(path, `#!/bin/sh\necho "$*" >> ${log}\nexit ${exitCode}\n`);
  chmodSync(path, 0o755);
  return { path, calls: () => readFileSync(log, "utf8").trim().split("\n") };
}

test("systemd-resolved is recognised by resolv.conf pointing into its run directory", () => {
  const runDir = join(dir, "run");
  mkdirSync(runDir);
  writeFileSync(join(runDir, "stub-resolv.conf"), "nameserver 127.0.0.53\n");
  const link = join(dir, "resolv.conf");
  symlinkSync(join(runDir, "stub-resolv.conf"), link);
  const plain = join(dir, "plain.conf");
  writeFileSync(plain, "nameserver 198.18.1.1\n");
  const { path } = fakeResolvectl();
  const host = join(dir, "ns-host");
  symlinkSync("net:[4026531840]", host);
  const namespaces = { ours: host, init: host };
  expect(usesResolved(link, { resolvectl: path, runDir, namespaces })).toBe(true);
  expect(usesResolved(plain, { resolvectl: path, runDir, namespaces })).toBe(false);
  // In a network namespace of its own (ip netns exec), the client rewrites the file itself.
  const other = join(dir, "ns-other");
  symlinkSync("net:[4026532999]", other);
  expect(
    usesResolved(link, { resolvectl: path, runDir, namespaces: { ours: other, init: host } }),
  ).toBe(false);
  expect(usesResolved(link, { resolvectl: path, runDir: join(dir, "absent") })).toBe(false);
  expect(resolvedUpstreamsFile({ runDir })).toBe(join(runDir, "resolv.conf"));
});

test("the TUN link gets the sentinels for every name, and revert on restore", () => {
  const fake = fakeResolvectl();
  const servers = [
    parseIpv4("100.100.111.1") ?? 0,
    parseIpv6("fd00:2021:1111:8000:100:100:111:1") ?? new Uint8Array(16),
  ];
  const override = pointResolvedAt("tun-firezone", servers, { resolvectl: fake.path });
  expect(override.servers).toEqual(["100.100.111.1", "fd00:2021:1111:8000:100:100:111:1"]);
  override.restore();
  override.restore();
  expect(fake.calls()).toEqual([
    "dns tun-firezone 100.100.111.1 fd00:2021:1111:8000:100:100:111:1",
    "domain tun-firezone ~.",
    "revert tun-firezone",
  ]);
});

test("a resolvectl that fails is reported with its command", () => {
  const fake = fakeResolvectl(1);
  expect(() =>
    pointResolvedAt("tun-firezone", [parseIpv4("100.100.111.1") ?? 0], { resolvectl: fake.path }),
  ).toThrow("'resolvectl dns tun-firezone 100.100.111.1' failed");
});

import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { formatIpAddress, type IpAddress, parseIpAddress } from "@fz/ip-packet";
import {
  DNS_SENTINEL_V4_RANGE,
  DNS_SENTINEL_V6_RANGE,
  networkContains,
  type Upstream,
} from "@fz/tunnel/config";

/** Where the system's DNS servers are listed, unless a test points elsewhere. */
export const SYSTEM_RESOLV_CONF = "/etc/resolv.conf";

const DNS_PORT = 53;

/**
 * The `nameserver` lines of a resolv.conf, as upstreams on port 53 in canonical text, in order
 * and without repeats. Sentinel addresses (left by a client that did not restore the file) and
 * addresses that are not plain IPs (`fe80::1%eth0`) are skipped. A missing file has none.
 */
export function readNameservers(path: string): Upstream[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const upstreams: Upstream[] = [];
  for (const line of text.split("\n")) {
    const [keyword, value] = line.trim().split(/\s+/);
    if (keyword !== "nameserver" || value === undefined) continue;
    const address = parseIpAddress(value);
    if (address === undefined || isSentinel(address)) continue;
    const canonical = formatIpAddress(address);
    if (seen.has(canonical)) continue;
    seen.add(canonical);
    upstreams.push({ address: canonical, port: DNS_PORT });
  }
  return upstreams;
}

/** The system pointed at the sentinels; `restore()` puts the original file back byte for byte. */
export interface SystemResolverOverride {
  readonly path: string;
  readonly servers: readonly string[];
  restore(): void;
}

/**
 * Rewrites `path` in place to list `servers` only (in place, so a bind-mounted or symlinked
 * resolv.conf stays what it is), after keeping its bytes to restore. A file that did not exist
 * is removed again on restore.
 */
export function pointSystemResolverAt(
  path: string,
  servers: readonly IpAddress[],
): SystemResolverOverride {
  let original: Buffer | undefined;
  try {
    original = readFileSync(path);
  } catch {
    original = undefined;
  }
  const texts = servers.map(formatIpAddress);
  writeFileSync(path, resolvConfListing(texts));
  let restored = false;
  return {
    path,
    servers: texts,
    restore() {
      if (restored) return;
      restored = true;
      if (original === undefined) rmSync(path, { force: true });
      else writeFileSync(path, original);
    },
  };
}

/** The resolv.conf text that lists `servers`. */
export function resolvConfListing(servers: readonly string[]): string {
  return [
    "# Written by the Firezone client; the original comes back when it stops.",
    ...servers.map((server) => `nameserver ${server}`),
    "",
  ].join("\n");
}

function isSentinel(address: IpAddress): boolean {
  return (
    networkContains(DNS_SENTINEL_V4_RANGE, address) ||
    networkContains(DNS_SENTINEL_V6_RANGE, address)
  );
}

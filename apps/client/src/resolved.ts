import { existsSync, readlinkSync, realpathSync } from "node:fs";
import { formatIpAddress, type IpAddress } from "@fz/ip-packet";
import type { SystemResolverOverride } from "./system-resolver.ts";

/** Where systemd-resolved keeps its state and the resolv.conf files it writes. */
export const RESOLVED_RUN_DIR = "/run/systemd/resolve";

export interface ResolvedOptions {
  /** resolvectl to run; default the one on PATH. */
  readonly resolvectl?: string | undefined;
  readonly runDir?: string | undefined;
  /** Our network namespace and init's (`/proc/self/ns/net`, `/proc/1/ns/net`); only tests change them. */
  readonly namespaces?: { readonly ours: string; readonly init: string } | undefined;
}

/**
 * Whether this system's resolver is systemd-resolved: resolvectl is there, resolved's run
 * directory exists, /etc/resolv.conf is one of the files resolved writes into it, and we share
 * init's network namespace. Then rewriting resolv.conf would be undone by resolved; the client
 * talks to it instead. In a namespace of its own (`ip netns exec`, which bind-mounts the
 * namespace's resolv.conf over that same path) resolved knows nothing of our TUN device, and
 * the file is ours to rewrite.
 */
export function usesResolved(resolvConfPath: string, options: ResolvedOptions = {}): boolean {
  const runDir = options.runDir ?? RESOLVED_RUN_DIR;
  const resolvectl = options.resolvectl ?? Bun.which("resolvectl");
  if (resolvectl === null || resolvectl === undefined || !existsSync(runDir)) return false;
  if (!inInitNetworkNamespace(options.namespaces)) return false;
  try {
    return realpathSync(resolvConfPath).startsWith(`${realpathSync(runDir)}/`);
  } catch {
    return false;
  }
}

function inInitNetworkNamespace(
  namespaces = { ours: "/proc/self/ns/net", init: "/proc/1/ns/net" },
): boolean {
  try {
    return readlinkSync(namespaces.ours) === readlinkSync(namespaces.init);
  } catch {
    // init's namespace is not ours to read (no root, a hardened /proc): assume the usual case.
    return true;
  }
}

/** Resolved's own list of upstream servers (its stub 127.0.0.53 would send queries back to us). */
export function resolvedUpstreamsFile(options: ResolvedOptions = {}): string {
  return `${options.runDir ?? RESOLVED_RUN_DIR}/resolv.conf`;
}

/**
 * Points systemd-resolved at the sentinels for every name (`resolvectl dns <tun> ...` and
 * `resolvectl domain <tun> ~.`); `restore()` runs `resolvectl revert <tun>`. Resolved would also
 * forget the link when the TUN device goes away, but reverting says so at once.
 */
export function pointResolvedAt(
  tunName: string,
  servers: readonly IpAddress[],
  options: ResolvedOptions = {},
): SystemResolverOverride {
  const resolvectl = options.resolvectl ?? Bun.which("resolvectl") ?? "resolvectl";
  const texts = servers.map(formatIpAddress);
  const run = (args: readonly string[]) => {
    const result = Bun.spawnSync([resolvectl, ...args], { stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) {
      throw new Error(`'resolvectl ${args.join(" ")}' failed: ${result.stderr.toString().trim()}`);
    }
  };
  run(["dns", tunName, ...texts]);
  try {
    run(["domain", tunName, "~."]);
  } catch (error) {
    run(["revert", tunName]);
    throw error;
  }
  let restored = false;
  return {
    path: `resolvectl:${tunName}`,
    servers: texts,
    restore() {
      if (restored) return;
      restored = true;
      run(["revert", tunName]);
    },
  };
}

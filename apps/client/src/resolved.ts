import { existsSync, realpathSync } from "node:fs";
import { formatIpAddress, type IpAddress } from "@fz/ip-packet";
import type { SystemResolverOverride } from "./system-resolver.ts";

/** Where systemd-resolved keeps its state and the resolv.conf files it writes. */
export const RESOLVED_RUN_DIR = "/run/systemd/resolve";

export interface ResolvedOptions {
  /** resolvectl to run; default the one on PATH. */
  readonly resolvectl?: string | undefined;
  readonly runDir?: string | undefined;
}

/**
 * Whether this system's resolver is systemd-resolved: resolvectl is there, resolved's run
 * directory exists, and /etc/resolv.conf is one of the files resolved writes into it. Then
 * rewriting resolv.conf would be undone by resolved; the client talks to it instead.
 */
export function usesResolved(resolvConfPath: string, options: ResolvedOptions = {}): boolean {
  const runDir = options.runDir ?? RESOLVED_RUN_DIR;
  const resolvectl = options.resolvectl ?? Bun.which("resolvectl");
  if (resolvectl === null || resolvectl === undefined || !existsSync(runDir)) return false;
  try {
    return realpathSync(resolvConfPath).startsWith(`${realpathSync(runDir)}/`);
  } catch {
    return false;
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

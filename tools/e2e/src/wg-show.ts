import { mkdirSync } from "node:fs";
import { run } from "@fz/netns";

/**
 * The real `wg show <name> dump` against a status socket in `socketDir`. wg only looks in
 * /run/wireguard, so it runs in a mount namespace of its own where `socketDir` is bind-mounted
 * there (private propagation: the machine's /run/wireguard is never touched by the mount).
 */
export function wgShowDump(socketDir: string, name: string): string[][] {
  mkdirSync("/run/wireguard", { recursive: true });
  const output = run([
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    'mount --bind "$0" /run/wireguard && exec wg show "$1" dump',
    socketDir,
    name,
  ]);
  return output
    .trim()
    .split("\n")
    .map((line) => line.split("\t"));
}

import type { Cidr } from "./cidr.ts";
import { TunConfigError } from "./errors.ts";

/**
 * Interface settings go through ip(8) rather than hand-built rtnetlink messages: it is the
 * kernel's own reference client, it runs once at start-up (not on the packet path), and when
 * the kernel refuses a setting its message says why in words an operator can act on.
 */
export function runIp(args: readonly string[]): void {
  const command = ["ip", ...args];
  let run: ReturnType<typeof Bun.spawnSync>;
  try {
    run = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
  } catch (error) {
    throw new TunConfigError(command, `cannot run ip(8), install iproute2 (${String(error)})`);
  }
  if (run.exitCode !== 0) {
    throw new TunConfigError(
      command,
      `${run.stderr?.toString() ?? ""}${run.stdout?.toString() ?? ""}`,
    );
  }
}

export function setMtu(name: string, mtu: number): void {
  runIp(["link", "set", "dev", name, "mtu", String(mtu)]);
}

export function addAddress(name: string, cidr: Cidr): void {
  const noDad = cidr.family === 6 ? ["nodad"] : [];
  runIp([`-${cidr.family}`, "addr", "add", cidr.text, "dev", name, ...noDad]);
}

export function setUp(name: string): void {
  runIp(["link", "set", "dev", name, "up"]);
}

export function addRoute(name: string, cidr: Cidr): void {
  runIp([`-${cidr.family}`, "route", "replace", cidr.text, "dev", name]);
}

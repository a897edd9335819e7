import { readFileSync, writeFileSync } from "node:fs";
import type { Logger } from "@fz/log";

const SYSCTLS = [
  "/proc/sys/net/ipv4/ip_forward",
  "/proc/sys/net/ipv6/conf/all/forwarding",
] as const;
export const NFT_TABLE = "firezone_gateway";

/** Something the gateway could not set up on the host; the message says what and how to fix it. */
export class ForwardingError extends Error {
  readonly _tag = "ForwardingError";
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "ForwardingError";
  }
}

export interface ForwardingOptions {
  /** The TUN device: tunnel traffic leaving through any other interface is masqueraded. */
  readonly tunName: string;
  /** When set, only traffic leaving this interface is masqueraded. */
  readonly egressInterface: string | undefined;
  readonly tunnelRanges: { readonly v4: string; readonly v6: string };
  readonly logger: Logger;
}

/**
 * Turns on IPv4/IPv6 forwarding and adds an nftables masquerade for tunnel traffic leaving
 * towards the resources, in a table of its own. `undo()` removes exactly that: the table, and
 * each forwarding switch back to the value it had before.
 */
export function enableForwarding(options: ForwardingOptions): { undo(): void } {
  const previous = new Map<string, string>();
  const undo = () => {
    if (tableExists()) nft(["delete", "table", "inet", NFT_TABLE]);
    for (const [path, value] of previous) writeFileSync(path, value);
    options.logger.info("forwarding settings restored", { sysctls: Object.fromEntries(previous) });
  };
  try {
    for (const path of SYSCTLS) {
      const value = readFileSync(path, "utf8").trim();
      if (value !== "1") {
        previous.set(path, value);
        writeFileSync(path, "1");
      }
    }
    if (tableExists()) {
      options.logger.warn(
        `nftables table inet ${NFT_TABLE} exists from an earlier run; replacing it`,
      );
      nft(["delete", "table", "inet", NFT_TABLE]);
    }
    const out =
      options.egressInterface === undefined
        ? `oifname != "${options.tunName}"`
        : `oifname "${options.egressInterface}"`;
    nft(
      ["-f", "-"],
      `table inet ${NFT_TABLE} {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr ${options.tunnelRanges.v4} ${out} masquerade
    ip6 saddr ${options.tunnelRanges.v6} ${out} masquerade
  }
}
`,
    );
    options.logger.info("forwarding on, masquerading tunnel traffic", {
      table: `inet ${NFT_TABLE}`,
      egress: options.egressInterface ?? `any but ${options.tunName}`,
    });
  } catch (error) {
    undo();
    throw error;
  }
  return { undo };
}

function tableExists(): boolean {
  return (
    Bun.spawnSync(["nft", "list", "table", "inet", NFT_TABLE], {
      stdout: "ignore",
      stderr: "ignore",
    }).exitCode === 0
  );
}

function nft(args: readonly string[], stdin?: string): void {
  let run: ReturnType<typeof Bun.spawnSync>;
  try {
    run = Bun.spawnSync(["nft", ...args], {
      stdout: "pipe",
      stderr: "pipe",
      ...(stdin === undefined ? {} : { stdin: new TextEncoder().encode(stdin) }),
    });
  } catch (error) {
    throw new ForwardingError("nft(8) cannot be run: install nftables", error);
  }
  if (run.exitCode !== 0) {
    throw new ForwardingError(
      `'nft ${args.join(" ")}' failed: ${run.stderr?.toString().trim() ?? ""}`,
    );
  }
}

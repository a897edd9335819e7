import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NetnsHost } from "@fz/netns";
import type { Subprocess } from "bun";

export const REPO_ROOT = join(import.meta.dir, "../../..");
export const FIREZONE_BIN = join(REPO_ROOT, "packages/cli/src/main.ts");
export const EXAMPLE_GATEWAY_CONFIG = join(REPO_ROOT, "examples/gateway.toml");
export const EXAMPLE_CLIENT_CONFIG = join(REPO_ROOT, "examples/client.toml");
export const EXAMPLE_DNS_GATEWAY_CONFIG = join(REPO_ROOT, "examples/dns/gateway.toml");
export const EXAMPLE_DNS_CLIENT_CONFIG = join(REPO_ROOT, "examples/dns/client.toml");

/** A `firezone client` or `firezone gateway` running inside a test namespace. */
export interface FirezoneProcess {
  readonly process: Subprocess<
    "ignore",
    "pipe" | "ignore" | "inherit",
    "pipe" | "ignore" | "inherit"
  >;
  readonly logDir: string;
  /** Every JSON log record written so far. */
  records(): Record<string, unknown>[];
  /** SIGTERM, then waits for the exit status. */
  stop(): Promise<number>;
}

/**
 * Starts `firezone <role> --config <file>` in `host`, with its logs and its status socket in a
 * fresh directory (`log_dir` and `socket_dir` put before the config's own lines, so that two
 * tunnels with the same interface name never share /var/run/wireguard), and resolves once it
 * has logged that it started. A client rewrites /etc/resolv.conf (set_system_resolver), so the
 * namespace gets a resolv.conf of its own first when it has none: `ip netns exec` then
 * bind-mounts that file, and the host's /etc/resolv.conf is never touched.
 */
export async function startFirezone(
  host: NetnsHost,
  role: "client" | "gateway",
  configPath: string,
): Promise<FirezoneProcess> {
  if (role === "client" && !existsSync(`/etc/netns/${host.name}/resolv.conf`)) {
    host.writeResolvConf("# resolv.conf of a Firezone test namespace\n");
  }
  const logDir = mkdtempSync(join(tmpdir(), `fz-${role}-`));
  const config = join(logDir, `${role}.toml`);
  const settings = `log_dir = ${JSON.stringify(logDir)}\nsocket_dir = ${JSON.stringify(logDir)}\n`;
  writeFileSync(config, `${settings}${readFileSync(configPath, "utf8")}`);
  const child = host.spawn(["bun", FIREZONE_BIN, role, "--config", config], {
    stdout: "ignore",
    stderr: "pipe",
  });
  const records = () =>
    readLogs(logDir).flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  const deadline = Date.now() + 15_000;
  while (!records().some((record) => record.message === `${role} started`)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const stderr = await new Response(child.stderr).text();
      throw new Error(
        `firezone ${role} did not start (exit ${child.exitCode}): ${stderr.slice(-2000)}`,
      );
    }
    await Bun.sleep(50);
  }
  return {
    process: child,
    logDir,
    records,
    async stop() {
      child.kill("SIGTERM");
      const status = await child.exited;
      return status;
    },
  };
}

/** Removes a process's log directory once the test no longer needs it. */
export function removeLogs(process: FirezoneProcess): void {
  rmSync(process.logDir, { recursive: true, force: true });
}

function readLogs(dir: string): string[] {
  const glob = new Bun.Glob("*.log");
  return [...glob.scanSync(dir)].flatMap((name) =>
    readFileSync(join(dir, name), "utf8").split("\n").filter(Boolean),
  );
}

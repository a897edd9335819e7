import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./command.ts";
import { addAddress, type NetnsHost } from "./netns-host.ts";

export interface WireguardGoPeer {
  readonly publicKey: string;
  readonly endpoint?: string;
  readonly allowedIps: readonly string[];
  readonly persistentKeepalive?: number;
}

export interface WireguardGoConfig {
  /**
   * Unique on the machine, not only in the namespace: wireguard-go's control socket is
   * /var/run/wireguard/<name>.sock in the shared file system. Use `uniqueInterfaceName()`.
   */
  readonly interfaceName: string;
  readonly privateKey: string;
  readonly listenPort?: number;
  readonly addresses: readonly string[];
  readonly mtu?: number;
  readonly peers: readonly WireguardGoPeer[];
  /** Extra routes into the interface, besides the prefixes of `addresses`. */
  readonly routes?: readonly string[];
  /** Receives the daemon's output at LOG_LEVEL=debug, e.g. to print when a test fails. */
  readonly onLog?: (text: string) => void;
}

let interfaces = 0;

/** A WireGuard interface name no other process on this machine is using (at most 15 bytes). */
export function uniqueInterfaceName(): string {
  interfaces++;
  return `fzw${process.pid}x${interfaces}`.slice(0, 15);
}

/** Generates a key pair with the real `wg` tool. */
export function wgKeyPair(): { privateKey: string; publicKey: string } {
  const privateKey = run(["wg", "genkey"]).trim();
  const publicKey = run(["wg", "pubkey"], `${privateKey}\n`).trim();
  return { privateKey, publicKey };
}

/**
 * Starts Debian's wireguard-go inside `host` (in the foreground, as a child the host kills on
 * destroy), configures it with `wg set`, and brings the interface up with its addresses, MTU
 * and routes. Resolves with the daemon's pid once the interface exists and is configured.
 */
export async function startWireguardGo(
  host: NetnsHost,
  config: WireguardGoConfig,
): Promise<number> {
  const name = config.interfaceName;
  // The control socket's path is not per namespace: a name must be unique on the machine, and
  // a socket left by a killed daemon would make the next one with that name fail.
  const socket = `/var/run/wireguard/${name}.sock`;
  rmSync(socket, { force: true });
  const { onLog } = config;
  const daemon = host.spawn(["wireguard-go", "-f", name], {
    stdout: onLog === undefined ? "ignore" : "pipe",
    stderr: "pipe",
    ...(onLog === undefined ? {} : { env: { LOG_LEVEL: "debug" } }),
  });
  let output = async () => new Response(daemon.stderr).text();
  if (onLog !== undefined) {
    let seen = "";
    output = async () => seen;
    for (const stream of [daemon.stdout, daemon.stderr]) {
      if (!(stream instanceof ReadableStream)) continue;
      void (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of stream) {
          const text = decoder.decode(chunk, { stream: true });
          seen += text;
          onLog(text);
        }
      })();
    }
  }
  const deadline = Date.now() + 5000;
  // The interface appears before the control socket does, and `wg set` needs both.
  while (host.tryExec(["ip", "link", "show", name]).exitCode !== 0 || !existsSync(socket)) {
    if (Date.now() > deadline || daemon.exitCode !== null) {
      const log = await output();
      throw new Error(
        `wireguard-go did not create ${name} (exit ${daemon.exitCode}): ${log.slice(-500)}`,
      );
    }
    await Bun.sleep(20);
  }
  const dir = mkdtempSync(join(tmpdir(), "fz-wg-"));
  try {
    const keyFile = join(dir, "private.key");
    writeFileSync(keyFile, `${config.privateKey}\n`, { mode: 0o600 });
    const args = ["wg", "set", name, "private-key", keyFile];
    if (config.listenPort !== undefined) args.push("listen-port", String(config.listenPort));
    for (const peer of config.peers) {
      args.push("peer", peer.publicKey, "allowed-ips", peer.allowedIps.join(","));
      if (peer.endpoint !== undefined) args.push("endpoint", peer.endpoint);
      if (peer.persistentKeepalive !== undefined) {
        args.push("persistent-keepalive", String(peer.persistentKeepalive));
      }
    }
    host.exec(args);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const address of config.addresses) addAddress(host, name, address);
  host.exec(["ip", "link", "set", "dev", name, "mtu", String(config.mtu ?? 1280), "up"]);
  for (const route of config.routes ?? []) {
    host.exec(["ip", route.includes(":") ? "-6" : "-4", "route", "replace", route, "dev", name]);
  }
  return daemon.pid;
}

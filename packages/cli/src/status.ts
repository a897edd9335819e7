import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_SOCKET_DIR } from "@fz/tunnel/config";
import { defaultDiffieHellman, encodeKey } from "@fz/wireguard";
import { parseUapiDevice, type UapiDevice, type UapiPeer } from "@fz/wireguard/uapi";
import { type CliOutput, EXIT_USAGE } from "./cli.ts";

const DEFAULT_INTERFACE = "tun-firezone";

/**
 * `firezone status`: what a running client or gateway says on its status socket (the one
 * `wg show` reads), in `wg show`'s words with times and sizes made readable; `--json` for scripts.
 */
export async function status(args: readonly string[], io: CliOutput): Promise<number> {
  let options: { interface: string; socketDir: string; json: boolean };
  try {
    const { values } = parseArgs({
      args: [...args],
      options: {
        interface: { type: "string", short: "i", default: DEFAULT_INTERFACE },
        "socket-dir": { type: "string", default: DEFAULT_SOCKET_DIR },
        json: { type: "boolean", default: false },
      },
    });
    options = {
      interface: values.interface ?? DEFAULT_INTERFACE,
      socketDir: values["socket-dir"] ?? DEFAULT_SOCKET_DIR,
      json: values.json ?? false,
    };
  } catch (error) {
    io.err(`firezone status: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_USAGE;
  }
  const path = join(options.socketDir, `${options.interface}.sock`);
  let answer: string;
  try {
    answer = await askDevice(path);
  } catch (error) {
    io.err(`firezone status: ${unreachable(path, options.interface, error)}\n`);
    return 1;
  }
  const device = parseUapiDevice(answer);
  if ("kind" in device) {
    io.err(`firezone status: ${path} answered '${device.line}': ${device.reason}\n`);
    return 1;
  }
  io.out(
    options.json
      ? `${JSON.stringify(toJson(options.interface, device), null, 2)}\n`
      : describeDevice(options.interface, device, Date.now()),
  );
  return 0;
}

/** `wg show`'s layout: the interface, then each peer, the most recently handshaken first. */
export function describeDevice(name: string, device: UapiDevice, nowUnixMs: number): string {
  const lines = [`interface: ${name}`];
  if (device.privateKey !== undefined) lines.push(`  public key: ${publicKeyOf(device)}`);
  if (device.listenPort !== undefined) lines.push(`  listening port: ${device.listenPort}`);
  const peers = [...device.peers].sort(
    (a, b) => (b.lastHandshakeUnixMs ?? 0) - (a.lastHandshakeUnixMs ?? 0),
  );
  for (const peer of peers) {
    lines.push("", `peer: ${encodeKey(peer.publicKey)}`);
    if (peer.presharedKey !== undefined) lines.push("  preshared key: (hidden)");
    if (peer.endpoint !== undefined) lines.push(`  endpoint: ${endpointText(peer)}`);
    lines.push(`  allowed ips: ${peer.allowedIps.join(", ") || "(none)"}`);
    if (peer.lastHandshakeUnixMs !== undefined) {
      lines.push(`  latest handshake: ${ago(nowUnixMs - peer.lastHandshakeUnixMs)}`);
    }
    if (peer.rxBytes > 0 || peer.txBytes > 0) {
      lines.push(`  transfer: ${bytes(peer.rxBytes)} received, ${bytes(peer.txBytes)} sent`);
    }
    if (peer.persistentKeepaliveSeconds > 0) {
      lines.push(`  persistent keepalive: every ${duration(peer.persistentKeepaliveSeconds)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function toJson(name: string, device: UapiDevice) {
  return {
    interface: name,
    publicKey: device.privateKey === undefined ? null : publicKeyOf(device),
    listenPort: device.listenPort ?? null,
    peers: device.peers.map((peer) => ({
      publicKey: encodeKey(peer.publicKey),
      endpoint: peer.endpoint === undefined ? null : endpointText(peer),
      allowedIps: peer.allowedIps,
      latestHandshake:
        peer.lastHandshakeUnixMs === undefined
          ? null
          : new Date(peer.lastHandshakeUnixMs).toISOString(),
      rxBytes: peer.rxBytes,
      txBytes: peer.txBytes,
      persistentKeepaliveSeconds: peer.persistentKeepaliveSeconds,
    })),
  };
}

function publicKeyOf(device: UapiDevice): string {
  return device.privateKey === undefined
    ? ""
    : encodeKey(defaultDiffieHellman.publicKey(device.privateKey));
}

function endpointText(peer: UapiPeer): string {
  const { address, port } = peer.endpoint ?? { address: "", port: 0 };
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** `1 minute, 5 seconds ago`, as wg prints it. */
function ago(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return seconds === 0 ? "Now" : `${duration(seconds)} ago`;
}

function duration(totalSeconds: number): string {
  const units: [string, number][] = [
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
    ["second", 1],
  ];
  const parts: string[] = [];
  let rest = totalSeconds;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count} ${unit}${count === 1 ? "" : "s"}`);
  }
  return parts.join(", ") || "0 seconds";
}

function bytes(count: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${count} B` : `${value.toFixed(2)} ${units[unit]}`;
}

/** Sends `get=1` and reads the answer up to its closing blank line. */
async function askDevice(path: string): Promise<string> {
  let received = "";
  let settle: (error?: Error) => void = () => {};
  const answered = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve() : reject(error));
  });
  const socket = await Bun.connect({
    unix: path,
    socket: {
      data(_socket, chunk) {
        received += new TextDecoder().decode(chunk);
        if (/(^|\n)errno=\d+\n\n$/.test(received)) settle();
      },
      close() {
        settle(new Error("the socket closed before the answer ended"));
      },
      error(_socket, error) {
        settle(error);
      },
    },
  });
  socket.write("get=1\n\n");
  try {
    await answered;
  } finally {
    socket.end();
  }
  return received;
}

function unreachable(path: string, name: string, error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === "ENOENT") {
    return `no tunnel named ${name} is running here (no ${path}); start one with 'firezone client' or 'firezone gateway', or name it with --interface`;
  }
  if (code === "EACCES" || code === "EPERM") {
    return `${path} is readable by root only: run 'sudo firezone status'`;
  }
  if (code === "ECONNREFUSED") {
    return `${path} is left over from a tunnel that is no longer running`;
  }
  return `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`;
}

import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_SOCKET_DIR, DEFAULT_TUN_NAME } from "@fz/tunnel/config";
import { defaultDiffieHellman, encodeKey } from "@fz/wireguard";
import { formatHostPort, parseUapiDevice, type UapiDevice } from "@fz/wireguard/uapi";
import { type CliOutput, EXIT_USAGE } from "./cli.ts";

/** How long a tunnel may take to answer before `status` gives up on it. */
const ANSWER_TIMEOUT_MS = 5000;

const USAGE = `Usage: firezone status [--interface NAME] [--socket-dir DIR] [--json]

Shows a running client's or gateway's peers, handshakes and transfer, as \`wg show\` does,
from its status socket <socket-dir>/<interface>.sock.

  -i, --interface NAME  the tunnel's tun_name (default ${DEFAULT_TUN_NAME})
      --socket-dir DIR  the tunnel's socket_dir (default ${DEFAULT_SOCKET_DIR})
      --json            the same facts as JSON
  -h, --help            this help
`;

/**
 * `firezone status`: what a running client or gateway says on its status socket (the one
 * `wg show` reads), in `wg show`'s words with times and sizes made readable; `--json` for scripts.
 */
export async function status(
  args: readonly string[],
  io: CliOutput,
  answerTimeoutMs = ANSWER_TIMEOUT_MS,
): Promise<number> {
  let options: { interface: string; socketDir: string; json: boolean };
  try {
    const { values } = parseArgs({
      args: [...args],
      options: {
        interface: { type: "string", short: "i", default: DEFAULT_TUN_NAME },
        "socket-dir": { type: "string", default: DEFAULT_SOCKET_DIR },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help === true) {
      io.out(USAGE);
      return 0;
    }
    options = {
      interface: values.interface ?? DEFAULT_TUN_NAME,
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
    answer = await askDevice(path, answerTimeoutMs);
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
  const publicKey = publicKeyOf(device);
  if (publicKey !== undefined) lines.push(`  public key: ${publicKey}`, "  private key: (hidden)");
  if (device.listenPort !== undefined) lines.push(`  listening port: ${device.listenPort}`);
  const peers = [...device.peers].sort(
    (a, b) => (b.lastHandshakeUnixMs ?? 0) - (a.lastHandshakeUnixMs ?? 0),
  );
  for (const peer of peers) {
    lines.push("", `peer: ${encodeKey(peer.publicKey)}`);
    if (peer.presharedKey !== undefined) lines.push("  preshared key: (hidden)");
    if (peer.endpoint !== undefined) lines.push(`  endpoint: ${formatHostPort(peer.endpoint)}`);
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
    publicKey: publicKeyOf(device) ?? null,
    listenPort: device.listenPort ?? null,
    peers: device.peers.map((peer) => ({
      publicKey: encodeKey(peer.publicKey),
      endpoint: peer.endpoint === undefined ? null : formatHostPort(peer.endpoint),
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

function publicKeyOf(device: UapiDevice): string | undefined {
  return device.privateKey === undefined
    ? undefined
    : encodeKey(defaultDiffieHellman.publicKey(device.privateKey));
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
async function askDevice(path: string, timeoutMs: number): Promise<string> {
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
        if (/(^|\n)errno=-?\d+\n\n$/.test(received)) settle();
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
  const timer = setTimeout(
    () => settle(new Error(`no answer within ${timeoutMs / 1000} s`)),
    timeoutMs,
  );
  try {
    await answered;
  } finally {
    clearTimeout(timer);
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
    return `${path} belongs to the tunnel's user (root): run 'sudo firezone status'`;
  }
  if (code === "ECONNREFUSED") {
    return `${path} is left over from a tunnel that is no longer running: start it again, or remove the file`;
  }
  return `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`;
}

import { isZero } from "./bytes.ts";
import { formatHostPort } from "./endpoint-text.ts";

export { formatHostPort };

/**
 * WireGuard's cross-platform userspace API (wireguard.com/xplatform): `key=value` lines over a
 * Unix socket, which is how `wg show` and `wg showconf` read a userspace implementation such as
 * wireguard-go. Only `get` is spoken here; the config file is the one source of settings.
 */
export interface UapiDevice {
  readonly privateKey?: Uint8Array | undefined;
  readonly listenPort?: number | undefined;
  readonly peers: readonly UapiPeer[];
}

export interface UapiPeer {
  readonly publicKey: Uint8Array;
  readonly presharedKey?: Uint8Array | undefined;
  /** The address as text (IPv6 without brackets) and the port. */
  readonly endpoint?: { readonly address: string; readonly port: number } | undefined;
  /** Unix time of the last completed handshake, in milliseconds; undefined for none. */
  readonly lastHandshakeUnixMs?: number | undefined;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly persistentKeepaliveSeconds: number;
  /** CIDR text: `198.19.0.0/24`, `fd00::/64`. */
  readonly allowedIps: readonly string[];
}

/** What a client asked for: one operation, its `key=value` lines after the first. */
export interface UapiRequest {
  readonly operation: "get" | "set";
  readonly lines: readonly string[];
}

export interface UapiParseError {
  readonly kind: "uapi-error";
  readonly line: string;
  readonly reason: string;
}

/** errno values a userspace WireGuard answers with. */
export const UapiErrno = {
  ok: 0,
  /** EPERM: settings are not changed through this socket. */
  notPermitted: 1,
  /** EPROTO: a request this side could not read. */
  protocol: 71,
} as const;

/** The answer to `get=1`, ending with `errno=0` and the blank line. */
export function formatUapiDevice(device: UapiDevice): string {
  const lines: string[] = [];
  if (device.privateKey !== undefined) lines.push(`private_key=${toHex(device.privateKey)}`);
  if (device.listenPort !== undefined) lines.push(`listen_port=${device.listenPort}`);
  for (const peer of device.peers) {
    lines.push(`public_key=${toHex(peer.publicKey)}`);
    if (peer.presharedKey !== undefined) lines.push(`preshared_key=${toHex(peer.presharedKey)}`);
    lines.push("protocol_version=1");
    if (peer.endpoint !== undefined) lines.push(`endpoint=${formatHostPort(peer.endpoint)}`);
    const handshake = peer.lastHandshakeUnixMs ?? 0;
    const seconds = Math.floor(handshake / 1000);
    lines.push(`last_handshake_time_sec=${seconds}`);
    lines.push(`last_handshake_time_nsec=${Math.floor((handshake - seconds * 1000) * 1e6)}`);
    lines.push(`tx_bytes=${peer.txBytes}`);
    lines.push(`rx_bytes=${peer.rxBytes}`);
    lines.push(`persistent_keepalive_interval=${peer.persistentKeepaliveSeconds}`);
    for (const allowed of peer.allowedIps) lines.push(`allowed_ip=${allowed}`);
  }
  lines.push(`errno=${UapiErrno.ok}`);
  return `${lines.join("\n")}\n\n`;
}

/** The answer to a request that failed: `errno=N` and the blank line. */
export function formatUapiErrno(errno: number): string {
  return `errno=${errno}\n\n`;
}

/**
 * Takes one whole request off the front of `text` (up to and including its blank line).
 * `undefined` while the blank line has not arrived yet.
 */
export function takeUapiRequest(
  text: string,
): { readonly request: UapiRequest | UapiParseError; readonly rest: string } | undefined {
  const end = text.indexOf("\n\n");
  if (end < 0) return undefined;
  const [first = "", ...lines] = text.slice(0, end).split("\n");
  const rest = text.slice(end + 2);
  if (first === "get=1") return { request: { operation: "get", lines }, rest };
  if (first === "set=1") return { request: { operation: "set", lines }, rest };
  return { request: parseError(first, "expected get=1 or set=1"), rest };
}

/** Reads the answer to `get=1`; a non-zero errno is an error naming it. */
export function parseUapiDevice(text: string): UapiDevice | UapiParseError {
  let privateKey: Uint8Array | undefined;
  let listenPort: number | undefined;
  const peers: MutablePeer[] = [];
  let peer: MutablePeer | undefined;
  for (const line of text.split("\n")) {
    if (line === "") break;
    const equals = line.indexOf("=");
    if (equals <= 0) return parseError(line, "expected key=value");
    const key = line.slice(0, equals);
    const value = line.slice(equals + 1);
    if (key === "errno") {
      if (value !== "0") return parseError(line, `the other side failed with errno ${value}`);
      return { privateKey, listenPort, peers };
    }
    if (key === "public_key") {
      const publicKey = fromHex(value);
      if (publicKey === undefined) return parseError(line, "expected 64 hex digits");
      peer = { publicKey, rxBytes: 0, txBytes: 0, persistentKeepaliveSeconds: 0, allowedIps: [] };
      peers.push(peer);
      continue;
    }
    if (peer === undefined) {
      if (key === "private_key") {
        privateKey = fromHex(value);
        if (privateKey === undefined) return parseError(line, "expected 64 hex digits");
      } else if (key === "listen_port") {
        listenPort = wholeNumber(value, 0xffff);
        if (listenPort === undefined) return parseError(line, "expected a port");
      }
      continue;
    }
    const problem = readPeerField(peer, key, value);
    if (problem !== undefined) return parseError(line, problem);
  }
  return parseError("", "the answer ended without errno");
}

type MutablePeer = { -readonly [K in keyof UapiPeer]: UapiPeer[K] } & { allowedIps: string[] };

/** Sets one field of `peer`; returns what is wrong with the value. Unknown keys are skipped. */
function readPeerField(peer: MutablePeer, key: string, value: string): string | undefined {
  switch (key) {
    case "preshared_key": {
      const psk = fromHex(value);
      if (psk === undefined) return "expected 64 hex digits";
      peer.presharedKey = isZero(psk) ? undefined : psk;
      return undefined;
    }
    case "endpoint": {
      const endpoint = parseEndpoint(value);
      if (endpoint === undefined) return "expected address:port";
      peer.endpoint = endpoint;
      return undefined;
    }
    case "last_handshake_time_sec":
    case "last_handshake_time_nsec": {
      const number = wholeNumber(value, Number.MAX_SAFE_INTEGER);
      if (number === undefined) return "expected a whole number";
      // Seconds come first; 0 seconds is "never", as wg shows it, whatever the nanoseconds.
      if (key === "last_handshake_time_sec") {
        peer.lastHandshakeUnixMs = number === 0 ? undefined : number * 1000;
      } else if (peer.lastHandshakeUnixMs !== undefined) {
        peer.lastHandshakeUnixMs += number / 1e6;
      }
      return undefined;
    }
    case "rx_bytes":
    case "tx_bytes":
    case "persistent_keepalive_interval": {
      const number = wholeNumber(value, Number.MAX_SAFE_INTEGER);
      if (number === undefined) return "expected a whole number";
      if (key === "rx_bytes") peer.rxBytes = number;
      else if (key === "tx_bytes") peer.txBytes = number;
      else peer.persistentKeepaliveSeconds = number;
      return undefined;
    }
    case "allowed_ip":
      if (!/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(value)) return "expected address/prefix";
      peer.allowedIps.push(value);
      return undefined;
    default:
      return undefined;
  }
}

function parseEndpoint(text: string): { address: string; port: number } | undefined {
  const bracketed = /^\[([0-9a-fA-F:.%\w]+)\]:(\d+)$/.exec(text);
  const plain = /^([0-9.]+):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  const port = match?.[2] === undefined ? undefined : wholeNumber(match[2], 0xffff);
  if (match?.[1] === undefined || port === undefined) return undefined;
  return { address: match[1], port };
}

function wholeNumber(text: string, max: number): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const number = Number(text);
  return number <= max ? number : undefined;
}

function toHex(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += byte.toString(16).padStart(2, "0");
  return text;
}

function fromHex(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) return undefined;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function parseError(line: string, reason: string): UapiParseError {
  return { kind: "uapi-error", line, reason };
}

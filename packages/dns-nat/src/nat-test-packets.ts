import {
  buildIcmpEcho,
  buildTcpPacket,
  buildUdpPacket,
  formatIpAddress,
  type IpAddress,
  type IpPacket,
  Ipv4Packet,
  Ipv6Packet,
  isWireError,
  parseIpPacket,
  parseIpPacketPrefix,
  parseIpv4,
  parseIpv6,
  transportChecksumValid,
  type WireError,
} from "@fz/ip-packet";
import type { GatewayDnsNat } from "./gateway-dns-nat.ts";

// Test support shared by the gateway NAT tests (not exported by the package): addresses, packet
// builders over @fz/ip-packet's, fragmenting, checksum checks and a set-up driver.

export const v4 = (text: string): number => parseIpv4(text) ?? fail(`bad IPv4 ${text}`);
export const v6 = (text: string): Uint8Array => parseIpv6(text) ?? fail(`bad IPv6 ${text}`);

export function fail(message: string): never {
  throw new Error(message);
}

export function ok<T>(value: T | WireError): T {
  if (isWireError(value)) throw new Error(`unexpected wire error ${value.kind}`);
  return value;
}

export const CLIENT = "client-1";
export const OTHER_CLIENT = "client-2";
export const CLIENT_V4 = v4("100.64.0.2");
export const CLIENT_V6 = v6("fd00:2021:1111::2");
export const OTHER_CLIENT_V4 = v4("100.64.0.3");
export const RESOURCE = "res-app";
export const DOMAIN = "app.internal";

/** The proxy IPs a client's allocator gives its first name: 4 + 4. */
export const PROXY_V4 = ["100.96.0.1", "100.96.0.2", "100.96.0.3", "100.96.0.4"];
export const PROXY_V6 = [
  "fd00:2021:1111:8000::1",
  "fd00:2021:1111:8000::2",
  "fd00:2021:1111:8000::3",
  "fd00:2021:1111:8000::4",
];
export const PROXY_IPS = [...PROXY_V4, ...PROXY_V6];

/** Answers every pending lookup: A with `records`' IPv4 addresses, AAAA with the IPv6 ones. */
export function answerLookups(
  nat: GatewayDnsNat,
  records: readonly IpAddress[],
  now: number,
): void {
  const requests = [];
  for (let request = nat.pollResolve(); request !== undefined; request = nat.pollResolve()) {
    requests.push(request);
  }
  for (const request of requests) {
    const found = records.filter((address) =>
      request.family === 4 ? typeof address === "number" : typeof address !== "number",
    );
    nat.handleResolved(request.id, found, now);
  }
}

/** Runs a whole set-up for (client, RESOURCE, domain) and returns the DomainStatus it produced. */
export function setUp(
  nat: GatewayDnsNat,
  records: readonly IpAddress[],
  options: { client?: string; domain?: string; proxyIps?: readonly string[]; now?: number } = {},
): string | undefined {
  const client = options.client ?? CLIENT;
  const now = options.now ?? 0;
  nat.handleAssignedIps(
    client,
    {
      resource: RESOURCE,
      domain: options.domain ?? DOMAIN,
      proxyIps: options.proxyIps ?? PROXY_IPS,
    },
    true,
    now,
  );
  answerLookups(nat, records, now);
  const statuses = [];
  for (let status = nat.pollDomainStatus(); status !== undefined; status = nat.pollDomainStatus()) {
    statuses.push(status);
  }
  return statuses.find((status) => status.client === client)?.status;
}

export function udp(
  src: IpAddress,
  dst: IpAddress,
  srcPort: number,
  dstPort: number,
  payload: Uint8Array = Uint8Array.of(1, 2, 3, 4, 5),
): Uint8Array {
  return ok(buildUdpPacket({ src, dst, srcPort, dstPort }, payload));
}

export function tcp(
  src: IpAddress,
  dst: IpAddress,
  srcPort: number,
  dstPort: number,
  flags: number,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  return ok(
    buildTcpPacket(
      { src, dst, srcPort, dstPort, seq: 0x01020304, ack: 0x0a0b0c0d, flags, window: 64240 },
      payload,
    ),
  );
}

export function echo(
  src: IpAddress,
  dst: IpAddress,
  id: number,
  reply = false,
  seq = 1,
): Uint8Array {
  return ok(buildIcmpEcho({ src, dst, id, seq, reply }, Uint8Array.of(0xde, 0xad, 0xbe, 0xef)));
}

export function parse(bytes: Uint8Array): IpPacket {
  return ok(parseIpPacket(bytes));
}

/** Reads (src, dst, source port, destination port) of a packet; the echo id stands for both ports. */
export function addressing(bytes: Uint8Array): {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
} {
  const packet = parse(bytes);
  const start = packet.headerLen;
  const word = (at: number) => ((bytes[start + at] ?? 0) << 8) | (bytes[start + at + 1] ?? 0);
  const icmp = packet.protocol === 1 || packet.protocol === 58;
  return {
    src: formatIpAddress(packet.src),
    dst: formatIpAddress(packet.dst),
    srcPort: icmp ? word(4) : word(0),
    dstPort: icmp ? word(4) : word(2),
  };
}

/**
 * Whether every checksum a packet carries verifies: the IPv4 header, the transport checksum of a
 * whole packet, and for an ICMP error the quoted packet's IPv4 header and (when quoted whole) its
 * transport checksum.
 */
export function checksumsValid(bytes: Uint8Array): boolean {
  const packet = parse(bytes);
  if (packet instanceof Ipv4Packet && !packet.headerChecksumValid()) return false;
  const transport = transportChecksumValid(packet);
  if (transport === false) return false;
  const icmpError =
    (packet.version === 4 &&
      packet.protocol === 1 &&
      [3, 4, 5, 11, 12].includes(bytes[packet.headerLen] ?? 0)) ||
    (packet.version === 6 && packet.protocol === 58 && (bytes[packet.headerLen] ?? 255) < 128);
  if (!icmpError) return true;
  const quoted = parseIpPacketPrefix(bytes.subarray(packet.headerLen + 8));
  if (isWireError(quoted)) return false;
  if (quoted instanceof Ipv4Packet && !quoted.headerChecksumValid()) return false;
  return quoted.isTruncated || transportChecksumValid(quoted) !== false;
}

/**
 * Splits a whole IPv4 or IPv6 packet into two fragments at `at` bytes into its payload (a
 * multiple of 8), with fragment id `id`. IPv6 fragments get a fragment header.
 */
export function fragments(bytes: Uint8Array, at: number, id: number): [Uint8Array, Uint8Array] {
  const packet = parse(bytes);
  if (packet instanceof Ipv4Packet) {
    const header = bytes.subarray(0, packet.headerLen);
    const payload = packet.payload();
    const make = (data: Uint8Array, more: boolean, offset: number) => {
      const out = new Uint8Array(header.length + data.length);
      out.set(header);
      out.set(data, header.length);
      const view = Ipv4Packet.unchecked(out);
      view.totalLen = out.length;
      view.ident = id;
      view.setFragment(false, more, offset);
      view.fillHeaderChecksum();
      return out;
    };
    return [make(payload.subarray(0, at), true, 0), make(payload.subarray(at), false, at)];
  }
  if (!(packet instanceof Ipv6Packet)) return fail("not a packet");
  const payload = packet.payload();
  const protocol = packet.protocol;
  const make = (data: Uint8Array, more: boolean, offset: number) => {
    const out = new Uint8Array(48 + data.length);
    out.set(bytes.subarray(0, 40));
    out[6] = 44;
    out[40] = protocol;
    out[42] = offset >>> 8;
    out[43] = (offset & 0xf8) | (more ? 1 : 0);
    out[44] = id >>> 24;
    out[45] = (id >>> 16) & 0xff;
    out[46] = (id >>> 8) & 0xff;
    out[47] = id & 0xff;
    out.set(data, 48);
    Ipv6Packet.unchecked(out).payloadLen = out.length - 40;
    return out;
  };
  return [make(payload.subarray(0, at), true, 0), make(payload.subarray(at), false, at)];
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

import { formatIpv4Bytes, formatIpv6, parseIpv4, parseIpv6 } from "@fz/ip-packet";
import { AF_INET, AF_INET6 } from "./linux/socket-calls.ts";

/** The `::ffff` of `::ffff:0:0/96`: a sockaddr_in6 record's bytes 16..19 as a little-endian int32. */
const MAPPED_MARKER = -65536;

/** A UDP peer: `198.18.0.1` port 51820, or `fd00:198:18::1` port 51820. */
export interface SocketAddress {
  readonly family: 4 | 6;
  readonly address: string;
  readonly port: number;
}

/**
 * Bytes of a socket address record: the kernel's own `struct sockaddr_in` (16 bytes) or
 * `struct sockaddr_in6` (28 bytes), padded to 32. recvmmsg writes a datagram's source straight
 * into a record (a pool slot's first bytes), and sendmmsg takes a record as the destination (the
 * shells' address book, or the slot's for `UdpPacketIo`), so an address is never converted on
 * the packet path.
 *
 * ```
 * IPv4  0 family=2 (u16, little-endian)  2 port (big-endian)  4 address (4)  8 zero (8)
 * IPv6  0 family=10 (u16, little-endian) 2 port (big-endian)  4 flow info (4)
 *       8 address (16)  24 scope id (u32, little-endian)  28 unused (4)
 * ```
 *
 * IPv4 peers always appear as `sockaddr_in`: the receiver rewrites the IPv4-mapped IPv6 form
 * (`::ffff:198.18.0.1`) a dual-stack socket reports, and Linux accepts a `sockaddr_in`
 * destination on a dual-stack socket.
 */
export const SOCKET_ADDRESS_BYTES = 32;

const Offset = { Family: 0, Port: 2, Ipv4: 4, FlowInfo: 4, Ipv6: 8, ScopeId: 24 } as const;

/**
 * Encodes an address as a record (into `into` from `offset`, or a fresh 32-byte array), or
 * returns undefined when the text is not an address of its family or the port is out of range.
 */
export function encodeSocketAddress(
  address: SocketAddress,
  into: Uint8Array = new Uint8Array(SOCKET_ADDRESS_BYTES),
  offset = 0,
): Uint8Array | undefined {
  if (!Number.isInteger(address.port) || address.port < 0 || address.port > 0xffff) {
    return undefined;
  }
  const ip = address.family === 4 ? parseIpv4(address.address) : parseIpv6(address.address);
  if (ip === undefined) return undefined;
  into.fill(0, offset, offset + SOCKET_ADDRESS_BYTES);
  const view = new DataView(into.buffer, into.byteOffset + offset, SOCKET_ADDRESS_BYTES);
  view.setUint16(Offset.Family, address.family === 4 ? AF_INET : AF_INET6, true);
  view.setUint16(Offset.Port, address.port, false);
  if (typeof ip === "number") view.setUint32(Offset.Ipv4, ip, false);
  else into.set(ip, offset + Offset.Ipv6);
  return into;
}

/**
 * Reads the record at `offset`; an IPv4-mapped IPv6 address reads as IPv4. Returns undefined
 * for a record of no known family (a slot nobody addressed).
 */
export function decodeSocketAddress(bytes: Uint8Array, offset = 0): SocketAddress | undefined {
  if (bytes.length < offset + SOCKET_ADDRESS_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, SOCKET_ADDRESS_BYTES);
  const family = view.getUint16(Offset.Family, true);
  const port = view.getUint16(Offset.Port, false);
  if (family === AF_INET) {
    return { family: 4, address: formatIpv4Bytes(bytes, offset + Offset.Ipv4), port };
  }
  if (family !== AF_INET6) return undefined;
  if (isIpv4Mapped(bytes, offset + Offset.Ipv6)) {
    return { family: 4, address: formatIpv4Bytes(bytes, offset + Offset.Ipv6 + 12), port };
  }
  return { family: 6, address: formatIpv6(bytes, offset + Offset.Ipv6), port };
}

/**
 * Tells whether two records name the same peer: family, port and address (for IPv6 also the
 * scope id), ignoring the padding and flow info. Allocates nothing: the UDP sender asks this of
 * each datagram to group runs to one peer.
 */
export function sameSocketAddress(
  a: Uint8Array,
  aOffset: number,
  b: Uint8Array,
  bOffset: number,
): boolean {
  const family = (a[aOffset] ?? 0) | ((a[aOffset + 1] ?? 0) << 8);
  if (family === AF_INET) return sameBytes(a, aOffset, b, bOffset, 0, Offset.Ipv4 + 4);
  if (family !== AF_INET6) return false;
  return (
    sameBytes(a, aOffset, b, bOffset, 0, Offset.FlowInfo) &&
    sameBytes(a, aOffset, b, bOffset, Offset.Ipv6, Offset.ScopeId + 4)
  );
}

function sameBytes(
  a: Uint8Array,
  aOffset: number,
  b: Uint8Array,
  bOffset: number,
  from: number,
  to: number,
): boolean {
  for (let i = from; i < to; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
  return true;
}

function isIpv4Mapped(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 10; i++) if (bytes[offset + i] !== 0) return false;
  return bytes[offset + 10] === 0xff && bytes[offset + 11] === 0xff;
}

/**
 * A dual-stack socket reports an IPv4 source as `::ffff:a.b.c.d` in a sockaddr_in6; rewrite it
 * in place as the sockaddr_in it is, so every IPv4 peer has one record form.
 */
export function unmapIpv4Record(words: Int32Array, at: number): void {
  const first = words[at] ?? 0;
  if ((first & 0xffff) === AF_INET || words[at + 2] !== 0 || words[at + 3] !== 0) return;
  if (words[at + 4] !== MAPPED_MARKER) return;
  words[at] = (first & -65536) | AF_INET;
  words[at + 1] = words[at + 5] ?? 0;
  words[at + 2] = 0;
  words[at + 3] = 0;
}

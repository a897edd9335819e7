import { IPV6_FIELD, type IpPacket } from "@fz/ip-packet";

// String keys for the maps off the per-packet path: fragmented datagrams (protocol, two
// addresses, the fragment id in the two port slots) and IPv6 proxy IPs. An IPv4 key is 7 code
// units long and an IPv6 key 19, so the families never collide. Flows themselves are found by
// FlowIndex, whose numeric hashes cost far less than building a string per packet.

/** Key of a fragmented datagram, read from a fragment's own header before any rewrite. */
export function fragmentKeyOf(packet: IpPacket): string {
  if (packet.version === 4) {
    return keyV4(packet.protocol, packet.src, packet.dst, 0, packet.ident);
  }
  const bytes = packet.bytes;
  const id = packet.fragmentId;
  return keyV6(
    packet.protocol,
    bytes,
    IPV6_FIELD.SRC,
    bytes,
    IPV6_FIELD.DST,
    id >>> 16,
    id & 0xffff,
  );
}

/** Key of IPv4 fields: protocol, addresses `a` and `b` (u32), then two 16-bit values. */
function keyV4(protocol: number, a: number, b: number, portA: number, portB: number): string {
  return String.fromCharCode(protocol, a >>> 16, a & 0xffff, b >>> 16, b & 0xffff, portA, portB);
}

/** Key of IPv6 fields whose addresses are the 16 bytes at `a[aAt..]` and `b[bAt..]`. */
function keyV6(
  protocol: number,
  a: Uint8Array,
  aAt: number,
  b: Uint8Array,
  bAt: number,
  portA: number,
  portB: number,
): string {
  return String.fromCharCode(
    protocol,
    word(a, aAt),
    word(a, aAt + 2),
    word(a, aAt + 4),
    word(a, aAt + 6),
    word(a, aAt + 8),
    word(a, aAt + 10),
    word(a, aAt + 12),
    word(a, aAt + 14),
    word(b, bAt),
    word(b, bAt + 2),
    word(b, bAt + 4),
    word(b, bAt + 6),
    word(b, bAt + 8),
    word(b, bAt + 10),
    word(b, bAt + 12),
    word(b, bAt + 14),
    portA,
    portB,
  );
}

/** Key of an IPv6 address alone (8 code units), for maps keyed by proxy IP. */
export function addressKeyV6(address: Uint8Array, at = 0): string {
  return String.fromCharCode(
    word(address, at),
    word(address, at + 2),
    word(address, at + 4),
    word(address, at + 6),
    word(address, at + 8),
    word(address, at + 10),
    word(address, at + 12),
    word(address, at + 14),
  );
}

function word(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

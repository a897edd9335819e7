import { type IpPacket, Ipv4Packet, Ipv6Packet, isWireError, parseIpPacket } from "@fz/ip-packet";

/**
 * Reassembles the fragments of one datagram (RFC 791, RFC 8200 4.5) into a whole packet, or
 * undefined if they do not cover it from offset 0 to a last fragment without gaps.
 */
export function reassemble(fragments: readonly IpPacket[]): Uint8Array | undefined {
  const sorted = [...fragments].sort((a, b) => a.fragmentOffsetBytes - b.fragmentOffsetBytes);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first === undefined || last === undefined || last.moreFragments) return undefined;
  let expected = 0;
  const parts: Uint8Array[] = [];
  for (const fragment of sorted) {
    if (fragment.fragmentOffsetBytes !== expected) return undefined;
    const data = dataOf(fragment);
    parts.push(data);
    expected += data.length;
  }
  const head = unfragmentable(first);
  const out = new Uint8Array(head.length + expected);
  out.set(head);
  let at = head.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  if (first.version === 4) {
    const ip = Ipv4Packet.unchecked(out);
    ip.totalLen = out.length;
    ip.setFragment(ip.dontFragment, false, 0);
    ip.fillHeaderChecksum();
  } else {
    Ipv6Packet.unchecked(out).payloadLen = out.length - 40;
  }
  return isWireError(parseIpPacket(out)) ? undefined : out;
}

/** The headers every fragment repeats: IPv4's header, IPv6's chain up to the fragment header. */
function unfragmentable(packet: IpPacket): Uint8Array {
  if (packet.version === 4) return packet.bytes.slice(0, packet.headerLen);
  const at = fragmentHeaderAt(packet.bytes);
  const head = packet.bytes.slice(0, at);
  // The header before the fragment header now points at what the fragment header pointed at.
  const next = packet.bytes[at] ?? 0;
  if (at === 40) head[6] = next;
  else head[previousHeaderAt(packet.bytes, at)] = next;
  return head;
}

/** Everything after the fragment header (IPv6) or the IPv4 header. */
function dataOf(packet: IpPacket): Uint8Array {
  if (packet.version === 4) return packet.payload();
  return packet.bytes.subarray(fragmentHeaderAt(packet.bytes) + 8, packet.totalLen);
}

function fragmentHeaderAt(bytes: Uint8Array): number {
  let next = bytes[6] ?? 0;
  let at = 40;
  while (next !== 44) {
    next = bytes[at] ?? 0;
    at += ((bytes[at + 1] ?? 0) + 1) * 8;
    if (at >= bytes.length) throw new Error("no fragment header");
  }
  return at;
}

function previousHeaderAt(bytes: Uint8Array, fragmentAt: number): number {
  let at = 40;
  for (;;) {
    const len = ((bytes[at + 1] ?? 0) + 1) * 8;
    if (at + len === fragmentAt) return at;
    at += len;
  }
}

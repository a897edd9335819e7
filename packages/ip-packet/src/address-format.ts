import type { IpAddress } from "./ip-packet.ts";

// Text forms of addresses for logs, tests and control messages; never on the packet path.

/** Dotted-quad text of an IPv4 address held as an unsigned 32-bit number. */
export function formatIpv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** Dotted-quad text of the 4 address bytes at `offset` (as in a packet or a socket address). */
export function formatIpv4Bytes(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset] ?? 0}.${bytes[offset + 1] ?? 0}.${bytes[offset + 2] ?? 0}.${bytes[offset + 3] ?? 0}`;
}

/** Parses strict dotted-quad text (no leading zeros) into an unsigned 32-bit number. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let addr = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    addr = addr * 256 + octet;
  }
  return addr;
}

/** RFC 5952 text of the 16-byte IPv6 address at `offset` (IPv4-mapped ones in mixed notation). */
export function formatIpv6(addr: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) {
    groups.push(((addr[offset + i] ?? 0) << 8) | (addr[offset + i + 1] ?? 0));
  }
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const v4 = (((groups[6] ?? 0) << 16) | (groups[7] ?? 0)) >>> 0;
    return `::ffff:${formatIpv4(v4)}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(":");
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** Parses IPv6 text (with `::` and an optional trailing dotted quad) into 16 bytes. */
export function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? "", halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? "", true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((group, i) => {
    out[i * 2] = group >>> 8;
    out[i * 2 + 1] = group & 0xff;
  });
  return out;
}

/** Text of either family. */
export function formatIpAddress(addr: IpAddress): string {
  return typeof addr === "number" ? formatIpv4(addr) : formatIpv6(addr);
}

/** Parses either family: a number for IPv4, 16 bytes for IPv6. */
export function parseIpAddress(text: string): IpAddress | undefined {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

/** Whether two IPv6 addresses (16-byte arrays or views) are equal. */
export function ipv6Equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length < 16 || b.length < 16) return false;
  for (let i = 0; i < 16; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

/** Groups of one side of `::`; a dotted quad may end the last side. */
function parseGroups(text: string, mayEndWithIpv4: boolean): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? "";
    if (i === parts.length - 1 && mayEndWithIpv4 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
      groups.push(Number.parseInt(part, 16));
    }
  }
  return groups;
}

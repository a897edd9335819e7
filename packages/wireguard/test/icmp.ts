/**
 * A small ICMP echo builder and parser for the interop test: IPv4 + ICMP and IPv6 + ICMPv6
 * with correct checksums, so a real kernel answers them.
 */

/** An echo request or reply as the test sees it. */
export interface Echo {
  readonly version: 4 | 6;
  readonly reply: boolean;
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
  readonly id: number;
  readonly sequence: number;
  readonly data: Uint8Array;
}

/** Builds an IPv4 or IPv6 packet carrying `echo`. */
export function buildEcho(echo: Echo): Uint8Array {
  return echo.version === 4 ? buildEcho4(echo) : buildEcho6(echo);
}

/** Reads an echo request or reply out of an IP packet, or undefined for anything else. */
export function parseEcho(packet: Uint8Array): Echo | undefined {
  const version = (packet[0] ?? 0) >>> 4;
  if (version === 4) {
    const headerLength = ((packet[0] ?? 0) & 0x0f) * 4;
    if (packet[9] !== 1 || packet.length < headerLength + 8) return undefined;
    const type = packet[headerLength];
    if (type !== 0 && type !== 8) return undefined;
    return {
      version: 4,
      reply: type === 0,
      source: packet.slice(12, 16),
      destination: packet.slice(16, 20),
      id: u16(packet, headerLength + 4),
      sequence: u16(packet, headerLength + 6),
      data: packet.slice(headerLength + 8),
    };
  }
  if (version === 6) {
    if (packet[6] !== 58 || packet.length < 48) return undefined;
    const type = packet[40];
    if (type !== 128 && type !== 129) return undefined;
    return {
      version: 6,
      reply: type === 129,
      source: packet.slice(8, 24),
      destination: packet.slice(24, 40),
      id: u16(packet, 44),
      sequence: u16(packet, 46),
      data: packet.slice(48),
    };
  }
  return undefined;
}

/** IPv4 address text to bytes. */
export function ipv4(text: string): Uint8Array {
  return Uint8Array.from(text.split(".").map(Number));
}

/** IPv6 address text (with at most one `::`) to bytes. */
export function ipv6(text: string): Uint8Array {
  const [head = "", tail] = text.split("::");
  const groups = (part: string) =>
    part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >>> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

function buildEcho4(echo: Echo): Uint8Array {
  const packet = new Uint8Array(20 + 8 + echo.data.length);
  packet[0] = 0x45;
  setU16(packet, 2, packet.length);
  setU16(packet, 4, echo.sequence);
  packet[6] = 0x40;
  packet[8] = 64;
  packet[9] = 1;
  packet.set(echo.source, 12);
  packet.set(echo.destination, 16);
  setU16(packet, 10, checksum(packet.subarray(0, 20)));
  const icmp = packet.subarray(20);
  icmp[0] = echo.reply ? 0 : 8;
  setU16(icmp, 4, echo.id);
  setU16(icmp, 6, echo.sequence);
  icmp.set(echo.data, 8);
  setU16(icmp, 2, checksum(icmp));
  return packet;
}

function buildEcho6(echo: Echo): Uint8Array {
  const length = 8 + echo.data.length;
  const packet = new Uint8Array(40 + length);
  packet[0] = 0x60;
  setU16(packet, 4, length);
  packet[6] = 58;
  packet[7] = 64;
  packet.set(echo.source, 8);
  packet.set(echo.destination, 24);
  const icmp = packet.subarray(40);
  icmp[0] = echo.reply ? 129 : 128;
  setU16(icmp, 4, echo.id);
  setU16(icmp, 6, echo.sequence);
  icmp.set(echo.data, 8);
  const pseudo = new Uint8Array(40 + length);
  pseudo.set(echo.source, 0);
  pseudo.set(echo.destination, 16);
  setU16(pseudo, 34, length);
  pseudo[39] = 58;
  pseudo.set(icmp, 40);
  setU16(icmp, 2, checksum(pseudo));
  return packet;
}

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function u16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}

function setU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 8;
  bytes[offset + 1] = value & 0xff;
}

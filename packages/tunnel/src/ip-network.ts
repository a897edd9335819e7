import { formatIpAddress, type IpAddress, ipv6Equal, parseIpAddress } from "@fz/ip-packet";

/** An address range: `198.19.0.0/24` or `fd00:2021:1111::/107`. */
export interface IpNetwork {
  readonly family: 4 | 6;
  /** The network address: a u32 for IPv4, 16 bytes for IPv6, host bits zero. */
  readonly address: IpAddress;
  readonly prefix: number;
}

/** Parses `address/prefix`; an address alone is a host route. Host bits must be zero unless `lenient`. */
export function parseIpNetwork(text: string, lenient = false): IpNetwork | undefined {
  const [addressText = "", prefixText, extra] = text.trim().split("/");
  if (extra !== undefined) return undefined;
  const address = parseIpAddress(addressText);
  if (address === undefined) return undefined;
  const family = typeof address === "number" ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  const masked = maskAddress(address, prefix);
  if (!lenient && !sameAddress(masked, address)) return undefined;
  return { family, address: masked, prefix };
}

export function formatIpNetwork(network: IpNetwork): string {
  return `${formatIpAddress(network.address)}/${network.prefix}`;
}

/** Whether `address` (u32 or 16 bytes) lies in `network`. */
export function networkContains(network: IpNetwork, address: IpAddress): boolean {
  if (typeof address === "number") {
    if (typeof network.address !== "number") return false;
    if (network.prefix === 0) return true;
    const shift = 32 - network.prefix;
    return address >>> shift === network.address >>> shift;
  }
  if (typeof network.address === "number" || address.length !== 16) return false;
  const whole = network.prefix >>> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== network.address[i]) return false;
  const rest = network.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole] ?? 0) & mask) === ((network.address[whole] ?? 0) & mask);
}

/** Whether two networks share any address. */
export function networksOverlap(a: IpNetwork, b: IpNetwork): boolean {
  if (a.family !== b.family) return false;
  return a.prefix <= b.prefix ? networkContains(a, b.address) : networkContains(b, a.address);
}

export function sameAddress(a: IpAddress, b: IpAddress): boolean {
  return typeof a === "number" || typeof b === "number" ? a === b : ipv6Equal(a, b);
}

function maskAddress(address: IpAddress, prefix: number): IpAddress {
  if (typeof address === "number") {
    return prefix === 0 ? 0 : (address & (0xffffffff << (32 - prefix))) >>> 0;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = (address[i] ?? 0) & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

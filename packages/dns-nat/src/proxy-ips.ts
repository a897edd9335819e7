import type { IpAddress } from "@fz/ip-packet";
import { normalizeName } from "./pattern.ts";

/** 100.96.0.0/11: DNS-resource proxy IPv4 addresses. */
export const PROXY_V4_BASE = 0x64600000;
export const PROXY_V4_PREFIX = 11;
/** fd00:2021:1111:8000::/107: DNS-resource proxy IPv6 addresses. */
export const PROXY_V6_BASE = Uint8Array.of(
  0xfd,
  0x00,
  0x20,
  0x21,
  0x11,
  0x11,
  0x80,
  0x00,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
);
export const PROXY_V6_PREFIX = 107;
/** Addresses of each family that a name gets. */
export const PROXY_IPS_PER_FAMILY = 4;

const OFFSET_BITS = 21; // both ranges leave 21 host bits
const OFFSET_MASK = (1 << OFFSET_BITS) - 1;
/** Offset 0 is the network address; names start at 1. */
const FIRST_OFFSET = 1;
const MAX_NAMES = Math.floor((OFFSET_MASK - FIRST_OFFSET + 1) / PROXY_IPS_PER_FAMILY);

export interface ProxyIps {
  readonly name: string;
  /** IPv4 addresses as unsigned 32-bit numbers. */
  readonly ipv4: readonly number[];
  /** IPv6 addresses as 16-byte arrays. */
  readonly ipv6: readonly Uint8Array[];
}

/**
 * Hands each DNS-resource name 4 IPv4 + 4 IPv6 proxy addresses, in order of first query, and
 * keeps them for the life of the process, so an application that cached an answer keeps
 * reaching the same name. The reverse lookup from a packet's destination is an array index
 * (both ranges have 21 host bits), cheap enough for every outgoing packet.
 */
export class ProxyIpAllocator {
  readonly #byName = new Map<string, ProxyIps>();
  readonly #byIndex: ProxyIps[] = [];

  /** The name's proxy IPs, assigned on first use; undefined once the ranges are used up. */
  assign(name: string): ProxyIps | undefined {
    const key = normalizeName(name);
    const known = this.#byName.get(key);
    if (known !== undefined) return known;
    const index = this.#byIndex.length;
    if (index >= MAX_NAMES) return undefined;
    const first = FIRST_OFFSET + index * PROXY_IPS_PER_FAMILY;
    const offsets = Array.from({ length: PROXY_IPS_PER_FAMILY }, (_, i) => first + i);
    const ips: ProxyIps = {
      name: key,
      ipv4: offsets.map((offset) => (PROXY_V4_BASE + offset) >>> 0),
      ipv6: offsets.map(proxyV6At),
    };
    this.#byName.set(key, ips);
    this.#byIndex.push(ips);
    return ips;
  }

  /** The proxy IPs a name already has, without assigning any. */
  get(name: string): ProxyIps | undefined {
    return this.#byName.get(normalizeName(name));
  }

  /** Which name an IPv4 destination (u32) is a proxy for, if any. */
  nameOfV4(address: number): ProxyIps | undefined {
    if (!isProxyV4(address)) return undefined;
    return this.#atOffset(address & OFFSET_MASK);
  }

  /** Which name an IPv6 destination (16 bytes) is a proxy for, if any. */
  nameOfV6(address: Uint8Array): ProxyIps | undefined {
    if (!isProxyV6(address)) return undefined;
    const offset =
      (((address[13] ?? 0) & 0x1f) << 16) | ((address[14] ?? 0) << 8) | (address[15] ?? 0);
    return this.#atOffset(offset);
  }

  get size(): number {
    return this.#byIndex.length;
  }

  #atOffset(offset: number): ProxyIps | undefined {
    if (offset < FIRST_OFFSET) return undefined;
    return this.#byIndex[Math.floor((offset - FIRST_OFFSET) / PROXY_IPS_PER_FAMILY)];
  }
}

/** Whether the IPv6 address at `bytes[at..at + 16]` lies in fd00:2021:1111:8000::/107. */
export function isProxyV6(bytes: Uint8Array, at = 0): boolean {
  if (at + 16 > bytes.length) return false;
  for (let i = 0; i < 13; i++) if (bytes[at + i] !== PROXY_V6_BASE[i]) return false;
  return ((bytes[at + 13] ?? 0) & 0xe0) === 0;
}

/** Whether a u32 IPv4 address lies in 100.96.0.0/11. */
export function isProxyV4(address: number): boolean {
  return address >>> OFFSET_BITS === PROXY_V4_BASE >>> OFFSET_BITS;
}

/** Whether an address of either family is a DNS-resource proxy IP. */
export function isProxyIp(address: IpAddress): boolean {
  return typeof address === "number" ? isProxyV4(address) : isProxyV6(address);
}

function proxyV6At(offset: number): Uint8Array {
  const address = PROXY_V6_BASE.slice();
  address[13] = (offset >>> 16) & 0x1f;
  address[14] = (offset >>> 8) & 0xff;
  address[15] = offset & 0xff;
  return address;
}

/**
 * Sentinel DNS servers: the addresses the client gives the operating system as its resolvers.
 * Upstream `i` (0-based, in configured order) is reached through sentinel `i` of each family,
 * whose address is the range's base plus `i + 1`: 100.100.111.1 and
 * fd00:2021:1111:8000:100:100:111:1 for the first upstream, `.2` and `:2` for the second, ...
 */

/** 100.100.111.0/24: IPv4 sentinel DNS servers. */
export const SENTINEL_V4_BASE = 0x64646f00;
export const SENTINEL_V4_PREFIX = 24;
/** fd00:2021:1111:8000:100:100:111:0/120: IPv6 sentinel DNS servers. */
export const SENTINEL_V6_BASE = Uint8Array.of(
  0xfd,
  0x00,
  0x20,
  0x21,
  0x11,
  0x11,
  0x80,
  0x00,
  0x01,
  0x00,
  0x01,
  0x00,
  0x01,
  0x11,
  0x00,
  0x00,
);
export const SENTINEL_V6_PREFIX = 120;
/** Host numbers 1 to 254 of each range; 0 and 255 stay unused in both. */
export const MAX_UPSTREAMS = 254;

/** The sentinel addresses of the first `count` upstreams: IPv4 as u32 numbers, IPv6 as 16 bytes. */
export function sentinelAddresses(count: number): {
  readonly ipv4: readonly number[];
  readonly ipv6: readonly Uint8Array[];
} {
  if (!Number.isInteger(count) || count < 0 || count > MAX_UPSTREAMS) {
    throw new TooManyUpstreamsError(count);
  }
  const hosts = Array.from({ length: count }, (_, index) => index + 1);
  return {
    ipv4: hosts.map((host) => (SENTINEL_V4_BASE + host) >>> 0),
    ipv6: hosts.map((host) => {
      const address = SENTINEL_V6_BASE.slice();
      address[15] = host;
      return address;
    }),
  };
}

/**
 * The sentinel index (= upstream index) of an IPv4 destination (u32), or undefined when it is not
 * one of the first `count` sentinels.
 */
export function sentinelIndexV4(address: number, count: number): number | undefined {
  // One subtraction: anything outside base+1 .. base+count lands outside 1..count (count < 256).
  const host = (address - SENTINEL_V4_BASE) >>> 0;
  return host >= 1 && host <= count && host <= MAX_UPSTREAMS ? host - 1 : undefined;
}

/**
 * The sentinel index (= upstream index) of the IPv6 destination at `bytes[offset..offset+16]`, or
 * undefined when it is not one of the first `count` sentinels. `offset` lets the caller pass a
 * packet and the address's position in it, without a view.
 */
export function sentinelIndexV6(bytes: Uint8Array, count: number, offset = 0): number | undefined {
  if (offset < 0 || offset + 16 > bytes.length) return undefined;
  const host = bytes[offset + 15] ?? 0;
  if (host < 1 || host > count) return undefined;
  for (let i = 14; i >= 0; i--) {
    if (bytes[offset + i] !== SENTINEL_V6_BASE[i]) return undefined;
  }
  return host - 1;
}

/** More upstreams than there are sentinel addresses (or a count that is not a whole number). */
export class TooManyUpstreamsError extends Error {
  readonly _tag = "TooManyUpstreamsError";
  readonly count: number;

  constructor(count: number) {
    super(`cannot map ${count} upstreams to sentinel DNS servers: give 0 to ${MAX_UPSTREAMS}`);
    this.name = "TooManyUpstreamsError";
    this.count = count;
  }
}

import { normalizeName } from "./pattern.ts";

/** An address read from a reverse-lookup name. */
export type ReverseAddress =
  | { readonly family: 4; readonly address: number }
  | { readonly family: 6; readonly address: Uint8Array };

/**
 * The address a reverse-lookup name stands for: `d.c.b.a.in-addr.arpa` (RFC 1035 3.5) or 32
 * nibbles then `ip6.arpa` (RFC 3596 2.5); undefined for any other name. Case and a trailing dot
 * are ignored. Only the canonical spelling counts (decimal octets without leading zeros, single
 * hex digits), so that each address has exactly one name; others are left to the upstream.
 */
export function parseReverseName(name: string): ReverseAddress | undefined {
  const normalized = normalizeName(name);
  if (normalized.endsWith(".in-addr.arpa")) {
    return parseV4(normalized.slice(0, -".in-addr.arpa".length).split("."));
  }
  if (normalized.endsWith(".ip6.arpa")) {
    return parseV6(normalized.slice(0, -".ip6.arpa".length).split("."));
  }
  return undefined;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;
const NIBBLE = /^[0-9a-f]$/;

function parseV4(labels: readonly string[]): ReverseAddress | undefined {
  if (labels.length !== 4) return undefined;
  let address = 0;
  for (let i = 3; i >= 0; i--) {
    const label = labels[i] ?? "";
    if (!OCTET.test(label)) return undefined;
    const octet = Number(label);
    if (octet > 255) return undefined;
    address = (address << 8) | octet;
  }
  return { family: 4, address: address >>> 0 };
}

function parseV6(labels: readonly string[]): ReverseAddress | undefined {
  if (labels.length !== 32) return undefined;
  const address = new Uint8Array(16);
  for (let i = 0; i < 32; i++) {
    const label = labels[i] ?? "";
    if (!NIBBLE.test(label)) return undefined;
    // The first label is the lowest nibble of the last byte.
    const byte = 15 - (i >> 1);
    address[byte] = (address[byte] ?? 0) | (Number.parseInt(label, 16) << ((i & 1) * 4));
  }
  return { family: 6, address };
}

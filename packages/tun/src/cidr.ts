import { parseIpv4, parseIpv6 } from "@fz/ip-packet";

export interface Cidr {
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefix: number;
  readonly text: string;
}

/** Parses `198.18.0.1/24` or `fd00::1/64`; an address alone means a single host. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = "", prefixText, extra] = text.split("/");
  if (extra !== undefined) return undefined;
  const family =
    parseIpv4(address) !== undefined ? 4 : parseIpv6(address) !== undefined ? 6 : undefined;
  if (family === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { family, address, prefix, text: `${address}/${prefix}` };
}

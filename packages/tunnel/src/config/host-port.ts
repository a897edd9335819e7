import { formatIpAddress, parseIpAddress } from "@fz/ip-packet";
import type { Endpoint } from "@fz/wireguard";

/** Endpoints are written as WireGuard writes them, so `parseHostPort` reads them back. */
export { formatHostPort } from "@fz/wireguard/uapi";

/**
 * Reads `198.19.0.53`, `198.19.0.53:5353`, `fd00::53` or `[fd00::53]:5353` (a bare IPv6 address
 * takes no port) as an address in canonical text and a port; `defaultPort` when none is written,
 * or undefined when a port is required. Host names are not resolved.
 */
export function parseHostPort(text: string, defaultPort?: number): Endpoint | undefined {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(text);
  const v4 = /^([0-9.]+)(?::(\d{1,5}))?$/.exec(text);
  const host = bracketed?.[1] ?? v4?.[1] ?? text;
  const portText = bracketed?.[2] ?? v4?.[2];
  const address = parseIpAddress(host);
  const port = portText === undefined ? defaultPort : Number(portText);
  if (address === undefined || port === undefined || !(port >= 1 && port <= 65535))
    return undefined;
  return { address: formatIpAddress(address), port };
}

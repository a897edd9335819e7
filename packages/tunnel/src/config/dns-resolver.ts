import { formatIpAddress, type IpAddress, parseIpv4, parseIpv6 } from "@fz/ip-packet";
import type { Endpoint } from "@fz/wireguard";
import type { FieldReader } from "./fields.ts";

const DNS_PORT = 53;

/**
 * Reads the optional top-level `dns_resolver` (`198.19.0.53`, `198.19.0.53:5353`, `fd00::53`
 * or `[fd00::53]:5353`; port 53 unless given), the address in canonical text; undefined means
 * the system's resolver.
 */
export function readDnsResolver(
  read: FieldReader,
  top: Record<string, unknown>,
): Endpoint | undefined {
  const text = read.optionalString(top, "dns_resolver", "dns_resolver", "198.19.0.53");
  if (text === undefined) return undefined;
  const resolver = parseResolver(text);
  if (resolver !== undefined) return resolver;
  return read.problem(
    "dns_resolver",
    `'${text}' is not an IP address with an optional port`,
    "write it as 198.19.0.53, 198.19.0.53:53 or [fd00:198:19::53]:53 (host names are not resolved)",
  );
}

function parseResolver(text: string): Endpoint | undefined {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(text);
  const v4 = /^([0-9.]+)(?::(\d{1,5}))?$/.exec(text);
  const [host, portText] =
    bracketed !== null
      ? [bracketed[1] ?? "", bracketed[2]]
      : v4 !== null
        ? [v4[1] ?? "", v4[2]]
        : [text, undefined];
  const address: IpAddress | undefined = host.includes(":") ? parseIpv6(host) : parseIpv4(host);
  const port = portText === undefined ? DNS_PORT : Number(portText);
  if (address === undefined || !(port >= 1 && port <= 65535)) return undefined;
  return { address: formatIpAddress(address), port };
}

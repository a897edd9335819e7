import type { Endpoint } from "@fz/wireguard";
import type { FieldReader } from "./fields.ts";
import { parseHostPort } from "./host-port.ts";

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
  const resolver = parseHostPort(text, DNS_PORT);
  if (resolver !== undefined) return resolver;
  return read.problem(
    "dns_resolver",
    `'${text}' is not an IP address with an optional port`,
    "write it as 198.19.0.53, 198.19.0.53:53 or [fd00:198:19::53]:53 (host names are not resolved)",
  );
}

import { Resolver } from "node:dns/promises";
import { type IpAddress, parseIpv4, parseIpv6 } from "@fz/ip-packet";
import type { NameResolver } from "@fz/shell";
import { formatHostPort, type GatewayConfig } from "@fz/tunnel/config";

type Endpoint = NonNullable<GatewayConfig["dnsResolver"]>;

/** Per try; with two tries a lookup ends well inside the core's 10 s resolve timeout. */
const TRY_TIMEOUT_MS = 2000;
const TRIES = 2;

/** Answers that mean "the name has no such records", not "the lookup failed". */
const NO_RECORDS = new Set(["ENOTFOUND", "ENODATA"]);

/**
 * Looks names up with node:dns's `Resolver` at `server` (the config's `dns_resolver`), or the
 * system's servers when there is none. NXDOMAIN and NODATA give no addresses; any other error
 * (timeout, SERVFAIL, refused) is "failed".
 */
export function nodeNameResolver(server: Endpoint | undefined): NameResolver {
  const resolver = new Resolver({ timeout: TRY_TIMEOUT_MS, tries: TRIES });
  if (server !== undefined) resolver.setServers([formatHostPort(server)]);
  return async (name, family) => {
    try {
      const texts = family === 4 ? await resolver.resolve4(name) : await resolver.resolve6(name);
      return texts.flatMap((text) => {
        const address: IpAddress | undefined = family === 4 ? parseIpv4(text) : parseIpv6(text);
        return address === undefined ? [] : [address];
      });
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      return typeof code === "string" && NO_RECORDS.has(code) ? [] : "failed";
    }
  };
}

/** `198.19.0.53:53` or `[fd00:198:19::53]:53`, as `Resolver.setServers` takes them. */

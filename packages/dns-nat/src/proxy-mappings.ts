import type { IpAddress } from "@fz/ip-packet";
import { addressKeyV6 } from "./flow-key.ts";

/** What one of a client's proxy IPs stands for on the gateway. */
export interface ProxyMapping {
  readonly resource: string;
  readonly domain: string;
  /** The real address new flows go to; undefined when the name had none of this family. */
  readonly realIp: IpAddress | undefined;
}

/**
 * One client's proxy IPs and the real addresses behind them, replaced as a whole for a name each
 * time its AssignedIps resolves. Flows copy the real IP when they start, so replacing a mapping
 * moves only new flows.
 */
export class ProxyMappings {
  readonly #v4 = new Map<number, ProxyMapping>();
  readonly #v6 = new Map<string, ProxyMapping>();

  get size(): number {
    return this.#v4.size + this.#v6.size;
  }

  /** The mapping of an IPv4 proxy IP (u32). */
  getV4(address: number): ProxyMapping | undefined {
    return this.#v4.get(address);
  }

  /** The mapping of the IPv6 proxy IP at `bytes[at..at + 16]`. */
  getV6(bytes: Uint8Array, at = 0): ProxyMapping | undefined {
    return this.#v6.get(addressKeyV6(bytes, at));
  }

  get(address: IpAddress): ProxyMapping | undefined {
    return typeof address === "number" ? this.getV4(address) : this.getV6(address);
  }

  /** Whether one of these proxy IPs already stands for another name or resource. */
  reassigned(proxyIps: readonly IpAddress[], resource: string, domain: string): boolean {
    return proxyIps.some((ip) => {
      const known = this.get(ip);
      return known !== undefined && (known.resource !== resource || known.domain !== domain);
    });
  }

  /**
   * Maps the proxy IPs round-robin onto the real addresses of their family, both in ascending
   * byte order, so that the same records give the same mapping whatever order the resolver
   * returned them in.
   */
  install(
    proxyIps: readonly IpAddress[],
    resource: string,
    domain: string,
    real: readonly IpAddress[],
  ): void {
    const realV4 = sortedOfFamily(real, 4);
    const realV6 = sortedOfFamily(real, 6);
    let v4 = 0;
    let v6 = 0;
    for (const proxy of sortedAddresses(proxyIps)) {
      if (typeof proxy === "number") {
        this.#v4.set(proxy, {
          resource,
          domain,
          realIp: realV4[v4++ % Math.max(realV4.length, 1)],
        });
      } else {
        const realIp = realV6[v6++ % Math.max(realV6.length, 1)];
        this.#v6.set(addressKeyV6(proxy), { resource, domain, realIp });
      }
    }
  }

  /** Forgets the proxy IPs of a resource. */
  removeResource(resource: string): void {
    for (const [key, mapping] of this.#v4) if (mapping.resource === resource) this.#v4.delete(key);
    for (const [key, mapping] of this.#v6) if (mapping.resource === resource) this.#v6.delete(key);
  }
}

function sortedOfFamily(addresses: readonly IpAddress[], family: 4 | 6): IpAddress[] {
  return sortedAddresses(
    addresses.filter((address) =>
      family === 4 ? typeof address === "number" : typeof address !== "number",
    ),
  );
}

/** Distinct addresses, IPv4 before IPv6, each family in ascending byte order. */
export function sortedAddresses(addresses: readonly IpAddress[]): IpAddress[] {
  const v4 = new Set<number>();
  const v6 = new Map<string, Uint8Array>();
  for (const address of addresses) {
    if (typeof address === "number") v4.add(address >>> 0);
    else if (address.length === 16) v6.set(addressKeyV6(address), address.slice());
  }
  const sortedV4 = [...v4].sort((a, b) => a - b);
  const sortedV6 = [...v6.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [...sortedV4, ...sortedV6.map(([, address]) => address)];
}

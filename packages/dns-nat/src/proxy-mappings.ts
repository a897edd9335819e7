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
    realV4: readonly number[],
    realV6: readonly Uint8Array[],
  ): void {
    const sortedRealV4 = sortedV4(realV4);
    const sortedRealV6 = sortedV6(realV6);
    let v4 = 0;
    let v6 = 0;
    for (const proxy of sortedAddresses(proxyIps)) {
      if (typeof proxy === "number") {
        this.#v4.set(proxy, {
          resource,
          domain,
          realIp: sortedRealV4[v4++ % Math.max(sortedRealV4.length, 1)],
        });
      } else {
        const realIp = sortedRealV6[v6++ % Math.max(sortedRealV6.length, 1)];
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

/** Distinct addresses, IPv4 before IPv6, each family in ascending byte order. */
function sortedAddresses(addresses: readonly IpAddress[]): IpAddress[] {
  const v4: number[] = [];
  const v6: Uint8Array[] = [];
  for (const address of addresses) {
    if (typeof address === "number") v4.push(address);
    else v6.push(address);
  }
  return [...sortedV4(v4), ...sortedV6(v6)];
}

/** Distinct IPv4 addresses (u32) in ascending order. */
function sortedV4(addresses: readonly number[]): number[] {
  return [...new Set(addresses.map((address) => address >>> 0))].sort((a, b) => a - b);
}

/** Distinct 16-byte IPv6 addresses in ascending byte order, copied. */
function sortedV6(addresses: readonly Uint8Array[]): Uint8Array[] {
  const byKey = new Map<string, Uint8Array>();
  for (const address of addresses) byKey.set(addressKeyV6(address), address);
  return [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, address]) => address.slice());
}

import type { IpAddress } from "@fz/ip-packet";
import { type IpNetwork, networkContains } from "./ip-network.ts";

/**
 * Longest-prefix match from destination addresses to values (resources, clients). Entries are
 * kept longest prefix first per family, so the first network that contains an address wins.
 * A linear scan: a tunnel has tens of routes, not a backbone's million.
 */
export class RoutingTable<T> {
  readonly #v4: { network: IpNetwork; value: T }[] = [];
  readonly #v6: { network: IpNetwork; value: T }[] = [];

  add(network: IpNetwork, value: T): void {
    const list = network.family === 4 ? this.#v4 : this.#v6;
    list.push({ network, value });
    list.sort((a, b) => b.network.prefix - a.network.prefix);
  }

  /** The value of the most specific network containing `address`. */
  lookup(address: IpAddress): T | undefined {
    const list = typeof address === "number" ? this.#v4 : this.#v6;
    for (const entry of list) if (networkContains(entry.network, address)) return entry.value;
    return undefined;
  }
}

import type { IpAddress } from "@fz/ip-packet";
import { normalizeName } from "./pattern.ts";

/** How long the gateway waits for each of a name's A and AAAA lookups (Firezone: 10 s). */
export const RESOLVE_TIMEOUT_MS = 10_000;
/** Lookups in flight at most (Firezone: 1000); an AssignedIps beyond that is answered Inactive. */
export const MAX_PENDING_LOOKUPS = 1000;

/** A lookup for the shell to run with the gateway's resolver; answer with `handleResolved`. */
export interface ResolveRequest {
  readonly id: number;
  /** Lower case, without a trailing dot. */
  readonly name: string;
  /** 4: A records; 6: AAAA records. */
  readonly family: 4 | 6;
}

/** A set-up whose lookups have all answered or timed out. */
export interface ResolvedSetup {
  readonly client: string;
  readonly resource: string;
  readonly domain: string;
  readonly proxyIps: readonly IpAddress[];
  /** The A records (u32); empty when the lookup gave none. */
  readonly v4: readonly number[];
  /** The AAAA records, 16 bytes each; empty when the lookup gave none. */
  readonly v6: readonly Uint8Array[];
}

/** What became of a set-up request. */
export type SetupStart =
  /** New lookups were asked for (or it joined lookups for the same name already in flight). */
  | "started"
  /** The same client, resource and name were already being set up: that one answers. */
  | "joined"
  /** Too many lookups in flight. */
  | "refused";

interface Setup {
  readonly key: string;
  readonly client: string;
  readonly resource: string;
  readonly domain: string;
  proxyIps: readonly IpAddress[];
  v4: readonly number[] | undefined;
  v6: readonly Uint8Array[] | undefined;
}

interface Lookup {
  readonly request: ResolveRequest;
  readonly lookupKey: string;
  readonly deadline: number;
  readonly setups: Set<Setup>;
}

/**
 * The lookups behind AssignedIps, sans-IO. Each set-up needs the name's A and AAAA records; a
 * lookup for a name and family already in flight is shared by every set-up that needs it,
 * whichever client asked, and a set-up for a (client, resource, name) already under way is not
 * started twice. Nothing is cached: each new set-up after the last one finished looks up again,
 * so that re-sent AssignedIps sees changed records. The lookups map's insertion order is
 * deadline order, because deadlines are never allowed to go down.
 */
export class NameResolutions {
  readonly #setups = new Map<string, Setup>();
  readonly #lookups = new Map<number, Lookup>();
  readonly #inFlight = new Map<string, Lookup>();
  readonly #requests: ResolveRequest[] = [];
  readonly #resolved: ResolvedSetup[] = [];
  #nextId = 1;
  #lastDeadline = Number.NEGATIVE_INFINITY;

  start(
    client: string,
    resource: string,
    domain: string,
    proxyIps: readonly IpAddress[],
    now: number,
  ): SetupStart {
    const key = JSON.stringify([client, resource, domain]);
    const running = this.#setups.get(key);
    if (running !== undefined) {
      running.proxyIps = proxyIps;
      return "joined";
    }
    const name = normalizeName(domain);
    const v4 = this.#inFlight.get(lookupKeyOf(name, 4));
    const v6 = this.#inFlight.get(lookupKeyOf(name, 6));
    const needed = (v4 === undefined ? 1 : 0) + (v6 === undefined ? 1 : 0);
    if (this.#lookups.size + needed > MAX_PENDING_LOOKUPS) return "refused";
    const setup: Setup = { key, client, resource, domain, proxyIps, v4: undefined, v6: undefined };
    this.#setups.set(key, setup);
    (v4 ?? this.#lookup(name, 4, now)).setups.add(setup);
    (v6 ?? this.#lookup(name, 6, now)).setups.add(setup);
    return "started";
  }

  /** A lookup's answer; false when no lookup with that id is in flight (it timed out). */
  resolved(id: number, addresses: readonly IpAddress[] | "failed"): boolean {
    const lookup = this.#lookups.get(id);
    if (lookup === undefined) return false;
    const found = addresses === "failed" ? [] : addresses;
    this.#finish(lookup, found);
    return true;
  }

  /** Ends the lookups whose deadline has passed as if they found nothing; returns how many. */
  expire(now: number): number {
    let expired = 0;
    for (const lookup of this.#lookups.values()) {
      if (lookup.deadline > now) break;
      this.#finish(lookup, []);
      expired++;
    }
    return expired;
  }

  nextDeadline(): number | undefined {
    for (const lookup of this.#lookups.values()) return lookup.deadline;
    return undefined;
  }

  pollRequest(): ResolveRequest | undefined {
    return this.#requests.shift();
  }

  pollResolved(): ResolvedSetup | undefined {
    return this.#resolved.shift();
  }

  /** Drops a client's set-ups: no DomainStatus will be produced for them. */
  forgetClient(client: string): void {
    this.#forget((setup) => setup.client === client);
  }

  /** Drops a client's set-ups for one resource. */
  forgetResource(client: string, resource: string): void {
    this.#forget((setup) => setup.client === client && setup.resource === resource);
  }

  #forget(
    matches: (setup: { readonly client: string; readonly resource: string }) => boolean,
  ): void {
    for (const [key, setup] of this.#setups) {
      if (!matches(setup)) continue;
      this.#setups.delete(key);
      for (const lookup of this.#lookups.values()) lookup.setups.delete(setup);
    }
    const kept = this.#resolved.filter((setup) => !matches(setup));
    this.#resolved.splice(0, this.#resolved.length, ...kept);
  }

  #lookup(name: string, family: 4 | 6, now: number): Lookup {
    this.#lastDeadline = Math.max(this.#lastDeadline, now + RESOLVE_TIMEOUT_MS);
    const request: ResolveRequest = { id: this.#nextId++, name, family };
    const lookup: Lookup = {
      request,
      lookupKey: lookupKeyOf(name, family),
      deadline: this.#lastDeadline,
      setups: new Set(),
    };
    this.#lookups.set(request.id, lookup);
    this.#inFlight.set(lookup.lookupKey, lookup);
    this.#requests.push(request);
    return lookup;
  }

  /** Ends a lookup with what it found; addresses of the other family are ignored. */
  #finish(lookup: Lookup, found: readonly IpAddress[]): void {
    this.#lookups.delete(lookup.request.id);
    this.#inFlight.delete(lookup.lookupKey);
    const index = this.#requests.indexOf(lookup.request);
    if (index >= 0) this.#requests.splice(index, 1);
    const v4 = lookup.request.family === 4 ? found.filter(isV4) : undefined;
    const v6 = lookup.request.family === 6 ? found.filter(isV6) : undefined;
    for (const setup of lookup.setups) {
      if (v4 !== undefined) setup.v4 = v4;
      if (v6 !== undefined) setup.v6 = v6;
      if (setup.v4 === undefined || setup.v6 === undefined) continue;
      this.#setups.delete(setup.key);
      this.#resolved.push({
        client: setup.client,
        resource: setup.resource,
        domain: setup.domain,
        proxyIps: setup.proxyIps,
        v4: setup.v4,
        v6: setup.v6,
      });
    }
  }
}

function isV4(address: IpAddress): address is number {
  return typeof address === "number";
}

function isV6(address: IpAddress): address is Uint8Array {
  return typeof address !== "number" && address.length === 16;
}

function lookupKeyOf(name: string, family: 4 | 6): string {
  return `${family}${name}`;
}

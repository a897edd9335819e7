import {
  type AssignedIps,
  type IpAddress,
  type IpPacket,
  type NatStatus,
  parseIpAddress,
} from "@fz/ip-packet";
import { NameResolutions, type ResolveRequest } from "./name-resolutions.ts";
import type { InboundResult, OutboundResult } from "./nat-results.ts";
import { DnsNatTranslator, type TranslationCounters } from "./nat-translator.ts";
import { isProxyIp } from "./proxy-ips.ts";
import { type ProxyMapping, ProxyMappings } from "./proxy-mappings.ts";

/** The DomainStatus to send back to a client over the tunnel (`buildDomainStatus`). */
export interface DomainStatusReply {
  readonly client: string;
  readonly resource: string;
  readonly domain: string;
  readonly status: NatStatus;
}

/** Running totals since the table was made. */
export interface GatewayDnsNatCounters extends Readonly<TranslationCounters> {
  /** Flows removed because their time ran out (idle, unconfirmed, or 5 s after FIN both ways). */
  readonly flowsExpired: number;
  /** Flows removed with their client or resource. */
  readonly flowsForgotten: number;
  /** DomainStatus Active replies. */
  readonly setupsActive: number;
  /** DomainStatus Inactive replies, whatever the reason (not allowed and refused included). */
  readonly setupsInactive: number;
  /** AssignedIps for a resource the client may not use (answered Inactive at once). */
  readonly notAllowed: number;
  /** AssignedIps answered Inactive at once because MAX_PENDING_LOOKUPS were in flight. */
  readonly setupsRefused: number;
  /** AssignedIps that found the same set-up under way and joined it. */
  readonly setupsJoined: number;
  readonly lookupsFailed: number;
  readonly lookupsTimedOut: number;
  /** Answers to lookups that had already timed out. */
  readonly lateAnswers: number;
  /** A client's proxy IPs came back for another name: its mappings and flows were reset. */
  readonly clientResets: number;
}

/**
 * The gateway's DNS-resource NAT, sans-IO: sets up what a client's proxy IPs stand for (from its
 * AssignedIps, by resolving the name) and translates packets between proxy IPs and real
 * addresses, in place.
 *
 * Set-up: A and AAAA are looked up separately, each with RESOLVE_TIMEOUT_MS (a timeout counts as
 * no address); once both are in, the IPv4 proxy IPs map round-robin onto the A records and the
 * IPv6 ones onto the AAAA records, and the client is told Active if either family had an address,
 * Inactive otherwise. A re-sent AssignedIps resolves again and replaces the mapping: new flows
 * take the new addresses, running flows keep theirs. If a client's proxy IP comes back for
 * another name or resource (the client restarted and renumbered), all its NAT state is reset, as
 * Firezone does.
 *
 * Not safe for concurrent use; every method returns without I/O. The owner drains `pollResolve`
 * and `pollDomainStatus` after each input and calls `handleTimeout` at `pollTimeout`.
 */
export class GatewayDnsNat {
  readonly #mappings = new Map<string, ProxyMappings>();
  readonly #resolutions = new NameResolutions();
  readonly #statuses: DomainStatusReply[] = [];
  readonly #counters = {
    translatedOutbound: 0,
    translatedInbound: 0,
    icmpErrorsTranslated: 0,
    noMapping: 0,
    noAddress: 0,
    portsExhausted: 0,
    unreachableReplies: 0,
    dropped: 0,
    noFlow: 0,
    flowsCreated: 0,
    flowsReset: 0,
    flowsExpired: 0,
    flowsForgotten: 0,
    setupsActive: 0,
    setupsInactive: 0,
    notAllowed: 0,
    setupsRefused: 0,
    setupsJoined: 0,
    lookupsFailed: 0,
    lookupsTimedOut: 0,
    lateAnswers: 0,
    clientResets: 0,
  };
  readonly #translator = new DnsNatTranslator(this.#mappings, this.#counters);

  /**
   * An AssignedIps from `client`. `allowed` says whether the client may use `event.resource`
   * (a DNS resource whose pattern matches `event.domain`): the caller's authorization check.
   * Proxy IPs outside Firezone's proxy ranges are ignored.
   */
  handleAssignedIps(
    client: string,
    event: Pick<AssignedIps, "resource" | "domain" | "proxyIps">,
    allowed: boolean,
    now: number,
  ): void {
    if (!allowed) {
      this.#counters.notAllowed++;
      this.#reply(client, event.resource, event.domain, "Inactive");
      return;
    }
    const proxyIps: IpAddress[] = [];
    for (const text of event.proxyIps) {
      const address = parseIpAddress(text);
      if (address !== undefined && isProxyIp(address)) proxyIps.push(address);
    }
    if (proxyIps.length === 0) {
      this.#reply(client, event.resource, event.domain, "Inactive");
      return;
    }
    switch (this.#resolutions.start(client, event.resource, event.domain, proxyIps, now)) {
      case "refused":
        this.#counters.setupsRefused++;
        this.#reply(client, event.resource, event.domain, "Inactive");
        return;
      case "joined":
        this.#counters.setupsJoined++;
        return;
      case "started":
        return;
    }
  }

  /** The next lookup for the shell to run; answer it with `handleResolved`. */
  pollResolve(): ResolveRequest | undefined {
    return this.#resolutions.pollRequest();
  }

  /** The answer to a lookup: its addresses (of other families are ignored), or "failed". */
  handleResolved(id: number, addresses: readonly IpAddress[] | "failed", _now: number): void {
    if (!this.#resolutions.resolved(id, addresses)) {
      this.#counters.lateAnswers++;
      return;
    }
    if (addresses === "failed") this.#counters.lookupsFailed++;
    this.#applyResolved();
  }

  /** The next DomainStatus to send to a client. */
  pollDomainStatus(): DomainStatusReply | undefined {
    return this.#statuses.shift();
  }

  /**
   * A decrypted packet from `client` (its source already checked to be the client's tunnel
   * address), rewritten in place when its destination is a proxy IP. An ICMP unreachable reply
   * is built into `replyOut` when given (it may be the packet's own slot), else a new buffer.
   * A caller that has parsed the packet already passes the parsed packet: no second parse.
   */
  translateOutbound(
    client: string,
    packet: Uint8Array | IpPacket,
    now: number,
    replyOut?: Uint8Array,
  ): OutboundResult {
    return this.#translator.outbound(client, packet, now, replyOut);
  }

  /**
   * A packet from the resource side to a client's tunnel address, rewritten in place if it
   * belongs to a flow; bytes, or the packet already parsed.
   */
  translateInbound(packet: Uint8Array | IpPacket, now: number): InboundResult {
    return this.#translator.inbound(packet, now);
  }

  /** When `handleTimeout` should run next: a lookup's deadline or a flow's possible expiry. */
  pollTimeout(): number | undefined {
    const lookup = this.#resolutions.nextDeadline();
    const flow = this.#translator.flows.nextDeadline();
    if (lookup === undefined) return flow;
    if (flow === undefined) return lookup;
    return Math.min(lookup, flow);
  }

  handleTimeout(now: number): void {
    const timedOut = this.#resolutions.expire(now);
    if (timedOut > 0) {
      this.#counters.lookupsTimedOut += timedOut;
      this.#applyResolved();
    }
    this.#counters.flowsExpired += this.#translator.flows.expire(now);
    this.#translator.expireFragments(now);
  }

  /** What a client's proxy IP stands for (the resource, for the caller's filters), if set up. */
  mappingOf(client: string, proxyIp: IpAddress): ProxyMapping | undefined {
    return this.#mappings.get(client)?.get(proxyIp);
  }

  /** Forgets everything about a client: mappings, flows, set-ups and unsent replies. */
  forgetClient(client: string): void {
    this.#mappings.delete(client);
    this.#counters.flowsForgotten += this.#translator.flows.removeWhere(client, () => true);
    this.#resolutions.forgetClient(client);
    this.#dropReplies((reply) => reply.client === client);
  }

  /** Forgets a client's state for one resource (access revoked or expired). */
  forgetResource(client: string, resource: string): void {
    this.#mappings.get(client)?.removeResource(resource);
    this.#counters.flowsForgotten += this.#translator.flows.removeWhere(
      client,
      (flow) => flow.resource === resource,
    );
    this.#resolutions.forgetResource(client, resource);
    this.#dropReplies((reply) => reply.client === client && reply.resource === resource);
  }

  /** Flows currently in the table, over all clients. */
  get flowCount(): number {
    return this.#translator.flows.size;
  }

  counters(): GatewayDnsNatCounters {
    return { ...this.#counters };
  }

  #applyResolved(): void {
    for (let setup = this.#resolutions.pollResolved(); setup !== undefined; ) {
      const { client, resource, domain, proxyIps, v4, v6 } = setup;
      let mappings = this.#mappings.get(client);
      if (mappings?.reassigned(proxyIps, resource, domain)) {
        this.#counters.clientResets++;
        this.#counters.flowsForgotten += this.#translator.flows.removeWhere(client, () => true);
        mappings = undefined;
      }
      if (mappings === undefined) {
        mappings = new ProxyMappings();
        this.#mappings.set(client, mappings);
      }
      mappings.install(proxyIps, resource, domain, v4, v6);
      this.#reply(client, resource, domain, v4.length + v6.length > 0 ? "Active" : "Inactive");
      setup = this.#resolutions.pollResolved();
    }
  }

  #reply(client: string, resource: string, domain: string, status: NatStatus): void {
    if (status === "Active") this.#counters.setupsActive++;
    else this.#counters.setupsInactive++;
    this.#statuses.push({ client, resource, domain, status });
  }

  #dropReplies(matches: (reply: DomainStatusReply) => boolean): void {
    const kept = this.#statuses.filter((reply) => !matches(reply));
    this.#statuses.splice(0, this.#statuses.length, ...kept);
  }
}

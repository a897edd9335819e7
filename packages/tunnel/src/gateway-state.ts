import {
  GatewayDnsNat,
  type GatewayDnsNatCounters,
  isProxyIp,
  type NamePattern,
  type NatDropReason,
  type ResolveRequest,
} from "@fz/dns-nat";
import {
  buildDestinationUnreachable,
  buildDomainStatus,
  decodeP2pEvent,
  formatIpAddress,
  type IpAddress,
  type IpPacket,
  isP2pControl,
  isWireError,
  P2pControlPacket,
  parseIpPacket,
} from "@fz/ip-packet";
import type { Device, Endpoint, Peer } from "@fz/wireguard";
import { type CoreOptions, createDevice } from "./core-options.ts";
import { DropCounter } from "./drop-counter.ts";
import type { TunnelEvent } from "./events.ts";
import type { GatewayDnsResource } from "./gateway-dns-resource.ts";
import { type IpNetwork, networkContains, sameAddress } from "./ip-network.ts";
import {
  type DropCounts,
  type DropReason,
  NONE,
  type Transmit,
  type TunnelOutput,
} from "./output.ts";
import { type PeerStatus, peerStatus } from "./peer-status.ts";
import { PeerWatch } from "./peer-watch.ts";
import { SealQueue } from "./seal-queue.ts";

/** A resource behind the gateway. */
export interface GatewayResource {
  readonly id: string;
  readonly network: IpNetwork;
}

/** A client the gateway lets in, and what it may reach. */
export interface ClientAuthorization {
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly tunnelIpv4: number;
  readonly tunnelIpv6: Uint8Array;
  /** Ids of the resources this client may use. */
  readonly resources: readonly string[];
  readonly presharedKey?: Uint8Array;
}

export interface GatewayStateConfig {
  readonly privateKey: Uint8Array;
  /** CIDR resources. */
  readonly resources: readonly GatewayResource[];
  /** DNS resources; clients name them in `resources` like CIDR ones. */
  readonly dnsResources?: readonly GatewayDnsResource[];
  readonly clients: readonly ClientAuthorization[];
}

export interface GatewayStats {
  readonly drops: Readonly<DropCounts>;
  readonly wireguardErrors: Readonly<Record<string, number>>;
  /** Packets refused by policy and answered with ICMP "administratively prohibited". */
  readonly prohibited: number;
  /** The DNS-resource NAT's running totals (set-ups, lookups, translations, flows). */
  readonly dnsNat: GatewayDnsNatCounters;
  /** DNS-resource NAT flows open now. */
  readonly dnsNatFlows: number;
  readonly clients: readonly {
    readonly id: string;
    readonly endpoint: Endpoint | undefined;
    readonly hasSession: boolean;
    readonly txBytes: number;
    readonly rxBytes: number;
  }[];
}

interface Client {
  readonly config: ClientAuthorization;
  readonly peer: Peer;
  readonly watch: PeerWatch;
  readonly allowed: readonly IpNetwork[];
  /** The DNS resources it may use, by id. */
  readonly dnsResources: ReadonlyMap<string, NamePattern>;
  /** Where its last authenticated datagram came from; replies go there (roaming). */
  endpoint: Endpoint | undefined;
  /** `now` when its session state was last looked at for events. */
  watchedAt: number;
}

/**
 * The gateway's sans-IO core (connlib's `GatewayState`). A decrypted packet goes to the TUN
 * device only when its source is the sending client's tunnel address and its destination lies
 * in a resource that client may use; a spoofed source is dropped, a destination it may not use
 * is answered with ICMP destination unreachable, administratively prohibited (v4 code 13,
 * v6 code 1). Packets from the resources go back to the client whose tunnel address they are
 * for, from the endpoint it last used.
 *
 * DNS resources: a client's AssignedIps (p2p control) for a name it may use starts lookups,
 * which the shell runs (`pollResolve`, `handleResolved`); the client is answered DomainStatus.
 * Packets to proxy IPs are translated by the DNS NAT to the name's real addresses and back,
 * or answered ICMP unreachable from the proxy IP; the CIDR policy does not apply to them.
 */
export class GatewayState {
  readonly #device: Device;
  readonly #clients: Client[] = [];
  readonly #byPeer = new Map<Peer, Client>();
  readonly #byIpv4 = new Map<number, Client>();
  /** Clients by the last 4 bytes of their IPv6 tunnel address; a hit is confirmed in full. */
  readonly #byIpv6Tail = new Map<number, Client[]>();
  readonly #byId = new Map<string, Client>();
  readonly #dnsNat = new GatewayDnsNat();
  readonly #events: TunnelEvent[] = [];
  readonly #counts = new DropCounter();
  readonly #own = new SealQueue<Client>((client) => client.endpoint, this.#counts);
  readonly #emit = (event: TunnelEvent) => this.#events.push(event);
  #prohibited = 0;

  constructor(config: GatewayStateConfig, options: CoreOptions, now: number) {
    this.#device = createDevice(config.privateKey, options);
    const resources = new Map(config.resources.map((resource) => [resource.id, resource]));
    const dnsResources = new Map(
      (config.dnsResources ?? []).map((resource) => [resource.id, resource.pattern]),
    );
    for (const authorization of config.clients) {
      const peer = this.#device.addPeer(
        {
          publicKey: authorization.publicKey,
          ...(authorization.presharedKey === undefined
            ? {}
            : { presharedKey: authorization.presharedKey }),
        },
        now,
      );
      const allowed = authorization.resources.flatMap((id) => {
        const resource = resources.get(id);
        return resource === undefined ? [] : [resource.network];
      });
      const client: Client = {
        config: authorization,
        peer,
        watch: new PeerWatch(authorization.id, peer),
        allowed,
        dnsResources: new Map(
          authorization.resources.flatMap((id): [string, NamePattern][] => {
            const pattern = dnsResources.get(id);
            return pattern === undefined ? [] : [[id, pattern]];
          }),
        ),
        endpoint: undefined,
        watchedAt: Number.NEGATIVE_INFINITY,
      };
      this.#clients.push(client);
      this.#byPeer.set(peer, client);
      this.#byIpv4.set(authorization.tunnelIpv4, client);
      const tail = ipv6Tail(authorization.tunnelIpv6);
      const sharing = this.#byIpv6Tail.get(tail);
      if (sharing === undefined) this.#byIpv6Tail.set(tail, [client]);
      else sharing.push(client);
      this.#byId.set(authorization.id, client);
    }
  }

  /** A datagram from a client; `out` receives the decrypted packet. */
  handleDatagram(from: Endpoint, datagram: Uint8Array, out: Uint8Array, now: number): TunnelOutput {
    const result = this.#device.decapsulate(from, datagram, out, now);
    switch (result.type) {
      case "write-to-tunnel-v4":
      case "write-to-tunnel-v6": {
        const client = this.#byPeer.get(result.peer);
        if (client === undefined) return this.#counts.drop("unknown-client");
        client.endpoint = from;
        // The responder's session is confirmed by the first data; look at most once a second.
        if (now - client.watchedAt >= 1000) {
          client.watchedAt = now;
          client.watch.check(now, this.#emit);
        }
        return this.#fromClient(client, result.packet, now);
      }
      case "write-to-network":
        this.#learnEndpoint(result.peer, from, now);
        return { kind: "transmit", to: from, datagram: result.packet };
      case "done":
        this.#learnEndpoint(result.peer, from, now);
        return NONE;
      case "error":
        this.#counts.wireguardError(result.error);
        return NONE;
    }
  }

  /**
   * A packet from the resource side of the TUN device, for a client. For sealing in place,
   * pass it at `out[16]`.
   */
  handleTunPacket(packet: Uint8Array, out: Uint8Array, now: number): TunnelOutput {
    const parsed = parseIpPacket(packet);
    if (isWireError(parsed)) return this.#counts.drop("malformed-packet");
    // Without flows the NAT has nothing to match: CIDR traffic skips its lookup.
    if (this.#dnsNat.flowCount > 0) {
      const nat = this.#dnsNat.translateInbound(parsed, now);
      if (nat.kind === "translated") {
        const client = this.#byId.get(nat.client);
        if (client === undefined) return this.#counts.drop("unknown-client");
        return this.#seal(client, packet, out, now);
      }
      if (nat.kind === "dropped") return this.#counts.drop(natDropReason(nat.reason));
    }
    const client = this.#clientFor(parsed.dst);
    if (client === undefined) return this.#counts.drop("unknown-client");
    if (!allows(client, parsed.src)) return this.#counts.drop("not-allowed");
    return this.#seal(client, packet, out, now);
  }

  /** The next name lookup for the shell to run with the gateway's resolver. */
  pollResolve(): ResolveRequest | undefined {
    return this.#dnsNat.pollResolve();
  }

  /**
   * The answer to a `pollResolve` lookup: the name's addresses of the asked family (none is an
   * empty list), or "failed" (NXDOMAIN, SERVFAIL, no answer).
   */
  handleResolved(id: number, addresses: readonly IpAddress[] | "failed", now: number): void {
    this.#dnsNat.handleResolved(id, addresses, now);
    this.#sendDomainStatuses();
  }

  handleTimeout(now: number): void {
    this.#device.handleTimeout(now);
    this.#dnsNat.handleTimeout(now);
    this.#sendDomainStatuses();
    for (const client of this.#clients) client.watch.check(now, this.#emit);
  }

  pollTimeout(): number | undefined {
    const device = this.#device.pollTimeout();
    const nat = this.#dnsNat.pollTimeout();
    if (device === undefined) return nat;
    if (nat === undefined) return device;
    return Math.min(device, nat);
  }

  /**
   * The next datagram waiting to go out (DomainStatus, ICMP errors, handshakes, keepalives,
   * staged packets), written into `out`: pass room for the largest datagram.
   */
  pollTransmit(out: Uint8Array, now: number): Transmit | undefined {
    const own = this.#own.poll(out, now);
    if (own !== undefined) return own;
    for (let result = this.#device.pollTransmit(out, now); result !== undefined; ) {
      if (result.type === "write-to-network") {
        const client = result.peer === undefined ? undefined : this.#byPeer.get(result.peer);
        if (client?.endpoint !== undefined) {
          return { to: client.endpoint, datagram: result.packet };
        }
      } else if (result.type === "error") {
        this.#counts.wireguardError(result.error);
      }
      result = this.#device.pollTransmit(out, now);
    }
    return undefined;
  }

  pollEvent(): TunnelEvent | undefined {
    return this.#events.shift();
  }

  stats(): GatewayStats {
    return {
      ...this.#counts.snapshot(),
      prohibited: this.#prohibited,
      dnsNat: this.#dnsNat.counters(),
      dnsNatFlows: this.#dnsNat.flowCount,
      clients: this.#clients.map((client) => {
        const stats = client.peer.stats();
        return {
          id: client.config.id,
          endpoint: client.endpoint,
          hasSession: stats.hasSession,
          txBytes: stats.txBytes,
          rxBytes: stats.rxBytes,
        };
      }),
    };
  }

  /** Each client's peer as `wg show` describes it: key, endpoint, handshake age, transfer. */
  peers(now: number): PeerStatus[] {
    return this.#clients.map((client) =>
      peerStatus(
        {
          id: client.config.id,
          peer: client.peer,
          presharedKey: client.config.presharedKey,
          endpoint: client.endpoint,
          allowedIps: [
            `${formatIpAddress(client.config.tunnelIpv4)}/32`,
            `${formatIpAddress(client.config.tunnelIpv6)}/128`,
          ],
        },
        now,
      ),
    );
  }

  #fromClient(client: Client, packet: Uint8Array, now: number): TunnelOutput {
    const parsed = parseIpPacket(packet);
    if (isWireError(parsed)) return this.#counts.drop("malformed-packet");
    if (isP2pControl(parsed)) return this.#control(client, parsed, now);
    const own = parsed.version === 4 ? client.config.tunnelIpv4 : client.config.tunnelIpv6;
    if (!sameAddress(parsed.src, own)) return this.#counts.drop("wrong-source");
    const dst = parsed.dst;
    if (isProxyIp(dst)) return this.#toProxyIp(client, parsed, now);
    if (!allows(client, dst)) {
      this.#prohibit(client, parsed);
      return this.#counts.drop("not-allowed");
    }
    return { kind: "tun", packet };
  }

  /** A p2p control packet from a client: AssignedIps sets up the NAT, Goodbye forgets it. */
  #control(client: Client, parsed: IpPacket, now: number): TunnelOutput {
    const control = P2pControlPacket.checked(parsed);
    if (isWireError(control)) return this.#counts.drop("control");
    const event = decodeP2pEvent(control);
    if (isWireError(event)) return this.#counts.drop("control");
    switch (event.type) {
      case "AssignedIps": {
        const allowed = client.dnsResources.get(event.resource)?.matches(event.domain) === true;
        this.#dnsNat.handleAssignedIps(client.config.id, event, allowed, now);
        this.#sendDomainStatuses();
        return NONE;
      }
      case "Goodbye":
        this.#dnsNat.forgetClient(client.config.id);
        return NONE;
      default:
        return this.#counts.drop("control");
    }
  }

  #toProxyIp(client: Client, packet: IpPacket, now: number): TunnelOutput {
    const result = this.#dnsNat.translateOutbound(client.config.id, packet, now);
    switch (result.kind) {
      case "translated":
        return { kind: "tun", packet: packet.bytes };
      case "unreachable":
        if (result.reply !== undefined) this.#sendTo(client, result.reply);
        return this.#counts.drop("no-route");
      case "dropped":
        return this.#counts.drop(natDropReason(result.reason));
      case "passthrough":
        return this.#counts.drop("no-route");
    }
  }

  #sendDomainStatuses(): void {
    for (let reply = this.#dnsNat.pollDomainStatus(); reply !== undefined; ) {
      const client = this.#byId.get(reply.client);
      const packet = buildDomainStatus(reply);
      if (client !== undefined && !isWireError(packet)) this.#sendTo(client, packet);
      reply = this.#dnsNat.pollDomainStatus();
    }
  }

  #prohibit(client: Client, offending: IpPacket): void {
    const error = buildDestinationUnreachable(offending, "prohibited");
    if (isWireError(error) || client.endpoint === undefined) return;
    this.#prohibited++;
    this.#sendTo(client, error);
  }

  /** Queues a packet of the gateway's own for a client; `pollTransmit` seals it. */
  #sendTo(client: Client, packet: Uint8Array): void {
    this.#own.push(client, packet);
  }

  #seal(client: Client, packet: Uint8Array, out: Uint8Array, now: number): TunnelOutput {
    const to = client.endpoint;
    if (to === undefined) return this.#counts.drop("unknown-client");
    const result = client.peer.encapsulate(packet, out, now);
    if (result.type === "write-to-network")
      return { kind: "transmit", to, datagram: result.packet };
    return result.type === "error" ? this.#counts.sealFailed(result.error) : NONE;
  }

  #clientFor(address: IpAddress): Client | undefined {
    if (typeof address === "number") return this.#byIpv4.get(address);
    const sharing = this.#byIpv6Tail.get(ipv6Tail(address));
    if (sharing === undefined) return undefined;
    for (const client of sharing) if (sameAddress(client.config.tunnelIpv6, address)) return client;
    return undefined;
  }

  #learnEndpoint(peer: Peer | undefined, from: Endpoint, now: number): void {
    const client = peer === undefined ? undefined : this.#byPeer.get(peer);
    if (client === undefined) return;
    client.endpoint = from;
    client.watch.check(now, this.#emit);
  }
}

/** How the NAT's reasons for dropping a packet show in `stats().drops`. */
function natDropReason(reason: NatDropReason): DropReason {
  return reason === "malformed" || reason === "rewrite-failed" ? "malformed-packet" : "no-route";
}

/** The last 4 bytes of an IPv6 address as a u32: where tunnel addresses differ. */
function ipv6Tail(address: Uint8Array): number {
  return (
    (((address[12] ?? 0) << 24) |
      ((address[13] ?? 0) << 16) |
      ((address[14] ?? 0) << 8) |
      (address[15] ?? 0)) >>>
    0
  );
}

function allows(client: Client, address: IpAddress): boolean {
  for (const network of client.allowed) if (networkContains(network, address)) return true;
  return false;
}

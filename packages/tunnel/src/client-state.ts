import {
  ClientDnsResourceNat,
  type DnsResource,
  type NatKey,
  type ProxyIps,
  type Sentinel,
  type StubResolverCounters,
  type Upstream,
} from "@fz/dns-nat";
import {
  buildAssignedIps,
  buildDestinationUnreachable,
  decodeP2pEvent,
  formatIpAddress,
  type IpAddress,
  type IpPacket,
  isP2pControl,
  isWireError,
  P2pControlPacket,
  parseIpPacket,
} from "@fz/ip-packet";
import {
  type Device,
  defaultRandom,
  type Endpoint,
  type Peer,
  type TunnResult,
} from "@fz/wireguard";
import { ClientDns, type DnsQuery } from "./client-dns.ts";
import { type CoreOptions, createDevice } from "./core-options.ts";
import { DNS_PROXY_V4_RANGE, DNS_PROXY_V6_RANGE } from "./dns-ranges.ts";
import { DropCounter } from "./drop-counter.ts";
import type { TunnelEvent } from "./events.ts";
import { formatIpNetwork, type IpNetwork, sameAddress } from "./ip-network.ts";
import { type DropCounts, NONE, type Transmit, type TunnelOutput } from "./output.ts";
import { type PeerStatus, peerStatus } from "./peer-status.ts";
import { PeerWatch } from "./peer-watch.ts";
import { RoutingTable } from "./routing-table.ts";
import { SealQueue } from "./seal-queue.ts";

/** A gateway the client has a WireGuard peer for. */
export interface ClientGateway {
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly endpoint: Endpoint;
  readonly presharedKey?: Uint8Array;
  readonly persistentKeepaliveSeconds?: number;
}

/** An address range reached through one gateway. */
export interface CidrResource {
  readonly id: string;
  readonly network: IpNetwork;
  readonly gateway: string;
}

export interface ClientStateConfig {
  readonly privateKey: Uint8Array;
  /** Our tunnel addresses: a u32 from 100.64.0.0/11 and 16 bytes from fd00:2021:1111::/107. */
  readonly tunnelIpv4: number;
  readonly tunnelIpv6: Uint8Array;
  readonly gateways: readonly ClientGateway[];
  readonly resources: readonly CidrResource[];
  /** Names answered with proxy IPs and reached through a gateway's DNS-resource NAT. */
  readonly dnsResources?: readonly DnsResource[];
  /** DNS servers for every other name, in order: upstream `i` sits behind sentinel `i`. */
  readonly upstreamDns?: readonly Upstream[];
}

export interface ClientStats {
  readonly drops: Readonly<DropCounts>;
  readonly wireguardErrors: Readonly<Record<string, number>>;
  readonly gateways: readonly {
    readonly id: string;
    readonly hasSession: boolean;
    readonly stagedPackets: number;
    readonly txBytes: number;
    readonly rxBytes: number;
  }[];
  readonly dns: StubResolverCounters;
  /** Packets to proxy IPs dropped because a NAT's set-up buffer was full. */
  readonly dnsNatDropped: number;
  /** Packets that ever waited for a DNS resource's NAT to be set up. */
  readonly dnsNatBuffered: number;
}

/** Packets a gateway's peer keeps while its handshake runs (Firezone: 128 per connecting peer). */
export const MAX_STAGED_PACKETS_PER_GATEWAY = 128;

interface GatewayPeer {
  readonly config: ClientGateway;
  readonly peer: Peer;
  readonly watch: PeerWatch;
}

/**
 * The client's sans-IO core (connlib's `ClientState`). Packets from the TUN device go to the
 * gateway of the resource that contains their destination, sealed in place; datagrams from the
 * gateways come back as packets for the TUN device once their source is one of that gateway's
 * resources and their destination is us. While a gateway's handshake runs its peer keeps up to
 * 128 packets. No clock, no sockets: the shell passes `now` and drains the `poll*` methods
 * after every call.
 */
export class ClientState {
  readonly #config: ClientStateConfig;
  readonly #device: Device;
  readonly #gateways = new Map<string, GatewayPeer>();
  readonly #byPeer = new Map<Peer, GatewayPeer>();
  readonly #routes = new RoutingTable<{ resource: CidrResource; gateway: GatewayPeer }>();
  readonly #packets: Uint8Array[] = [];
  readonly #dns: ClientDns;
  readonly #nat = new ClientDnsResourceNat<Uint8Array>();
  /** One NAT key per name's proxy IPs (they live as long as the process): none built per packet. */
  readonly #natKeys = new Map<ProxyIps, NatKey>();
  readonly #events: TunnelEvent[] = [];
  readonly #counts = new DropCounter();
  readonly #own = new SealQueue<GatewayPeer>((gateway) => gateway.config.endpoint, this.#counts);
  readonly #emit = (event: TunnelEvent) => this.#events.push(event);

  constructor(config: ClientStateConfig, options: CoreOptions, now: number) {
    this.#config = config;
    this.#dns = new ClientDns(
      config.dnsResources ?? [],
      config.upstreamDns ?? [],
      options.random ?? defaultRandom,
      (packet) => this.#packets.push(packet),
    );
    this.#device = createDevice(config.privateKey, options, MAX_STAGED_PACKETS_PER_GATEWAY);
    for (const gateway of config.gateways) {
      const peer = this.#device.addPeer(
        {
          publicKey: gateway.publicKey,
          ...(gateway.presharedKey === undefined ? {} : { presharedKey: gateway.presharedKey }),
          ...(gateway.persistentKeepaliveSeconds === undefined
            ? {}
            : { persistentKeepaliveSeconds: gateway.persistentKeepaliveSeconds }),
        },
        now,
      );
      const entry = { config: gateway, peer, watch: new PeerWatch(gateway.id, peer) };
      this.#gateways.set(gateway.id, entry);
      this.#byPeer.set(peer, entry);
    }
    for (const resource of config.resources) {
      const gateway = this.#gateways.get(resource.gateway);
      if (gateway !== undefined) this.#routes.add(resource.network, { resource, gateway });
    }
  }

  /**
   * A packet read from the TUN device. For sealing in place, pass the packet at `out[16]`;
   * any other `out` with room for the largest datagram works too (right after a handshake, an
   * older packet staged for it is sealed first).
   */
  handleTunPacket(packet: Uint8Array, out: Uint8Array, now: number): TunnelOutput {
    const parsed = parseIpPacket(packet);
    if (isWireError(parsed)) return this.#counts.drop("malformed-packet");
    const ours = parsed.version === 4 ? this.#config.tunnelIpv4 : this.#config.tunnelIpv6;
    if (!sameAddress(parsed.src, ours)) return this.#counts.drop("wrong-source");
    const dst = parsed.dst;
    // The proxy and sentinel ranges are the client's own: no CIDR resource can claim them.
    const proxyIps = this.#dns.proxyIpsOf(dst);
    if (proxyIps !== undefined) return this.#toProxyIp(packet, parsed, proxyIps, out, now);
    const sentinel = this.#dns.sentinelOf(parsed);
    if (sentinel !== undefined && this.#toSentinel(parsed, sentinel, now)) return NONE;
    const route = sentinel === undefined ? this.#routes.lookup(dst) : undefined;
    if (route === undefined) {
      this.#answerUnreachable(parsed);
      return this.#counts.drop("no-route");
    }
    const gateway = route.gateway;
    return this.#toNetwork(gateway.peer.encapsulate(packet, out, now), gateway.config.endpoint);
  }

  /** A message from an upstream DNS server, arrived on the shell's socket from `upstream`. */
  handleDnsResponse(upstream: Upstream, response: Uint8Array, now: number): void {
    this.#dns.handleUpstreamResponse(upstream, response, now);
  }

  /** The next query for an upstream DNS server: the shell sends it from its own UDP socket. */
  pollDnsQuery(): DnsQuery | undefined {
    return this.#dns.pollQuery();
  }

  /**
   * The sentinel addresses the operating system should use as its DNS servers: one per
   * upstream of each family (one even with no upstream, so DNS resources still resolve).
   */
  dnsServers(): { readonly ipv4: readonly number[]; readonly ipv6: readonly Uint8Array[] } {
    return this.#dns.servers();
  }

  /** A datagram from the UDP socket; `out` receives the decrypted packet. */
  handleDatagram(from: Endpoint, datagram: Uint8Array, out: Uint8Array, now: number): TunnelOutput {
    const result = this.#device.decapsulate(from, datagram, out, now);
    switch (result.type) {
      case "write-to-tunnel-v4":
      case "write-to-tunnel-v6":
        return this.#fromGateway(result.packet, result.peer, now);
      case "write-to-network":
        this.#watch(result.peer, now);
        return { kind: "transmit", to: from, datagram: result.packet };
      case "done":
        this.#watch(result.peer, now);
        return NONE;
      case "error":
        this.#counts.wireguardError(result.error);
        return NONE;
    }
  }

  handleTimeout(now: number): void {
    this.#device.handleTimeout(now);
    this.#dns.handleTimeout(now);
    for (const gateway of this.#gateways.values()) gateway.watch.check(now, this.#emit);
  }

  /** The earliest `now` at which `handleTimeout` has work. */
  pollTimeout(): number | undefined {
    const device = this.#device.pollTimeout();
    const dns = this.#dns.pollTimeout();
    if (device === undefined) return dns;
    return dns === undefined ? device : Math.min(device, dns);
  }

  /**
   * The next datagram waiting to go out (p2p control, released packets, handshakes, keepalives,
   * staged packets), written into `out`: pass room for the largest datagram.
   */
  pollTransmit(out: Uint8Array, now: number): Transmit | undefined {
    const own = this.#own.poll(out, now);
    if (own !== undefined) return own;
    for (let result = this.#device.pollTransmit(out, now); result !== undefined; ) {
      if (result.type === "write-to-network") {
        const gateway = result.peer === undefined ? undefined : this.#byPeer.get(result.peer);
        if (gateway !== undefined) {
          gateway.watch.check(now, this.#emit);
          return { to: gateway.config.endpoint, datagram: result.packet };
        }
      } else if (result.type === "error") {
        this.#counts.wireguardError(result.error);
      }
      result = this.#device.pollTransmit(out, now);
    }
    return undefined;
  }

  /** The next packet the core made for the TUN device (DNS answers, ICMP errors), in a buffer of its own. */
  pollPacket(): Uint8Array | undefined {
    return this.#packets.shift();
  }

  pollEvent(): TunnelEvent | undefined {
    return this.#events.shift();
  }

  stats(): ClientStats {
    return {
      ...this.#counts.snapshot(),
      gateways: [...this.#gateways.values()].map(({ config, peer }) => {
        const stats = peer.stats();
        return {
          id: config.id,
          hasSession: stats.hasSession,
          stagedPackets: stats.stagedPackets,
          txBytes: stats.txBytes,
          rxBytes: stats.rxBytes,
        };
      }),
      dns: this.#dns.counters,
      dnsNatDropped: this.#nat.dropped,
      dnsNatBuffered: this.#nat.bufferedTotal,
    };
  }

  /** Each gateway's peer as `wg show` describes it: key, endpoint, handshake age, transfer. */
  peers(now: number): PeerStatus[] {
    return [...this.#gateways.values()].map(({ config, peer }) => {
      const cidrs = this.#config.resources
        .filter((resource) => resource.gateway === config.id)
        .map((resource) => formatIpNetwork(resource.network));
      const servesNames = (this.#config.dnsResources ?? []).some((r) => r.gateway === config.id);
      return peerStatus(
        {
          id: config.id,
          peer,
          presharedKey: config.presharedKey,
          endpoint: config.endpoint,
          allowedIps: servesNames
            ? [...cidrs, formatIpNetwork(DNS_PROXY_V4_RANGE), formatIpNetwork(DNS_PROXY_V6_RANGE)]
            : cidrs,
        },
        now,
      );
    });
  }

  #fromGateway(packet: Uint8Array, peer: Peer, now: number): TunnelOutput {
    const gateway = this.#byPeer.get(peer);
    const parsed = parseIpPacket(packet);
    if (gateway === undefined || isWireError(parsed)) return this.#counts.drop("malformed-packet");
    if (isP2pControl(parsed)) return this.#handleControl(parsed, gateway, now);
    if (this.#gatewayOf(parsed.src) !== gateway) return this.#counts.drop("wrong-source");
    const ours = parsed.version === 4 ? this.#config.tunnelIpv4 : this.#config.tunnelIpv6;
    if (!sameAddress(parsed.dst, ours)) return this.#counts.drop("wrong-destination");
    return { kind: "tun", packet };
  }

  /** The gateway a packet from `source` may come from: a CIDR resource's or a DNS resource's. */
  #gatewayOf(source: IpAddress): GatewayPeer | undefined {
    const route = this.#routes.lookup(source);
    if (route !== undefined) return route.gateway;
    const proxyIps = this.#dns.proxyIpsOf(source);
    const resource = proxyIps === undefined ? undefined : this.#dns.resourceOf(proxyIps);
    return resource === undefined ? undefined : this.#gateways.get(resource.gateway);
  }

  /** A query to a sentinel; false when it is not DNS (UDP or TCP to port 53), which the caller refuses. */
  #toSentinel(packet: IpPacket, sentinel: Sentinel, now: number): boolean {
    const result = this.#dns.handlePacket(packet, sentinel, now);
    if (result.kind === "not-dns") return false;
    for (const query of result.resourceQueries) {
      const key = { gateway: query.gateway, domain: query.name, resource: query.resource };
      this.#nat.handleQuery(key, query.proxyIps, now);
    }
    if (result.resourceQueries.length > 0) this.#drainNat();
    return true;
  }

  #toProxyIp(
    bytes: Uint8Array,
    packet: IpPacket,
    proxyIps: ProxyIps,
    out: Uint8Array,
    now: number,
  ): TunnelOutput {
    const resource = this.#dns.resourceOf(proxyIps);
    const gateway = resource === undefined ? undefined : this.#gateways.get(resource.gateway);
    if (resource === undefined || gateway === undefined) {
      this.#answerUnreachable(packet);
      return this.#counts.drop("no-route");
    }
    let key = this.#natKeys.get(proxyIps);
    if (key === undefined) {
      key = { gateway: gateway.config.id, domain: proxyIps.name, resource: resource.id };
      this.#natKeys.set(proxyIps, key);
    }
    // Only a NAT being set up keeps the packet (a copy: `bytes` is the shell's buffer).
    const verdict = this.#nat.handlePacket(key, proxyIps, packet.bytes, now, copyPacket);
    let output = NONE;
    if (verdict === "send") {
      output = this.#toNetwork(gateway.peer.encapsulate(bytes, out, now), gateway.config.endpoint);
    } else if (verdict === "unreachable") {
      this.#answerUnreachable(packet);
    }
    this.#drainNat();
    return output;
  }

  /** A p2p control packet from a gateway: the answer to AssignedIps, or its Goodbye. */
  #handleControl(packet: IpPacket, gateway: GatewayPeer, now: number): TunnelOutput {
    const control = P2pControlPacket.checked(packet);
    const event = isWireError(control) ? control : decodeP2pEvent(control);
    if (isWireError(event)) return this.#counts.drop("control");
    switch (event.type) {
      case "DomainStatus":
        this.#nat.handleDomainStatus(
          { gateway: gateway.config.id, domain: event.domain, resource: event.resource },
          event.status === "Active",
          now,
        );
        this.#drainNat();
        return NONE;
      case "Goodbye":
        this.#nat.forgetGateway(gateway.config.id);
        return NONE;
      case "AssignedIps":
      case "Unknown":
        return this.#counts.drop("control");
    }
  }

  /** Sends what the DNS-resource NAT asked for: AssignedIps, released packets, ICMP errors. */
  #drainNat(): void {
    for (
      let request = this.#nat.pollAssignedIps();
      request;
      request = this.#nat.pollAssignedIps()
    ) {
      const packet = buildAssignedIps({
        resource: request.key.resource,
        domain: request.key.domain,
        proxyIps: [...request.proxyIps.ipv4, ...request.proxyIps.ipv6].map(formatIpAddress),
      });
      if (!isWireError(packet)) this.#queueFor(request.key.gateway, packet);
    }
    for (let flushed = this.#nat.pollFlushed(); flushed; flushed = this.#nat.pollFlushed()) {
      this.#queueFor(flushed.key.gateway, flushed.packet);
    }
    for (let packet = this.#nat.pollUnreachable(); packet; packet = this.#nat.pollUnreachable()) {
      const parsed = parseIpPacket(packet);
      if (!isWireError(parsed)) this.#answerUnreachable(parsed);
    }
  }

  /** Queues a packet of the client's own for a gateway; `pollTransmit` seals it. */
  #queueFor(gatewayId: string, packet: Uint8Array): void {
    const gateway = this.#gateways.get(gatewayId);
    if (gateway !== undefined) this.#own.push(gateway, packet);
  }

  #toNetwork(result: TunnResult, to: Endpoint): TunnelOutput {
    if (result.type === "write-to-network")
      return { kind: "transmit", to, datagram: result.packet };
    return result.type === "error" ? this.#counts.sealFailed(result.error) : NONE;
  }

  #answerUnreachable(offending: IpPacket): void {
    const error = buildDestinationUnreachable(offending, "unreachable");
    if (!isWireError(error)) this.#packets.push(error);
  }

  #watch(peer: Peer | undefined, now: number): void {
    if (peer !== undefined) this.#byPeer.get(peer)?.watch.check(now, this.#emit);
  }
}

function copyPacket(packet: Uint8Array): Uint8Array {
  return packet.slice();
}

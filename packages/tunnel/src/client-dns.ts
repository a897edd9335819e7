import {
  type DnsResource,
  ProxyIpAllocator,
  type ProxyIps,
  type RandomSource,
  type ResourceQuery,
  type Sentinel,
  StubResolver,
  type StubResolverCounters,
  sentinelAddresses,
  sentinelIndexV4,
  sentinelIndexV6,
  type Upstream,
} from "@fz/dns-nat";
import {
  asUdp,
  buildUdpPacket,
  IPV6_FIELD,
  type IpAddress,
  type IpPacket,
  isWireError,
} from "@fz/ip-packet";

/** A query for an upstream DNS server: the shell sends `query` over its own UDP socket. */
export interface DnsQuery {
  readonly upstream: Upstream;
  readonly query: Uint8Array;
}

/** What a packet to a sentinel address came to. */
export type SentinelPacketResult =
  /** Not UDP to port 53 (DNS over TCP is not served): answer it with ICMP unreachable. */
  | { readonly kind: "not-dns" }
  /** Answered, forwarded or dropped by the resolver; `resourceQuery` when a resource name was answered. */
  | { readonly kind: "handled"; readonly resourceQuery: ResourceQuery | undefined };

const DNS_PORT = 53;

/** Who asked: the application's address and port, and the sentinel it asked. */
interface Asker {
  readonly client: IpAddress;
  readonly clientPort: number;
  readonly server: IpAddress;
}

/**
 * The client's DNS front: queries to the sentinel addresses go to a `StubResolver`, whose
 * answers become UDP packets for the TUN device (handed to `reply`), whose forwards wait in
 * `pollQuery` for the shell. With no upstream configured, the first sentinel still answers for
 * DNS resources (and SERVFAIL for the rest), so they work without a system resolver.
 */
export class ClientDns {
  /** Shared by the resolver (answers) and the packet path (destinations). */
  readonly allocator = new ProxyIpAllocator();
  readonly #resolver: StubResolver<Asker>;
  readonly #sentinelCount: number;
  readonly #reply: (packet: Uint8Array) => void;
  readonly #queries: DnsQuery[] = [];
  readonly #resourceOf = new Map<ProxyIps, DnsResource | undefined>();

  constructor(
    resources: readonly DnsResource[],
    upstreams: readonly Upstream[],
    random: RandomSource,
    reply: (packet: Uint8Array) => void,
  ) {
    this.#resolver = new StubResolver({ resources, upstreams, allocator: this.allocator, random });
    this.#sentinelCount = Math.max(1, upstreams.length);
    this.#reply = reply;
  }

  /** The sentinel addresses to give the operating system as its DNS servers. */
  servers(): { readonly ipv4: readonly number[]; readonly ipv6: readonly Uint8Array[] } {
    return sentinelAddresses(this.#sentinelCount);
  }

  /** Which sentinel a packet is addressed to, if any. */
  sentinelOf(packet: IpPacket): Sentinel | undefined {
    const index =
      packet.version === 4
        ? sentinelIndexV4(packet.dst, this.#sentinelCount)
        : sentinelIndexV6(packet.bytes, this.#sentinelCount, IPV6_FIELD.DST);
    return index === undefined ? undefined : { family: packet.version, index };
  }

  /** A packet from the TUN device to `sentinel`. */
  handlePacket(packet: IpPacket, sentinel: Sentinel, now: number): SentinelPacketResult {
    const udp = asUdp(packet);
    if (isWireError(udp) || udp.dstPort !== DNS_PORT || packet.isFragment) {
      return { kind: "not-dns" };
    }
    const asker: Asker = {
      client: copyAddress(packet.src),
      clientPort: udp.srcPort,
      server: copyAddress(packet.dst),
    };
    const result = this.#resolver.handleQuery(udp.payload(), sentinel, now, asker);
    switch (result.kind) {
      case "answer":
        this.#answer(asker, result.response);
        return { kind: "handled", resourceQuery: result.resourceQuery };
      case "forward":
        this.#queries.push({ upstream: result.upstream, query: result.query });
        return { kind: "handled", resourceQuery: undefined };
      case "drop":
        return { kind: "handled", resourceQuery: undefined };
    }
  }

  /** A message from `upstream` on the shell's socket; an answer goes back to its asker. */
  handleUpstreamResponse(upstream: Upstream, response: Uint8Array, now: number): void {
    const result = this.#resolver.handleUpstreamResponse(response, upstream, now);
    if (result.kind === "deliver") this.#answer(result.token, result.response);
  }

  pollTimeout(): number | undefined {
    return this.#resolver.pollTimeout();
  }

  /** Expires forwards whose upstream stayed silent: their askers get SERVFAIL. */
  handleTimeout(now: number): void {
    this.#resolver.handleTimeout(now);
    for (
      let queued = this.#resolver.pollResponse();
      queued;
      queued = this.#resolver.pollResponse()
    ) {
      this.#answer(queued.token, queued.response);
    }
  }

  /** The next query for an upstream, oldest first. */
  pollQuery(): DnsQuery | undefined {
    return this.#queries.shift();
  }

  /** The DNS resource a name's proxy IPs stand for (resources do not change, so it is kept). */
  resourceOf(proxyIps: ProxyIps): DnsResource | undefined {
    if (this.#resourceOf.has(proxyIps)) return this.#resourceOf.get(proxyIps);
    const resource = this.#resolver.resourceFor(proxyIps.name);
    this.#resourceOf.set(proxyIps, resource);
    return resource;
  }

  /** The name a destination address is a proxy IP for. */
  proxyIpsOf(address: IpAddress): ProxyIps | undefined {
    return typeof address === "number"
      ? this.allocator.nameOfV4(address)
      : this.allocator.nameOfV6(address);
  }

  get counters(): StubResolverCounters {
    return this.#resolver.counters;
  }

  #answer(asker: Asker, response: Uint8Array): void {
    const packet = buildUdpPacket(
      { src: asker.server, dst: asker.client, srcPort: DNS_PORT, dstPort: asker.clientPort },
      response,
    );
    if (!isWireError(packet)) this.#reply(packet);
  }
}

function copyAddress(address: IpAddress): IpAddress {
  return typeof address === "number" ? address : address.slice();
}

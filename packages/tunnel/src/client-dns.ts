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
  asTcp,
  asUdp,
  buildUdpPacket,
  IPV6_FIELD,
  type IpAddress,
  type IpPacket,
  IpProtocol,
  isWireError,
} from "@fz/ip-packet";
import { DnsTcpResponder, type DnsTcpStream } from "./dns-tcp-responder.ts";

/** A query for an upstream DNS server: the shell sends `query` over its own UDP socket. */
export interface DnsQuery {
  readonly upstream: Upstream;
  readonly query: Uint8Array;
}

/** What a packet to a sentinel address came to. */
export type SentinelPacketResult =
  /** Not UDP or TCP to port 53: answer it with ICMP unreachable. */
  | { readonly kind: "not-dns" }
  /** Taken by the resolver (or the TCP responder); `resourceQueries` lists the resource names answered. */
  | { readonly kind: "handled"; readonly resourceQueries: readonly ResourceQuery[] };

const DNS_PORT = 53;

/** Who asked over UDP: the application's address and port, and the sentinel it asked. */
interface Asker {
  readonly client: IpAddress;
  readonly clientPort: number;
  readonly server: IpAddress;
}

/** Where an answer goes: a UDP asker, or a TCP connection to a sentinel. */
type Querier =
  | { readonly kind: "udp"; readonly asker: Asker }
  | { readonly kind: "tcp"; readonly stream: DnsTcpStream<Sentinel> };

/**
 * The client's DNS front: queries to the sentinel addresses go to a `StubResolver`, whose
 * answers become UDP packets for the TUN device (handed to `reply`), whose forwards wait in
 * `pollQuery` for the shell. DNS over TCP to port 53 is served by a `DnsTcpResponder`. With no upstream configured, the first sentinel still answers for
 * DNS resources (and SERVFAIL for the rest), so they work without a system resolver.
 */
export class ClientDns {
  /** Shared by the resolver (answers) and the packet path (destinations). */
  readonly #allocator = new ProxyIpAllocator();
  readonly #resolver: StubResolver<Querier>;
  readonly #tcp: DnsTcpResponder<Sentinel>;
  /** Resource names answered during the current `handlePacket`. */
  #resourceQueries: ResourceQuery[] = [];
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
    this.#resolver = new StubResolver({ resources, upstreams, allocator: this.#allocator, random });
    this.#sentinelCount = Math.max(1, upstreams.length);
    this.#reply = reply;
    this.#tcp = new DnsTcpResponder({
      random,
      send: reply,
      onQuery: (query, stream, now) => this.#tcpQuery(query, stream, now),
    });
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
    if (packet.isFragment) return { kind: "not-dns" };
    this.#resourceQueries = [];
    if (packet.protocol === IpProtocol.Tcp) {
      const tcp = asTcp(packet);
      if (isWireError(tcp) || tcp.dstPort !== DNS_PORT) return { kind: "not-dns" };
      this.#tcp.handleSegment(copyAddress(packet.src), copyAddress(packet.dst), tcp, sentinel, now);
      return { kind: "handled", resourceQueries: this.#resourceQueries };
    }
    const udp = asUdp(packet);
    if (isWireError(udp) || udp.dstPort !== DNS_PORT) return { kind: "not-dns" };
    const asker: Asker = {
      client: copyAddress(packet.src),
      clientPort: udp.srcPort,
      server: copyAddress(packet.dst),
    };
    const answer = this.#query(udp.payload(), sentinel, now, { kind: "udp", asker });
    if (answer !== undefined && answer !== "pending") this.#answerUdp(asker, answer);
    return { kind: "handled", resourceQueries: this.#resourceQueries };
  }

  /** A message from `upstream` on the shell's socket; an answer goes back to its asker. */
  handleUpstreamResponse(upstream: Upstream, response: Uint8Array, now: number): void {
    const result = this.#resolver.handleUpstreamResponse(response, upstream, now);
    if (result.kind === "deliver") this.#answer(result.token, result.response, now);
  }

  pollTimeout(): number | undefined {
    const resolver = this.#resolver.pollTimeout();
    const tcp = this.#tcp.pollTimeout();
    if (resolver === undefined) return tcp;
    return tcp === undefined ? resolver : Math.min(resolver, tcp);
  }

  /** Expires forwards whose upstream stayed silent (their askers get SERVFAIL); runs TCP timers. */
  handleTimeout(now: number): void {
    this.#resolver.handleTimeout(now);
    for (
      let queued = this.#resolver.pollResponse();
      queued;
      queued = this.#resolver.pollResponse()
    ) {
      this.#answer(queued.token, queued.response, now);
    }
    this.#tcp.handleTimeout(now);
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
      ? this.#allocator.nameOfV4(address)
      : this.#allocator.nameOfV6(address);
  }

  get counters(): StubResolverCounters {
    return this.#resolver.counters;
  }

  /** Runs a query through the resolver: the answer now, `"pending"` when forwarded, or nothing. */
  #query(
    query: Uint8Array,
    sentinel: Sentinel,
    now: number,
    querier: Querier,
  ): Uint8Array | "pending" | undefined {
    const result = this.#resolver.handleQuery(query, sentinel, now, querier);
    switch (result.kind) {
      case "answer":
        if (result.resourceQuery !== undefined) this.#resourceQueries.push(result.resourceQuery);
        return result.response;
      case "forward":
        this.#queries.push({ upstream: result.upstream, query: result.query });
        return "pending";
      case "drop":
        return undefined;
    }
  }

  #tcpQuery(
    query: Uint8Array,
    stream: DnsTcpStream<Sentinel>,
    now: number,
  ): Uint8Array | "pending" | undefined {
    return this.#query(query, stream.context, now, { kind: "tcp", stream });
  }

  #answer(querier: Querier, response: Uint8Array, now: number): void {
    if (querier.kind === "udp") this.#answerUdp(querier.asker, response);
    else this.#tcp.deliver(querier.stream, response, now);
  }

  #answerUdp(asker: Asker, response: Uint8Array): void {
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

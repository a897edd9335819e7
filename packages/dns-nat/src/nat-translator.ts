import {
  buildDestinationUnreachable,
  destinationPortOf,
  Icmpv4Type,
  Icmpv6Type,
  IPV6_FIELD,
  type IpAddress,
  type IpPacket,
  IpProtocol,
  isIcmpv4Error,
  isIcmpv6Error,
  isWireError,
  parseIpPacket,
  parseIpPacketPrefix,
  rewriteDestinationAddress,
  rewriteDestinationPort,
  rewriteEmbeddedDestinationAddress,
  rewriteEmbeddedDestinationPort,
  rewriteEmbeddedSourceAddress,
  rewriteEmbeddedSourcePort,
  rewriteSourceAddress,
  rewriteSourcePort,
  sourcePortOf,
  TcpFlag,
} from "@fz/ip-packet";
import { equal16, FlowProbe } from "./flow-index.ts";
import { fragmentKeyOf } from "./flow-key.ts";
import { FlowTable } from "./flow-table.ts";
import { FragmentMemory } from "./fragment-memory.ts";
import type { NatFlow, TranslatedPacket } from "./nat-flow.ts";
import {
  dropped,
  type InboundResult,
  type NatUnreachableReason,
  NO_FLOW,
  type OutboundResult,
  PASSTHROUGH,
} from "./nat-results.ts";
import { isProxyV4, isProxyV6 } from "./proxy-ips.ts";
import type { ProxyMappings } from "./proxy-mappings.ts";

/** Running totals of the packet path; the owner reads them. */
export interface TranslationCounters {
  translatedOutbound: number;
  translatedInbound: number;
  icmpErrorsTranslated: number;
  noMapping: number;
  noAddress: number;
  portsExhausted: number;
  unreachableReplies: number;
  dropped: number;
  noFlow: number;
  flowsCreated: number;
  flowsReset: number;
}

/**
 * The per-packet half of the gateway's DNS-resource NAT: rewrites packets in place between a
 * client's proxy IPs and the real addresses, with incremental checksums (@fz/ip-packet).
 *
 * - TCP and UDP flows key on both ports; ICMP echo on the identifier, which plays the source
 *   port's part. Only the source port (identifier) is ever changed, and only to keep flows apart.
 * - Protocols without ports (GRE, ESP, SCTP, UDP-Lite, DCCP, ...) get the address translated only,
 *   one flow per (client, protocol, proxy IP); two proxy IPs of a client that resolve to the same
 *   real IP cannot both carry such a protocol (the second is answered unreachable).
 * - Fragments: the first fragment carries the ports and is translated like a whole packet; the
 *   flow it took is remembered by (protocol, addresses, fragment id) for FRAGMENT_MEMORY_MS, and
 *   later fragments follow it, address only. An outbound later fragment that arrives before its
 *   first goes to the proxy IP's current real address; an inbound one is left alone.
 * - ICMP errors are translated back in both directions when they quote a packet of a known flow,
 *   and never create one. Other ICMP messages to a proxy IP (timestamp, NDP, ...) are dropped.
 */
export class DnsNatTranslator {
  readonly flows = new FlowTable();
  readonly #outboundFragments = new FragmentMemory();
  readonly #inboundFragments = new FragmentMemory();
  readonly #mappings: ReadonlyMap<string, ProxyMappings>;
  readonly #counters: TranslationCounters;

  constructor(mappings: ReadonlyMap<string, ProxyMappings>, counters: TranslationCounters) {
    this.#mappings = mappings;
    this.#counters = counters;
  }

  /** A decrypted packet from `client`; see GatewayDnsNat.translateOutbound. */
  outbound(
    client: string,
    input: Uint8Array | IpPacket,
    now: number,
    out?: Uint8Array,
  ): OutboundResult {
    const packet = input instanceof Uint8Array ? parseIpPacket(input) : input;
    if (isWireError(packet)) return this.#drop("malformed");
    const v4 = packet.version === 4;
    const data = packet.bytes;
    if (v4 ? !isProxyV4(packet.dst) : !isProxyV6(data, IPV6_FIELD.DST)) return PASSTHROUGH;
    const kind = classify(packet, false, true);
    switch (kind) {
      case Kind.Malformed:
        return this.#drop("malformed");
      case Kind.UnsupportedIcmp:
        return this.#drop("unsupported-icmp");
      case Kind.LaterFragment:
        return this.#outboundFragment(client, packet, now, out);
      case Kind.IcmpError:
        return this.#outboundIcmpError(client, packet);
    }
    const clientPort = fields.source;
    const remotePort = fields.destination;
    const protocol = packet.protocol;
    if (packet.version === 4) probe.setV4(protocol, packet.src, packet.dst, clientPort, remotePort);
    else probe.setV6(protocol, data, IPV6_FIELD.SRC, data, IPV6_FIELD.DST, clientPort, remotePort);
    let flow = this.flows.findInside(client, probe);
    let created = false;
    if (flow === undefined) {
      const mappings = this.#mappings.get(client);
      const mapping =
        packet.version === 4 ? mappings?.getV4(packet.dst) : mappings?.getV6(data, IPV6_FIELD.DST);
      if (mapping === undefined) return this.#unreachable(packet, "no-mapping", out);
      if (mapping.realIp === undefined) return this.#unreachable(packet, "no-address", out);
      flow = this.flows.create(
        {
          client,
          resource: mapping.resource,
          domain: mapping.domain,
          protocol,
          clientAddress: packet.version === 4 ? packet.src : packet.src.slice(),
          proxyIp: packet.version === 4 ? packet.dst : packet.dst.slice(),
          realIp: mapping.realIp,
          clientPort,
          remotePort,
          hasPorts: kind !== Kind.Portless,
        },
        now,
      );
      if (flow === undefined) return this.#unreachable(packet, "ports-exhausted", out);
      created = true;
    }
    const fragmentKey = packet.isFirstFragment ? fragmentKeyOf(packet) : undefined;
    if (
      rewriteDestinationAddress(packet, flow.realIp) !== undefined ||
      (flow.natPort !== clientPort && rewriteSourcePort(packet, flow.natPort) !== undefined)
    ) {
      if (created) this.flows.remove(flow);
      return this.#drop("rewrite-failed");
    }
    if (created) this.#counters.flowsCreated++;
    flow.lastOutbound = now;
    if (fragmentKey !== undefined) this.#outboundFragments.remember(fragmentKey, flow, now);
    if (protocol === IpProtocol.Tcp) this.#observeTcp(flow, data[packet.headerLen + 13], true);
    this.#counters.translatedOutbound++;
    return flow.result;
  }

  /** A packet from the resource side; see GatewayDnsNat.translateInbound. */
  inbound(input: Uint8Array | IpPacket, now: number): InboundResult {
    const packet = input instanceof Uint8Array ? parseIpPacket(input) : input;
    if (isWireError(packet)) return this.#drop("malformed");
    switch (classify(packet, false, false)) {
      case Kind.Malformed:
        return this.#drop("malformed");
      case Kind.UnsupportedIcmp:
        return this.#noFlow();
      case Kind.LaterFragment:
        return this.#inboundFragment(packet, now);
      case Kind.IcmpError:
        return this.#inboundIcmpError(packet);
    }
    const remotePort = fields.source;
    const natPort = fields.destination;
    const protocol = packet.protocol;
    const data = packet.bytes;
    if (packet.version === 4) probe.setV4(protocol, packet.src, packet.dst, remotePort, natPort);
    else probe.setV6(protocol, data, IPV6_FIELD.SRC, data, IPV6_FIELD.DST, remotePort, natPort);
    const flow = this.flows.findOutside(probe);
    if (flow === undefined) return this.#noFlow();
    const fragmentKey = packet.isFirstFragment ? fragmentKeyOf(packet) : undefined;
    if (
      rewriteSourceAddress(packet, flow.proxyIp) !== undefined ||
      (flow.natPort !== flow.clientPort &&
        rewriteDestinationPort(packet, flow.clientPort) !== undefined)
    ) {
      return this.#drop("rewrite-failed");
    }
    flow.lastInbound = now;
    if (fragmentKey !== undefined) this.#inboundFragments.remember(fragmentKey, flow, now);
    if (protocol === IpProtocol.Tcp) this.#observeTcp(flow, data[packet.headerLen + 13], false);
    this.#counters.translatedInbound++;
    return flow.result;
  }

  /** Drops fragment memories that have run out; flows expire through `flows.expire`. */
  expireFragments(now: number): void {
    this.#outboundFragments.expire(now);
    this.#inboundFragments.expire(now);
  }

  #outboundFragment(
    client: string,
    packet: IpPacket,
    now: number,
    out: Uint8Array | undefined,
  ): OutboundResult {
    const flow = this.#outboundFragments.flowOf(fragmentKeyOf(packet), now);
    let result: TranslatedPacket;
    if (flow !== undefined && flow.client === client) {
      flow.lastOutbound = now;
      result = flow.result;
    } else {
      const mappings = this.#mappings.get(client);
      const mapping =
        packet.version === 4
          ? mappings?.getV4(packet.dst)
          : mappings?.getV6(packet.bytes, IPV6_FIELD.DST);
      if (mapping === undefined) return this.#unreachable(packet, "no-mapping", out);
      const realIp = mapping.realIp;
      if (realIp === undefined) return this.#unreachable(packet, "no-address", out);
      const proxyIp = packet.version === 4 ? packet.dst : packet.dst.slice();
      const { resource, domain } = mapping;
      result = Object.freeze({ kind: "translated", client, resource, domain, proxyIp, realIp });
    }
    if (rewriteDestinationAddress(packet, result.realIp) !== undefined) {
      return this.#drop("rewrite-failed");
    }
    this.#counters.translatedOutbound++;
    return result;
  }

  #inboundFragment(packet: IpPacket, now: number): InboundResult {
    const flow = this.#inboundFragments.flowOf(fragmentKeyOf(packet), now);
    if (flow === undefined) return this.#noFlow();
    if (rewriteSourceAddress(packet, flow.proxyIp) !== undefined) {
      return this.#drop("rewrite-failed");
    }
    flow.lastInbound = now;
    this.#counters.translatedInbound++;
    return flow.result;
  }

  /** The client reports an error about a packet it got through the NAT (src proxy IP, dst client). */
  #outboundIcmpError(client: string, packet: IpPacket): OutboundResult {
    const quoted = quotedPacket(packet);
    if (quoted === undefined) return this.#drop("icmp-error-without-flow");
    // The quoted packet went from the proxy IP to the client.
    if (!keysFlow(classify(quoted, true, false))) return this.#drop("icmp-error-without-flow");
    const clientPort = fields.destination;
    const remotePort = fields.source;
    const q = quoted.bytes;
    const protocol = quoted.protocol;
    if (quoted.version === 4) probe.setV4(protocol, quoted.dst, quoted.src, clientPort, remotePort);
    else probe.setV6(protocol, q, IPV6_FIELD.DST, q, IPV6_FIELD.SRC, clientPort, remotePort);
    const flow = this.flows.findInside(client, probe);
    if (flow === undefined) return this.#drop("icmp-error-without-flow");
    if (
      rewriteEmbeddedSourceAddress(packet, flow.realIp) !== undefined ||
      (flow.natPort !== flow.clientPort &&
        rewriteEmbeddedDestinationPort(packet, flow.natPort) !== undefined) ||
      rewriteDestinationAddress(packet, flow.realIp) !== undefined
    ) {
      return this.#drop("rewrite-failed");
    }
    this.#counters.icmpErrorsTranslated++;
    return flow.result;
  }

  /** The resource side reports an error about a translated packet (src client, dst real IP). */
  #inboundIcmpError(packet: IpPacket): InboundResult {
    const quoted = quotedPacket(packet);
    if (quoted === undefined) return this.#noFlow();
    // The quoted packet went from the client to the real IP.
    if (!keysFlow(classify(quoted, true, true))) return this.#noFlow();
    const remotePort = fields.destination;
    const natPort = fields.source;
    const q = quoted.bytes;
    const protocol = quoted.protocol;
    if (quoted.version === 4) probe.setV4(protocol, quoted.dst, quoted.src, remotePort, natPort);
    else probe.setV6(protocol, q, IPV6_FIELD.DST, q, IPV6_FIELD.SRC, remotePort, natPort);
    const flow = this.flows.findOutside(probe);
    if (flow === undefined) return this.#noFlow();
    const fromRealIp = sourceIs(packet, flow.realIp);
    if (
      rewriteEmbeddedDestinationAddress(packet, flow.proxyIp) !== undefined ||
      (flow.natPort !== flow.clientPort &&
        rewriteEmbeddedSourcePort(packet, flow.clientPort) !== undefined) ||
      (fromRealIp && rewriteSourceAddress(packet, flow.proxyIp) !== undefined)
    ) {
      return this.#drop("rewrite-failed");
    }
    this.#counters.icmpErrorsTranslated++;
    return flow.result;
  }

  #observeTcp(flow: NatFlow, flags: number | undefined, outbound: boolean): void {
    if (flags === undefined) return;
    if ((flags & TcpFlag.Rst) !== 0) {
      this.flows.remove(flow);
      this.#counters.flowsReset++;
      return;
    }
    if ((flags & TcpFlag.Fin) === 0) return;
    if (outbound) flow.finOutbound = true;
    else flow.finInbound = true;
    this.flows.reschedule(flow);
  }

  #unreachable(
    packet: IpPacket,
    reason: NatUnreachableReason,
    out: Uint8Array | undefined,
  ): OutboundResult {
    if (reason === "no-mapping") this.#counters.noMapping++;
    else if (reason === "no-address") this.#counters.noAddress++;
    else this.#counters.portsExhausted++;
    // The source is copied: `out` may be the offending packet's own slot.
    const source = packet.version === 4 ? packet.dst : packet.dst.slice();
    const reply = buildDestinationUnreachable(packet, "unreachable", { source }, out);
    if (isWireError(reply)) return { kind: "unreachable", reason, reply: undefined };
    this.#counters.unreachableReplies++;
    return { kind: "unreachable", reason, reply };
  }

  #drop(reason: Parameters<typeof dropped>[0]): ReturnType<typeof dropped> {
    this.#counters.dropped++;
    return dropped(reason);
  }

  #noFlow(): InboundResult {
    this.#counters.noFlow++;
    return NO_FLOW;
  }
}

/** How a packet keys a flow; the first three do, with `fields`. */
const Kind = {
  /** TCP or UDP: both ports. */
  Ports: 0,
  /** ICMP or ICMPv6 echo: the identifier, in the slot of the port on the client's side. */
  Echo: 1,
  /** Another protocol: the addresses alone (both slots 0). */
  Portless: 2,
  IcmpError: 3,
  UnsupportedIcmp: 4,
  /** A fragment past the first: no transport header. */
  LaterFragment: 5,
  /** Too short for the transport header a rewrite needs. */
  Malformed: 6,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** The lookup key of the packet at hand, filled in place. */
const probe = new FlowProbe();

/** The source and destination port slots of a flow's key, filled by `classify`; read right after it. */
const fields = { source: 0, destination: 0 };

/** Whether `classify` found a packet that keys a flow (and filled `fields`). */
function keysFlow(kind: Kind): boolean {
  return kind <= Kind.Portless;
}

/**
 * Classifies a packet and reads its ports into `fields`. An echo identifier belongs to the
 * client's side of the flow: the source slot of a packet going toward the resource, the
 * destination slot of one going toward the client. A quoted packet (the one an ICMP error
 * carries) needs only the 4 or 8 bytes that hold them; a packet to rewrite needs the whole
 * header its checksum lives in.
 */
function classify(packet: IpPacket, quoted: boolean, towardResource: boolean): Kind {
  if (!packet.hasTransportHeader) return Kind.LaterFragment;
  const protocol = packet.protocol;
  const start = packet.headerLen;
  const available = packet.bytes.length - start;
  if (protocol === IpProtocol.Tcp || protocol === IpProtocol.Udp) {
    const needed = quoted ? 4 : protocol === IpProtocol.Tcp ? 20 : 8;
    if (available < needed) return Kind.Malformed;
    fields.source = sourcePortOf(packet) ?? 0;
    fields.destination = destinationPortOf(packet) ?? 0;
    return Kind.Ports;
  }
  const v4 = packet.version === 4;
  if (protocol !== (v4 ? IpProtocol.Icmp : IpProtocol.Icmpv6)) {
    fields.source = 0;
    fields.destination = 0;
    return Kind.Portless;
  }
  if (available < 8) return Kind.Malformed;
  const type = packet.bytes[start] ?? 0;
  if (
    v4
      ? type === Icmpv4Type.EchoRequest || type === Icmpv4Type.EchoReply
      : type === Icmpv6Type.EchoRequest || type === Icmpv6Type.EchoReply
  ) {
    const id = ((packet.bytes[start + 4] ?? 0) << 8) | (packet.bytes[start + 5] ?? 0);
    fields.source = towardResource ? id : 0;
    fields.destination = towardResource ? 0 : id;
    return Kind.Echo;
  }
  if (v4 ? isIcmpv4Error(type) : isIcmpv6Error(type)) {
    return quoted ? Kind.UnsupportedIcmp : Kind.IcmpError;
  }
  return Kind.UnsupportedIcmp;
}

/** The packet an ICMP error quotes, of the same family as the error; undefined if unreadable. */
function quotedPacket(error: IpPacket): IpPacket | undefined {
  const quoted = parseIpPacketPrefix(error.bytes.subarray(error.headerLen + 8));
  if (isWireError(quoted) || quoted.version !== error.version) return undefined;
  return quoted;
}

/** Whether the packet's source address is `address` (of the packet's family). */
function sourceIs(packet: IpPacket, address: IpAddress): boolean {
  if (packet.version === 4) return packet.src === address;
  return typeof address !== "number" && equal16(packet.bytes, IPV6_FIELD.SRC, address);
}

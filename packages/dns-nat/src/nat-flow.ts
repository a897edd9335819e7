import { type IpAddress, IpProtocol } from "@fz/ip-packet";

/** An idle TCP flow lasts 2 h 4 min: RFC 5382 REQ-5, the 2 h keep-alive interval plus 4 min. */
export const TCP_FLOW_IDLE_MS = (2 * 60 + 4) * 60_000;
/** An idle UDP flow lasts 2 min (so does a flow of a protocol without ports). */
export const UDP_FLOW_IDLE_MS = 2 * 60_000;
/** An idle ICMP echo flow lasts 2 min. */
export const ICMP_FLOW_IDLE_MS = 2 * 60_000;
/** A flow the resource never answered lasts 60 s after its last outbound packet. */
export const UNCONFIRMED_FLOW_MS = 60_000;
/** Once both sides of a TCP flow sent FIN, it lasts 5 s after its last packet. */
export const TCP_CLOSED_LINGER_MS = 5_000;

/** A packet translated in place, and the flow it belongs to. One object per flow, reused. */
export interface TranslatedPacket {
  readonly kind: "translated";
  /** The client whose flow this is: an inbound packet goes into this client's tunnel. */
  readonly client: string;
  readonly resource: string;
  readonly domain: string;
  readonly proxyIp: IpAddress;
  readonly realIp: IpAddress;
}

/**
 * One translated flow: the client's side (its tunnel address and port to a proxy IP) and the
 * resource's side (the real IP, and the source port the gateway gave it). The real IP is fixed
 * at creation, so a flow keeps its address when the name's records change.
 */
export class NatFlow {
  lastOutbound: number;
  lastInbound: number | undefined = undefined;
  finOutbound = false;
  finInbound = false;
  removed = false;
  /** When the heap will next look at this flow: never later than its deadline. */
  scheduledAt: number;
  readonly result: TranslatedPacket;

  constructor(
    readonly client: string,
    readonly resource: string,
    readonly domain: string,
    readonly protocol: number,
    readonly clientAddress: IpAddress,
    readonly proxyIp: IpAddress,
    readonly realIp: IpAddress,
    /** The client's source port or echo identifier (0 for protocols without ports). */
    readonly clientPort: number,
    /** The destination port (0 for ICMP echo and protocols without ports). */
    readonly remotePort: number,
    /** The source port or echo identifier the resource sees. */
    readonly natPort: number,
    readonly insideHash: number,
    readonly outsideHash: number,
    now: number,
  ) {
    this.lastOutbound = now;
    this.scheduledAt = Number.POSITIVE_INFINITY;
    this.result = Object.freeze({
      kind: "translated",
      client,
      resource,
      domain,
      proxyIp,
      realIp,
    });
  }

  /** When the flow expires unless another packet comes. */
  deadline(): number {
    const lastInbound = this.lastInbound;
    const last =
      lastInbound === undefined ? this.lastOutbound : Math.max(lastInbound, this.lastOutbound);
    let deadline = last + idleMs(this.protocol);
    if (lastInbound === undefined) {
      deadline = Math.min(deadline, this.lastOutbound + UNCONFIRMED_FLOW_MS);
    }
    if (this.finOutbound && this.finInbound) {
      deadline = Math.min(deadline, last + TCP_CLOSED_LINGER_MS);
    }
    return deadline;
  }
}

function idleMs(protocol: number): number {
  switch (protocol) {
    case IpProtocol.Tcp:
      return TCP_FLOW_IDLE_MS;
    case IpProtocol.Icmp:
    case IpProtocol.Icmpv6:
      return ICMP_FLOW_IDLE_MS;
    default:
      return UDP_FLOW_IDLE_MS;
  }
}

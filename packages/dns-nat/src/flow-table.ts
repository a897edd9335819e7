import type { IpAddress } from "@fz/ip-packet";
import { DeadlineHeap } from "./deadline-heap.ts";
import { FlowIndex, FlowProbe } from "./flow-index.ts";
import { NatFlow } from "./nat-flow.ts";

/** What a new flow is made of; the table picks its NAT port. */
export interface NewFlow {
  readonly client: string;
  readonly resource: string;
  readonly domain: string;
  readonly protocol: number;
  readonly clientAddress: IpAddress;
  readonly proxyIp: IpAddress;
  readonly realIp: IpAddress;
  readonly clientPort: number;
  readonly remotePort: number;
  /** False for protocols whose packets carry no port or echo identifier to rewrite. */
  readonly hasPorts: boolean;
}

/**
 * The gateway's flows, found from either side:
 *
 * - inside, per client: (protocol, client address, proxy IP, client port or echo id, destination
 *   port), the outbound packet as the client sent it;
 * - outside, over all clients: (protocol, real IP, client address, destination port, NAT port),
 *   the inbound packet as the resource sends it. The client address in it keeps clients apart.
 *
 * The NAT port is the client's own port when no other flow uses it on the outside, otherwise the
 * next free one (wrapping to 1), as in Firezone: two flows from the same client port to two proxy
 * IPs that resolve to the same real IP stay distinguishable on the way back.
 */
export class FlowTable {
  readonly #inside = new Map<string, FlowIndex>();
  readonly #outside = new FlowIndex("outside");
  readonly #deadlines = new DeadlineHeap<NatFlow>();
  readonly #probe = new FlowProbe();

  get size(): number {
    return this.#outside.size;
  }

  /** The client's flow a packet from it belongs to. */
  findInside(client: string, probe: FlowProbe): NatFlow | undefined {
    return this.#inside.get(client)?.find(probe);
  }

  /** The flow an inbound packet (or the packet an ICMP error quotes) belongs to. */
  findOutside(probe: FlowProbe): NatFlow | undefined {
    return this.#outside.find(probe);
  }

  /** Adds a flow; undefined when every NAT port towards that real IP and port is taken. */
  create(spec: NewFlow, now: number): NatFlow | undefined {
    const natPort = this.#freePort(spec);
    if (natPort === undefined) return undefined;
    const probe = this.#probe;
    const outsideHash = probe
      .set(spec.protocol, spec.realIp, spec.clientAddress, spec.remotePort, natPort)
      .hash();
    const insideHash = probe
      .set(spec.protocol, spec.clientAddress, spec.proxyIp, spec.clientPort, spec.remotePort)
      .hash();
    const flow = new NatFlow(
      spec.client,
      spec.resource,
      spec.domain,
      spec.protocol,
      spec.clientAddress,
      spec.proxyIp,
      spec.realIp,
      spec.clientPort,
      spec.remotePort,
      natPort,
      insideHash,
      outsideHash,
      now,
    );
    let flows = this.#inside.get(spec.client);
    if (flows === undefined) {
      flows = new FlowIndex("inside");
      this.#inside.set(spec.client, flows);
    }
    flows.add(insideHash, flow);
    this.#outside.add(outsideHash, flow);
    this.#schedule(flow, flow.deadline());
    return flow;
  }

  remove(flow: NatFlow): void {
    if (flow.removed) return;
    flow.removed = true;
    this.#outside.delete(flow.outsideHash, flow);
    const flows = this.#inside.get(flow.client);
    if (flows === undefined) return;
    flows.delete(flow.insideHash, flow);
    if (flows.size === 0) this.#inside.delete(flow.client);
  }

  /** Looks at a flow again after a change that may have brought its deadline forward. */
  reschedule(flow: NatFlow): void {
    const deadline = flow.deadline();
    if (deadline < flow.scheduledAt) this.#schedule(flow, deadline);
  }

  /** The earliest time a flow may expire; it can be early (a flow saw traffic since), never late. */
  nextDeadline(): number | undefined {
    for (let top = this.#deadlines.peek(); top !== undefined; top = this.#deadlines.peek()) {
      if (!top.item.removed && top.at === top.item.scheduledAt) return top.at;
      this.#deadlines.pop();
    }
    return undefined;
  }

  /** Removes the flows whose deadline has come; returns how many. */
  expire(now: number): number {
    let expired = 0;
    for (let top = this.#deadlines.peek(); top !== undefined && top.at <= now; ) {
      this.#deadlines.pop();
      const flow = top.item;
      if (!flow.removed && top.at === flow.scheduledAt) {
        const deadline = flow.deadline();
        if (deadline <= now) {
          this.remove(flow);
          expired++;
        } else {
          this.#schedule(flow, deadline);
        }
      }
      top = this.#deadlines.peek();
    }
    return expired;
  }

  /** Removes every flow of a client that matches; returns how many. */
  removeWhere(client: string, matches: (flow: NatFlow) => boolean): number {
    const flows = this.#inside.get(client);
    if (flows === undefined) return 0;
    let removed = 0;
    for (const flow of [...flows.values()]) {
      if (!matches(flow)) continue;
      this.remove(flow);
      removed++;
    }
    return removed;
  }

  #schedule(flow: NatFlow, at: number): void {
    flow.scheduledAt = at;
    this.#deadlines.push(at, flow);
    // Entries of removed flows (RST, FIN, forgotten) would otherwise stay until their old
    // deadline, hours away for TCP: rebuild once they outnumber the live flows.
    if (this.#deadlines.size > 2 * this.#outside.size + STALE_ENTRIES_TOLERATED) {
      this.#deadlines.clear();
      for (const live of this.#outside.values()) this.#deadlines.push(live.scheduledAt, live);
    }
  }

  #freePort(spec: NewFlow): number | undefined {
    const taken = (port: number): boolean =>
      this.#outside.find(
        this.#probe.set(spec.protocol, spec.realIp, spec.clientAddress, spec.remotePort, port),
      ) !== undefined;
    if (!spec.hasPorts) return taken(0) ? undefined : 0;
    const first = spec.clientPort;
    for (let port = first; port <= 0xffff; port++) if (!taken(port)) return port;
    for (let port = 1; port < first; port++) if (!taken(port)) return port;
    return undefined;
  }
}

/** Heap entries beyond twice the live flows that are tolerated before a rebuild. */
const STALE_ENTRIES_TOLERATED = 1024;

import type { ProxyIps } from "./proxy-ips.ts";

/** Packets buffered while a DNS resource's NAT is first set up (Firezone: 2^5). */
export const PENDING_BUFFER_PACKETS = 32;
/** AssignedIps goes out again, on the next packet or query, once this long has passed. */
export const ASSIGNED_IPS_RESEND_MS = 2000;

/** Which NAT: one per (gateway, name, resource), as in connlib. */
export interface NatKey {
  readonly gateway: string;
  readonly domain: string;
  readonly resource: string;
}

export type NatState = "pending" | "confirmed" | "recreating" | "failed";

/** What the caller does with an outgoing packet to a proxy IP. */
export type PacketVerdict =
  /** Send it through the tunnel now, on the current mapping. */
  | "send"
  /** The NAT is being set up; the packet waits and comes back out of `pollFlushed`. */
  | "buffered"
  /** The set-up buffer is full: drop it (the application retransmits). */
  | "dropped"
  /** The gateway could not set the NAT up: answer the packet with ICMP unreachable. */
  | "unreachable";

export interface AssignedIpsRequest {
  readonly key: NatKey;
  readonly proxyIps: ProxyIps;
}

interface Entry<P> {
  state: NatState;
  proxyIps: ProxyIps;
  sentAt: number;
  buffer: P[];
}

/**
 * The client's side of Firezone's DNS resource NAT, sans-IO.
 *
 * - The first packet to a name's proxy IP starts `pending`: AssignedIps goes to the gateway and
 *   up to 32 packets wait. `DomainStatus` Active makes it `confirmed` and releases them in order;
 *   Inactive makes it `failed`, and waiting packets are answered with ICMP unreachable.
 * - A query for the name while `confirmed` re-creates the NAT in the background (`recreating`):
 *   AssignedIps goes out again while packets keep flowing on the existing mapping, nothing
 *   buffered, nothing dropped (Firezone #8935). A query while `failed` retries.
 * - While a set-up is outstanding, AssignedIps goes out again on the next packet or query once
 *   2 s have passed; there is no timer of its own.
 */
export class ClientDnsResourceNat<P> {
  readonly #entries = new Map<string, Entry<P> & { key: NatKey }>();
  readonly #assigned: AssignedIpsRequest[] = [];
  readonly #flushed: { key: NatKey; packet: P }[] = [];
  readonly #unreachable: P[] = [];
  #dropped = 0;
  #bufferedTotal = 0;

  /**
   * An outgoing packet to one of the name's proxy IPs. `keep` is applied to a packet only when
   * it is buffered (a caller whose packet lives in a reused buffer copies it there, and only
   * there: a live NAT sends straight away).
   */
  handlePacket(
    key: NatKey,
    proxyIps: ProxyIps,
    packet: P,
    now: number,
    keep: (packet: P) => P = (same) => same,
  ): PacketVerdict {
    const entry = this.#entries.get(keyString(key));
    if (entry === undefined) {
      this.#start(key, proxyIps, now, [keep(packet)]);
      this.#bufferedTotal++;
      return "buffered";
    }
    switch (entry.state) {
      case "confirmed":
        return "send";
      case "recreating":
        this.#resendIfDue(entry, now);
        return "send";
      case "failed":
        return "unreachable";
      case "pending":
        this.#resendIfDue(entry, now);
        if (entry.buffer.length >= PENDING_BUFFER_PACKETS) {
          this.#dropped++;
          return "dropped";
        }
        entry.buffer.push(keep(packet));
        this.#bufferedTotal++;
        return "buffered";
    }
  }

  /** The stub resolver answered a query for the name locally. */
  handleQuery(key: NatKey, proxyIps: ProxyIps, now: number): void {
    const entry = this.#entries.get(keyString(key));
    if (entry === undefined) return;
    switch (entry.state) {
      case "confirmed":
        entry.state = "recreating";
        this.#send(entry, proxyIps, now);
        return;
      case "failed":
        entry.state = "pending";
        this.#send(entry, proxyIps, now);
        return;
      case "pending":
      case "recreating":
        this.#resendIfDue(entry, now);
        return;
    }
  }

  /** The gateway's DomainStatus for a name. */
  handleDomainStatus(key: NatKey, active: boolean, _now: number): void {
    const entry = this.#entries.get(keyString(key));
    if (entry === undefined) return;
    entry.state = active ? "confirmed" : "failed";
    const waiting = entry.buffer;
    entry.buffer = [];
    for (const packet of waiting) {
      if (active) this.#flushed.push({ key, packet });
      else this.#unreachable.push(packet);
    }
  }

  /** Forgets every NAT through a gateway (it said Goodbye, or its connection ended). */
  forgetGateway(gateway: string): void {
    for (const [id, entry] of this.#entries) {
      if (entry.key.gateway === gateway) this.#entries.delete(id);
    }
  }

  state(key: NatKey): NatState | undefined {
    return this.#entries.get(keyString(key))?.state;
  }

  /** Packets buffered for a key right now. */
  buffered(key: NatKey): number {
    return this.#entries.get(keyString(key))?.buffer.length ?? 0;
  }

  /** Packets that ever waited in a set-up buffer, since the start. */
  get bufferedTotal(): number {
    return this.#bufferedTotal;
  }

  /** Packets dropped because a set-up buffer was full, since the start. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The next AssignedIps to send to a gateway over the tunnel. */
  pollAssignedIps(): AssignedIpsRequest | undefined {
    return this.#assigned.shift();
  }

  /** The next buffered packet released by a confirmation, in the order it arrived. */
  pollFlushed(): { key: NatKey; packet: P } | undefined {
    return this.#flushed.shift();
  }

  /** The next buffered packet to answer with ICMP unreachable after a failed set-up. */
  pollUnreachable(): P | undefined {
    return this.#unreachable.shift();
  }

  #start(key: NatKey, proxyIps: ProxyIps, now: number, buffer: P[]): void {
    const entry = { key, state: "pending" as NatState, proxyIps, sentAt: now, buffer };
    this.#entries.set(keyString(key), entry);
    this.#assigned.push({ key, proxyIps });
  }

  #send(entry: Entry<P> & { key: NatKey }, proxyIps: ProxyIps, now: number): void {
    entry.proxyIps = proxyIps;
    entry.sentAt = now;
    this.#assigned.push({ key: entry.key, proxyIps });
  }

  #resendIfDue(entry: Entry<P> & { key: NatKey }, now: number): void {
    if (now - entry.sentAt >= ASSIGNED_IPS_RESEND_MS) this.#send(entry, entry.proxyIps, now);
  }
}

const keyStrings = new WeakMap<NatKey, string>();

/** The map key of a NatKey, built once per key object (a client keeps one per name). */
function keyString(key: NatKey): string {
  let text = keyStrings.get(key);
  if (text === undefined) {
    text = `${key.gateway}\u0000${key.domain}\u0000${key.resource}`;
    keyStrings.set(key, text);
  }
  return text;
}

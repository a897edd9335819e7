import { type BufferPool, DescriptorBatch, type PacketChannel } from "@fz/bufferpool";
import type { Logger } from "@fz/log";
import type {
  DnsQuery,
  ResolveRequest,
  Transmit,
  TunnelEvent,
  TunnelOutput,
  Upstream,
} from "@fz/tunnel";
import type { Endpoint } from "@fz/wireguard";
import type { UdpTransport } from "./udp-transport.ts";

/** Where packets from the TUN device come from, in pool slots (meta: the packet's offset). */
export interface TunSource {
  /** Waits for packets and fills `batch`; 0 means the source is closed. */
  read(batch: DescriptorBatch): Promise<number>;
  close(): void;
}

/** A TUN source fed by a reader Worker through a channel (`TunPacketIo`). */
export function channelSource(channel: PacketChannel): TunSource {
  return {
    async read(batch) {
      while (channel.popBatch(batch) === 0) {
        if ((await channel.waitAsync()) === "closed" && channel.popBatch(batch) === 0) return 0;
      }
      return batch.count;
    },
    close() {
      channel.close();
    },
  };
}

/** Where packets for the TUN device go; `TunWriter` from @fz/tun is one. */
export interface TunSink {
  /** Writes `length` bytes at `offset` of `slot` and gives the slot back, whatever happens. */
  write(slot: number, offset: number, length: number): boolean;
}

/** What the client's and the gateway's sans-IO cores have in common. */
export interface TunnelCore {
  handleTunPacket(packet: Uint8Array, out: Uint8Array, now: number): TunnelOutput;
  handleDatagram(from: Endpoint, datagram: Uint8Array, out: Uint8Array, now: number): TunnelOutput;
  handleTimeout(now: number): void;
  pollTimeout(): number | undefined;
  pollTransmit(out: Uint8Array, now: number): Transmit | undefined;
  pollEvent(): TunnelEvent | undefined;
  pollPacket?(): Uint8Array | undefined;
  stats(): object;
  /** The client's DNS forwards: queries for its upstream servers, sent outside the tunnel. */
  pollDnsQuery?(): DnsQuery | undefined;
  handleDnsResponse?(upstream: Upstream, response: Uint8Array, now: number): void;
  /** The gateway's name lookups for DNS resources, run with its resolver. */
  pollResolve?(): ResolveRequest | undefined;
  handleResolved?(id: number, addresses: ResolvedAddresses, now: number): void;
}

/** A lookup's answer: IPv4 addresses as u32, IPv6 as 16 bytes; "failed" for errors. */
export type ResolvedAddresses = readonly (number | Uint8Array)[] | "failed";

/** Looks a name up (A for family 4, AAAA for 6); never rejects. */
export type NameResolver = (name: string, family: 4 | 6) => Promise<ResolvedAddresses>;

export interface DriverOptions {
  readonly core: TunnelCore;
  readonly pool: BufferPool;
  /** Packets read from the TUN device. */
  readonly source: TunSource;
  /** Writes a packet in a slot to the TUN device and gives the slot back. */
  readonly tun: TunSink;
  readonly logger: Logger;
  /** Runs the core's `pollResolve` lookups (the gateway). */
  readonly resolve?: NameResolver | undefined;
  readonly now?: () => number;
}

export interface DriverStats {
  readonly tunPackets: number;
  readonly datagrams: number;
  /** Datagrams dropped because the pool had no free slot. */
  readonly noSlot: number;
  /** Packets the TUN device refused. */
  readonly tunErrors: number;
  /** DNS queries sent to upstream servers and responses received from them. */
  readonly dnsQueries: number;
  readonly dnsResponses: number;
  /** Name lookups started for the core, and those that failed. */
  readonly lookups: number;
  readonly lookupFailures: number;
}

/** Room in front of a packet for WireGuard's 16-byte header, so encryption happens in place. */
const WIREGUARD_HEADER_BYTES = 16;

/**
 * Drives a sans-IO core from the event-loop thread: TUN packets arrive as pool slots from the
 * TUN reader Worker, are sealed in place and sent in one sendmmsg per batch; datagrams are
 * opened into a slot and written to the TUN device from this thread (a TUN write does not
 * wait). One timer follows the core's `pollTimeout()`. After every input the core's other
 * outputs are drained.
 */
export class TunnelDriver {
  readonly #core: TunnelCore;
  readonly #pool: BufferPool;
  readonly #source: TunSource;
  readonly #tun: TunSink;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #scratch = new Uint8Array(2048);
  readonly #batch = new DescriptorBatch(64);
  readonly #resolve: NameResolver | undefined;
  #udp: UdpTransport | undefined;
  #dnsUdp: UdpTransport | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #running = false;
  #tunLoop: Promise<void> | undefined;
  #tunPackets = 0;
  #datagrams = 0;
  #noSlot = 0;
  #tunErrors = 0;
  #dnsQueries = 0;
  #dnsResponses = 0;
  #lookups = 0;
  #lookupFailures = 0;

  constructor(options: DriverOptions) {
    this.#core = options.core;
    this.#pool = options.pool;
    this.#source = options.source;
    this.#tun = options.tun;
    this.#logger = options.logger;
    this.#resolve = options.resolve;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Whether the core forwards DNS queries, so `start` needs a socket for them. */
  get forwardsDns(): boolean {
    return this.#core.pollDnsQuery !== undefined;
  }

  /**
   * Starts reading TUN packets; `udp` must deliver its datagrams to `handleDatagram`, and
   * `dnsUdp` (for a core that forwards DNS) its datagrams to `handleDnsResponse`.
   */
  start(udp: UdpTransport, dnsUdp?: UdpTransport): void {
    this.#udp = udp;
    this.#dnsUdp = dnsUdp;
    this.#running = true;
    this.#tunLoop = this.#readTun();
    this.#afterInput();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#source.close();
    await this.#tunLoop;
  }

  /** The core's counters (drops by reason, peers), for logs. */
  coreStats(): object {
    return this.#core.stats();
  }

  stats(): DriverStats {
    return {
      tunPackets: this.#tunPackets,
      datagrams: this.#datagrams,
      noSlot: this.#noSlot,
      tunErrors: this.#tunErrors,
      dnsQueries: this.#dnsQueries,
      dnsResponses: this.#dnsResponses,
      lookups: this.#lookups,
      lookupFailures: this.#lookupFailures,
    };
  }

  /** A response from an upstream DNS server, on the DNS socket; `from` as `unmapV4` spells it. */
  handleDnsResponse(response: Uint8Array, from: Endpoint): void {
    if (!this.#running || this.#core.handleDnsResponse === undefined) return;
    this.#dnsResponses++;
    this.#core.handleDnsResponse(from, response, this.#now());
    this.#afterInput();
  }

  /** A datagram from the UDP socket. */
  handleDatagram(datagram: Uint8Array, from: Endpoint): void {
    if (!this.#running) return;
    this.#datagrams++;
    const slot = this.#pool.take();
    if (slot === undefined) {
      this.#noSlot++;
      return;
    }
    const bytes = this.#pool.bytes(slot);
    const out = bytes.subarray(this.#pool.headroom);
    const result = this.#core.handleDatagram(from, datagram, out, this.#now());
    if (result.kind === "tun") {
      this.#writeTun(slot, result.packet.byteOffset - bytes.byteOffset, result.packet.length);
    } else {
      if (result.kind === "transmit") this.#send(result.datagram, result.to);
      this.#pool.giveBack(slot);
    }
    this.#afterInput();
  }

  async #readTun(): Promise<void> {
    const batch = this.#batch;
    const pool = this.#pool;
    const udp = this.#udp;
    if (udp === undefined) return;
    while (this.#running) {
      if ((await this.#source.read(batch)) === 0) return;
      const now = this.#now();
      for (let i = 0; i < batch.count; i++) {
        const slot = batch.slots[i] ?? 0;
        const offset = batch.metas[i] ?? 0;
        const bytes = pool.bytes(slot);
        const packet = bytes.subarray(offset, offset + (batch.lengths[i] ?? 0));
        const result = this.#core.handleTunPacket(
          packet,
          bytes.subarray(offset - WIREGUARD_HEADER_BYTES),
          now,
        );
        if (result.kind === "transmit") udp.queue(result.datagram, result.to);
      }
      this.#tunPackets += batch.count;
      udp.flush();
      pool.giveBackBatch(batch.slots, batch.count);
      this.#afterInput();
    }
  }

  #afterInput(): void {
    this.#drainDns();
    const now = this.#now();
    for (
      let out = this.#core.pollTransmit(this.#scratch, now);
      out;
      out = this.#core.pollTransmit(this.#scratch, now)
    ) {
      this.#send(out.datagram, out.to);
    }
    for (let packet = this.#core.pollPacket?.(); packet; packet = this.#core.pollPacket?.()) {
      this.#writeTunCopy(packet);
    }
    for (let event = this.#core.pollEvent(); event; event = this.#core.pollEvent()) {
      this.#logger.info(eventMessage(event), { ...event });
    }
    this.#armTimer();
  }

  #drainDns(): void {
    const dnsUdp = this.#dnsUdp;
    if (dnsUdp !== undefined) {
      for (let query = this.#core.pollDnsQuery?.(); query; query = this.#core.pollDnsQuery?.()) {
        this.#dnsQueries++;
        dnsUdp.queue(query.query, query.upstream);
      }
      dnsUdp.flush();
    }
    for (let request = this.#core.pollResolve?.(); request; request = this.#core.pollResolve?.()) {
      this.#lookup(request);
    }
  }

  #lookup(request: ResolveRequest): void {
    this.#lookups++;
    const resolve = this.#resolve;
    const lookup: Promise<ResolvedAddresses> =
      resolve === undefined ? Promise.resolve("failed") : resolve(request.name, request.family);
    void lookup
      .catch((): ResolvedAddresses => "failed")
      .then((addresses) => {
        if (!this.#running) return;
        if (addresses === "failed") this.#lookupFailures++;
        this.#core.handleResolved?.(request.id, addresses, this.#now());
        this.#afterInput();
      });
  }

  /** Sends at once: the bytes may live in a buffer the next call reuses. */
  #send(datagram: Uint8Array, to: Endpoint): void {
    this.#udp?.queue(datagram, to);
    this.#udp?.flush();
  }

  #writeTun(slot: number, offset: number, length: number): void {
    if (!this.#tun.write(slot, offset, length)) this.#tunErrors++;
  }

  #writeTunCopy(packet: Uint8Array): void {
    const slot = this.#pool.take();
    if (slot === undefined || packet.length > this.#pool.slotCapacity) {
      if (slot !== undefined) this.#pool.giveBack(slot);
      this.#noSlot++;
      return;
    }
    this.#pool.bytes(slot).set(packet, this.#pool.headroom);
    this.#writeTun(slot, this.#pool.headroom, packet.length);
  }

  #armTimer(): void {
    const deadline = this.#core.pollTimeout();
    if (!this.#running || deadline === undefined || deadline >= this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = deadline;
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(0, deadline - this.#now()));
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (!this.#running) return;
    this.#core.handleTimeout(this.#now());
    this.#afterInput();
  }
}

function eventMessage(event: TunnelEvent): string {
  switch (event.type) {
    case "handshake-completed":
      return `handshake with ${event.peer} completed`;
    case "session-lost":
      return `session with ${event.peer} lost`;
  }
}

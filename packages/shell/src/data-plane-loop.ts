import { ptr } from "bun:ffi";
import { BufferPool } from "@fz/bufferpool";
import {
  DatagramReceiver,
  DatagramSender,
  lastErrorName,
  Poller,
  READ_FAILED,
  readPacket,
  WakePipe,
  writePacket,
} from "@fz/tun";
import type { PeerStatus, ResolveRequest, TunnelEvent, TunnelOutput } from "@fz/tunnel";
import { type Endpoint, MessageType } from "@fz/wireguard";
import type { DataPlaneStats } from "./data-plane-protocol.ts";
import { DnsSocket } from "./dns-socket.ts";
import { EndpointRecords } from "./endpoint-records.ts";
import { TunOffload } from "./tun-offload.ts";
import type { ResolvedAddresses, TunnelCore } from "./tunnel-core.ts";

/** Packets or datagrams handled per readiness before looking at the other descriptors again. */
const BATCH = 64;
/** Bytes a slot holds: an IP packet up to MTU 2016 with WireGuard's 32 bytes around it. */
const SLOT_CAPACITY = 2048;
/** Room in front of a packet for WireGuard's 16-byte header, so encryption happens in place. */
const WIREGUARD_HEADER_BYTES = 16;
const POLL_FOREVER = -1;
/**
 * Readiness after readiness with nothing read: the descriptor is broken, not busy (a TUN
 * interface deleted under us reports readable forever and fails every read), and spinning on
 * it would burn a core. Normal traffic never gets near this many in a row.
 */
const MAX_EMPTY_READINESS = 64;
const MAX_POLL_MS = 2 ** 31 - 1;

export interface DataPlaneLoopOptions {
  readonly core: TunnelCore;
  readonly tunFd: number;
  readonly udpFd: number;
  /** The socket for the client's forwarded DNS queries, or -1. */
  readonly dnsFd: number;
  readonly wakeFd: number;
  readonly gso: boolean;
  /** The TUN device puts a virtio_net_hdr before each packet, and may hand us TCP super-packets. */
  readonly tunVnetHeader?: boolean;
  /** Called when the wake pipe was readable, after draining it. */
  readonly onWake: () => void;
  readonly onEvent: (event: TunnelEvent) => void;
  readonly onResolve: (request: ResolveRequest) => void;
  readonly now?: () => number;
}

/**
 * The whole data path on one thread: a sans-IO core and every descriptor it needs, in a single
 * poll() loop. TUN packets are read straight into pool slots, sealed in place and sent with
 * sendmmsg (GSO where runs allow); datagrams arrive by recvmmsg into slots, are opened into one
 * output slot and written to the TUN device at once. Nothing is handed to another thread, so a
 * packet costs no wake-up beyond the poll() that found it; the one timer is poll()'s timeout,
 * from the core's `pollTimeout()`. After every input the core's other outputs are drained.
 */
export class DataPlaneLoop {
  readonly #core: TunnelCore;
  readonly #tunFd: number;
  readonly #wakeFd: number;
  readonly #now: () => number;
  readonly #onWake: () => void;
  readonly #onEvent: (event: TunnelEvent) => void;
  readonly #onResolve: (request: ResolveRequest) => void;
  readonly #pool = BufferPool.create({ slotCount: 2 * BATCH + 1, slotCapacity: SLOT_CAPACITY });
  readonly #poolBytes: Uint8Array;
  readonly #poolWords: Int32Array;
  readonly #base: number;
  readonly #poller: Poller;
  readonly #sender: DatagramSender;
  readonly #receiver: DatagramReceiver;
  readonly #peers: EndpointRecords;
  /** Slots armed for datagrams (their records take the source) and for TUN reads. */
  readonly #udpSlots = new Int32Array(BATCH);
  readonly #tunSlots = new Int32Array(BATCH);
  /** Each TUN slot from 16 bytes before its packet: where the sealed datagram goes. */
  readonly #sealViews: Uint8Array[] = [];
  /** Where an opened datagram's packet goes. */
  readonly #openView: Uint8Array;
  /** Each UDP slot from 16 bytes into its datagram: a transport message opens in place there. */
  readonly #openInPlace: Uint8Array[] = [];
  readonly #scratch = new Uint8Array(SLOT_CAPACITY);
  readonly #dns: DnsSocket | undefined;
  /** With offloads: where each TUN read lands (header + packet of up to 64 KiB), and its tools. */
  readonly #offload: TunOffload | undefined;
  /** Each TUN slot's packet area, where a read packet or a segment is copied to be sealed. */
  readonly #tunViews: Uint8Array[] = [];
  readonly #wakeDrain = new Uint8Array(64);
  #running = true;
  #emptyTunReadiness = 0;
  #emptyUdpReadiness = 0;
  #tunPackets = 0;
  #datagrams = 0;
  #droppedDatagrams = 0;
  #tunReadErrors = 0;
  /** TUN reads we could not take (a bad virtio header or super-packet), and segments too big for a slot. */
  #tunMalformed = 0;
  /** TUN reads that were TCP super-packets, cut into segments here (TSO). */
  #tunSuperPackets = 0;
  #tunWriteErrors = 0;
  #lookups = 0;
  #lookupFailures = 0;
  #wakeups = 0;
  /** Packets the core threw on (a bug): dropped and counted, so one packet never stops the rest. */
  #coreErrors = 0;

  constructor(options: DataPlaneLoopOptions) {
    this.#core = options.core;
    this.#tunFd = options.tunFd;
    this.#wakeFd = options.wakeFd;
    this.#now = options.now ?? (() => performance.now());
    this.#onWake = options.onWake;
    this.#onEvent = options.onEvent;
    this.#onResolve = options.onResolve;
    const pool = this.#pool;
    this.#poolBytes = new Uint8Array(pool.buffer);
    this.#poolWords = new Int32Array(pool.buffer);
    this.#base = ptr(this.#poolBytes);
    this.#sender = new DatagramSender(options.udpFd, BATCH, options.gso);
    // Queued datagrams point at records: they leave before the book starts over.
    this.#peers = new EndpointRecords({ beforeStartingOver: () => this.#sender.flush() });
    this.#receiver = new DatagramReceiver(options.udpFd, BATCH);
    for (let i = 0; i < BATCH; i++) {
      const udpSlot = this.#take();
      this.#udpSlots[i] = udpSlot;
      const record = this.#base + pool.offsetOf(udpSlot);
      this.#receiver.arm(i, record, record + pool.headroom, pool.slotCapacity);
      this.#openInPlace.push(pool.bytes(udpSlot).subarray(pool.headroom + WIREGUARD_HEADER_BYTES));
      const tunSlot = this.#take();
      this.#tunSlots[i] = tunSlot;
      this.#sealViews.push(pool.bytes(tunSlot).subarray(pool.headroom - WIREGUARD_HEADER_BYTES));
      this.#tunViews.push(pool.bytes(tunSlot).subarray(pool.headroom));
    }
    this.#openView = pool.bytes(this.#take()).subarray(pool.headroom);
    this.#dns = options.dnsFd >= 0 ? new DnsSocket(options.dnsFd) : undefined;
    this.#offload = options.tunVnetHeader === true ? new TunOffload() : undefined;
    const fds = [options.wakeFd, options.tunFd, options.udpFd];
    if (options.dnsFd >= 0) fds.push(options.dnsFd);
    this.#poller = new Poller(fds);
  }

  /** Runs until `stop()` is called (from `onWake`). */
  run(): void {
    const core = this.#core;
    this.#afterInput();
    while (this.#running) {
      const deadline = core.pollTimeout();
      const timeout =
        deadline === undefined
          ? POLL_FOREVER
          : Math.min(MAX_POLL_MS, Math.max(0, Math.ceil(deadline - this.#now())));
      this.#poller.wait(timeout);
      const now = this.#now();
      if (deadline !== undefined && now >= deadline) core.handleTimeout(now);
      if (this.#poller.ready(2)) this.#receiveDatagrams();
      if (this.#poller.ready(1)) {
        if (this.#offload === undefined) this.#readTun();
        else this.#readTunOffloaded(this.#offload);
      }
      if (this.#dns !== undefined && this.#poller.ready(3)) this.#receiveDns(this.#dns);
      if (this.#poller.ready(0)) {
        this.#wakeups++;
        WakePipe.drain(this.#wakeFd, this.#wakeDrain);
        this.#onWake();
      }
      this.#afterInput();
    }
  }

  stop(): void {
    this.#running = false;
  }

  /** A lookup the shell ran for the core's `onResolve` request. */
  resolved(id: number, addresses: ResolvedAddresses): void {
    if (addresses === "failed") this.#lookupFailures++;
    this.#core.handleResolved?.(id, addresses, this.#now());
  }

  coreStats(): object {
    return this.#core.stats();
  }

  corePeers(): readonly PeerStatus[] {
    return this.#core.peers(this.#now());
  }

  stats(): DataPlaneStats {
    const sender = this.#sender;
    const receiver = this.#receiver;
    return {
      tunPackets: this.#tunPackets,
      datagrams: this.#datagrams,
      sent: sender.sent,
      sendCalls: sender.sendCalls,
      sendErrors: sender.sendErrors,
      gsoMessages: sender.gsoMessages,
      gsoFallbacks: sender.gsoFallbacks,
      droppedDatagrams: this.#droppedDatagrams + receiver.truncated,
      tunReadErrors: this.#tunReadErrors,
      tunMalformed: this.#tunMalformed,
      tunSuperPackets: this.#tunSuperPackets,
      tunMergedWrites: this.#offload?.writes.writes ?? 0,
      tunMergedPackets: this.#offload?.writes.mergedPackets ?? 0,
      tunWriteErrors: this.#tunWriteErrors,
      receiveErrors: receiver.receiveErrors,
      dnsQueries: this.#dns?.queries ?? 0,
      dnsResponses: this.#dns?.responses ?? 0,
      lookups: this.#lookups,
      lookupFailures: this.#lookupFailures,
      wakeups: this.#wakeups,
      coreErrors: this.#coreErrors,
    };
  }

  /** Gives up on a descriptor that failed `streak` readinesses in a row; the shell exits. */
  #checkBroken(what: string, streak: number): void {
    if (streak < MAX_EMPTY_READINESS) return;
    throw new Error(`${what} fails every read (${lastErrorName()}); was it removed?`);
  }

  #take(): number {
    const slot = this.#pool.take();
    if (slot === undefined) throw new Error("the data plane's pool is smaller than its batches");
    return slot;
  }

  #receiveDatagrams(): void {
    const errors = this.#receiver.receiveErrors;
    const count = this.#receiver.receive();
    if (count > 0) this.#emptyUdpReadiness = 0;
    else if (this.#receiver.receiveErrors > errors) {
      this.#checkBroken("the UDP socket", ++this.#emptyUdpReadiness);
    }
    const core = this.#core;
    const pool = this.#pool;
    const headroom = pool.headroom;
    const offload = this.#offload;
    const now = this.#now();
    for (let i = 0; i < count; i++) {
      const length = this.#receiver.length(i);
      if (length < 0) continue;
      const record = pool.offsetOf(this.#udpSlots[i] ?? 0);
      const from = this.#peers.endpointOf(this.#poolBytes, this.#poolWords, record >> 2);
      if (from === undefined) {
        this.#droppedDatagrams++;
        continue;
      }
      const datagram = new Uint8Array(pool.buffer, record + headroom, length);
      try {
        const inPlace = this.#openInPlace[i];
        if (
          offload?.merging === true &&
          inPlace !== undefined &&
          datagram[0] === MessageType.Transport
        ) {
          // Opened in place, the packet stays in its slot until the batch's TUN writes, which
          // merge each TCP flow's run of segments into one super-packet.
          const result = core.handleDatagram(from, datagram, inPlace, now);
          const held =
            result.kind === "tun" &&
            result.packet.buffer === pool.buffer &&
            result.packet.byteOffset === inPlace.byteOffset;
          if (!held) {
            // Anything else goes after what is held, so that no flow's packets change order.
            this.#tunWriteErrors += offload.flush(this.#tunFd, this.#pointerOf);
            this.#handle(result, true);
          } else if (!offload.hold(result.packet)) {
            this.#tunWriteErrors += offload.flush(this.#tunFd, this.#pointerOf);
            offload.hold(result.packet);
          }
        } else {
          // A reply (a handshake response, a cookie) lies in the one output slot: send it now.
          this.#handle(core.handleDatagram(from, datagram, this.#openView, now), true);
        }
      } catch {
        this.#coreErrors++;
      }
    }
    if (offload !== undefined) this.#tunWriteErrors += offload.flush(this.#tunFd, this.#pointerOf);
    this.#datagrams += count;
  }

  #readTun(): void {
    const core = this.#core;
    const pool = this.#pool;
    const headroom = pool.headroom;
    const now = this.#now();
    let count = 0;
    for (; count < BATCH; count++) {
      const at = pool.offsetOf(this.#tunSlots[count] ?? 0) + headroom;
      const length = readPacket(this.#tunFd, this.#base + at, SLOT_CAPACITY);
      if (length < 0) {
        if (length === READ_FAILED) {
          this.#tunReadErrors++;
          if (count === 0) this.#checkBroken("the TUN device", ++this.#emptyTunReadiness);
        }
        break;
      }
      this.#emptyTunReadiness = 0;
      const packet = new Uint8Array(pool.buffer, at, length);
      const seal = this.#sealViews[count] ?? this.#scratch;
      try {
        this.#handle(core.handleTunPacket(packet, seal, now), false);
      } catch {
        this.#coreErrors++;
      }
    }
    this.#tunPackets += count;
    this.#sender.flush();
  }

  /**
   * The offloaded TUN path: each read is a virtio_net_hdr and a packet, maybe a TCP super-packet
   * of up to 64 KiB. A packet with its checksum left to us gets it; a super-packet is cut into
   * MSS-sized segments, each written into a TUN slot and sealed there like a plain read. When
   * every slot holds a sealed datagram, the batch is sent and the slots are used again.
   */
  #readTunOffloaded(offload: TunOffload): void {
    const core = this.#core;
    const pool = this.#pool;
    const headroom = pool.headroom;
    const now = this.#now();
    let used = 0;
    let packets = 0;
    // Bounded by packets, not reads: one read may be 50 segments, and the other descriptors wait.
    for (let reads = 0; reads < BATCH && packets < BATCH; reads++) {
      const length = readPacket(this.#tunFd, offload.pointer, offload.buffer.length);
      if (length < 0) {
        if (length === READ_FAILED) {
          this.#tunReadErrors++;
          if (reads === 0) this.#checkBroken("the TUN device", ++this.#emptyTunReadiness);
        }
        break;
      }
      this.#emptyTunReadiness = 0;
      const segments = offload.take(length);
      if (segments <= 0) {
        this.#tunMalformed++;
        continue;
      }
      if (offload.segmented) this.#tunSuperPackets++;
      for (let i = 0; i < segments; i++) {
        if (used === BATCH) {
          this.#sender.flush();
          used = 0;
        }
        const packetLength = offload.write(i, this.#tunViews[used] ?? this.#scratch);
        if (packetLength <= 0) {
          this.#tunMalformed++;
          continue;
        }
        const at = pool.offsetOf(this.#tunSlots[used] ?? 0) + headroom;
        const packet = new Uint8Array(pool.buffer, at, packetLength);
        const seal = this.#sealViews[used] ?? this.#scratch;
        used++;
        packets++;
        try {
          this.#handle(core.handleTunPacket(packet, seal, now), false);
        } catch {
          this.#coreErrors++;
        }
      }
    }
    this.#tunPackets += packets;
    this.#sender.flush();
  }

  /**
   * Acts on one result. A datagram sealed in its own TUN slot waits for the batch's flush;
   * with `sendNow`, or when it lies outside the pool (a buffer the core reuses), it goes now.
   */
  #handle(result: TunnelOutput, sendNow: boolean): void {
    if (result.kind === "transmit") {
      const datagram = result.datagram;
      this.#queue(this.#pointerOf(datagram), datagram.length, result.to);
      if (sendNow || datagram.buffer !== this.#pool.buffer) this.#sender.flush();
    } else if (result.kind === "tun") {
      this.#writeTun(result.packet);
    }
  }

  #queue(pointer: number, length: number, to: Endpoint): void {
    const index = this.#peers.recordFor(to);
    if (index < 0) {
      this.#sender.sendErrors++;
      return;
    }
    this.#sender.add(pointer, length, this.#peers.pointer(index), index);
  }

  #writeTun(packet: Uint8Array): void {
    const pointer = this.#pointerOf(packet);
    const written =
      this.#offload === undefined
        ? writePacket(this.#tunFd, pointer, packet.length)
        : this.#offload.writer.write(this.#tunFd, pointer, packet.length);
    if (!written) this.#tunWriteErrors++;
  }

  /** Native address of bytes in the pool (no lookup) or anywhere else (`ptr`). */
  readonly #pointerOf = (bytes: Uint8Array): number =>
    bytes.buffer === this.#pool.buffer ? this.#base + bytes.byteOffset : ptr(bytes);

  #afterInput(): void {
    const core = this.#core;
    const now = this.#now();
    for (let out = core.pollTransmit(this.#scratch, now); out; ) {
      this.#queue(this.#pointerOf(out.datagram), out.datagram.length, out.to);
      this.#sender.flush();
      out = core.pollTransmit(this.#scratch, now);
    }
    for (let packet = core.pollPacket?.(); packet; packet = core.pollPacket?.()) {
      this.#writeTun(packet);
    }
    for (let event = core.pollEvent(); event; event = core.pollEvent()) this.#onEvent(event);
    const dns = this.#dns;
    if (dns !== undefined) {
      for (let query = core.pollDnsQuery?.(); query; query = core.pollDnsQuery?.()) {
        dns.send(query.query, query.upstream);
      }
    }
    for (let request = core.pollResolve?.(); request; request = core.pollResolve?.()) {
      this.#lookups++;
      this.#onResolve(request);
    }
  }

  #receiveDns(dns: DnsSocket): void {
    const core = this.#core;
    dns.receive((upstream, response) => core.handleDnsResponse?.(upstream, response, this.#now()));
  }
}

import type { BufferPool, PacketChannel } from "@fz/bufferpool";
import { IoWorkers } from "./io-workers.ts";
import { SOCKET_ADDRESS_BYTES } from "./socket-address.ts";
import { UdpPacketIoError } from "./udp-errors.ts";
import { UDP_COUNTER_COUNT, UdpCounter, type UdpWorkerInit } from "./udp-io-protocol.ts";
import type { UdpSocket } from "./udp-socket.ts";

/** Datagrams per recvmmsg/sendmmsg call and per channel operation, unless told otherwise. */
export const DEFAULT_UDP_BATCH_SIZE = 64;

export interface UdpPacketIoOptions {
  readonly pool: BufferPool;
  /**
   * Where received datagrams go: the source in the slot's address record, the bytes at the
   * descriptor's `meta` offset (`pool.headroom`). The consumer gives the slots back.
   */
  readonly fromNetwork: PacketChannel;
  /**
   * What to send: the destination in the slot's address record (`writeSlotAddress`), the bytes
   * at `meta` (at least `SLOT_DATA_MIN_OFFSET`). The sender gives each slot back after sending.
   * Closing this channel stops the sender once it has sent what the channel holds.
   */
  readonly toNetwork: PacketChannel;
  /** Datagrams per system call and channel operation. Default 64. */
  readonly batchSize?: number;
  /**
   * Sends runs of equal-size datagrams to one peer as one UDP GSO message (UDP_SEGMENT). Off by
   * default; falls back to single datagrams by itself where the kernel or device refuses.
   */
  readonly gso?: boolean;
}

export interface UdpIoStats {
  /** Datagrams handed to `fromNetwork`, and their bytes. */
  readonly received: number;
  readonly receivedBytes: number;
  /** recvmmsg calls that returned datagrams. */
  readonly receiveCalls: number;
  /** Received while the pool had no free slot, and dropped. */
  readonly droppedNoSlot: number;
  /** Received while `fromNetwork` was full, and dropped. */
  readonly droppedChannelFull: number;
  /** Datagrams larger than a slot's data area, and dropped. */
  readonly droppedTooLarge: number;
  readonly receiveErrors: number;
  /** Datagrams the kernel accepted, and their bytes. */
  readonly sent: number;
  readonly sentBytes: number;
  /** sendmmsg calls, including retries. */
  readonly sendCalls: number;
  /** Datagrams the kernel refused (no route, wrong family, bad descriptor), dropped. */
  readonly sendErrors: number;
  /** GSO messages the kernel accepted, each carrying several of the `sent` datagrams. */
  readonly gsoMessages: number;
  /** Times GSO was turned off because the kernel answered EIO. */
  readonly gsoFallbacks: number;
}

/**
 * Moves UDP datagrams between a socket and pool slots on two Worker threads, as `TunPacketIo`
 * does for the TUN device: a receiver that sleeps in poll() and takes batches with recvmmsg
 * straight into slots, and a sender that sleeps on `toNetwork` and sends batches with sendmmsg
 * straight from slots. Each datagram's peer travels in its slot's address record; only slot
 * numbers cross threads, never bytes.
 */
export class UdpPacketIo {
  readonly #counters = new Float64Array(new SharedArrayBuffer(UDP_COUNTER_COUNT * 8));
  readonly #workers: IoWorkers;
  readonly #toNetwork: PacketChannel;

  static async start(socket: UdpSocket, options: UdpPacketIoOptions): Promise<UdpPacketIo> {
    const batchSize = options.batchSize ?? DEFAULT_UDP_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1024) {
      throw new UdpPacketIoError(
        `invalid batchSize ${batchSize}: use a whole number from 1 to 1024`,
      );
    }
    if (options.pool.headroom < SOCKET_ADDRESS_BYTES) {
      throw new UdpPacketIoError(
        `pool headroom is ${options.pool.headroom} bytes, less than the ${SOCKET_ADDRESS_BYTES}-byte address record: use a headroom of at least ${SOCKET_ADDRESS_BYTES}`,
      );
    }
    if (socket.closed) throw new UdpPacketIoError("the UDP socket is closed");
    const io = new UdpPacketIo(options.toNetwork);
    const common = {
      fd: socket.fd,
      family: socket.family,
      wakeFd: io.#workers.wakeFd,
      pool: options.pool.buffer,
      counters: io.#counters.buffer as SharedArrayBuffer,
      batchSize,
      gso: options.gso ?? false,
    };
    const receiver: UdpWorkerInit = {
      ...common,
      role: "receiver",
      channel: options.fromNetwork.buffer,
    };
    const sender: UdpWorkerInit = { ...common, role: "sender", channel: options.toNetwork.buffer };
    try {
      await Promise.all([
        io.#workers.launch(0, "UDP receiver", receiver),
        io.#workers.launch(1, "UDP sender", sender),
      ]);
    } catch (error) {
      await io.stop();
      throw error;
    }
    return io;
  }

  private constructor(toNetwork: PacketChannel) {
    this.#toNetwork = toNetwork;
    this.#workers = new IoWorkers(
      new URL("./udp-io-worker.ts", import.meta.url),
      2,
      (message) => new UdpPacketIoError(message),
    );
  }

  stats(): UdpIoStats {
    const count = (index: number) => this.#counters[index] ?? 0;
    return {
      received: count(UdpCounter.Received),
      receivedBytes: count(UdpCounter.ReceivedBytes),
      receiveCalls: count(UdpCounter.ReceiveCalls),
      droppedNoSlot: count(UdpCounter.DroppedNoSlot),
      droppedChannelFull: count(UdpCounter.DroppedChannelFull),
      droppedTooLarge: count(UdpCounter.DroppedTooLarge),
      receiveErrors: count(UdpCounter.ReceiveErrors),
      sent: count(UdpCounter.Sent),
      sentBytes: count(UdpCounter.SentBytes),
      sendCalls: count(UdpCounter.SendCalls),
      sendErrors: count(UdpCounter.SendErrors),
      gsoMessages: count(UdpCounter.GsoMessages),
      gsoFallbacks: count(UdpCounter.GsoFallbacks),
    };
  }

  /**
   * Stops both Workers (the sender after what `toNetwork` still holds; the receiver gives back
   * the slots it had armed) and waits for them. The socket stays open. Safe to call twice.
   */
  stop(): Promise<void> {
    return this.#workers.stop(this.#toNetwork);
  }
}

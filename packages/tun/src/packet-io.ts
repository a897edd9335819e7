import type { BufferPool, PacketChannel } from "@fz/bufferpool";
import { TunOpenError } from "./errors.ts";
import { COUNTER_COUNT, Counter, type IoWorkerInit } from "./io-protocol.ts";
import { IoWorkers } from "./io-workers.ts";
import type { TunDevice } from "./tun-device.ts";

export interface TunPacketIoOptions {
  readonly pool: BufferPool;
  /** Where read packets go: descriptors whose `meta` is the packet's byte offset in its slot. */
  readonly fromTun: PacketChannel;
  /**
   * What to write: descriptors whose `meta` is the packet's byte offset in its slot. The writer
   * gives each slot back to the pool after writing it. Closing this channel stops the writer.
   * Leave it out to write from another thread with `writePacket` instead (no writer Worker).
   */
  readonly toTun?: PacketChannel;
  /** Packets moved per channel operation. Default 64. */
  readonly batchSize?: number;
}

export interface TunIoStats {
  readonly read: number;
  readonly written: number;
  /** Read while the pool had no free slot, and dropped. */
  readonly droppedNoSlot: number;
  /** Read while `fromTun` was full, and dropped. */
  readonly droppedChannelFull: number;
  readonly readErrors: number;
  readonly writeErrors: number;
}

/**
 * Moves packets between a TUN device and pool slots on two Worker threads: a reader that
 * sleeps in poll() and reads into slots until the device would block, and a writer that
 * sleeps on its channel. Packets are never copied; only slot numbers cross threads.
 */
export class TunPacketIo {
  readonly #counters = new Float64Array(new SharedArrayBuffer(COUNTER_COUNT * 8));
  readonly #workers: IoWorkers;
  readonly #toTun: PacketChannel | undefined;

  static async start(device: TunDevice, options: TunPacketIoOptions): Promise<TunPacketIo> {
    if (options.pool.slotCapacity < device.mtu) {
      throw new TunOpenError(
        `pool slots hold ${options.pool.slotCapacity} bytes, less than the MTU ${device.mtu}: use a larger slotCapacity`,
      );
    }
    const toTun = options.toTun;
    const io = new TunPacketIo(toTun);
    const common = {
      fd: device.fd,
      wakeFd: io.#workers.wakeFd,
      pool: options.pool.buffer,
      counters: io.#counters.buffer as SharedArrayBuffer,
      batchSize: options.batchSize ?? 64,
    };
    const reader: IoWorkerInit = { ...common, role: "reader", channel: options.fromTun.buffer };
    try {
      await Promise.all([
        io.#workers.launch(0, "TUN reader", reader),
        ...(toTun === undefined
          ? []
          : [
              io.#workers.launch(1, "TUN writer", {
                ...common,
                role: "writer",
                channel: toTun.buffer,
              } satisfies IoWorkerInit),
            ]),
      ]);
    } catch (error) {
      await io.stop();
      throw error;
    }
    return io;
  }

  private constructor(toTun: PacketChannel | undefined) {
    this.#toTun = toTun;
    this.#workers = new IoWorkers(
      new URL("./io-worker.ts", import.meta.url),
      toTun === undefined ? 1 : 2,
      (message) => new TunOpenError(message),
    );
  }

  stats(): TunIoStats {
    const count = (index: number) => this.#counters[index] ?? 0;
    return {
      read: count(Counter.Read),
      written: count(Counter.Written),
      droppedNoSlot: count(Counter.DroppedNoSlot),
      droppedChannelFull: count(Counter.DroppedChannelFull),
      readErrors: count(Counter.ReadErrors),
      writeErrors: count(Counter.WriteErrors),
    };
  }

  /** Stops the Workers (the writer after what `toTun` still holds) and waits for them. */
  stop(): Promise<void> {
    return this.#workers.stop(this.#toTun);
  }
}

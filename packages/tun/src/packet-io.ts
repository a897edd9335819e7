import { ptr } from "bun:ffi";
import type { BufferPool, PacketChannel } from "@fz/bufferpool";
import { TunOpenError } from "./errors.ts";
import { COUNTER_COUNT, Counter, type IoWorkerInit, type IoWorkerMessage } from "./io-protocol.ts";
import { errno, errnoName, libc, O_CLOEXEC } from "./linux/libc.ts";
import type { TunDevice } from "./tun-device.ts";

export interface TunPacketIoOptions {
  readonly pool: BufferPool;
  /** Where read packets go: descriptors whose `meta` is the packet's byte offset in its slot. */
  readonly fromTun: PacketChannel;
  /**
   * What to write: descriptors whose `meta` is the packet's byte offset in its slot. The writer
   * gives each slot back to the pool after writing it. Closing this channel stops the writer.
   * Leave it out to write from the calling thread with `TunWriter` instead (no writer Worker).
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
  readonly #counters: Float64Array;
  readonly #workers: readonly Worker[];
  readonly #stopped: readonly Promise<void>[];
  readonly #wakeRead: number;
  readonly #wakeWrite: number;
  readonly #toTun: PacketChannel | undefined;

  static async start(device: TunDevice, options: TunPacketIoOptions): Promise<TunPacketIo> {
    if (options.pool.slotCapacity < device.mtu) {
      throw new TunOpenError(
        `pool slots hold ${options.pool.slotCapacity} bytes, less than the MTU ${device.mtu}: use a larger slotCapacity`,
      );
    }
    const pipe = new Int32Array(2);
    if (libc.pipe2(ptr(pipe), O_CLOEXEC) < 0) {
      throw new TunOpenError(`pipe2 for the reader's wake-up failed: ${errnoName(errno())}`);
    }
    const io = new TunPacketIo(pipe[0] ?? -1, pipe[1] ?? -1, options.toTun);
    const common = {
      fd: device.fd,
      wakeFd: io.#wakeRead,
      pool: options.pool.buffer,
      counters: io.#counters.buffer as SharedArrayBuffer,
      batchSize: options.batchSize ?? 64,
    };
    const toTun = options.toTun;
    await Promise.all([
      io.#launch(0, { ...common, role: "reader", channel: options.fromTun.buffer }),
      ...(toTun === undefined
        ? []
        : [io.#launch(1, { ...common, role: "writer", channel: toTun.buffer })]),
    ]);
    return io;
  }

  private constructor(wakeRead: number, wakeWrite: number, toTun: PacketChannel | undefined) {
    this.#counters = new Float64Array(new SharedArrayBuffer(COUNTER_COUNT * 8));
    this.#wakeRead = wakeRead;
    this.#wakeWrite = wakeWrite;
    this.#toTun = toTun;
    const count = toTun === undefined ? 1 : 2;
    const workers = Array.from(
      { length: count },
      () => new Worker(new URL("./io-worker.ts", import.meta.url).href),
    );
    this.#workers = workers;
    this.#stopped = workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          worker.addEventListener("message", (event: MessageEvent<IoWorkerMessage>) => {
            if (event.data.kind !== "ready") resolve();
          });
          worker.addEventListener("error", () => resolve());
        }),
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
  async stop(): Promise<void> {
    libc.write(this.#wakeWrite, ptr(Uint8Array.of(1)), 1);
    this.#toTun?.close();
    await Promise.all(this.#stopped);
    for (const worker of this.#workers) worker.terminate();
    libc.close(this.#wakeRead);
    libc.close(this.#wakeWrite);
  }

  #launch(index: number, init: IoWorkerInit): Promise<void> {
    const worker = this.#workers[index] as Worker;
    return new Promise((resolve, reject) => {
      const onMessage = (event: MessageEvent<IoWorkerMessage>) => {
        if (event.data.kind === "ready") resolve();
        else if (event.data.kind === "failed")
          reject(new TunOpenError(`TUN ${init.role} failed: ${event.data.message}`));
      };
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", (event) =>
        reject(new TunOpenError(`TUN ${init.role} crashed: ${event.message}`)),
      );
      worker.postMessage(init);
    });
  }
}

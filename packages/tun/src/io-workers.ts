import { ptr } from "bun:ffi";
import type { PacketChannel } from "@fz/bufferpool";
import type { IoWorkerMessage } from "./io-protocol.ts";
import { errno, errnoName, libc, O_CLOEXEC } from "./linux/libc.ts";

/**
 * The Worker threads of an I/O pump (`TunPacketIo`, `UdpPacketIo`) and what stops them: a wake
 * pipe whose readability tells a reader sleeping in poll() to return, and the outbound channel,
 * whose closing tells a writer sleeping on it to finish what it holds.
 */
export class IoWorkers {
  readonly wakeFd: number;
  readonly #wakeWrite: number;
  readonly #workers: readonly Worker[];
  readonly #stopped: readonly Promise<void>[];
  readonly #fail: (message: string) => Error;
  #stopping: Promise<void> | undefined;

  /** Makes the wake pipe and `count` Workers running `script`; `fail` builds launch errors. */
  constructor(script: URL, count: number, fail: (message: string) => Error) {
    const pipe = new Int32Array(2);
    if (libc.pipe2(ptr(pipe), O_CLOEXEC) < 0) {
      throw fail(`pipe2 for the Workers' wake-up failed: ${errnoName(errno())}`);
    }
    this.wakeFd = pipe[0] ?? -1;
    this.#wakeWrite = pipe[1] ?? -1;
    this.#fail = fail;
    this.#workers = Array.from({ length: count }, () => new Worker(script.href));
    this.#stopped = this.#workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          worker.addEventListener("message", (event: MessageEvent<IoWorkerMessage>) => {
            if (event.data.kind !== "ready") resolve();
          });
          worker.addEventListener("error", () => resolve());
        }),
    );
  }

  /** Sends Worker `index` its start message and resolves once it says it is ready. */
  launch(index: number, role: string, init: object): Promise<void> {
    const worker = this.#workers[index];
    if (worker === undefined) return Promise.reject(this.#fail(`no Worker ${index}`));
    return new Promise((resolve, reject) => {
      worker.addEventListener("message", (event: MessageEvent<IoWorkerMessage>) => {
        if (event.data.kind === "ready") resolve();
        else if (event.data.kind === "failed")
          reject(this.#fail(`${role} failed: ${event.data.message}`));
      });
      worker.addEventListener("error", (event) =>
        reject(this.#fail(`${role} crashed: ${event.message}`)),
      );
      worker.postMessage(init);
    });
  }

  /** Wakes the reader, closes `outbound` (the writer drains it first), waits, cleans up. Safe to call twice. */
  stop(outbound: PacketChannel | undefined): Promise<void> {
    this.#stopping ??= (async () => {
      libc.write(this.#wakeWrite, ptr(Uint8Array.of(1)), 1);
      outbound?.close();
      await Promise.all(this.#stopped);
      for (const worker of this.#workers) worker.terminate();
      libc.close(this.wakeFd);
      libc.close(this.#wakeWrite);
    })();
    return this.#stopping;
  }
}

import type { PacketChannel } from "@fz/bufferpool";
import type { IoWorkerMessage } from "./io-protocol.ts";
import { WakePipe } from "./wake-pipe.ts";

/**
 * The Worker threads of an I/O pump (`TunPacketIo`, `UdpPacketIo`) and what stops them: a wake
 * pipe whose readability tells a reader sleeping in poll() to return, and the outbound channel,
 * whose closing tells a writer sleeping on it to finish what it holds.
 */
export class IoWorkers {
  readonly wakeFd: number;
  readonly #wake: WakePipe;
  readonly #workers: readonly Worker[];
  readonly #stopped: readonly Promise<void>[];
  readonly #fail: (message: string) => Error;
  #stopping: Promise<void> | undefined;

  /** Makes the wake pipe and `count` Workers running `script`; `fail` builds launch errors. */
  constructor(script: URL, count: number, fail: (message: string) => Error) {
    this.#wake = new WakePipe(fail);
    this.wakeFd = this.#wake.readFd;
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
      this.#wake.wake();
      outbound?.close();
      await Promise.all(this.#stopped);
      for (const worker of this.#workers) worker.terminate();
      this.#wake.close();
    })();
    return this.#stopping;
  }
}

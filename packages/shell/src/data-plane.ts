import type { Logger } from "@fz/log";
import { WakePipe } from "@fz/tun";
import type { TunnelEvent } from "@fz/tunnel";
import type {
  DataPlaneAnswers,
  DataPlaneCommand,
  DataPlaneInit,
  DataPlaneReport,
} from "./data-plane-protocol.ts";
import type { CoreSpec, NameResolver, ResolvedAddresses } from "./tunnel-core.ts";

/** The data-plane Worker could not start, or stopped working. */
export class DataPlaneError extends Error {
  readonly _tag = "DataPlaneError";
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "DataPlaneError";
  }
}

export interface DataPlaneOptions {
  readonly core: CoreSpec;
  readonly tunFd: number;
  readonly udpFd: number;
  /** The socket for forwarded DNS queries (the client), or -1. */
  readonly dnsFd: number;
  /** Send runs of equal datagrams as one UDP GSO message. Default true. */
  readonly gso?: boolean;
  /** The TUN device was opened with offloads: a virtio_net_hdr before each packet. */
  readonly tunVnetHeader?: boolean;
  readonly logger: Logger;
  /** Runs the core's name lookups (the gateway's DNS resources). */
  readonly resolve?: NameResolver | undefined;
}

/** How long `stop()` waits for the Worker to finish its loop before terminating it. */
const STOP_GRACE_MS = 5000;

/**
 * The main thread's handle on the data-plane Worker (`DataPlaneLoop`), which owns the core and
 * the descriptors. The main thread keeps what is slow or rare: logging the core's events,
 * running name lookups, answering for counters, and stopping. Commands travel on a message
 * port and a wake pipe, since the Worker sleeps in poll() rather than in an event loop.
 */
export class DataPlane {
  readonly aead: string;
  readonly info: Record<string, unknown>;
  /** Settles with an error if the Worker fails while running; never rejects. */
  readonly failure: Promise<DataPlaneError>;
  readonly #worker: Worker;
  readonly #wake: WakePipe;
  readonly #control: MessagePort;
  readonly #stopped: Promise<void>;
  /** Questions asked of the Worker, by id, with what to answer when it cannot. */
  readonly #waiters = new Map<number, { resolve: (answer: never) => void; fallback: unknown }>();
  #nextQuestionId = 1;
  #stopping: Promise<void> | undefined;

  static async start(options: DataPlaneOptions): Promise<DataPlane> {
    const wake = new WakePipe((message) => new DataPlaneError(message));
    const worker = new Worker(new URL("./data-plane-worker.ts", import.meta.url).href, {
      smol: true,
    });
    const channel = new MessageChannel();
    const init: DataPlaneInit = {
      core: options.core,
      tunFd: options.tunFd,
      udpFd: options.udpFd,
      dnsFd: options.dnsFd,
      wakeFd: wake.readFd,
      control: channel.port2,
      gso: options.gso ?? true,
      tunVnetHeader: options.tunVnetHeader ?? false,
    };
    try {
      const ready = await new Promise<Extract<DataPlaneReport, { type: "ready" }>>(
        (resolve, reject) => {
          worker.onmessage = (event: MessageEvent<DataPlaneReport>) => {
            if (event.data.type === "ready") resolve(event.data);
            else if (event.data.type === "failed") {
              reject(new DataPlaneError(`the data plane did not start: ${event.data.message}`));
            }
          };
          worker.onerror = (event) =>
            reject(new DataPlaneError(`the data plane did not start: ${event.message}`));
          worker.postMessage(init, [channel.port2]);
        },
      );
      if (ready.aeadFallback !== undefined) {
        options.logger.warn("native AEAD unavailable, using @noble/ciphers", {
          reason: ready.aeadFallback,
        });
      }
      return new DataPlane(worker, wake, channel.port1, ready, options);
    } catch (error) {
      worker.terminate();
      channel.port1.close();
      wake.close();
      throw error;
    }
  }

  private constructor(
    worker: Worker,
    wake: WakePipe,
    control: MessagePort,
    ready: Extract<DataPlaneReport, { type: "ready" }>,
    options: DataPlaneOptions,
  ) {
    this.#worker = worker;
    this.#wake = wake;
    this.#control = control;
    this.aead = ready.aead;
    this.info = ready.info;
    let failed: (error: DataPlaneError) => void = () => {};
    this.failure = new Promise((resolve) => {
      failed = resolve;
    });
    let stopped: () => void = () => {};
    this.#stopped = new Promise((resolve) => {
      stopped = resolve;
    });
    const { logger, resolve } = options;
    worker.onmessage = (event: MessageEvent<DataPlaneReport>) => {
      const message = event.data;
      switch (message.type) {
        case "event":
          logger.info(eventMessage(message.event), { ...message.event });
          return;
        case "resolve": {
          const { id, name, family } = message.request;
          const lookup =
            resolve === undefined ? Promise.resolve("failed" as const) : resolve(name, family);
          void lookup
            .catch((): ResolvedAddresses => "failed")
            .then((addresses) => this.#command({ type: "resolved", id, addresses }));
          return;
        }
        case "answer": {
          const waiter = this.#waiters.get(message.id);
          this.#waiters.delete(message.id);
          waiter?.resolve((message.answer ?? waiter.fallback) as never);
          return;
        }
        case "stopped":
          stopped();
          return;
        case "failed":
          logger.error("data plane failed", { error: message.message, stack: message.stack });
          failed(new DataPlaneError(`the data plane failed: ${message.message}`));
          stopped();
          return;
        case "ready":
          return;
      }
    };
    worker.onerror = (event) => {
      failed(new DataPlaneError(`the data plane crashed: ${event.message}`));
      stopped();
    };
  }

  /** The data plane's and the core's counters, as the Worker sees them now. */
  stats(): Promise<DataPlaneAnswers["stats"]> {
    return this.#ask("stats", {});
  }

  /** Each peer as `wg show` describes it; none once stopping. */
  peers(): Promise<DataPlaneAnswers["peers"]> {
    return this.#ask("peers", []);
  }

  /** Ends the loop, waits for the Worker (terminating it after a grace period), cleans up. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#command({ type: "stop" });
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#stopped,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, STOP_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      this.#worker.terminate();
      this.#control.close();
      this.#wake.close();
      for (const waiter of this.#waiters.values()) waiter.resolve(waiter.fallback as never);
      this.#waiters.clear();
    })();
    return this.#stopping;
  }

  #ask<Q extends keyof DataPlaneAnswers>(
    question: Q,
    fallback: DataPlaneAnswers[Q],
  ): Promise<DataPlaneAnswers[Q]> {
    if (this.#stopping !== undefined) return Promise.resolve(fallback);
    const id = this.#nextQuestionId++;
    return new Promise((resolve) => {
      this.#waiters.set(id, { resolve, fallback });
      this.#command({ type: "ask", id, question });
    });
  }

  #command(command: DataPlaneCommand): void {
    this.#control.postMessage(command);
    this.#wake.wake();
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

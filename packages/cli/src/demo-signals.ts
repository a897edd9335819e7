const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];
/** 128 + the signal's number, as a shell reports a command a signal ended. */
export const EXIT_STATUS: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Thrown where a signal stops the demo's set-up or checks; cleaning up still follows. */
export class Interrupted extends Error {
  readonly signal: StopSignal;

  constructor(signal: StopSignal) {
    super(`interrupted by ${signal}`);
    this.name = "Interrupted";
    this.signal = signal;
  }
}

/** Ctrl-C and friends while the demo runs: the first asks it to stop, a second forces it. */
export interface StopRequests {
  /** The signal that asked the demo to stop, once one has. */
  readonly received: () => StopSignal | undefined;
  /** Resolves with the first signal. */
  readonly next: Promise<StopSignal>;
  /** Gives the signals back to whoever listened before. */
  release(): void;
}

/**
 * Takes SIGINT, SIGTERM and SIGHUP over until `release()`. The listeners already there (the
 * netns package's, which delete namespaces and exit at once) are set aside, so that a first
 * signal lets the demo stop the client and the gateway in order and say what it removed; a
 * second one runs `forceCleanUp` and exits. `release()` puts the set-aside listeners back.
 */
export function takeStopSignals(forceCleanUp: () => void): StopRequests {
  let received: StopSignal | undefined;
  let resolveNext: (signal: StopSignal) => void = () => {};
  const next = new Promise<StopSignal>((resolve) => {
    resolveNext = resolve;
  });
  const setAside = new Map<StopSignal, ReturnType<typeof process.rawListeners>>();
  const ours = new Map<StopSignal, () => void>();
  for (const signal of STOP_SIGNALS) {
    setAside.set(signal, process.rawListeners(signal));
    process.removeAllListeners(signal);
    const listener = () => {
      if (received === undefined) {
        received = signal;
        resolveNext(signal);
        return;
      }
      forceCleanUp();
      process.exit(EXIT_STATUS[signal]);
    };
    ours.set(signal, listener);
    process.on(signal, listener);
  }
  return {
    received: () => received,
    next,
    release() {
      for (const [signal, listener] of ours) process.off(signal, listener);
      for (const [signal, listeners] of setAside) {
        for (const listener of listeners) process.on(signal, listener as () => void);
      }
      ours.clear();
      setAside.clear();
    },
  };
}

export type PoolImpl = "lockfree" | "mutex" | "alloc";
export type ViewMode = "cached" | "fresh";

/** Sent to each bench worker: warm up, say ready, wait for the start word, run, report. */
export interface BenchJob {
  readonly impl: PoolImpl;
  readonly views: ViewMode;
  readonly pool: SharedArrayBuffer | undefined;
  /** Word 0 turns 1 when every worker is warm and timing starts. */
  readonly start: SharedArrayBuffer;
  readonly warmupOps: number;
  readonly ops: number;
  readonly slotBytes: number;
  readonly headroom: number;
}

export interface BenchReady {
  readonly kind: "ready";
}

export interface BenchDone {
  readonly kind: "done";
  /** Packets whose bytes read back wrong: must stay 0, or the pool handed a slot out twice. */
  readonly corrupted: number;
  readonly exhausted: number;
}

/** Bytes each operation writes into its packet buffer, a header's worth. */
export const WRITE_BYTES = 64;

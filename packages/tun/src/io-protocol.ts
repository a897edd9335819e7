/** What `TunPacketIo` posts to each of its Workers, and what they post back. */
export interface IoWorkerInit {
  readonly role: "reader" | "writer";
  readonly fd: number;
  /** Read end of a pipe whose readability tells the reader to stop. */
  readonly wakeFd: number;
  readonly pool: SharedArrayBuffer;
  readonly channel: SharedArrayBuffer;
  readonly counters: SharedArrayBuffer;
  readonly batchSize: number;
}

export type IoWorkerMessage =
  | { readonly kind: "ready" }
  | { readonly kind: "stopped" }
  | { readonly kind: "failed"; readonly message: string };

/** Float64 slots of the shared counters; each is written by one Worker only. */
export const Counter = {
  Read: 0,
  Written: 1,
  DroppedNoSlot: 2,
  DroppedChannelFull: 3,
  WriteErrors: 4,
  ReadErrors: 5,
} as const;
export const COUNTER_COUNT = 6;

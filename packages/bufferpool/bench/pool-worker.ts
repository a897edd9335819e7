import { BufferPool } from "@fz/bufferpool";
import { MutexPool } from "./mutex-pool.ts";
import { type BenchDone, type BenchJob, type BenchReady, WRITE_BYTES } from "./protocol.ts";

declare const self: Worker;

interface Tally {
  corrupted: number;
  exhausted: number;
}

self.onmessage = (event: MessageEvent<BenchJob>) => {
  const job = event.data;
  const run = runner(job);
  const tally: Tally = { corrupted: 0, exhausted: 0 };
  run(job.warmupOps, tally);
  self.postMessage({ kind: "ready" } satisfies BenchReady);
  Atomics.wait(new Int32Array(job.start), 0, 0);
  const timed: Tally = { corrupted: 0, exhausted: 0 };
  run(job.ops, timed);
  self.postMessage({ kind: "done", ...timed } satisfies BenchDone);
};

/** Each implementation gets its own loop, so every call site stays monomorphic. */
function runner(job: BenchJob): (ops: number, tally: Tally) => void {
  const h = job.headroom;
  if (job.impl === "alloc") {
    return (ops, tally) => {
      for (let i = 0; i < ops; i++) {
        const bytes = new Uint8Array(job.slotBytes);
        bytes.fill(i & 0xff, h, h + WRITE_BYTES);
        if (bytes[h + WRITE_BYTES - 1] !== (i & 0xff)) tally.corrupted++;
      }
    };
  }
  if (job.impl === "mutex") {
    const pool = MutexPool.attach(job.pool as SharedArrayBuffer);
    return (ops, tally) => {
      for (let i = 0; i < ops; i++) {
        const slot = pool.take();
        if (slot === undefined) {
          tally.exhausted++;
          continue;
        }
        const bytes = pool.bytes(slot);
        bytes.fill(i & 0xff, h, h + WRITE_BYTES);
        if (bytes[h + WRITE_BYTES - 1] !== (i & 0xff)) tally.corrupted++;
        pool.giveBack(slot);
      }
    };
  }
  const pool = BufferPool.attach(job.pool as SharedArrayBuffer);
  if (job.views === "fresh") {
    return (ops, tally) => {
      for (let i = 0; i < ops; i++) {
        const slot = pool.take();
        if (slot === undefined) {
          tally.exhausted++;
          continue;
        }
        const bytes = new Uint8Array(pool.buffer, pool.offsetOf(slot), pool.slotSize);
        bytes.fill(i & 0xff, h, h + WRITE_BYTES);
        if (bytes[h + WRITE_BYTES - 1] !== (i & 0xff)) tally.corrupted++;
        pool.giveBack(slot);
      }
    };
  }
  return (ops, tally) => {
    for (let i = 0; i < ops; i++) {
      const slot = pool.take();
      if (slot === undefined) {
        tally.exhausted++;
        continue;
      }
      const bytes = pool.bytes(slot);
      bytes.fill(i & 0xff, h, h + WRITE_BYTES);
      if (bytes[h + WRITE_BYTES - 1] !== (i & 0xff)) tally.corrupted++;
      pool.giveBack(slot);
    }
  };
}

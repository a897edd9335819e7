import { formatTable, median, writeBenchResults } from "@fz/bench";
import {
  BufferPool,
  DEFAULT_HEADROOM_BYTES,
  DEFAULT_SHARD_COUNT,
  MAX_DATAGRAM_BYTES,
} from "@fz/bufferpool";
import { MutexPool } from "./mutex-pool.ts";
import type { BenchDone, BenchJob, BenchReady, PoolImpl, ViewMode } from "./protocol.ts";

/**
 * Take + write + give-back from 1, 2 and 4 Workers for the lock-free pool, the same pool behind
 * a mutex, and a fresh Uint8Array per packet; then cached versus fresh slot views. Each figure is
 * the median of REPEATS timed runs, after every worker has warmed up.
 */
const OPS = Number(process.env.BENCH_OPS ?? 2_000_000);
const WARMUP_OPS = Number(process.env.BENCH_WARMUP_OPS ?? 500_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const SLOT_COUNT = 4096;
const WORKER_COUNTS: readonly number[] = (process.env.BENCH_WORKERS ?? "1,2,4")
  .split(",")
  .map(Number);
const IMPLS = (process.env.BENCH_IMPLS ?? "lockfree,mutex,alloc").split(",") as PoolImpl[];

interface Row {
  impl: PoolImpl;
  workers: number;
  ns_per_op: number;
  ops_per_s: number;
  [column: string]: string | number;
}

interface Variant {
  readonly views: ViewMode;
  /** Free-list rings of the lock-free pool; 1 isolates lock-freedom from sharding. */
  readonly shards: number;
}

const STANDARD: Variant = { views: "cached", shards: DEFAULT_SHARD_COUNT };

async function measure(impl: PoolImpl, workers: number, variant: Variant): Promise<number> {
  const samples: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    samples.push(await timedRun(impl, workers, variant));
  }
  return median(samples);
}

/** Returns nanoseconds per operation: wall time over all workers' operations together. */
async function timedRun(impl: PoolImpl, workers: number, variant: Variant): Promise<number> {
  const pool =
    impl === "lockfree"
      ? BufferPool.create({ slotCount: SLOT_COUNT, shards: variant.shards }).buffer
      : impl === "mutex"
        ? MutexPool.create(SLOT_COUNT, MAX_DATAGRAM_BYTES, DEFAULT_HEADROOM_BYTES).buffer
        : undefined;
  const start = new SharedArrayBuffer(4);
  const job: BenchJob = {
    impl,
    views: variant.views,
    pool,
    start,
    warmupOps: WARMUP_OPS,
    ops: OPS,
    slotBytes: DEFAULT_HEADROOM_BYTES + MAX_DATAGRAM_BYTES,
    headroom: DEFAULT_HEADROOM_BYTES,
  };
  const threads = Array.from(
    { length: workers },
    () => new Worker(new URL("./pool-worker.ts", import.meta.url).href),
  );
  try {
    const ready = threads.map((thread) => nextMessage<BenchReady>(thread));
    for (const thread of threads) thread.postMessage(job);
    await Promise.all(ready);
    const done = threads.map((thread) => nextMessage<BenchDone>(thread));
    const began = Bun.nanoseconds();
    Atomics.store(new Int32Array(start), 0, 1);
    Atomics.notify(new Int32Array(start), 0);
    const reports = await Promise.all(done);
    const elapsed = Bun.nanoseconds() - began;
    const corrupted = reports.reduce((sum, report) => sum + report.corrupted, 0);
    const exhausted = reports.reduce((sum, report) => sum + report.exhausted, 0);
    if (corrupted > 0 || exhausted > 0) {
      throw new Error(
        `${impl} with ${workers} workers: ${corrupted} corrupted, ${exhausted} exhausted`,
      );
    }
    return elapsed / (workers * OPS);
  } finally {
    for (const thread of threads) thread.terminate();
  }
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.addEventListener("message", (event: MessageEvent<T>) => resolve(event.data), {
      once: true,
    });
    worker.addEventListener("error", (event) => reject(new Error(event.message)), { once: true });
  });
}

const rows: Row[] = [];
for (const workers of WORKER_COUNTS) {
  for (const impl of IMPLS) {
    const ns = await measure(impl, workers, STANDARD);
    rows.push({ impl, workers, ns_per_op: ns, ops_per_s: Math.round(1e9 / ns) });
  }
}

const viewRows: { views: ViewMode; workers: number; ns_per_op: number; ops_per_s: number }[] = [];
for (const views of ["cached", "fresh"] as const) {
  const ns = await measure("lockfree", 1, { ...STANDARD, views });
  viewRows.push({ views, workers: 1, ns_per_op: ns, ops_per_s: Math.round(1e9 / ns) });
}

const singleRingRows: { shards: number; workers: number; ns_per_op: number; ops_per_s: number }[] =
  [];
for (const workers of WORKER_COUNTS) {
  if (!IMPLS.includes("lockfree")) break;
  const ns = await measure("lockfree", workers, { ...STANDARD, shards: 1 });
  singleRingRows.push({ shards: 1, workers, ns_per_op: ns, ops_per_s: Math.round(1e9 / ns) });
}

const nsOf = (impl: PoolImpl, workers: number): number =>
  rows.find((row) => row.impl === impl && row.workers === workers)?.ns_per_op ?? Number.NaN;
const ratios = WORKER_COUNTS.map((workers) => ({
  workers,
  lockfree_over_mutex: nsOf("lockfree", workers) / nsOf("mutex", workers),
  lockfree_over_alloc: nsOf("lockfree", workers) / nsOf("alloc", workers),
}));

console.log(
  `bufferpool: take + write ${64} bytes + give-back, ${OPS} ops per worker, median of ${REPEATS}\n`,
);
console.log(formatTable(rows, ["impl", "workers", "ns_per_op", "ops_per_s"]));
console.log("\nratios (lower is better for the lock-free pool)\n");
console.log(formatTable(ratios, ["workers", "lockfree_over_mutex", "lockfree_over_alloc"], 3));
console.log(
  `\nlock-free pool with a single ring (shards: 1), to separate lock-freedom from sharding\n`,
);
console.log(formatTable(singleRingRows, ["shards", "workers", "ns_per_op", "ops_per_s"]));
console.log("\nslot views, lock-free pool, 1 worker\n");
console.log(formatTable(viewRows, ["views", "workers", "ns_per_op", "ops_per_s"]));

const path = writeBenchResults("bufferpool", {
  ops_per_worker: OPS,
  repeats: REPEATS,
  shards: DEFAULT_SHARD_COUNT,
  rows,
  ratios,
  single_ring: singleRingRows,
  views: viewRows,
});
console.log(`\nwrote ${path}`);

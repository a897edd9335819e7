import { expect, test } from "bun:test";
import { BufferPool, PacketChannel } from "@fz/bufferpool";
import {
  Counter,
  IN_CHANNEL,
  IN_POOL,
  type StressJob,
  type StressReport,
} from "./stress-protocol.ts";

const WORKERS = 4;
const ITERATIONS = Number(process.env.STRESS_ITERATIONS ?? 1_000_000);
const SLOTS = 256;

test(`${WORKERS} Workers share the pool and a channel, ${ITERATIONS} cycles each, and no slot is owned twice or lost`, async () => {
  const pool = BufferPool.create({ slotCount: SLOTS, slotCapacity: 64, headroom: 16 });
  const channel = PacketChannel.create(128);
  const owners = new SharedArrayBuffer(SLOTS * 4);
  const counters = new SharedArrayBuffer(16);
  const workers = Array.from(
    { length: WORKERS },
    () => new Worker(new URL("./stress-worker.ts", import.meta.url).href),
  );
  try {
    const reports = await Promise.all(
      workers.map(
        (worker, index) =>
          new Promise<StressReport>((resolve, reject) => {
            worker.onmessage = (event: MessageEvent<StressReport>) => resolve(event.data);
            worker.onerror = (event) => reject(new Error(event.message));
            const job: StressJob = {
              id: index + 1,
              iterations: ITERATIONS,
              pool: pool.buffer,
              channel: channel.buffer,
              owners,
              counters,
            };
            worker.postMessage(job);
          }),
      ),
    );

    const ownerOf = new Int32Array(owners);
    let drained = 0;
    for (let d = channel.pop(); d !== undefined; d = channel.pop()) {
      expect(Atomics.compareExchange(ownerOf, d.slot, IN_CHANNEL, IN_POOL)).toBe(IN_CHANNEL);
      pool.giveBack(d.slot);
      drained++;
    }

    const count = new Int32Array(counters);
    expect(count[Counter.Violations]).toBe(0);
    expect(count[Counter.Pushed]).toBe(WORKERS * ITERATIONS);
    expect((count[Counter.Popped] ?? 0) + drained).toBe(WORKERS * ITERATIONS);
    expect(reports.reduce((sum, r) => sum + r.transfers, 0) + drained).toBe(WORKERS * ITERATIONS);
    expect(Array.from(ownerOf).every((owner) => owner === IN_POOL)).toBe(true);

    const stats = pool.stats();
    expect(stats.inUse).toBe(0);
    expect(stats.highWater).toBeLessThanOrEqual(SLOTS);
    const everySlot: number[] = [];
    for (let slot = pool.take(); slot !== undefined; slot = pool.take()) everySlot.push(slot);
    expect(everySlot.sort((a, b) => a - b)).toEqual(Array.from({ length: SLOTS }, (_, i) => i));
  } finally {
    for (const worker of workers) worker.terminate();
  }
});

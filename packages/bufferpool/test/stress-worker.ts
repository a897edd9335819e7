import { BufferPool, PacketChannel } from "@fz/bufferpool";
import {
  Counter,
  IN_CHANNEL,
  IN_POOL,
  type StressJob,
  type StressReport,
} from "./stress-protocol.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<StressJob>) => {
  self.postMessage(run(event.data));
};

function run(job: StressJob): StressReport {
  const pool = BufferPool.attach(job.pool);
  const channel = PacketChannel.attach(job.channel);
  const owners = new Int32Array(job.owners);
  const counters = new Int32Array(job.counters);
  const me = job.id;
  let exhaustedRetries = 0;
  let transfers = 0;

  const claim = (slot: number, from: number): void => {
    if (Atomics.compareExchange(owners, slot, from, me) !== from) {
      Atomics.add(counters, Counter.Violations, 1);
    }
  };
  const handOver = (slot: number, to: number): void => {
    if (Atomics.compareExchange(owners, slot, me, to) !== me) {
      Atomics.add(counters, Counter.Violations, 1);
    }
  };
  const stamp = (slot: number, value: number): void => {
    const view = pool.bytes(slot);
    for (let i = 0; i < 16; i++) view[pool.headroom + i] = (value >>> ((i & 3) * 8)) & 0xff;
  };
  const stampOf = (slot: number): number => {
    const view = pool.bytes(slot);
    const h = pool.headroom;
    const value =
      ((view[h] ?? 0) |
        ((view[h + 1] ?? 0) << 8) |
        ((view[h + 2] ?? 0) << 16) |
        ((view[h + 3] ?? 0) << 24)) >>>
      0;
    for (let i = 4; i < 16; i++) {
      if (view[h + i] !== view[h + (i & 3)]) return -1;
    }
    return value;
  };
  const receiveOne = (): boolean => {
    const descriptor = channel.pop();
    if (descriptor === undefined) return false;
    Atomics.add(counters, Counter.Popped, 1);
    claim(descriptor.slot, IN_CHANNEL);
    if (stampOf(descriptor.slot) !== descriptor.meta >>> 0)
      Atomics.add(counters, Counter.Violations, 1);
    if (descriptor.length !== (descriptor.meta & 0x3ff))
      Atomics.add(counters, Counter.Violations, 1);
    handOver(descriptor.slot, IN_POOL);
    pool.giveBack(descriptor.slot);
    transfers++;
    return true;
  };
  const takeSlot = (): number => {
    for (;;) {
      const slot = pool.take();
      if (slot !== undefined) return slot;
      exhaustedRetries++;
      receiveOne();
    }
  };

  for (let i = 0; i < job.iterations; i++) {
    const value = ((me << 24) | (i & 0xffffff)) >>> 0;

    const slot = takeSlot();
    claim(slot, IN_POOL);
    stamp(slot, value);
    if (stampOf(slot) !== value) Atomics.add(counters, Counter.Violations, 1);
    handOver(slot, IN_POOL);
    pool.giveBack(slot);

    const sent = takeSlot();
    claim(sent, IN_POOL);
    stamp(sent, value);
    handOver(sent, IN_CHANNEL);
    while (!channel.push(sent, value & 0x3ff, value | 0)) receiveOne();
    Atomics.add(counters, Counter.Pushed, 1);

    receiveOne();
  }
  return { id: me, poolCycles: job.iterations, transfers, exhaustedRetries };
}

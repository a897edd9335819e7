import { describe, expect, test } from "bun:test";
import { DescriptorBatch, IncompatibleBufferError, PacketChannel } from "@fz/bufferpool";
import fc from "fast-check";

describe("PacketChannel", () => {
  test("delivers descriptors in order and refuses pushes when full", () => {
    const channel = PacketChannel.create(4);
    expect(channel.capacity).toBe(4);
    for (let i = 0; i < 4; i++) expect(channel.push(i, 100 + i, 7)).toBe(true);
    expect(channel.push(9, 9)).toBe(false);
    expect(channel.length).toBe(4);
    expect(channel.pop()).toEqual({ slot: 0, length: 100, meta: 7 });
    expect(channel.push(4, 104)).toBe(true);
    const rest = [1, 2, 3, 4].map(() => channel.pop()?.slot);
    expect(rest).toEqual([1, 2, 3, 4]);
    expect(channel.pop()).toBeUndefined();
  });

  test("rounds the capacity up to a power of two", () => {
    expect(PacketChannel.create(100).capacity).toBe(128);
    expect(() => PacketChannel.create(0)).toThrow("invalid capacity");
  });

  test("pushes as much of a batch as fits and pops in batches", () => {
    const channel = PacketChannel.create(4);
    const batch = new DescriptorBatch(8);
    for (let i = 0; i < 6; i++) expect(batch.add(i, i * 10, i + 1)).toBe(true);
    expect(channel.pushBatch(batch)).toBe(4);
    const out = new DescriptorBatch(3);
    expect(channel.popBatch(out)).toBe(3);
    expect(Array.from(out.slots)).toEqual([0, 1, 2]);
    expect(Array.from(out.lengths)).toEqual([0, 10, 20]);
    expect(Array.from(out.metas)).toEqual([1, 2, 3]);
    expect(channel.pushBatch(batch, 4)).toBe(2);
    expect(channel.popBatch(out)).toBe(3);
    expect(Array.from(out.slots)).toEqual([3, 4, 5]);
    expect(channel.popBatch(out)).toBe(0);
    expect(out.count).toBe(0);
  });

  test("a full batch refuses more descriptors", () => {
    const batch = new DescriptorBatch(1);
    expect(batch.add(1, 1)).toBe(true);
    expect(batch.add(2, 2)).toBe(false);
    expect(batch.count).toBe(1);
  });

  test("a closed channel refuses pushes, keeps what it holds, and wakes waiters", async () => {
    const channel = PacketChannel.create(4);
    channel.push(1, 1);
    channel.close();
    expect(channel.closed).toBe(true);
    expect(channel.push(2, 2)).toBe(false);
    expect(channel.wait(0)).toBe("ready");
    expect(channel.pop()?.slot).toBe(1);
    expect(channel.wait(0)).toBe("closed");
    expect(await channel.waitAsync()).toBe("closed");
  });

  test("wait times out on an empty channel", () => {
    const channel = PacketChannel.create(2);
    expect(channel.wait(5)).toBe("timed-out");
  });

  test("waitAsync resolves when a descriptor arrives", async () => {
    const channel = PacketChannel.create(2);
    const other = PacketChannel.attach(channel.buffer);
    const waiting = channel.waitAsync(10_000);
    queueMicrotask(() => other.push(5, 50));
    expect(await waiting).toBe("ready");
    expect(channel.pop()).toEqual({ slot: 5, length: 50, meta: 0 });
    expect(await channel.waitAsync(5)).toBe("timed-out");
  });

  test("rejects a buffer that is not a channel", () => {
    expect(() => PacketChannel.attach(new SharedArrayBuffer(1024))).toThrow(
      IncompatibleBufferError,
    );
  });

  test("keeps every descriptor intact and in order for any batch sizes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer()), { maxLength: 64 }),
        fc.integer({ min: 1, max: 9 }),
        (items, popSize) => {
          const channel = PacketChannel.create(8);
          const batch = new DescriptorBatch(items.length);
          for (const [slot, length, meta] of items) batch.add(slot, length, meta);
          const received: [number, number, number][] = [];
          const out = new DescriptorBatch(popSize);
          let sent = 0;
          while (received.length < items.length) {
            sent += channel.pushBatch(batch, sent);
            channel.popBatch(out);
            for (let i = 0; i < out.count; i++) {
              received.push([out.slots[i] ?? 0, out.lengths[i] ?? 0, out.metas[i] ?? 0]);
            }
          }
          expect(received).toEqual(items.map(([s, l, m]) => [s | 0, l | 0, m | 0]));
        },
      ),
    );
  });
});
